// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu=chip=sm_90 -verify-diagnostics

// Formats the GPU kernels do not decode are rejected at the op, with the
// reason (double quantization, 6-bit codes crossing words).

func.func @nvfp4(%w: !qf.tensor<64x128xf16, "nvfp4">) -> tensor<64x128xf16> {
  // expected-error @below {{cannot decode format 'nvfp4' on the GPU: double-quantized scales are not decoded by the GPU kernels}}
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "nvfp4"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

func.func @mxfp6(%w: !qf.tensor<64x128xf16, "mxfp6">) -> tensor<64x128xf16> {
  // expected-error @below {{cannot decode format 'mxfp6' on the GPU: codes of 6 bits straddle 32-bit words}}
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "mxfp6"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

func.func @nvfp4_gemv(%x: tensor<1x128xf16>, %w: !qf.tensor<64x128xf16, "nvfp4">) -> tensor<1x64xf16> {
  // expected-error @below {{cannot decode format 'nvfp4' on the GPU}}
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf16>, !qf.tensor<64x128xf16, "nvfp4"> -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}
