// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=generic | FileCheck %s --check-prefix=GENERIC

// int4:g32:f16: 2x64 -> 64 code bytes, 4 f16 scales (8 bytes). Nibbles are
// split (x & 15, (x >> 4) & 15) and interleaved into element order; codes
// looked up with vpermps (AVX-512) or sign-extended with shli/shrsi by 28
// (generic); the f16 scale is read as 2 bytes, bitcast i16 -> f16, extended.
// CHECK-LABEL: func.func @dequant_int4_g32_f16
// CHECK-SAME: (%[[C:.*]]: tensor<64xi8>, %[[S:.*]]: tensor<8xi8>) -> tensor<2x64xf32>
// CHECK: scf.for {{.*}} step %c32
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<64xi8>, vector<16xi8>
// CHECK: arith.andi {{.*}} : vector<16xi8>
// CHECK: arith.shrui {{.*}} : vector<16xi8>
// CHECK: arith.andi {{.*}} : vector<16xi8>
// CHECK: vector.interleave {{.*}} : vector<16xi8> -> vector<32xi8>
// CHECK-COUNT-2: call @llvm.x86.avx512.permvar.sf.512
// CHECK: vector.transfer_read %[[S]]{{.*}} : tensor<8xi8>, vector<2xi8>
// CHECK: vector.bitcast {{.*}} : vector<2xi8> to vector<1xi16>
// CHECK: arith.bitcast {{.*}} : i16 to f16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<32xf32>, tensor<2x64xf32>
// GENERIC-LABEL: func.func @dequant_int4_g32_f16
// GENERIC-NOT: call @llvm.
// GENERIC: arith.shli {{.*}} : vector<32xi32>
// GENERIC: arith.shrsi {{.*}} : vector<32xi32>
// GENERIC: arith.sitofp {{.*}} : vector<32xi32> to vector<32xf32>
// GENERIC: arith.extf {{.*}} : f16 to f32
func.func @dequant_int4_g32_f16(%q: !qf.tensor<2x64xf32, #qf.format<"int4:g32:f16">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"int4:g32:f16">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// Fused GEMV: the activations are permuted once into plane order (even
// then odd elements of each 32-element chunk); each 16-byte chunk of codes
// decodes as two planes of 16 lanes (low and high nibbles, no shuffle)
// whose partial dot product is scaled once by its f16 group scale; two
// chunks per iteration go into two accumulators.
// CHECK-LABEL: func.func @gemv_int4_g32_f16
// CHECK-SAME: (%{{.*}}: tensor<1x64xf32>, %{{.*}}: tensor<64xi8>, %{{.*}}: tensor<8xi8>) -> tensor<1x2xf32>
// CHECK: vector.shuffle {{.*}} [0, 2, 4, {{.*}}, 28, 30, 1, 3, {{.*}}, 29, 31] : vector<32xf32>, vector<32xf32>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: llvm.x86.avx512.permvar.sf.512
// CHECK: arith.shrui {{.*}} : vector<16xi32>
// CHECK: llvm.x86.avx512.permvar.sf.512
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>
// CHECK: tensor.insert {{.*}} : tensor<1x2xf32>
// CHECK-NOT: qf.
func.func @gemv_int4_g32_f16(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"int4:g32:f16">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"int4:g32:f16">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
