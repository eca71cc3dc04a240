// RUN: quant-opt %s -split-input-file -qf-nvptx-pipeline="chip=sm_80 ptx-file=-" -o /dev/null | FileCheck %s --check-prefixes=PTX,SM80
// RUN: quant-opt %s -split-input-file -qf-nvptx-pipeline="chip=sm_90 ptx-file=-" -o /dev/null | FileCheck %s --check-prefixes=PTX,SM90

// PTX of the extended formats (odd code widths, q4_k, double quantization,
// outliers, learned codebooks, Kashin). extended-formats-ptxas.mlir
// assembles the same kinds of kernels with ptxas.

// 3-bit codes: a funnel shift joins the two words of a straddling code,
// bfe.s32 sign-extends the others.
// SM80: .target sm_80
// SM90: .target sm_90
// PTX-LABEL: .entry dq_int3_dequant0(
// PTX-COUNT-3: ld.global.b32
// PTX: shf.l.wrap.b32 {{.*}}, 2;
// PTX: shf.l.wrap.b32 {{.*}}, 1;
// PTX: bfe.s32 {{.*}}, 3, 3;
// PTX: st.global.v4.b32
// PTX: ret;
func.func @dq_int3(%w: !qf.tensor<64x128xf16, "int3:g32">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "int3:g32"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// q4_k: f16 d/dmin with cvt.f32.f16; d*sc*q - dmin*m with separately
// rounded multiplies and subtractions (no fma, as the reference computes).
// PTX-LABEL: .entry dq_q4k_dequant0(
// PTX-NOT: fma.rn.f32
// PTX: ld.global.v4.b32
// PTX: cvt.f32.f16
// PTX: mul.rn.f32
// PTX: sub.rn.f32
// PTX: st.global.v4.b32
// PTX: ret;
func.func @dq_q4k(%w: !qf.tensor<64x512xf16, "q4_k">) -> tensor<64x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x512xf16, "q4_k"> -> tensor<64x512xf16>
  return %0 : tensor<64x512xf16>
}

// -----

// nvfp4: the e2m1 table in shared memory, the f32 super-scale loaded once.
// PTX-LABEL: .entry dq_nvfp4_dequant0(
// PTX: st.shared.b32
// PTX: bar.sync 0;
// PTX: ld.global.b32
// PTX: ld.shared.b32
// PTX: cvt.rn.bf16x2.f32
// PTX: ret;
func.func @dq_nvfp4(%w: !qf.tensor<64x128xbf16, "nvfp4">) -> tensor<64x128xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xbf16, "nvfp4"> -> tensor<64x128xbf16>
  return %0 : tensor<64x128xbf16>
}

// -----

