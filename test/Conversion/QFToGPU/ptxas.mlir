// Every kernel the GPU lowering generates assembles with ptxas for sm_80 and
// sm_90 without spilling registers.
// REQUIRES: ptxas
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_80 ptx-file=%t.sm80.ptx" -o /dev/null
// RUN: %ptxas -arch=sm_80 -v %t.sm80.ptx -o %t.sm80.cubin 2>&1 | FileCheck %s --check-prefixes=CHECK,SM80
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_90 ptx-file=%t.sm90.ptx" -o /dev/null
// RUN: %ptxas -arch=sm_90 -v %t.sm90.ptx -o %t.sm90.cubin 2>&1 | FileCheck %s --check-prefixes=CHECK,SM90


// ptxas reports the kernels in reverse order; none may spill.
// CHECK-LABEL: Compiling entry function 'gemv_q4_0_m4_gemv0' for
// CHECK-NEXT: Function properties for gemv_q4_0_m4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_int4_m16_gemv0' for
// CHECK-NEXT: Function properties for gemv_int4_m16_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_int8_gemv0' for
// CHECK-NEXT: Function properties for gemv_int8_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_q8_0_gemv0' for
// CHECK-NEXT: Function properties for gemv_q8_0_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_q4_0_gemv0' for
// CHECK-NEXT: Function properties for gemv_q4_0_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_mxfp4_gemv0' for
// CHECK-NEXT: Function properties for gemv_mxfp4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_nf4_gemv0' for
// CHECK-NEXT: Function properties for gemv_nf4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'gemv_int4_gemv0' for
// CHECK-NEXT: Function properties for gemv_int4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_int2_dequant0' for
// CHECK-NEXT: Function properties for dequant_int2_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_crd_dequant0' for
// CHECK-NEXT: Function properties for dequant_crd_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_mxfp8_dequant0' for
// CHECK-NEXT: Function properties for dequant_mxfp8_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_iq4_nl_dequant0' for
// CHECK-NEXT: Function properties for dequant_iq4_nl_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_q8_0_dequant0' for
// CHECK-NEXT: Function properties for dequant_q8_0_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_q4_0_dequant0' for
// CHECK-NEXT: Function properties for dequant_q4_0_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_mxfp4_dequant0' for
// CHECK-NEXT: Function properties for dequant_mxfp4_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_nf4_dequant0' for
// CHECK-NEXT: Function properties for dequant_nf4_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_int8_dequant0' for
// CHECK-NEXT: Function properties for dequant_int8_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_uint4_zp_dequant0' for
// CHECK-NEXT: Function properties for dequant_uint4_zp_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// CHECK-LABEL: Compiling entry function 'dequant_int4_dequant0' for
// CHECK-NEXT: Function properties for dequant_int4_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NEXT: Used {{[0-9]+}} registers
// SM80-NOT: for 'sm_90'
// SM90-NOT: for 'sm_80'

func.func @dequant_int4(%w: !qf.tensor<256x512xf16, "int4:g128:f16">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "int4:g128:f16"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_uint4_zp(%w: !qf.tensor<256x512xf32, "uint4:g64:zp">) -> tensor<256x512xf32> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf32, "uint4:g64:zp"> -> tensor<256x512xf32>
  return %0 : tensor<256x512xf32>
}

func.func @dequant_int8(%w: !qf.tensor<256x512xf16, "int8:ch@0">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "int8:ch@0"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_nf4(%w: !qf.tensor<256x512xf16, "nf4:g64">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "nf4:g64"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_mxfp4(%w: !qf.tensor<256x512xbf16, "mxfp4">) -> tensor<256x512xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xbf16, "mxfp4"> -> tensor<256x512xbf16>
  return %0 : tensor<256x512xbf16>
}

func.func @dequant_q4_0(%w: !qf.tensor<256x512xf16, "q4_0">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "q4_0"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_q8_0(%w: !qf.tensor<256x512xf16, "q8_0">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "q8_0"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_iq4_nl(%w: !qf.tensor<256x512xf16, "iq4_nl">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "iq4_nl"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_mxfp8(%w: !qf.tensor<256x512xbf16, "mxfp8">) -> tensor<256x512xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xbf16, "mxfp8"> -> tensor<256x512xbf16>
  return %0 : tensor<256x512xbf16>
}

func.func @dequant_crd(%w: !qf.tensor<256x512xf16, "crd-normal:4:g64:bf16">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "crd-normal:4:g64:bf16"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @dequant_int2(%w: !qf.tensor<256x512xf16, "int2:g64">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "int2:g64"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}

func.func @gemv_int4(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int4:g128:f16">) -> tensor<1x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "int4:g128:f16"> -> tensor<1x1024xf16>
  return %0 : tensor<1x1024xf16>
}

func.func @gemv_nf4(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "nf4:g64">) -> tensor<1x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "nf4:g64"> -> tensor<1x1024xf16>
  return %0 : tensor<1x1024xf16>
}

func.func @gemv_mxfp4(%x: tensor<1x4096xbf16>, %w: !qf.tensor<1024x4096xbf16, "mxfp4">) -> tensor<1x1024xbf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xbf16>, !qf.tensor<1024x4096xbf16, "mxfp4"> -> tensor<1x1024xbf16>
  return %0 : tensor<1x1024xbf16>
}

func.func @gemv_q4_0(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "q4_0">) -> tensor<1x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "q4_0"> -> tensor<1x1024xf16>
  return %0 : tensor<1x1024xf16>
}

func.func @gemv_q8_0(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "q8_0">) -> tensor<1x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "q8_0"> -> tensor<1x1024xf16>
  return %0 : tensor<1x1024xf16>
}

func.func @gemv_int8(%x: tensor<1x4096xf32>, %w: !qf.tensor<1024x4096xf32, "int8:ch@0">) -> tensor<1x1024xf32> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf32>, !qf.tensor<1024x4096xf32, "int8:ch@0"> -> tensor<1x1024xf32>
  return %0 : tensor<1x1024xf32>
}

func.func @gemv_int4_m16(%x: tensor<16x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int4:g128:f16">) -> tensor<16x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<16x4096xf16>, !qf.tensor<1024x4096xf16, "int4:g128:f16"> -> tensor<16x1024xf16>
  return %0 : tensor<16x1024xf16>
}

func.func @gemv_q4_0_m4(%x: tensor<4x4096xbf16>, %w: !qf.tensor<1024x4096xbf16, "q4_0">) -> tensor<4x1024xbf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<4x4096xbf16>, !qf.tensor<1024x4096xbf16, "q4_0"> -> tensor<4x1024xbf16>
  return %0 : tensor<4x1024xbf16>
}
