func.func @mlp(%x: tensor<2x64xf32>) -> tensor<2x4xf32> {
  %w = qf.external_constant {qf.name = "fc.weight"} #qf.external<"no/such/dir/w.safetensors", "fc.weight"> : tensor<64x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x64xf32>, tensor<64x4xf32>) outs(%i : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
