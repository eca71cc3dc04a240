func.func @q(%x: tensor<4x64xf32>, %a: tensor<2x4xf32>) -> (tensor<4x64xf32>, tensor<2x64xf32>) {
  %q = qf.quantize %x : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"mxfp4">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"mxfp4">> -> tensor<4x64xf32>
  %m = qf.matmul %a, %q : tensor<2x4xf32>, !qf.tensor<4x64xf32, #qf.format<"mxfp4">> -> tensor<2x64xf32>
  return %d, %m : tensor<4x64xf32>, tensor<2x64xf32>
}
