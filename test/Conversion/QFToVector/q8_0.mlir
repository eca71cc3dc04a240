// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=generic | FileCheck %s --check-prefix=GENERIC

// q8_0 (GGUF blocks of 34 bytes: f16 d, 32 signed bytes): 2 rows x 2 blocks
// = 136 bytes in one section; the 32 codes are converted directly with
// sitofp from i8 (no nibble work, no table), then scaled by d.
// CHECK-LABEL: func.func @dequant_q8_0
// CHECK-SAME: (%[[C:.*]]: tensor<136xi8>) -> tensor<2x64xf32>
// CHECK: scf.for {{.*}} step %c32
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<136xi8>, vector<2xi8>
// CHECK: arith.bitcast {{.*}} : i16 to f16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<136xi8>, vector<32xi8>
// CHECK-NEXT: arith.sitofp {{.*}} : vector<32xi8> to vector<32xf32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK-NOT: arith.shrui
// CHECK-NOT: call @llvm.
// CHECK: return
// GENERIC-LABEL: func.func @dequant_q8_0
// GENERIC: arith.sitofp {{.*}} : vector<32xi8> to vector<32xf32>
func.func @dequant_q8_0(%q: !qf.tensor<2x64xf32, #qf.format<"q8_0">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"q8_0">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// CHECK-LABEL: func.func @gemv_q8_0
// CHECK-SAME: (%{{.*}}: tensor<1x64xf32>, %{{.*}}: tensor<136xi8>) -> tensor<1x2xf32>
// CHECK: arith.sitofp {{.*}} : vector<32xi8> to vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.reduction <add>
func.func @gemv_q8_0(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"q8_0">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"q8_0">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
