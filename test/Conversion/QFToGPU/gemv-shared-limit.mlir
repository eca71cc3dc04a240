// RUN: quant-opt %s -qf-lower-to-gpu=chip=sm_86 -verify-diagnostics

// A GEMV whose activation tiles exceed 48 KiB of static shared memory uses
// dynamic shared memory up to the chip's limit (extended-formats.mlir); past
// it the op is rejected. A Kashin GEMV stages x and P x: 16 rows need
// 147712 bytes, more than the 99 KiB of sm_86 (sm_80 and sm_90 have room).
func.func @kashin_m16(%x: tensor<16x1024xf16>, %w: !qf.tensor<64x1024xf16, "kashin:2+2">) -> tensor<16x64xf16> {
  // expected-error @below {{the activation tile of 16 rows needs 147712 bytes of shared memory, more than the 101376 of sm_86}}
  %y = qf.matmul %x, %w {transpose_weight} : tensor<16x1024xf16>, !qf.tensor<64x1024xf16, "kashin:2+2"> -> tensor<16x64xf16>
  return %y : tensor<16x64xf16>
}
