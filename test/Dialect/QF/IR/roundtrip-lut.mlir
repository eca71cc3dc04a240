// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// Lookup-table formats: named tables, explicit codebooks (number spelling
// normalised), CRD families with rms / absmax, defaults dropped.

// CHECK-LABEL: func.func @lut_normal_forms
// CHECK-NEXT: #qf.format<"nf4">>
// CHECK-NEXT: #qf.format<"nf4:g64">>
// CHECK-NEXT: #qf.format<"nf4:g64">>
// CHECK-NEXT: #qf.format<"lut2[-1,-0.25,0.25,1]:g16">>
// CHECK-NEXT: #qf.format<"crd-t5:4:g64:bf16">>
// CHECK-NEXT: #qf.format<"iq4nl:g32:f16:signmax">>
func.func @lut_normal_forms(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"lut:4:nf4">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nf4:g64:absmax">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nf4:g64:f32">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"lut2[-1.0,-0.25,0.25,1.0]:g16">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-t5:4:g64:bf16:absmax">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"iq4nl:g32:signmax:f16">>
  return
}

// CHECK-LABEL: func.func @lut_shapes
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"lut3[-1,-0.5,-0.25,0,0.25,0.5,0.75,1]:g32@0">>
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"crd-normal:4:g64:rms">>
// CHECK-NEXT: !qf.tensor<64x128xf32, #qf.format<"crd-laplace:2:ch">>
// CHECK-NEXT: !qf.tensor<128xbf16, #qf.format<"nf4:g32:e4m3">>
// CHECK-NEXT: !qf.tensor<2x4x32xf16, #qf.format<"crd-t2.5:3:g4@1:f16">>
// CHECK-NEXT: !qf.tensor<2x2x4x32xf64, #qf.format<"nf4:g32:bf16">>
func.func @lut_shapes(%x: tensor<64x128xf32>, %v: tensor<128xbf16>, %h: tensor<2x4x32xf16>, %d: tensor<2x2x4x32xf64>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"lut3[-1,-0.5,-0.25,0,0.25,0.5,0.75,1]:g32@0">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-normal:4:g64:rms">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-laplace:2:row">>
  %3 = qf.quantize %v : tensor<128xbf16> -> !qf.tensor<128xbf16, #qf.format<"nf4:g32:e4m3">>
  %4 = qf.quantize %h : tensor<2x4x32xf16> -> !qf.tensor<2x4x32xf16, #qf.format<"crd-t2.5:3:g4@1:f16">>
  %5 = qf.quantize %d : tensor<2x2x4x32xf64> -> !qf.tensor<2x2x4x32xf64, #qf.format<"nf4:g32:bf16">>
  return
}
