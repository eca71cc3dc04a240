// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// Learned (ASQ) and Kashin formats: level-count extremes, axes, codebook
// types, and the Kashin defaults (`dct`, `ch`) that canonical forms drop.

// CHECK-LABEL: func.func @asq
// CHECK-NEXT: #qf.format<"asq:2">>
// CHECK-NEXT: #qf.format<"asq:256:g32:bf16">>
// CHECK-NEXT: #qf.format<"asq:16:ch@1">>
// CHECK-NEXT: !qf.tensor<128xf16, #qf.format<"asq:8:g64:f16">>
// CHECK-NEXT: !qf.tensor<2x4x64xf64, #qf.format<"asq:4:ch">>
func.func @asq(%x: tensor<64x128xf32>, %h: tensor<128xf16>, %d: tensor<2x4x64xf64>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"asq:2">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"asq:256:g32:bf16">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"asq:16:ch@1">>
  %3 = qf.quantize %h : tensor<128xf16> -> !qf.tensor<128xf16, #qf.format<"asq:8:g64:f16">>
  %4 = qf.quantize %d : tensor<2x4x64xf64> -> !qf.tensor<2x4x64xf64, #qf.format<"asq:4:row">>
  return
}

// CHECK-LABEL: func.func @kashin
// CHECK-NEXT: #qf.format<"kashin:1+1">>
// CHECK-NEXT: #qf.format<"kashin:4+4">>
// CHECK-NEXT: #qf.format<"kashin:2+2">>
// CHECK-NEXT: #qf.format<"kashin:1:joint">>
// CHECK-NEXT: #qf.format<"kashin:8:joint">>
// CHECK-NEXT: #qf.format<"kashin:2+1:hadamard">>
func.func @kashin(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:1+1">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:4+4:dct">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:2+2:ch">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:1:joint">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:8:joint">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:2+1:hadamard">>
  return
}
