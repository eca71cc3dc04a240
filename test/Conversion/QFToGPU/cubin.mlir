// With the CUDA toolkit the pipeline also produces a cubin or a fatbin; the
// PTX file can only be written from PTX text.
// REQUIRES: ptxas
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_90 format=bin" | FileCheck %s --check-prefix=BIN
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_80 format=fatbin" | FileCheck %s --check-prefix=FATBIN
// RUN: not quant-opt %s -qf-nvptx-pipeline="chip=sm_80 format=bin ptx-file=%t.ptx" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTPTX

// BIN: gpu.binary @qf_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, bin = "\7FELF
// FATBIN: gpu.binary @qf_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx70">, "P\ED
// NOTPTX: error: 'gpu.binary' op qf-write-ptx: object is not PTX text (use format=isa)
func.func @dq_q4_0(%w: !qf.tensor<64x128xf16, "q4_0">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "q4_0"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}
