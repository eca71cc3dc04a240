// Every kernel of the extended formats assembles with ptxas for sm_80 and
// sm_90 without spilling registers or using a stack frame (the register
// counts are in docs/benchmarks.md).
// REQUIRES: ptxas
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_80 ptx-file=%t.sm80.ptx" -o /dev/null
// RUN: %ptxas -arch=sm_80 -v %t.sm80.ptx -o %t.sm80.cubin 2>&1 | FileCheck %s
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_90 ptx-file=%t.sm90.ptx" -o /dev/null
// RUN: %ptxas -arch=sm_90 -v %t.sm90.ptx -o %t.sm90.cubin 2>&1 | FileCheck %s

// ptxas reports the kernels in reverse order.
// CHECK-LABEL: Compiling entry function 'gemv_asq_outliers_gemv0' for
// CHECK-NEXT: Function properties for gemv_asq_outliers_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_asq_outliers_dequant0_outliers' for
// CHECK-NEXT: Function properties for dq_asq_outliers_dequant0_outliers
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_asq_outliers_dequant0' for
// CHECK-NEXT: Function properties for dq_asq_outliers_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_kashin_bluestein_gemv0' for
// CHECK-NEXT: Function properties for gemv_kashin_bluestein_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_kashin_bluestein_gemv0_px' for
// CHECK-NEXT: Function properties for gemv_kashin_bluestein_gemv0_px
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_kashin_bluestein_dequant0' for
// CHECK-NEXT: Function properties for dq_kashin_bluestein_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemm_kashin_m4_gemv0' for
// CHECK-NEXT: Function properties for gemm_kashin_m4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemm_kashin_m4_gemv0_px' for
// CHECK-NEXT: Function properties for gemm_kashin_m4_gemv0_px
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemm_int3_m16_gemv0' for
// CHECK-NEXT: Function properties for gemm_int3_m16_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_kashin_had_gemv0' for
// CHECK-NEXT: Function properties for gemv_kashin_had_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_kashin_had_gemv0_px' for
// CHECK-NEXT: Function properties for gemv_kashin_had_gemv0_px
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_kashin_gemv0' for
// CHECK-NEXT: Function properties for gemv_kashin_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_kashin_gemv0_px' for
// CHECK-NEXT: Function properties for gemv_kashin_gemv0_px
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_asq_gemv0' for
// CHECK-NEXT: Function properties for gemv_asq_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_outliers_gemv0' for
// CHECK-NEXT: Function properties for gemv_outliers_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_nvfp4_gemv0' for
// CHECK-NEXT: Function properties for gemv_nvfp4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_q4_k_m4_gemv0' for
// CHECK-NEXT: Function properties for gemv_q4_k_m4_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_q4_k_gemv0' for
// CHECK-NEXT: Function properties for gemv_q4_k_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_mxfp6_gemv0' for
// CHECK-NEXT: Function properties for gemv_mxfp6_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_int5_gemv0' for
// CHECK-NEXT: Function properties for gemv_int5_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'gemv_int3_gemv0' for
// CHECK-NEXT: Function properties for gemv_int3_gemv0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_kashin_had_dequant0' for
// CHECK-NEXT: Function properties for dq_kashin_had_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_kashin4096_dequant0' for
// CHECK-NEXT: Function properties for dq_kashin4096_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_kashin_dequant0' for
// CHECK-NEXT: Function properties for dq_kashin_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_asq256_dequant0' for
// CHECK-NEXT: Function properties for dq_asq256_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_asq16_dequant0' for
// CHECK-NEXT: Function properties for dq_asq16_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_outliers_dequant0_outliers' for
// CHECK-NEXT: Function properties for dq_outliers_dequant0_outliers
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_outliers_dequant0' for
// CHECK-NEXT: Function properties for dq_outliers_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_nf4_dq_dequant0' for
// CHECK-NEXT: Function properties for dq_nf4_dq_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_nvfp4_dequant0' for
// CHECK-NEXT: Function properties for dq_nvfp4_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_q4_k_dequant0' for
// CHECK-NEXT: Function properties for dq_q4_k_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_crd3_dequant0' for
// CHECK-NEXT: Function properties for dq_crd3_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_mxfp6_dequant0' for
// CHECK-NEXT: Function properties for dq_mxfp6_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_int7_dequant0' for
// CHECK-NEXT: Function properties for dq_int7_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_uint6_dequant0' for
// CHECK-NEXT: Function properties for dq_uint6_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_int5_dequant0' for
// CHECK-NEXT: Function properties for dq_int5_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: Compiling entry function 'dq_int3_dequant0' for
// CHECK-NEXT: Function properties for dq_int3_dequant0
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

