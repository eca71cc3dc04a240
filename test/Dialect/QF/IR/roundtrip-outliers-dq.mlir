// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// Outlier fractions print as 2^-k when exact, else in decimal; the default
// outlier type bf16 is dropped; `outliers=0` means no outliers. Double
// quantization keeps its group size or `tensor`.

// CHECK-LABEL: func.func @outliers
// CHECK-NEXT: #qf.format<"int4:g32:outliers=2^-1">>
// CHECK-NEXT: #qf.format<"int4:g32:outliers=2^-10">>
// CHECK-NEXT: #qf.format<"int4:g32:outliers=2^-10">>
// CHECK-NEXT: #qf.format<"int4:g32:outliers=0.001/f16">>
// CHECK-NEXT: #qf.format<"int4:g32:outliers=2^-20">>
// CHECK-NEXT: #qf.format<"int4:g32">>
// CHECK-NEXT: #qf.format<"nf4:g64:outliers=2^-8/f32">>
func.func @outliers(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=0.5">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=0.0009765625">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=2^-10/bf16">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=0.001/f16">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=2^-20">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=0">>
  %6 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nf4:g64:outliers=2^-8/f32">>
  return
}

// CHECK-LABEL: func.func @double_quant
// CHECK-NEXT: #qf.format<"int4:g32:e4m3:dq=16">>
// CHECK-NEXT: #qf.format<"int4:g32:e4m3:dq=3">>
// CHECK-NEXT: #qf.format<"nf4:g64:e4m3:dq=tensor">>
// CHECK-NEXT: !qf.tensor<2x4x64xbf16, #qf.format<"int4:g16:e4m3:dq=4:outliers=2^-6">>
func.func @double_quant(%x: tensor<64x128xf32>, %b: tensor<2x4x64xbf16>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:e4m3:dq=16">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:e4m3:dq=3">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nf4:g64:e4m3:dq=tensor">>
  %3 = qf.quantize %b : tensor<2x4x64xbf16> -> !qf.tensor<2x4x64xbf16, #qf.format<"int4:g16:outliers=2^-6:dq=4:e4m3">>
  return
}
