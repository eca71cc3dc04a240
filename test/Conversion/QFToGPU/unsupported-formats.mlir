// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu=chip=sm_80 -verify-diagnostics

// What the GPU kernels still reject, with the reason, at the op. Every other
// format of docs/formats.md is decoded (extended-formats.mlir).

// Learned codebooks and Kashin vectors must be contiguous runs of elements.
func.func @asq_ch1(%w: !qf.tensor<4x8x64xf32, "asq:16:ch@1">) -> tensor<4x8x64xf32> {
  // expected-error @below {{cannot decode format 'asq:16:ch@1' on the GPU: learned codebooks per channel must use axis 0 ('ch') on the GPU: each group must be a contiguous run of elements}}
  %0 = qf.dequantize %w : !qf.tensor<4x8x64xf32, "asq:16:ch@1"> -> tensor<4x8x64xf32>
  return %0 : tensor<4x8x64xf32>
}

// -----

func.func @kashin_ch1(%w: !qf.tensor<64x128xf32, "kashin:2+2:ch@1">) -> tensor<64x128xf32> {
  // expected-error @below {{cannot decode format 'kashin:2+2:ch@1' on the GPU: Kashin vectors per channel must use axis 0 ('ch') on the GPU: each group must be a contiguous run of elements}}
  %0 = qf.dequantize %w : !qf.tensor<64x128xf32, "kashin:2+2:ch@1"> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// -----

// Odd code widths are read in runs of 32 codes (whole words): groups of 16
// 3-bit codes do not align.
func.func @int3_g16(%w: !qf.tensor<16x128xf32, "int3:g16">) -> tensor<16x128xf32> {
  // expected-error @below {{cannot decode format 'int3:g16' on the GPU: codes of 3 bits are read as a bit stream in runs of 32 codes: every scale group (and row) must hold a multiple of 32 elements}}
  %0 = qf.dequantize %w : !qf.tensor<16x128xf32, "int3:g16"> -> tensor<16x128xf32>
  return %0 : tensor<16x128xf32>
}

// -----

// Scale groups of one element (per-channel along the last axis).
func.func @int4_ch_last(%w: !qf.tensor<16x128xf32, "int4:ch@1">) -> tensor<16x128xf32> {
  // expected-error @below {{cannot decode format 'int4:ch@1' on the GPU: no whole 32-bit word of codes lies within one scale group}}
  %0 = qf.dequantize %w : !qf.tensor<16x128xf32, "int4:ch@1"> -> tensor<16x128xf32>
  return %0 : tensor<16x128xf32>
}
