// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// Quantize the float weights of w.safetensors into q.safetensors; the IR
// references it instead of embedding blobs.
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-weights=output-file=q.safetensors -o %t/ext.mlir
// RUN: FileCheck %s --input-file=%t/ext.mlir --check-prefix=EXT
// The qf.dequantize folder reads the external sections: %t/ext.mlir names
// "q.safetensors" relative to its own directory (no --qf-weights-dir: the
// directory of the input file), from any working directory.
// RUN: cd / && quant-opt %t/ext.mlir -canonicalize -o %t/ext-folded.mlir
// RUN: FileCheck %s --input-file=%t/ext-folded.mlir --check-prefix=FOLD
// Folding the embedded form gives the same values, bit for bit.
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-weights -canonicalize -o %t/emb-folded.mlir
// RUN: diff %t/ext-folded.mlir %t/emb-folded.mlir

// EXT-LABEL: func.func @weights
// EXT: %[[A:.*]] = qf.constant {{{.*}}qf.name = "fc.weight"{{.*}}} #qf.external<"q.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
// EXT: %[[B:.*]] = qf.constant {{{.*}}qf.name = "emb"{{.*}}} #qf.external<"q.safetensors", "emb"> : !qf.tensor<2x32xf32, #qf.format<"nf4:g32">>
// EXT: %[[C:.*]] = qf.constant {{{.*}}qf.name = "blk.0.w"{{.*}}} #qf.external<"q.safetensors", "blk.0.w"> : !qf.tensor<2x32xf32, #qf.format<"q8_0">>
// EXT-NOT: dense_resource
// EXT-NOT: dialect_resources

// FOLD-LABEL: func.func @weights
// FOLD-NOT: qf.
// FOLD-COUNT-3: arith.constant dense<
// FOLD-NOT: qf.
func.func @weights() -> (tensor<4x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>) {
  %w = qf.external_constant {qf.format = #qf.format<"int4:g32:f16">} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
  %e = qf.external_constant {qf.format = #qf.format<"nf4:g32">} #qf.external<"w.npz", "emb"> : tensor<2x32xf32>
  %g = qf.external_constant {qf.format = #qf.format<"q8_0">} #qf.external<"w.gguf", "blk.0.w"> : tensor<2x32xf32>
  return %w, %e, %g : tensor<4x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>
}
