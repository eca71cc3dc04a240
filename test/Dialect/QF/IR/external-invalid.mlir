// RUN: quant-opt %s -split-input-file -verify-diagnostics
// Malformed external references are diagnosed by the parser and the
// verifiers, without opening any file.

// expected-error @+1 {{#qf.external needs the type of the value it stands for}}
func.func private @no_type() attributes {w = #qf.external<"w.safetensors", "k">}

// -----

// expected-error @+1 {{#qf.external needs a file path}}
func.func private @empty_path() attributes {w = #qf.external<"", "k"> : tensor<2xf32>}

// -----

// expected-error @+1 {{#qf.external: 'w.bin': unknown weight file extension (.safetensors, .gguf, .npz, .npy)}}
func.func private @bad_extension() attributes {w = #qf.external<"w.bin", "k"> : tensor<2xf32>}

// -----

// expected-error @+1 {{a .npy file holds one array; its key must be omitted, got 'k'}}
func.func private @npy_with_key() attributes {w = #qf.external<"w.npy", "k"> : tensor<2xf32>}

// -----

// expected-error @+1 {{'w.safetensors' holds named tensors; a key is needed}}
func.func private @missing_key() attributes {w = #qf.external<"w.safetensors"> : tensor<2xf32>}

// -----

// expected-error @+1 {{a statically shaped float tensor or a !qf.tensor}}
func.func private @int_type() attributes {w = #qf.external<"w.safetensors", "k"> : tensor<2xi32>}

// -----

// expected-error @+1 {{a statically shaped float tensor or a !qf.tensor}}
func.func private @dynamic_type() attributes {w = #qf.external<"w.safetensors", "k"> : tensor<?xf32>}

// -----

func.func @external_constant_quantized_type() {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qf.external_constant #qf.external<"w.safetensors", "k"> : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return
}

// -----

func.func @external_constant_f8() {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qf.external_constant #qf.external<"w.safetensors", "k"> : tensor<4xf8E4M3FN>
  return
}

// -----

func.func @external_constant_type_mismatch() {
  // expected-error @+1 {{failed to verify that all of {value, result} have same type}}
  %0 = "qf.external_constant"() <{value = #qf.external<"w.safetensors", "k"> : tensor<4xf32>}> : () -> tensor<8xf32>
  return
}

// -----

func.func @quantized_npz() {
  // expected-error @+1 {{external quantized storage must be a .safetensors or .gguf file written by QForge, got 'w.npz'}}
  %0 = qf.constant #qf.external<"w.npz", "fc"> : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return
}

// -----

func.func @external_and_inline() {
  // expected-error @+1 {{has external storage and an inline 'codes' section: use one or the other}}
  %0 = qf.constant {codes = dense<0> : tensor<18xi8>} #qf.external<"w.gguf", "fc"> : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return
}

// -----

func.func @quantized_type_mismatch() {
  // expected-error @+1 {{external reference of type '!qf.tensor<1x32xf32, #qf.format<"q8_0">>' does not match the result type '!qf.tensor<1x32xf32, #qf.format<"q4_0">>'}}
  %0 = "qf.constant"() <{external = #qf.external<"w.gguf", "fc"> : !qf.tensor<1x32xf32, #qf.format<"q8_0">>}> : () -> !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return
}

// -----

func.func @quantized_float_typed_ref() {
  // expected-error @+1 {{external reference of type 'tensor<1x32xf32>' does not match the result type}}
  %0 = "qf.constant"() <{external = #qf.external<"w.gguf", "fc"> : tensor<1x32xf32>}> : () -> !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return
}

// -----

func.func @not_an_external() {
  // expected-error @+1 {{expected a #qf.external attribute or ':' and a quantized tensor type, got #qf.format<"q4_0">}}
  %0 = qf.constant #qf.format<"q4_0"> : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return
}
