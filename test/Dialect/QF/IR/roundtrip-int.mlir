// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// Integer formats: block axis spellings, ranks 1/3/4, bf16/f16/f64 element
// types, every scale type and statistic, and the canonical (shortest) form.

// CHECK-LABEL: func.func @int_normal_forms
// Defaults (f32 scales, absmax, axis -1, per-tensor, plain layout) are dropped.
// CHECK-NEXT: #qf.format<"int4:g32">>
// CHECK-NEXT: #qf.format<"int4:g32">>
// CHECK-NEXT: #qf.format<"int4:g32">>
// CHECK-NEXT: #qf.format<"int4">>
// `row` is per-channel along axis 0, printed as `ch`.
// CHECK-NEXT: #qf.format<"int4:ch">>
// Scale type prints before the statistic / zero point.
// CHECK-NEXT: #qf.format<"int4:g32:f16:search">>
// CHECK-NEXT: #qf.format<"uint8:g32:bf16:zp">>
func.func @int_normal_forms(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:f32:absmax">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32@-1">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:layout=plain">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:tensor">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:row">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:search:f16">>
  %6 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"uint8:g32:zp:bf16">>
  return
}

// CHECK-LABEL: func.func @int_axes_and_ranks
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"int4:g32@0">>
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"int4:g32@1">>
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"int4:ch@1">>
// CHECK-NEXT: !qf.tensor<128xf32, #qf.format<"int8:g32">>
// CHECK-NEXT: !qf.tensor<4x8x64xbf16, #qf.format<"int4:g64@2">>
// `ch@0` is the default channel axis.
// CHECK-NEXT: !qf.tensor<2x4x8x64xf16, #qf.format<"int8:ch">>
// CHECK-NEXT: !qf.tensor<2x4x8x64xf16, #qf.format<"int8:g8@2:e4m3">>
// CHECK-NEXT: !qf.tensor<64x128xf64, #qf.format<"sint4:g32:signmax">>
func.func @int_axes_and_ranks(%x: tensor<64x128xf32>, %v: tensor<128xf32>, %b: tensor<4x8x64xbf16>, %h: tensor<2x4x8x64xf16>, %d: tensor<64x128xf64>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32@0">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32@1">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:ch@1">>
  %3 = qf.quantize %v : tensor<128xf32> -> !qf.tensor<128xf32, #qf.format<"int8:g32">>
  %4 = qf.quantize %b : tensor<4x8x64xbf16> -> !qf.tensor<4x8x64xbf16, #qf.format<"int4:g64@2">>
  %5 = qf.quantize %h : tensor<2x4x8x64xf16> -> !qf.tensor<2x4x8x64xf16, #qf.format<"int8:ch@0">>
  %6 = qf.quantize %h : tensor<2x4x8x64xf16> -> !qf.tensor<2x4x8x64xf16, #qf.format<"int8:g8@2:e4m3">>
  %7 = qf.quantize %d : tensor<64x128xf64> -> !qf.tensor<64x128xf64, #qf.format<"sint4:g32:signmax">>
  return
}
