// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// GGUF layouts: the full expansions collapse to the preset names; ranks 1/3
// and other element types keep the preset.

// CHECK-LABEL: func.func @gguf_normal_forms
// CHECK-NEXT: #qf.format<"q4_0">>
// CHECK-NEXT: #qf.format<"q8_0">>
// CHECK-NEXT: #qf.format<"iq4_nl">>
// CHECK-NEXT: #qf.format<"q4_k">>
func.func @gguf_normal_forms(%x: tensor<4x256xf32>) {
  %0 = qf.quantize %x : tensor<4x256xf32> -> !qf.tensor<4x256xf32, #qf.format<"int4:g32:f16:signmax:layout=q4_0">>
  %1 = qf.quantize %x : tensor<4x256xf32> -> !qf.tensor<4x256xf32, #qf.format<"sint8:g32:f16:layout=q8_0">>
  %2 = qf.quantize %x : tensor<4x256xf32> -> !qf.tensor<4x256xf32, #qf.format<"iq4nl:g32:f16:signmax:layout=iq4_nl">>
  %3 = qf.quantize %x : tensor<4x256xf32> -> !qf.tensor<4x256xf32, #qf.format<"uint4:g32:f16:zp:dq=8:layout=q4_k">>
  return
}

// CHECK-LABEL: func.func @gguf_shapes
// CHECK-NEXT: !qf.tensor<256xf16, #qf.format<"q4_0">>
// CHECK-NEXT: !qf.tensor<2x3x64xbf16, #qf.format<"q8_0">>
// CHECK-NEXT: !qf.tensor<2x3x512xf32, #qf.format<"q4_k">>
// Without the layout the same fields stay expanded (plain layout).
// CHECK-NEXT: !qf.tensor<256xf16, #qf.format<"int4:g32:f16:signmax">>
func.func @gguf_shapes(%v: tensor<256xf16>, %b: tensor<2x3x64xbf16>, %x: tensor<2x3x512xf32>) {
  %0 = qf.quantize %v : tensor<256xf16> -> !qf.tensor<256xf16, #qf.format<"q4_0">>
  %1 = qf.quantize %b : tensor<2x3x64xbf16> -> !qf.tensor<2x3x64xbf16, #qf.format<"q8_0">>
  %2 = qf.quantize %x : tensor<2x3x512xf32> -> !qf.tensor<2x3x512xf32, #qf.format<"q4_k">>
  %3 = qf.quantize %v : tensor<256xf16> -> !qf.tensor<256xf16, #qf.format<"int4:g32:f16:signmax:layout=plain">>
  return
}
