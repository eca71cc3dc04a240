// RUN: rm -rf %t && %python %S/../../Dialect/QF/Inputs/make_weights.py %t
// RUN: quant-opt %S/../../Dialect/QF/IR/external-fold.mlir --qf-weights-dir=%t -qf-quantize-weights=output-file=q.safetensors -o /dev/null
// RUN: quant-opt %s -split-input-file --qf-weights-dir=%t -qf-lower-to-vector=target=avx2 -verify-diagnostics | FileCheck %s
// qf-lower-to-vector turns external weights into arith.constants: a
// qf.external_constant into one constant over the file's data, an external
// qf.constant into one constant per section read from the file QForge
// wrote. References it cannot read are errors.

// CHECK-LABEL: func.func @float_external
// CHECK: %[[C:.*]] = arith.constant dense_resource<fc.bias> : tensor<4xf32>
// CHECK: return %[[C]]
// CHECK: fc.bias: "0x04000000
func.func @float_external() -> tensor<4xf32> {
  %b = qf.external_constant #qf.external<"w.safetensors", "fc.bias"> : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @quantized_external
// CHECK-DAG: arith.constant dense_resource<fc.weight.codes> : tensor<128xi8>
// CHECK-DAG: arith.constant dense_resource<fc.weight.scales> : tensor<16xi8>
// CHECK-NOT: qf.
// CHECK: fc.weight.codes: "0x01000000
func.func @quantized_external() -> tensor<4x64xf32> {
  %q = qf.constant {qf.name = "fc.weight"} #qf.external<"q.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

func.func @missing_file() -> tensor<4xf32> {
  // expected-error @+1 {{'qf.external_constant' op cannot read #qf.external<"nope.npy"> : tensor<4xf32>: cannot open '}}
  %b = qf.external_constant #qf.external<"nope.npy"> : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

func.func @wrong_dtype() -> tensor<4xf16> {
  // expected-error @+1 {{/w.safetensors': tensor 'fc.bias' is f32 [4], but tensor<4xf16> needs f16 [4]}}
  %b = qf.external_constant #qf.external<"w.safetensors", "fc.bias"> : tensor<4xf16>
  return %b : tensor<4xf16>
}

// -----

func.func @missing_key() -> tensor<4x64xf32> {
  // expected-error @+1 {{'qf.constant' op cannot read #qf.external<"q.safetensors", "nope"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>: '}}
  %q = qf.constant #qf.external<"q.safetensors", "nope"> : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

func.func @wrong_format() -> tensor<4x64xf32> {
  // expected-error @+1 {{quantized tensor 'fc.weight' is int4:g32:f16 [4, 64], but !qf.tensor<4x64xf32, #qf.format<"q4_0">> needs q4_0 [4, 64]}}
  %q = qf.constant #qf.external<"q.safetensors", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"q4_0">>
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"q4_0">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}
