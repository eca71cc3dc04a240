// RUN: quant-opt %s -split-input-file -verify-diagnostics
// qf.matmul verifier errors for rank-1 and rank-0 activations and a
// non-float lhs (not in invalid.mlir).

!w = !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>
func.func @rank1_k(%v: tensor<32xf32>, %w: !w) {
  // expected-error @+1 {{'qf.matmul' op contraction size mismatch: lhs has K = 32 but the weight has K = 64}}
  %0 = qf.matmul %v, %w : tensor<32xf32>, !w -> tensor<128xf32>
  return
}

// -----

!w = !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>
func.func @rank1_result_rank(%v: tensor<64xf32>, %w: !w) {
  // expected-error @+1 {{'qf.matmul' op result rank 2 must equal lhs rank 1}}
  %0 = qf.matmul %v, %w : tensor<64xf32>, !w -> tensor<1x128xf32>
  return
}

// -----

!w = !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>
func.func @rank0(%s: tensor<f32>, %w: !w) {
  // expected-error @+1 {{'qf.matmul' op lhs must have rank >= 1}}
  %0 = qf.matmul %s, %w : tensor<f32>, !w -> tensor<128xf32>
  return
}

// -----

!w = !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>
func.func @int_lhs(%x: tensor<4x64xi32>, %w: !w) {
  // expected-error @+1 {{'qf.matmul' op operand #0 must be tensor of floating-point values, but got 'tensor<4x64xi32>'}}
  %0 = qf.matmul %x, %w : tensor<4x64xi32>, !w -> tensor<4x128xi32>
  return
}
