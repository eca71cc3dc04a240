// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// Minifloat formats: `e4m3fn` alias, expanded spellings that collapse to the
// MX / NVFP4 presets, and ones that stay expanded.

// CHECK-LABEL: func.func @minifloat_normal_forms
// CHECK-NEXT: #qf.format<"e4m3:g32">>
// CHECK-NEXT: #qf.format<"mxfp4">>
// CHECK-NEXT: #qf.format<"mxfp6">>
// CHECK-NEXT: #qf.format<"mxfp6e3m2">>
// CHECK-NEXT: #qf.format<"mxfp8">>
// CHECK-NEXT: #qf.format<"mxfp8e5m2">>
// CHECK-NEXT: #qf.format<"nvfp4">>
// CHECK-NEXT: #qf.format<"mxfp8">>
func.func @minifloat_normal_forms(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e4m3fn:g32">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m1:g32:e8m0">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m3:g32:e8m0">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e3m2:g32:e8m0">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e4m3:g32:e8m0">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e5m2:g32:e8m0">>
  %6 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m1:g16:e4m3:dq=tensor">>
  %7 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e4m3fn:g32:e8m0:absmax">>
  return
}

// CHECK-LABEL: func.func @minifloat_expanded
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"e2m1:g32:f16:search">>
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"e2m1:g32:noscale">>
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"e2m1:g32@0:e8m0">>
// CHECK-NEXT: !qf.tensor<128xbf16, #qf.format<"e5m2:g16:bf16">>
// CHECK-NEXT: !qf.tensor<2x4x32xf16, #qf.format<"e3m2:ch@2:f16">>
// CHECK-NEXT: !qf.tensor<2x2x4x32xf64, #qf.format<"e2m3:g16:e4m3:dq=4">>
func.func @minifloat_expanded(%x: tensor<64x128xf32>, %v: tensor<128xbf16>, %h: tensor<2x4x32xf16>, %d: tensor<2x2x4x32xf64>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m1:g32:f16:search">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m1:g32:noscale">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m1:g32@0:e8m0">>
  %3 = qf.quantize %v : tensor<128xbf16> -> !qf.tensor<128xbf16, #qf.format<"e5m2:g16:bf16">>
  %4 = qf.quantize %h : tensor<2x4x32xf16> -> !qf.tensor<2x4x32xf16, #qf.format<"e3m2:ch@2:f16">>
  %5 = qf.quantize %d : tensor<2x2x4x32xf64> -> !qf.tensor<2x2x4x32xf64, #qf.format<"e2m3:g16:e4m3:dq=4">>
  return
}
