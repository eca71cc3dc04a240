// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx2 | FileCheck %s --check-prefix=AVX2

// crd-t5:4:g64:bf16: 4-bit indices into the 16-entry cube-root-density
// Student-t(5) table, one bf16 scale per 64 elements. A whole 64-element
// group is one step: 32 code bytes -> 64 indices, four 16-lane vpermps
// lookups concatenated; the bf16 scale becomes f32 by zext + shl 16 +
// bitcast (no f16 path).
// CHECK-LABEL: func.func @dequant_crd_t5
// CHECK-SAME: (%[[C:.*]]: tensor<64xi8>, %[[S:.*]]: tensor<4xi8>) -> tensor<2x64xf32>
// CHECK: scf.for {{.*}} step %c64
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<64xi8>, vector<32xi8>
// CHECK: vector.interleave {{.*}} : vector<32xi8> -> vector<64xi8>
// CHECK-COUNT-4: call @llvm.x86.avx512.permvar.sf.512
// CHECK: vector.shuffle {{.*}} : vector<32xf32>, vector<32xf32>
// CHECK: vector.transfer_read %[[S]]{{.*}} : tensor<4xi8>, vector<2xi8>
// CHECK: arith.extui {{.*}} : i16 to i32
// CHECK: arith.shli {{.*}}, %c16_i32 : i32
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK-NOT: arith.extf
// CHECK: arith.mulf {{.*}} : vector<64xf32>
// AVX2-LABEL: func.func @dequant_crd_t5
// AVX2: call @llvm.x86.avx2.permps
// AVX2: arith.shli {{.*}}, %c16_i32 : i32
func.func @dequant_crd_t5(%q: !qf.tensor<2x64xf32, #qf.format<"crd-t5:4:g64:bf16">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"crd-t5:4:g64:bf16">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// CHECK-LABEL: func.func @gemv_crd_t5
// CHECK: call @llvm.x86.avx512.permvar.sf.512
// CHECK: arith.shli {{.*}}, %c16_i32 : i32
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// AVX2-LABEL: func.func @gemv_crd_t5
// AVX2: vector.fma
func.func @gemv_crd_t5(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"crd-t5:4:g64:bf16">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"crd-t5:4:g64:bf16">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
