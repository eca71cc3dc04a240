// RUN: quant-opt %s -emit-bytecode | quant-opt | FileCheck %s
// Formats, quantized tensor types and qf ops survive MLIR bytecode.

// External weight references survive bytecode too (no file is opened).
// CHECK-LABEL: func.func @external
// CHECK: qf.external_constant {qf.name = "w"} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x8xf32>
// CHECK: qf.constant #qf.external<"q.gguf", "fc"> : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
func.func @external() -> (tensor<4x8xf32>, !qf.tensor<1x32xf32, #qf.format<"q4_0">>) {
  %w = qf.external_constant {qf.name = "w"} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x8xf32>
  %q = qf.constant #qf.external<"q.gguf", "fc"> : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  return %w, %q : tensor<4x8xf32>, !qf.tensor<1x32xf32, #qf.format<"q4_0">>
}

// CHECK-LABEL: func.func @f
// CHECK: qf.constant {codes = dense_resource<c> : tensor<16xi8>, scales = dense_resource<s> : tensor<8xi8>} : !qf.tensor<4x8xf32, #qf.format<"e2m1:ch@1:e8m0">>
// CHECK: qf.quantize %{{.*}} : tensor<4x8xf32> -> !qf.tensor<4x8xf32, #qf.format<"e2m1:g8:e8m0">>
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<2x4xf32>, !qf.tensor<4x8xf32, #qf.format<"e2m1:ch@1:e8m0">> -> tensor<2x8xf32>
// CHECK: c: "0x04000000000102030405060708090A0B0C0D0E0F"
func.func @f(%a: tensor<2x4xf32>, %x: tensor<4x8xf32>) -> tensor<2x8xf32> {
  %w = qf.constant {codes = dense_resource<c> : tensor<16xi8>, scales = dense_resource<s> : tensor<8xi8>} : !qf.tensor<4x8xf32, #qf.format<"e2m1:ch@1:e8m0">>
  %q = qf.quantize %x : tensor<4x8xf32> -> !qf.tensor<4x8xf32, "e2m1:g8:e8m0">
  %y = qf.matmul %a, %w : tensor<2x4xf32>, !qf.tensor<4x8xf32, #qf.format<"e2m1:ch@1:e8m0">> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

{-#
  dialect_resources: {
    builtin: {
      c: "0x04000000000102030405060708090A0B0C0D0E0F",
      s: "0x040000007F8081827F7E7D7C"
    }
  }
#-}