func.func @dq_int3(%w: !qf.tensor<256x512xf16, "int3:g32">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "int3:g32"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_int5(%w: !qf.tensor<256x512xf16, "int5:g64:f16">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "int5:g64:f16"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_uint6(%w: !qf.tensor<256x512xbf16, "uint6:g128:bf16:zp">) -> tensor<256x512xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xbf16, "uint6:g128:bf16:zp"> -> tensor<256x512xbf16>
  return %0 : tensor<256x512xbf16>
}
func.func @dq_int7(%w: !qf.tensor<256x512xf32, "int7:ch">) -> tensor<256x512xf32> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf32, "int7:ch"> -> tensor<256x512xf32>
  return %0 : tensor<256x512xf32>
}
func.func @dq_mxfp6(%w: !qf.tensor<256x512xf16, "mxfp6">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "mxfp6"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_crd3(%w: !qf.tensor<256x512xf16, "crd-normal:3:g64">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "crd-normal:3:g64"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_q4_k(%w: !qf.tensor<256x512xf16, "q4_k">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "q4_k"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_nvfp4(%w: !qf.tensor<256x512xf16, "nvfp4">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "nvfp4"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_nf4_dq(%w: !qf.tensor<256x512xf16, "nf4:g64:f16:dq=256">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "nf4:g64:f16:dq=256"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_outliers(%w: !qf.tensor<256x512xf16, "int4:g128:f16:outliers=2^-10">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "int4:g128:f16:outliers=2^-10"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_asq16(%w: !qf.tensor<256x512xf16, "asq:16:g64:f16">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "asq:16:g64:f16"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_asq256(%w: !qf.tensor<256x512xf16, "asq:256:g128">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "asq:256:g128"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_kashin(%w: !qf.tensor<256x512xf16, "kashin:2+2">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "kashin:2+2"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @dq_kashin4096(%w: !qf.tensor<16x4096xf16, "kashin:2+2">) -> tensor<16x4096xf16> {
  %0 = qf.dequantize %w : !qf.tensor<16x4096xf16, "kashin:2+2"> -> tensor<16x4096xf16>
  return %0 : tensor<16x4096xf16>
}
func.func @dq_kashin_had(%w: !qf.tensor<256x512xf16, "kashin:4:joint:hadamard">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "kashin:4:joint:hadamard"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @gemv_int3(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int3:g32">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "int3:g32"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_int5(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int5:g64:f16">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "int5:g64:f16"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_mxfp6(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "mxfp6">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "mxfp6"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_q4_k(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "q4_k">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "q4_k"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_q4_k_m4(%x: tensor<4x4096xf16>, %w: !qf.tensor<1024x4096xf16, "q4_k">) -> tensor<4x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<4x4096xf16>, !qf.tensor<1024x4096xf16, "q4_k"> -> tensor<4x1024xf16>
  return %y : tensor<4x1024xf16>
}
func.func @gemv_nvfp4(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "nvfp4">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "nvfp4"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_outliers(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int4:g128:f16:outliers=2^-10">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "int4:g128:f16:outliers=2^-10"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_asq(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "asq:16:g64:f16">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "asq:16:g64:f16"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_kashin(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "kashin:2+2">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "kashin:2+2"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemv_kashin_had(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "kashin:4:joint:hadamard">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "kashin:4:joint:hadamard"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @gemm_int3_m16(%x: tensor<16x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int3:g32">) -> tensor<16x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<16x4096xf16>, !qf.tensor<1024x4096xf16, "int3:g32"> -> tensor<16x1024xf16>
  return %y : tensor<16x1024xf16>
}
func.func @gemm_kashin_m4(%x: tensor<4x4096xf16>, %w: !qf.tensor<1024x4096xf16, "kashin:2+2">) -> tensor<4x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<4x4096xf16>, !qf.tensor<1024x4096xf16, "kashin:2+2"> -> tensor<4x1024xf16>
  return %y : tensor<4x1024xf16>
}
func.func @dq_kashin_bluestein(%w: !qf.tensor<16x1536xf16, "kashin:2+2">) -> tensor<16x1536xf16> {
  %0 = qf.dequantize %w : !qf.tensor<16x1536xf16, "kashin:2+2"> -> tensor<16x1536xf16>
  return %0 : tensor<16x1536xf16>
}
func.func @gemv_kashin_bluestein(%x: tensor<1x1536xf16>, %w: !qf.tensor<1024x1536xf16, "kashin:2+2">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x1536xf16>, !qf.tensor<1024x1536xf16, "kashin:2+2"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
func.func @dq_asq_outliers(%w: !qf.tensor<256x512xf16, "asq:16:g64:f16:outliers=2^-7">) -> tensor<256x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x512xf16, "asq:16:g64:f16:outliers=2^-7"> -> tensor<256x512xf16>
  return %0 : tensor<256x512xf16>
}
func.func @gemv_asq_outliers(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "asq:16:g64:f16:outliers=2^-10">) -> tensor<1x1024xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "asq:16:g64:f16:outliers=2^-10"> -> tensor<1x1024xf16>
  return %y : tensor<1x1024xf16>
}
