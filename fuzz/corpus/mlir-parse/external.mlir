func.func @external() -> (tensor<128x64xf32>, tensor<128xf16>, tensor<4xf64>, tensor<64x128xf32>) {
  %w = qf.external_constant #qf.external<"no/such/w.safetensors", "layers.0.mlp.up.weight"> : tensor<128x64xf32>
  %b = qf.external_constant {qf.name = "bias"} #qf.external<"/no/such/b.npy"> : tensor<128xf16>
  %n = qf.external_constant #qf.external<"a.npz", "emb"> : tensor<4xf64>
  %q = qf.constant {qf.name = "fc", qf.mse = 1.0e-3 : f64} #qf.external<"q.gguf", "fc"> : !qf.tensor<64x128xf32, #qf.format<"q4_0">>
  %r = qf.constant #qf.external<"q.safetensors", "fc2"> : !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<64x128xf32, #qf.format<"q4_0">> -> tensor<64x128xf32>
  return %w, %b, %n, %d : tensor<128x64xf32>, tensor<128xf16>, tensor<4xf64>, tensor<64x128xf32>
}
