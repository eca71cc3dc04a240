// sint8:ch (symmetric int8, one f32 scale per row) in the GPU kernels. Bytes are
// sign-extended (cvt.s32.s8 for byte 0, bfe.s32 for the others); the code
// -128, outside the symmetric range, decodes to 0 (setp.eq + selp 0). The
// per-row scale is an f32 in the scales buffer. Assembles without spills.
// REQUIRES: ptxas
// RUN: quant-opt %s -qf-lower-to-gpu=chip=sm_90 | FileCheck %s --check-prefix=GPU
// RUN: quant-opt %s -qf-nvptx-pipeline="chip=sm_90 ptx-file=%t.ptx" -o /dev/null
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=AS

// 64x128 int8 codes = 2048 words; 64 f32 scales.
// GPU: gpu.launch_func @qf_kernels::@dq_ch_dequant0 {{.*}} args(%{{.*}} : memref<2048xi32>, %{{.*}} : memref<64xf32>, %{{.*}} : memref<8192xf16>)
// GPU: gpu.launch_func @qf_kernels::@gemv_ch_gemv0 {{.*}} args(%{{.*}} : memref<2048xi32>, %{{.*}} : memref<64xf32>, %{{.*}} : memref<128xf16>, %{{.*}} : memref<64xf16>)
// GPU: gpu.func @dq_ch_dequant0({{.*}}) kernel attributes {{{.*}}qf.kernel_args = ["codes", "scales", "out"]}

// CHECK-LABEL: .entry dq_ch_dequant0(
// CHECK: ld.global.v4.b32
// CHECK: cvt.s32.s8 [[B0:%r[0-9]+]], [[W:%r[0-9]+]];
// CHECK: setp.eq.b32 [[P:%p[0-9]+]], {{%r[0-9]+}}, -2147483648;
// CHECK: selp.b32 {{%r[0-9]+}}, 0, [[B0]], [[P]];
// CHECK: bfe.s32 [[B1:%r[0-9]+]], [[W]], 8, 8;
// CHECK: setp.eq.b32 [[P1:%p[0-9]+]], [[B1]], -128;
// CHECK: selp.b32 {{%r[0-9]+}}, 0, [[B1]], [[P1]];
// CHECK: cvt.rn.f32.s32
// CHECK: st.global.v4.b32
// CHECK: ret;
// CHECK-LABEL: .entry gemv_ch_gemv0(
// CHECK: bfe.s32
// CHECK: fma.rn.f32
// CHECK: shfl.sync.bfly.b32
// CHECK: ret;

// AS: Compiling entry function 'gemv_ch_gemv0' for 'sm_90'
// AS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// AS: Compiling entry function 'dq_ch_dequant0' for 'sm_90'
// AS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

func.func @dq_ch(%w: !qf.tensor<64x128xf16, "sint8:ch">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "sint8:ch"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

func.func @gemv_ch(%x: tensor<1x128xf16>, %w: !qf.tensor<64x128xf16, "sint8:ch">) -> tensor<1x64xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf16>, !qf.tensor<64x128xf16, "sint8:ch"> -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}
