// RUN: quant-opt %s -split-input-file | FileCheck %s
// RUN: quant-opt %s -split-input-file -mlir-print-op-generic | quant-opt -split-input-file | FileCheck %s
// Every format kind prints back unchanged (canonical spec strings).

// CHECK-LABEL: func.func @ints
// CHECK: !qf.tensor<64x128xf32, #qf.format<"int4:g128:f16">>
// CHECK: !qf.tensor<64x128xf32, #qf.format<"uint4:g64:f16:zp">>
// CHECK: !qf.tensor<64x128xf32, #qf.format<"sint8:ch">>
// CHECK: !qf.tensor<64x128xbf16, #qf.format<"int2:g32@0:bf16">>
// CHECK: !qf.tensor<64x128xf16, #qf.format<"int3:g16:e8m0">>
// CHECK: !qf.tensor<64x128xf32, #qf.format<"int8:ch@1:signmax">>
// CHECK: !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16:search">>
func.func @ints(%x: tensor<64x128xf32>, %b: tensor<64x128xbf16>, %h: tensor<64x128xf16>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g128:f16">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"uint4:g64:f16:zp">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"sint8:ch">>
  %3 = qf.quantize %b : tensor<64x128xbf16> -> !qf.tensor<64x128xbf16, #qf.format<"int2:g32@0:bf16">>
  %4 = qf.quantize %h : tensor<64x128xf16> -> !qf.tensor<64x128xf16, #qf.format<"int3:g16:e8m0">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int8:ch@1:signmax">>
  %6 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16:search">>
  return
}

// -----

// CHECK-LABEL: func.func @minifloats
// CHECK: #qf.format<"mxfp4">
// CHECK: #qf.format<"mxfp6">
// CHECK: #qf.format<"mxfp6e3m2">
// CHECK: #qf.format<"mxfp8">
// CHECK: #qf.format<"mxfp8e5m2">
// CHECK: #qf.format<"nvfp4">
// CHECK: #qf.format<"e4m3:ch:f16">
// CHECK: #qf.format<"e5m2:noscale">
func.func @minifloats(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"mxfp4">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"mxfp6">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"mxfp6e3m2">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"mxfp8">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"mxfp8e5m2">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nvfp4">>
  %6 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e4m3:ch:f16">>
  %7 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e5m2:noscale">>
  return
}

// -----

// CHECK-LABEL: func.func @tables
// CHECK: #qf.format<"nf4:g64">
// CHECK: #qf.format<"iq4nl:g32:f16">
// CHECK: #qf.format<"crd-normal:4:g64:bf16">
// CHECK: #qf.format<"crd-laplace:3:g32:f16">
// CHECK: #qf.format<"crd-t5:4:g64:bf16">
// CHECK: #qf.format<"crd-t2.5:4:g64:rms">
// CHECK: #qf.format<"lut2[-1,-0.25,0.25,1]:g16">
// CHECK: #qf.format<"nf4:g64:e4m3:dq=256">
func.func @tables(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nf4:g64">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"iq4nl:g32:f16">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-normal:4:g64:bf16">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-laplace:3:g32:f16">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-t5:4:g64:bf16">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"crd-t2.5:4:g64:rms">>
  %6 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"lut2[-1,-0.25,0.25,1]:g16">>
  %7 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"nf4:g64:e4m3:dq=256">>
  return
}

// -----

// CHECK-LABEL: func.func @learned_and_kashin
// CHECK: #qf.format<"asq:16:ch">
// CHECK: #qf.format<"asq:5:g64:f16">
// CHECK: #qf.format<"asq:64">
// CHECK: #qf.format<"kashin:2+2">
// CHECK: #qf.format<"kashin:3+1:hadamard">
// CHECK: #qf.format<"kashin:4:joint:g64">
func.func @learned_and_kashin(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"asq:16:row">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"asq:5:g64:f16">>
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"asq:64">>
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:2+2:dct">>
  %4 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:3+1:hadamard">>
  %5 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"kashin:4:joint:g64">>
  return
}

// -----

