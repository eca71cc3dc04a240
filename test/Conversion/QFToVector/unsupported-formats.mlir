// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 -verify-diagnostics

// Formats without a CPU decoder are rejected at the op that needs them,
// both for qf.dequantize and for the fused qf.matmul (the existing
// qf-lower-to-vector-invalid.mlir covers q4_k dequantize).

func.func @kashin_dequant(%q: !qf.tensor<2x64xf32, #qf.format<"kashin:2+2">>) -> tensor<2x64xf32> {
  // expected-error @+1 {{cannot lower format 'kashin:2+2': learned (asq) and kashin codes have no decoder yet}}
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"kashin:2+2">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

func.func @kashin_gemv(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"kashin:2+2">>) -> tensor<1x2xf32> {
  // expected-error @+1 {{'qf.matmul' op cannot lower format 'kashin:2+2'}}
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"kashin:2+2">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @q4_k_gemv(%x: tensor<1x256xf32>, %w: !qf.tensor<2x256xf32, #qf.format<"q4_k">>) -> tensor<1x2xf32> {
  // expected-error @+1 {{'qf.matmul' op cannot lower format 'q4_k': the q4_k layout}}
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<2x256xf32, #qf.format<"q4_k">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
