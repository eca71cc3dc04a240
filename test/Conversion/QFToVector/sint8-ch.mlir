// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s

// sint8:ch: one byte per code, one f32 scale per row (2 rows -> 8 bytes).
// A whole row of 64 codes is one vector; the code is sign-extended from its
// low 8 bits (shli 24) and the excluded code -128 is clamped with a select
// (symmetric range -127..127) before the conversion.
// CHECK-LABEL: func.func @dequant_sint8_ch
// CHECK-SAME: (%[[C:.*]]: tensor<128xi8>, %[[S:.*]]: tensor<8xi8>) -> tensor<2x64xf32>
// CHECK: scf.for {{.*}} step %c64
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<128xi8>, vector<64xi8>
// CHECK: arith.extui {{.*}} : vector<64xi8> to vector<64xi32>
// CHECK: arith.shli {{.*}} : vector<64xi32>
// CHECK: arith.select {{.*}} : vector<64xi1>, vector<64xi32>
// CHECK: arith.sitofp {{.*}} : vector<64xi32> to vector<64xf32>
// CHECK: vector.transfer_read %[[S]]{{.*}} : tensor<8xi8>, vector<4xi8>
// CHECK: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK: arith.mulf {{.*}} : vector<64xf32>
// CHECK-NOT: call @llvm.
func.func @dequant_sint8_ch(%q: !qf.tensor<2x64xf32, #qf.format<"sint8:ch">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"sint8:ch">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// Fused GEMV, one 64-wide accumulator per row (K = 64, one chunk).
// CHECK-LABEL: func.func @gemv_sint8_ch
// CHECK: scf.for {{.*}} -> (vector<32xf32>, vector<32xf32>)
// CHECK: arith.sitofp {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.reduction <add>, {{.*}} : vector<32xf32> into f32
func.func @gemv_sint8_ch(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"sint8:ch">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"sint8:ch">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