// CHECK-LABEL: func.func @gguf_and_outliers
// CHECK: #qf.format<"q4_0">
// CHECK: #qf.format<"q8_0">
// CHECK: #qf.format<"iq4_nl">
// CHECK: #qf.format<"q4_k">
// CHECK: #qf.format<"int4:g128:f16:outliers=2^-10">
// CHECK: #qf.format<"int3:g64:bf16:outliers=2^-7/f32">
func.func @gguf_and_outliers(%x: tensor<64x256xf32>) {
  %0 = qf.quantize %x : tensor<64x256xf32> -> !qf.tensor<64x256xf32, #qf.format<"q4_0">>
  %1 = qf.quantize %x : tensor<64x256xf32> -> !qf.tensor<64x256xf32, #qf.format<"q8_0">>
  %2 = qf.quantize %x : tensor<64x256xf32> -> !qf.tensor<64x256xf32, #qf.format<"iq4_nl">>
  %3 = qf.quantize %x : tensor<64x256xf32> -> !qf.tensor<64x256xf32, #qf.format<"q4_k">>
  %4 = qf.quantize %x : tensor<64x256xf32> -> !qf.tensor<64x256xf32, #qf.format<"int4:g128:f16:outliers=2^-10">>
  %5 = qf.quantize %x : tensor<64x256xf32> -> !qf.tensor<64x256xf32, #qf.format<"int3:g64:bf16:outliers=2^-7/f32">>
  return
}

// -----

// Non-canonical spellings print in canonical form; a bare spec string is
// accepted in the type.
// CHECK-LABEL: func.func @normal_forms
// CHECK: #qf.format<"mxfp4">
// CHECK: #qf.format<"q4_0">
// CHECK: #qf.format<"int4:g128">
// CHECK: #qf.format<"crd-t5:4:g64:bf16">
func.func @normal_forms(%x: tensor<64x128xf32>) {
  %0 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"e2m1:g32:e8m0">>
  %1 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, "int4:g32:f16:signmax:layout=q4_0">
  %2 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, "int4:g128:f32:absmax">
  %3 = qf.quantize %x : tensor<64x128xf32> -> !qf.tensor<64x128xf32, "crd-t:4:g64:bf16">
  return
}

// -----

// CHECK-LABEL: func.func @ops
// CHECK: %[[W:.*]] = qf.constant {codes = dense_resource<w_codes> : tensor<4096xi8>, scales = dense_resource<w_scales> : tensor<256xi8>} : !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>
// CHECK: %[[D:.*]] = qf.dequantize %[[W]] : !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<64x128xf16>
// CHECK: qf.matmul %{{.*}}, %[[W]] {transpose_weight} : tensor<3x128xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<3x64xf32>
// CHECK: qf.matmul %{{.*}}, %[[W]] : tensor<2x5x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<2x5x128xf32>
// CHECK: qf.matmul %{{.*}}, %[[W]] {transpose_weight} : tensor<?x128xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<?x64xf32>
// CHECK: qf.quantize %{{.*}} {scales = dense<5.000000e-01> : tensor<1xf32>, zero_points = dense<3> : tensor<1xi32>}
func.func @ops(%a: tensor<3x128xf32>, %b: tensor<2x5x64xf32>, %c: tensor<?x128xf32>, %x: tensor<8x16xf32>) {
  %w = qf.constant {codes = dense_resource<w_codes> : tensor<4096xi8>, scales = dense_resource<w_scales> : tensor<256xi8>} : !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>
  %d = qf.dequantize %w : !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<64x128xf16>
  %0 = qf.matmul %a, %w {transpose_weight} : tensor<3x128xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<3x64xf32>
  %1 = qf.matmul %b, %w : tensor<2x5x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<2x5x128xf32>
  %2 = qf.matmul %c, %w {transpose_weight} : tensor<?x128xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<?x64xf32>
  %3 = qf.quantize %x {scales = dense<0.5> : tensor<1xf32>, zero_points = dense<3> : tensor<1xi32>} : tensor<8x16xf32> -> !qf.tensor<8x16xf32, #qf.format<"uint8:zp">>
  return
}
