func.func @mlp(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[0.1, -0.2, 0.3, -0.4], [0.5, -0.6, 0.7, -0.8], [0.9, -1.0, 1.1, -1.2], [1.3, -1.4, 1.5, -1.6], [0.01, 0.02, 0.03, 0.04], [-0.05, 0.06, -0.07, 0.08], [0.2, 0.2, 0.2, 0.2], [3.0, -3.0, 0.0, 0.5]]> : tensor<8x4xf32> loc("fc.weight")
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>) outs(%i : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
