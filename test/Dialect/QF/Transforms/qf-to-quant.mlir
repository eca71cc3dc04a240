// RUN: quant-opt %s -split-input-file -qf-to-quant -verify-diagnostics | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-to-quant -qf-from-quant 2>/dev/null | FileCheck %s --check-prefix=BACK

// CHECK-LABEL: func.func @per_tensor
// CHECK: %[[Q:.*]] = quant.qcast %arg0 : tensor<4x8xf32> to tensor<4x8x!quant.uniform<u8:f32, 5.000000e-01:131>>
// CHECK: quant.dcast %[[Q]] : tensor<4x8x!quant.uniform<u8:f32, 5.000000e-01:131>> to tensor<4x8xf32>
// BACK-LABEL: func.func @per_tensor
// BACK: qf.quantize %arg0 {scales = dense<5.000000e-01> : tensor<1xf32>, zero_points = dense<131> : tensor<1xi32>} : tensor<4x8xf32> -> !qf.tensor<4x8xf32, #qf.format<"uint8:zp">>
func.func @per_tensor(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %q = qf.quantize %x {scales = dense<0.5> : tensor<1xf32>, zero_points = dense<131> : tensor<1xi32>} : tensor<4x8xf32> -> !qf.tensor<4x8xf32, #qf.format<"uint8:zp">>
  %y = qf.dequantize %q : !qf.tensor<4x8xf32, #qf.format<"uint8:zp">> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @symmetric_per_axis
// CHECK: quant.qcast %arg0 : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8<-127:127>:f32:1, {1.000000e+00,2.000000e+00,3.000000e+00,4.000000e+00}>>
// BACK-LABEL: func.func @symmetric_per_axis
// BACK: !qf.tensor<2x4xf32, #qf.format<"sint8:ch@1">>
func.func @symmetric_per_axis(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %q = qf.quantize %x {scales = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : tensor<2x4xf32> -> !qf.tensor<2x4xf32, #qf.format<"sint8:ch@1">>
  %y = qf.dequantize %q : !qf.tensor<2x4xf32, #qf.format<"sint8:ch@1">> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @blocks
// CHECK: quant.qcast %arg0 : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i4:f32:{0:1, 1:2}, {{[{][{]}}1.000000e+00, 2.000000e+00}, {3.000000e+00, 4.000000e+00{{[}][}]}}>>
// BACK-LABEL: func.func @blocks
// BACK: !qf.tensor<2x4xf32, #qf.format<"int4:g2">>
func.func @blocks(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %q = qf.quantize %x {scales = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : tensor<2x4xf32> -> !qf.tensor<2x4xf32, #qf.format<"int4:g2">>
  %y = qf.dequantize %q : !qf.tensor<2x4xf32, #qf.format<"int4:g2">> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @not_expressible
// CHECK: qf.quantize
func.func @not_expressible(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-remark @+1 {{qf-to-quant: left unchanged: format 'nf4:g64' has no upstream !quant.uniform equivalent}}
  %q = qf.quantize %x : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"nf4:g64">>
  %y = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"nf4:g64">> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

// CHECK-LABEL: func.func @dynamic_scales
// CHECK: qf.quantize
func.func @dynamic_scales(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-remark @+1 {{qf-to-quant: left unchanged: no static scales (quant.uniform types need them)}}
  %q = qf.quantize %x : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"int8:g32">>
  %y = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int8:g32">> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
