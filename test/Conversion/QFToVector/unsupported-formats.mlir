// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 -verify-diagnostics

// Every format the format library accepts has a CPU decoder (Kashin codes
// included, see kashin.mlir). What remains rejected is producing quantized
// tensors at run time: qf.quantize is not lowered, for Kashin as for any
// other format, and the op says so.

func.func @kashin_quantize(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{'qf.quantize' op is not lowered by qf-lower-to-vector}}
  %q = qf.quantize %x : tensor<2x64xf32> -> !qf.tensor<2x64xf32, #qf.format<"kashin:2+2">>
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"kashin:2+2">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}
