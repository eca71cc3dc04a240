// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// RUN: quant-opt %S/external-fold.mlir --qf-weights-dir=%t -qf-quantize-weights=output-file=q.safetensors -o /dev/null
// RUN: quant-opt %s -split-input-file --qf-weights-dir=%t -canonicalize -verify-diagnostics
// The qf.dequantize folder cannot read these references: it leaves the IR
// alone and warns once per reference (the passes that need the data fail
// on it with an error).

func.func @missing_file() -> tensor<4x64xf32> {
  // expected-warning @+1 {{qf.dequantize not folded: cannot read #qf.external<"nope.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>: cannot open '}}
  %q = qf.constant #qf.external<"nope.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  %e = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  %s = arith.addf %d, %e : tensor<4x64xf32>
  return %s : tensor<4x64xf32>
}

// -----

func.func @missing_key() -> tensor<4x64xf32> {
  // expected-warning @+1 {{/q.safetensors' has no quantized tensor 'nope' (nope.qf_format/.qf_shape metadata)}}
  %q = qf.constant #qf.external<"q.safetensors", "nope"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

func.func @wrong_format() -> tensor<4x64xf32> {
  // expected-warning @+1 {{/q.safetensors': quantized tensor 'fc.weight' is int4:g32:f16 [4, 64], but !qf.tensor<4x64xf32, #qf.format<"q4_0">> needs q4_0 [4, 64]}}
  %q = qf.constant #qf.external<"q.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"q4_0">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"q4_0">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

func.func @wrong_shape() -> tensor<8x32xf32> {
  // expected-warning @+1 {{quantized tensor 'fc.weight' is int4:g32:f16 [4, 64], but !qf.tensor<8x32xf32, #qf.format<"int4:g32:f16">> needs int4:g32:f16 [8, 32]}}
  %q = qf.constant #qf.external<"q.safetensors", "fc.weight"> : !qf.tensor<8x32xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<8x32xf32, #qf.format<"int4:g32:f16">> -> tensor<8x32xf32>
  return %d : tensor<8x32xf32>
}

// -----

func.func @float_tensor_as_quantized() -> tensor<4x64xf32> {
  // expected-warning @+1 {{/w.safetensors': tensor 'fc.weight' is not quantized (f32)}}
  %q = qf.constant #qf.external<"w.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}
