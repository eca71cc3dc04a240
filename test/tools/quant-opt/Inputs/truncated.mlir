func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qf.quantize %x : tensor<4xf32> -> !qf.tensor<4x