// Outliers: the dense kernel and the scatter kernel (bf16 values to f16).
// PTX-LABEL: .entry dq_outliers_dequant0(
// PTX: ret;
// PTX-LABEL: .entry dq_outliers_dequant0_outliers(
// PTX: ld.global.b16
// PTX: cvt.rn.f16.f32
// PTX: st.global.b16
// PTX: ret;
func.func @dq_outliers(%w: !qf.tensor<64x128xf16, "int4:g64:outliers=2^-7">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "int4:g64:outliers=2^-7"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// Learned codebooks: staged in shared memory, clamped codes index them.
// PTX-LABEL: .entry dq_asq_dequant0(
// PTX: st.shared.b32
// PTX: bar.sync 0;
// PTX: min.u32 {{.*}}, 11;
// PTX: ld.shared.b32
// PTX: ret;
func.func @dq_asq(%w: !qf.tensor<64x128xf16, "asq:12:g64:f16">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "asq:12:g64:f16"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// Kashin (DCT): f64 twiddle tables in global memory, radix-2 passes in f64
// shared memory with correctly rounded mul/add/sub (never fma), 20 barriers,
// u + P^T v rounded to f32 (the barriers are counted in
// extended-formats.mlir).
// PTX: .global .align 8 .b8 qf_fft_twiddle_256_re[1024]
// PTX-LABEL: .entry dq_kashin_dct_dequant0(
// PTX-NOT: fma.rn.f64
// PTX: bar.sync 0;
// PTX-NOT: fma.rn.f64
// PTX: ld.global.nc.b64
// PTX-NOT: fma.rn.f64
// PTX: mul.rn.f64
// PTX-NOT: fma.rn.f64
// PTX: sub.rn.f64
// PTX-NOT: fma.rn.f64
// PTX: add.rn.f64
// PTX-NOT: fma.rn.f64
// PTX: cvt.rn.f32.f64
// PTX-NOT: fma.rn.f64
// PTX: ret;
func.func @dq_kashin_dct(%w: !qf.tensor<16x256xf32, "kashin:2+2">) -> tensor<16x256xf32> {
  %0 = qf.dequantize %w : !qf.tensor<16x256xf32, "kashin:2+2"> -> tensor<16x256xf32>
  return %0 : tensor<16x256xf32>
}

// -----

// Kashin (Hadamard): f64 butterflies, then the sign vector from the stored
// seed (splitmix64: 64-bit multiplies and xor-shifts).
// PTX-LABEL: .entry dq_kashin_hadamard_dequant0(
// PTX: bar.sync 0;
// PTX: add.rn.f64
// PTX-NEXT: sub.rn.f64
// PTX: mul.lo.s64 {{.*}}, 7046029254386353131;
// PTX: xor.b64 {{.*}}, 7640891576956012809;
// PTX: cvt.rn.f32.f64
// PTX: ret;
func.func @dq_kashin_hadamard(%w: !qf.tensor<16x256xf16, "kashin:3:joint:hadamard">) -> tensor<16x256xf16> {
  %0 = qf.dequantize %w : !qf.tensor<16x256xf16, "kashin:3:joint:hadamard"> -> tensor<16x256xf16>
  return %0 : tensor<16x256xf16>
}

// -----

// GEMV with outliers: the dense dot products, the per-row correction, then
// the shuffle reduction.
// PTX-LABEL: .entry gemv_outliers_gemv0(
// PTX: ld.shared.v4.b32
// PTX: fma.rn.f32
// PTX: shfl.sync.bfly.b32
// PTX: ret;
func.func @gemv_outliers(%x: tensor<1x1024xf16>, %w: !qf.tensor<256x1024xf16, "nf4:g64:outliers=2^-10">) -> tensor<1x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x1024xf16>, !qf.tensor<256x1024xf16, "nf4:g64:outliers=2^-10"> -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}

// -----

// Kashin GEMV: the transform of the activations (f64), then the GEMV over
// both factors.
// PTX-LABEL: .entry gemv_kashin_gemv0_px(
// PTX: cvt.f64.f16
// PTX: mul.rn.f64
// PTX: cvt.rn.f32.f64
// PTX: ret;
// PTX-LABEL: .entry gemv_kashin_gemv0(
// PTX: ld.shared.v4.b32
// PTX: fma.rn.f32
// PTX: shfl.sync.bfly.b32
// PTX: ret;
func.func @gemv_kashin(%x: tensor<2x1024xf16>, %w: !qf.tensor<256x1024xf16, "kashin:2+2">) -> tensor<2x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<2x1024xf16>, !qf.tensor<256x1024xf16, "kashin:2+2"> -> tensor<2x256xf16>
  return %y : tensor<2x256xf16>
}

// -----

// Kashin DCT of 96: Bluestein's FFT in the global workspace (f64 loads and
// stores to global memory, no fma).
// PTX: .global .align 8 .b8 qf_bluestein_kernel_96_re[2048]
// PTX-LABEL: .entry dq_kashin_bluestein_dequant0(
// PTX-NOT: fma.rn.f64
// PTX: bar.sync 0;
// PTX-NOT: fma.rn.f64
// PTX: st.global.b64
// PTX-NOT: fma.rn.f64
// PTX: mul.rn.f64
// PTX-NOT: fma.rn.f64
// PTX: cvt.rn.f32.f64
// PTX-NOT: fma.rn.f64
// PTX: ret;
func.func @dq_kashin_bluestein(%w: !qf.tensor<8x96xf32, "kashin:2+2">) -> tensor<8x96xf32> {
  %0 = qf.dequantize %w : !qf.tensor<8x96xf32, "kashin:2+2"> -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}
