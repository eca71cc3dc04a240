// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// RUN: quant-opt %s -split-input-file --qf-weights-dir=%t -qf-allocate-bits="avg-bits=4.5 candidates=q4_0,q8_0 method=rd-exact" -verify-diagnostics | FileCheck %s
// qf-allocate-bits reads the values of qf.external_constant weights from
// their files (lazily: only the weights it allocates) and diagnoses the
// references it cannot read.

// CHECK-LABEL: func.func @external_weight
// CHECK: qf.external_constant {qf.format = #qf.format<"q4_0">, qf.name = "fc.weight"} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
func.func @external_weight() -> tensor<4x64xf32> {
  %w = qf.external_constant #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
  return %w : tensor<4x64xf32>
}

// -----

func.func @missing_file() -> tensor<4x64xf32> {
  // expected-error @+1 {{qf-allocate-bits: cannot read weight 'fc.weight': cannot open '}}
  %w = qf.external_constant #qf.external<"nope.safetensors", "fc.weight"> : tensor<4x64xf32>
  return %w : tensor<4x64xf32>
}

// -----

func.func @wrong_shape() -> tensor<2x128xf32> {
  // expected-error @+1 {{qf-allocate-bits: cannot read weight 'fc.weight': '}}
  %w = qf.external_constant #qf.external<"w.safetensors", "fc.weight"> : tensor<2x128xf32>
  return %w : tensor<2x128xf32>
}
