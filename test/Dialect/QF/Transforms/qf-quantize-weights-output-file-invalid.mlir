// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// RUN: quant-opt %s -split-input-file --qf-weights-dir=%t -qf-quantize-weights=output-file=e.gguf -verify-diagnostics
// Only the q4_k chunk succeeds; the failing chunks write nothing, so e.gguf
// holds its one ggml Q4_K tensor.
// RUN: %python %S/../Inputs/dump_weights.py %t/e.gguf | FileCheck %s --check-prefix=Q4K
// RUN: not quant-opt %s -split-input-file --qf-weights-dir=%t -qf-quantize-weights=output-file=q.bin 2>&1 | FileCheck %s --check-prefix=EXT
// RUN: not quant-opt %s -split-input-file --qf-weights-dir=%t -qf-quantize-weights=output-file=no/such/dir/q.gguf 2>&1 | FileCheck %s --check-prefix=DIR

// EXT: error: qf-quantize-weights: output-file 'q.bin' must end in .safetensors or .gguf
// DIR: error: qf-quantize-weights: cannot write output-file '{{.*}}/no/such/dir/q.gguf': cannot create '{{.*}}/no/such/dir/q.gguf': No such file or directory

// Q4K: gguf version 3
// Q4K-NEXT: tensor big Q4_K [8, 256] 1152 bytes
// Q4K-NOT: tensor

func.func @q4_k() -> tensor<8x256xf32> {
  %g = qf.external_constant {qf.format = #qf.format<"q4_k">} #qf.external<"w.safetensors", "big"> : tensor<8x256xf32>
  return %g : tensor<8x256xf32>
}

// -----

func.func @missing_file() -> tensor<4x64xf32> {
  // expected-error @+1 {{qf-quantize-weights: cannot read weight 'fc.weight': cannot open '}}
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"nope.safetensors", "fc.weight"> : tensor<4x64xf32>
  return %w : tensor<4x64xf32>
}

// -----

func.func @missing_key() -> tensor<4x64xf32> {
  // expected-error @+1 {{qf-quantize-weights: cannot read weight 'nope': '}}
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"w.safetensors", "nope"> : tensor<4x64xf32>
  return %w : tensor<4x64xf32>
}

// -----

func.func @wrong_dtype() -> tensor<4x64xf32> {
  // expected-error @+1 {{/w.safetensors': tensor 'fc.half' is f16 [4, 64], but tensor<4x64xf32> needs f32 [4, 64]}}
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"w.safetensors", "fc.half"> : tensor<4x64xf32>
  return %w : tensor<4x64xf32>
}

// -----

func.func @wrong_shape() -> tensor<8x32xf32> {
  // expected-error @+1 {{/w.safetensors': tensor 'fc.weight' is f32 [4, 64], but tensor<8x32xf32> needs f32 [8, 32]}}
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"w.safetensors", "fc.weight"> : tensor<8x32xf32>
  return %w : tensor<8x32xf32>
}

// -----

// e.gguf is the file the first chunk wrote.
func.func @gguf_block_tensor_as_float() -> tensor<8x256xf32> {
  // expected-error @+1 {{/e.gguf': tensor 'big' is q4_k [8, 256], but tensor<8x256xf32> needs f32 [8, 256]}}
  %w = qf.external_constant {qf.format = #qf.format<"q8_0">} #qf.external<"e.gguf", "big"> : tensor<8x256xf32>
  return %w : tensor<8x256xf32>
}

// -----

// A tensor the container cannot hold fails the write (GGUF tensors have at
// most 4 dimensions) and leaves the file as it was.
// expected-error-re @+1 {{cannot write output-file '{{.*}}/e.gguf': tensor "w5": GGUF tensors have 1 to 4 dimensions}}
module {
  func.func @five_dims() -> tensor<1x1x1x2x32xf32> {
    %w = arith.constant {qf.format = #qf.format<"q4_0">, qf.name = "w5"} dense<0.5> : tensor<1x1x1x2x32xf32>
    return %w : tensor<1x1x1x2x32xf32>
  }
}

// -----

// The output file replaces the whole file: references that stay in the IR
// must not point to it (here a float weight the run does not quantize, and
// a constant an earlier run wrote).
func.func @output_still_referenced() -> (tensor<4x64xf32>, tensor<8x256xf32>) {
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
  // expected-error-re @+1 {{qf-quantize-weights: output-file 'e.gguf' would replace '{{.*}}/e.gguf', which this op still references}}
  %b = qf.external_constant #qf.external<"./e.gguf", "big"> : tensor<8x256xf32>
  return %w, %b : tensor<4x64xf32>, tensor<8x256xf32>
}

// -----

func.func @output_referenced_by_constant() -> (tensor<4x64xf32>, tensor<8x256xf32>) {
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
  // expected-error @+1 {{would replace}}
  %q = qf.constant #qf.external<"e.gguf", "big"> : !qf.tensor<8x256xf32, #qf.format<"q4_k">>
  %d = qf.dequantize %q : !qf.tensor<8x256xf32, #qf.format<"q4_k">> -> tensor<8x256xf32>
  return %w, %d : tensor<4x64xf32>, tensor<8x256xf32>
}
