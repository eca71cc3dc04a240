// RUN: quant-opt %s -split-input-file -qf-from-quant -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @per_tensor
// Signed storage with a zero point becomes unsigned codes holding the same
// values: q + 128 with zero point 3 + 128.
// CHECK: %[[Q:.*]] = qf.quantize %arg0 {scales = dense<5.000000e-01> : tensor<1xf32>, zero_points = dense<131> : tensor<1xi32>} : tensor<4x8xf32> -> !qf.tensor<4x8xf32, #qf.format<"uint8:zp">>
// CHECK: %[[D:.*]] = qf.dequantize %[[Q]] : !qf.tensor<4x8xf32, #qf.format<"uint8:zp">> -> tensor<4x8xf32>
// CHECK: return %[[D]]
// CHECK-NOT: quant.
func.func @per_tensor(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %q = quant.qcast %x : tensor<4x8xf32> to tensor<4x8x!quant.uniform<i8:f32, 0.5:3>>
  %y = quant.dcast %q : tensor<4x8x!quant.uniform<i8:f32, 0.5:3>> to tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @symmetric_no_zp
// CHECK: qf.quantize %arg0 {scales = dense<2.500000e-01> : tensor<1xf32>} : tensor<16xf32> -> !qf.tensor<16xf32, #qf.format<"sint8">>
func.func @symmetric_no_zp(%x: tensor<16xf32>) -> tensor<16xf32> {
  %q = quant.qcast %x : tensor<16xf32> to tensor<16x!quant.uniform<i8<-127:127>:f32, 0.25>>
  %y = quant.dcast %q : tensor<16x!quant.uniform<i8<-127:127>:f32, 0.25>> to tensor<16xf32>
  return %y : tensor<16xf32>
}

// -----

// CHECK-LABEL: func.func @per_axis
// CHECK: qf.quantize %arg0 {scales = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>, zero_points = dense<[0, 10]> : tensor<2xi32>} : tensor<2x4xf32> -> !qf.tensor<2x4xf32, #qf.format<"uint8:ch:zp">>
func.func @per_axis(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %q = quant.qcast %x : tensor<2x4xf32> to tensor<2x4x!quant.uniform<u8:f32:0, {1.0, 2.0:10}>>
  %y = quant.dcast %q : tensor<2x4x!quant.uniform<u8:f32:0, {1.0, 2.0:10}>> to tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @sub_channel
// CHECK: qf.quantize %arg0 {scales = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>} : tensor<2x4xf32> -> !qf.tensor<2x4xf32, #qf.format<"int4:g2">>
func.func @sub_channel(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %q = quant.qcast %x : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i4:f32:{0:1, 1:2}, {{1.0, 2.0}, {3.0, 4.0}}>>
  %y = quant.dcast %q : tensor<2x4x!quant.uniform<i4:f32:{0:1, 1:2}, {{1.0, 2.0}, {3.0, 4.0}}>> to tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// A quantized value that escapes is left alone.
// CHECK-LABEL: func.func @escapes
// CHECK: quant.qcast
// CHECK-NOT: qf.quantize
func.func @escapes(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-remark @+1 {{qf-from-quant: left unchanged: the quantized value is used by 'func.return', not only by quant.dcast}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

// 16-bit storage has no qf integer code.
// CHECK-LABEL: func.func @too_wide
// CHECK: quant.qcast
func.func @too_wide(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-remark @+1 {{qf-from-quant: left unchanged: storage width 16 is outside qf's integer range [2, 8]}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i16:f32, 0.5>>
  %y = quant.dcast %q : tensor<4x!quant.uniform<i16:f32, 0.5>> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Blocks along two axes have no qf equivalent.
// CHECK-LABEL: func.func @two_axes
// CHECK: quant.qcast
func.func @two_axes(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-remark @+1 {{qf-from-quant: left unchanged: sub-channel blocks along more than one axis}}
  %q = quant.qcast %x : tensor<4x4xf32> to tensor<4x4x!quant.uniform<i8:f32:{0:2, 1:2}, {{1.0, 2.0}, {3.0, 4.0}}>>
  %y = quant.dcast %q : tensor<4x4x!quant.uniform<i8:f32:{0:2, 1:2}, {{1.0, 2.0}, {3.0, 4.0}}>> to tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
