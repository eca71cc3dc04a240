// RUN: quant-opt %s -split-input-file | FileCheck %s
// RUN: quant-opt %s -split-input-file -mlir-print-op-generic | quant-opt -split-input-file | FileCheck %s
// RUN: quant-opt %s -split-input-file -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// External weight references parse and print back unchanged. None of these
// files exists: parsing and verifying never open a weight file.

// CHECK-LABEL: func.func @float_external
// CHECK: qf.external_constant #qf.external<"no/such/w.safetensors", "layers.0.mlp.up.weight"> : tensor<128x64xf32>
// CHECK: qf.external_constant {qf.name = "bias"} #qf.external<"/abs/no/b.npy"> : tensor<128xf16>
// CHECK: qf.external_constant #qf.external<"m.gguf", "blk.0.ffn_up.weight"> : tensor<2x32xbf16>
// CHECK: qf.external_constant #qf.external<"a.npz", "emb"> : tensor<4xf64>
// GENERIC-LABEL: sym_name = "float_external"
// GENERIC: "qf.external_constant"() <{value = #qf.external<"no/such/w.safetensors", "layers.0.mlp.up.weight"> : tensor<128x64xf32>}> : () -> tensor<128x64xf32>
func.func @float_external() -> (tensor<128x64xf32>, tensor<128xf16>, tensor<2x32xbf16>, tensor<4xf64>) {
  %w = qf.external_constant #qf.external<"no/such/w.safetensors", "layers.0.mlp.up.weight"> : tensor<128x64xf32>
  %b = qf.external_constant {qf.name = "bias"} #qf.external<"/abs/no/b.npy"> : tensor<128xf16>
  %g = qf.external_constant #qf.external<"m.gguf", "blk.0.ffn_up.weight"> : tensor<2x32xbf16>
  %n = qf.external_constant #qf.external<"a.npz", "emb"> : tensor<4xf64>
  return %w, %b, %g, %n : tensor<128x64xf32>, tensor<128xf16>, tensor<2x32xbf16>, tensor<4xf64>
}

// -----

// Quantized constants with their sections in a file QForge wrote; the type
// after the reference is the result type. Inline constants keep `: type`.
// CHECK-LABEL: func.func @quantized_external
// CHECK: %[[Q:.*]] = qf.constant {qf.mse = 1.000000e-03 : f64, qf.name = "fc"} #qf.external<"q.gguf", "fc"> : !qf.tensor<64x128xf32, #qf.format<"q4_0">>
// CHECK: qf.constant #qf.external<"q.safetensors", "fc2"> : !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16">>
// CHECK: qf.constant {codes = dense<0> : tensor<4xi8>, scales = dense<0> : tensor<4xi8>} : !qf.tensor<1x8xf32, #qf.format<"int4:g8">>
// CHECK: qf.dequantize %[[Q]]
// GENERIC-LABEL: sym_name = "quantized_external"
// GENERIC: "qf.constant"() <{external = #qf.external<"q.gguf", "fc"> : !qf.tensor<64x128xf32, #qf.format<"q4_0">>}> {qf.mse = 1.000000e-03 : f64, qf.name = "fc"} : () -> !qf.tensor<64x128xf32, #qf.format<"q4_0">>
func.func @quantized_external() -> tensor<64x128xf32> {
  %q = qf.constant {qf.name = "fc", qf.mse = 1.0e-3 : f64} #qf.external<"q.gguf", "fc"> : !qf.tensor<64x128xf32, #qf.format<"q4_0">>
  %r = qf.constant #qf.external<"q.safetensors", "fc2"> : !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16">>
  %s = qf.constant {codes = dense<0> : tensor<4xi8>, scales = dense<0> : tensor<4xi8>} : !qf.tensor<1x8xf32, #qf.format<"int4:g8">>
  %d = qf.dequantize %q : !qf.tensor<64x128xf32, #qf.format<"q4_0">> -> tensor<64x128xf32>
  return %d : tensor<64x128xf32>
}

// -----

// The attribute is usable on its own (e.g. in a discardable attribute);
// path strings are escaped like any MLIR string.
// CHECK-LABEL: func.func private @standalone
// CHECK-SAME: qf.weights = [#qf.external<"dir with space/w \22q\22.safetensors", "k"> : tensor<2xf32>, #qf.external<"x.npy"> : tensor<3xf16>]
func.func private @standalone() attributes {qf.weights = [#qf.external<"dir with space/w \"q\".safetensors", "k"> : tensor<2xf32>, #qf.external<"x.npy"> : tensor<3xf16>]}
