// mxfp8e5m2 (e5m2:g32:e8m0): sm_90 decodes pairs of e5m2 codes with the
// native cvt.rn.f16x2.e5m2x2; sm_80 has no such instruction and builds the
// value from bit fields (bfe, shl, or, selp) instead. Both assemble with
// ptxas without spilling.
// REQUIRES: ptxas
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_80 ptx-file=%t.sm80.ptx" -o /dev/null
// RUN: FileCheck %s --check-prefixes=PTX,SM80 < %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 -v %t.sm80.ptx -o %t.sm80.cubin 2>&1 | FileCheck %s --check-prefix=AS
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_90 ptx-file=%t.sm90.ptx" -o /dev/null
// RUN: FileCheck %s --check-prefixes=PTX,SM90 < %t.sm90.ptx
// RUN: %ptxas -arch=sm_90 -v %t.sm90.ptx -o %t.sm90.cubin 2>&1 | FileCheck %s --check-prefix=AS

// SM80: .target sm_80
// SM90: .target sm_90
// PTX-LABEL: .entry dq_e5m2_dequant0(
// PTX: ld.global.v4.b32
// SM80-NOT: e5m2x2
// SM80: bfe.u32
// SM80: shl.b32
// SM80: selp.f32
// SM90-COUNT-4: cvt.rn.f16x2.e5m2x2
// PTX: st.global.v4.b32
// PTX: ret;
// PTX-LABEL: .entry gemv_e5m2_gemv0(
// SM80-NOT: e5m2x2
// SM90: cvt.rn.f16x2.e5m2x2
// PTX: fma.rn.f32
// PTX: shfl.sync.bfly.b32
// PTX: ret;

// AS: Compiling entry function '{{.*}}_gemv0'
// AS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// AS: Compiling entry function 'dq_e5m2_dequant0'
// AS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

func.func @dq_e5m2(%w: !qf.tensor<64x128xf16, "mxfp8e5m2">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "mxfp8e5m2"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

func.func @gemv_e5m2(%x: tensor<1x128xf16>, %w: !qf.tensor<64x128xf16, "mxfp8e5m2">) -> tensor<1x64xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf16>, !qf.tensor<64x128xf16, "mxfp8e5m2"> -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}
