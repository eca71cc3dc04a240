// RUN: quant-opt %s -qf-fuse-dequant-matmul="remarks=true" -verify-diagnostics | FileCheck %s
// Fusion edge cases not in qf-fuse-dequant-matmul.mlir: a dynamic M (the
// dynamic init is only used for its shape), a dequantize with another user
// (fused, the dequantize stays for that user), an f16 dequantize of an f32
// quantized tensor (left alone: mixed element types), and the weight as the
// left operand (left alone: the activation must carry the reduction dim).

// CHECK-LABEL: func.func @dyn
// CHECK-NOT: qf.dequantize
// CHECK: qf.matmul %arg0, %arg1 : tensor<?x64xf32>, !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<?x32xf32>
// CHECK-NOT: linalg.matmul
// CHECK-LABEL: func.func @half
// CHECK: qf.dequantize
// CHECK: linalg.matmul
// CHECK-NOT: qf.matmul
// CHECK-LABEL: func.func @shared
// CHECK: %[[D:.*]] = qf.dequantize %arg1
// CHECK: %[[M:.*]] = qf.matmul %arg0, %arg1 :
// CHECK-NOT: linalg.matmul
// CHECK: return %[[M]], %[[D]]
// CHECK-LABEL: func.func @lhs_is_weight
// CHECK: linalg.matmul
// CHECK-NOT: qf.matmul
!q = !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">>
func.func @dyn(%x: tensor<?x64xf32>, %q: !q, %n: index) -> tensor<?x32xf32> {
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x32xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>) outs(%i : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @half(%x: tensor<8x64xf16>, %q: !q) -> tensor<8x32xf16> {
  %w = qf.dequantize %q : !q -> tensor<64x32xf16>
  %z = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<8x32xf16>
  %i = linalg.fill ins(%z : f16) outs(%e : tensor<8x32xf16>) -> tensor<8x32xf16>
  // expected-remark @+1 {{qf-fuse-dequant-matmul: not fused: mixed element types}}
  %y = linalg.matmul ins(%x, %w : tensor<8x64xf16>, tensor<64x32xf16>) outs(%i : tensor<8x32xf16>) -> tensor<8x32xf16>
  return %y : tensor<8x32xf16>
}
func.func @shared(%x: tensor<8x64xf32>, %q: !q) -> (tensor<8x32xf32>, tensor<64x32xf32>) {
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>) outs(%i : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y, %w : tensor<8x32xf32>, tensor<64x32xf32>
}
func.func @lhs_is_weight(%x: tensor<32x8xf32>, %q: !q) -> tensor<64x8xf32> {
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x8xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<64x8xf32>) -> tensor<64x8xf32>
  // expected-remark @+1 {{qf-fuse-dequant-matmul: not fused: the activation's last dimension is not the reduction dimension}}
  %y = linalg.matmul ins(%w, %x : tensor<64x32xf32>, tensor<32x8xf32>) outs(%i : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}
