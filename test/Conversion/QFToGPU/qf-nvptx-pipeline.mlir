// RUN: quant-opt %s -split-input-file -qf-nvptx-pipeline="chip=sm_80 ptx-file=-" -o /dev/null | FileCheck %s --check-prefixes=PTX,SM80
// RUN: quant-opt %s -split-input-file -qf-nvptx-pipeline="chip=sm_90 ptx-file=-" -o /dev/null | FileCheck %s --check-prefixes=PTX,SM90
// RUN: quant-opt %s -split-input-file -qf-nvptx-pipeline="chip=sm_90" | FileCheck %s --check-prefix=BIN
// RUN: not quant-opt %s -split-input-file -qf-nvptx-pipeline="chip=sm_60" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHIP

// CHIP: unsupported chip 'sm_60' (expected sm_70 or later, e.g. sm_80 or sm_90)

// The pipeline ends in a gpu.binary holding PTX text, without the compile
// times gpu-module-to-binary records (the output is deterministic).
// BIN: gpu.binary @qf_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, properties = {O = 3 : i32}, assembly = "//

// int4 dequantization: 128-bit loads and stores, lop3 nibble decode.
// PTX-LABEL: // qf-kernel-module: qf_kernels
// SM80: .version 7.0
// SM80: .target sm_80
// SM90: .version 8.0
// SM90: .target sm_90
// PTX-LABEL: .entry dq_int4_dequant0(
// PTX: .maxntid 256, 1, 1
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: lop3.b32 {{.*}}, 106;
// PTX-DAG: cvt.rn.f16x2.f32
// PTX-DAG: st.global.v4.b32
// PTX: ret;
func.func @dq_int4(%w: !qf.tensor<256x256xf16, "int4:g128:f16">) -> tensor<256x256xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x256xf16, "int4:g128:f16"> -> tensor<256x256xf16>
  return %0 : tensor<256x256xf16>
}

// -----

// int8: prmt byte decode.
// PTX-LABEL: .entry dq_int8_dequant0(
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: prmt.b32
// PTX-DAG: st.global.v4.b32
// PTX: ret;
func.func @dq_int8(%w: !qf.tensor<64x128xf32, "int8:g64">) -> tensor<64x128xf32> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf32, "int8:g64"> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// -----

// mxfp8: e4m3 codes with the native conversion where the chip has it.
// PTX-LABEL: .entry dq_mxfp8_dequant0(
// SM80-NOT: cvt.rn.f16x2.e4m3x2
// SM90-DAG: cvt.rn.f16x2.e4m3x2
// PTX-DAG: cvt.rn.bf16x2.f32
// PTX-DAG: st.global.v4.b32
// PTX: ret;
func.func @dq_mxfp8(%w: !qf.tensor<64x128xbf16, "mxfp8">) -> tensor<64x128xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xbf16, "mxfp8"> -> tensor<64x128xbf16>
  return %0 : tensor<64x128xbf16>
}

// -----

// NF4: shared-memory table.
// PTX-LABEL: .entry dq_nf4_dequant0(
// PTX: .shared .align {{[0-9]+}} .b8
// PTX: bar.sync 0
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: ld.shared.b32
// PTX-DAG: st.global.v4.b32
// PTX: ret;
func.func @dq_nf4(%w: !qf.tensor<64x128xf16, "nf4:g64">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "nf4:g64"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// Fused q4_0 GEMV: warp shuffles, FMAs, activations through shared memory.
// PTX-LABEL: .entry gemv_q4_0_gemv0(
// PTX: .shared .align {{[0-9]+}} .b8 {{.*}}[4608];
// PTX-DAG: bar.sync 0
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: st.shared.v4.b32
// PTX-DAG: ld.shared.v4.b32
// PTX-DAG: lop3.b32 {{.*}}, 234;
// PTX-DAG: fma.rn.f32
// PTX-DAG: shfl.sync.bfly.b32 {{.*}}, 16, 31, -1;
// PTX-DAG: shfl.sync.bfly.b32 {{.*}}, 1, 31, -1;
// PTX: ret;
func.func @gemv_q4_0(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "q4_0">) -> tensor<1x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "q4_0"> -> tensor<1x1024xf16>
  return %0 : tensor<1x1024xf16>
}
