// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// RUN: quant-opt %S/qf-quantize-weights-output-file.mlir --qf-weights-dir=%t -qf-quantize-weights=output-file=q.safetensors -o %t/q.mlir
// qf-report reads the codes of external qf.constants from their file (for
// the entropy figures): the same report as for the embedded form.
// RUN: quant-opt %t/q.mlir -qf-report="file=%t/ext.json" -o /dev/null
// RUN: quant-opt %S/qf-quantize-weights-output-file.mlir --qf-weights-dir=%t -qf-quantize-weights -qf-report="file=%t/emb.json" -o /dev/null
// RUN: diff %t/ext.json %t/emb.json
// RUN: FileCheck %s --input-file=%t/ext.json
// RUN: quant-opt %s -split-input-file --qf-weights-dir=%t -qf-report -verify-diagnostics -o /dev/null

// CHECK: "name": "fc.weight",
// CHECK: "format": "q4_0",
// CHECK: "entropy_bits_per_weight": {{[0-9]+\.[0-9]+}},

func.func @missing_file() -> tensor<4x64xf32> {
  // expected-error @+1 {{qf-report: cannot read #qf.external<"nope.gguf", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"q4_0">>: cannot open '}}
  %q = qf.constant #qf.external<"nope.gguf", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"q4_0">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"q4_0">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

func.func @section_size_mismatch() -> tensor<4x64xf32> {
  // expected-error @+1 {{/bad.safetensors': quantized tensor 'w': section 'scales' has 6 bytes but format 'int4:g32:f16' needs 16}}
  %q = qf.constant #qf.external<"bad.safetensors", "w"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}
