// Assembly of the qf-cpu-pipeline output through mlir-translate and llc.
// RUN: quant-opt %s -qf-cpu-pipeline=target=avx512 | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mcpu=x86-64-v4 | FileCheck %s --check-prefix=AVX512
// RUN: quant-opt %s -qf-cpu-pipeline=target=avx2 | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mcpu=x86-64-v3 | FileCheck %s --check-prefix=AVX2
// RUN: quant-opt %s -qf-cpu-pipeline=target=neon | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=aarch64 -mattr=+neon | FileCheck %s --check-prefix=NEON
// RUN: quant-opt %s -qf-cpu-pipeline=target=avx512 | FileCheck %s --check-prefix=LLVM
// RUN: quant-opt %s -qf-cpu-pipeline="target=avx512 nontemporal-bytes=1" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mcpu=x86-64-v4 | FileCheck %s --check-prefix=NTX86
// RUN: quant-opt %s -qf-cpu-pipeline="target=neon nontemporal-bytes=1" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=aarch64 -mattr=+neon | FileCheck %s --check-prefix=NTARM

// The C interface wrappers exist.
// LLVM: llvm.func @_mlir_ciface_nf4_dequant
// LLVM: llvm.func @_mlir_ciface_gemv_q4_0
// LLVM: llvm.func @_mlir_ciface_gemv_nf4

// NF4 lookups: vpermps/vpermd on zmm registers; no scalar conversions.
// AVX512-LABEL: {{^}}nf4_dequant:
// AVX512-NOT: vcvtsi2ss
// AVX512: vperm{{d|ps}} {{.*}}%zmm
// AVX512-NOT: vcvtsi2ss
// AVX512: ret
// AVX2-LABEL: {{^}}nf4_dequant:
// AVX2: vperm{{d|ps}} {{.*}}%ymm
// AVX2: ret
// NEON-LABEL: {{^}}nf4_dequant:
// NEON: tbl v{{[0-9]+}}.16b
// NEON: ret
// Streaming stores (forced by nontemporal-bytes=1): vmovntps / stnp at
// aligned addresses, a fence (x86: a locked or; AArch64: dmb) at the end.
// NTX86-LABEL: {{^}}nf4_dequant:
// NTX86-DAG: vmovntps %zmm{{[0-9]+}}, (
// NTX86-DAG: vmovups %zmm{{[0-9]+}}, (
// NTX86: {{lock|mfence}}
// NTX86: ret
// NTARM-LABEL: {{^}}nf4_dequant:
// NTARM: stnp q{{[0-9]+}}, q{{[0-9]+}}, [
// NTARM: dmb ish
// NTARM: ret
func.func @nf4_dequant(%q: !qf.tensor<4x128xf32, #qf.format<"nf4:g64">>,
                       %out: tensor<4x128xf32> {bufferization.writable = true}) -> tensor<4x128xf32> {
  %d = qf.dequantize %q : !qf.tensor<4x128xf32, #qf.format<"nf4:g64">> -> tensor<4x128xf32>
  %r = bufferization.materialize_in_destination %d in %out : (tensor<4x128xf32>, tensor<4x128xf32>) -> tensor<4x128xf32>
  return %r : tensor<4x128xf32>
}

// Fused q4_0 GEMV: the codes of 4 blocks gathered from two 64-byte loads
// by one word permute, nibble lookups (q - 8) and FMAs on zmm registers, no
// scalar multiply-add or conversion in the function (K is a multiple of 128).
// AVX512-LABEL: {{^}}gemv_q4_0:
// AVX512-NOT: vfmadd{{[0-9]+}}ss
// AVX512-NOT: vcvtsi2ss
// AVX512: vperm{{t|i}}2w {{.*}}%zmm
// AVX512: vperm{{d|ps}} {{.*}}%zmm
// AVX512: vfmadd231ps {{.*}}%zmm
// AVX512-NOT: vfmadd{{[0-9]+}}ss
// AVX512-NOT: vcvtsi2ss
// AVX512: ret
// NEON-LABEL: {{^}}gemv_q4_0:
// NEON: fmla v{{[0-9]+}}.4s
// NEON: ret
func.func @gemv_q4_0(%x: tensor<1x256xf32>, %w: !qf.tensor<64x256xf32, #qf.format<"q4_0">>,
                     %out: tensor<1x64xf32> {bufferization.writable = true}) -> tensor<1x64xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<64x256xf32, #qf.format<"q4_0">> -> tensor<1x64xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}

// Fused NF4 GEMV: lookups and FMAs in vector registers, software
// prefetches of the codes and scales ahead: per iteration (4 rows, 2 chunks
// of 128 codes) one prefetch per 64 bytes of each row's codes, at constant
// offsets from one address, and one for the four rows' scales (16 bytes
// each, one line).
// AVX512-LABEL: {{^}}gemv_nf4:
// AVX512: prefetcht0 (%[[C:[a-z0-9]+]],%[[I:[a-z0-9]+]])
// AVX512-NEXT: prefetcht0 64(%[[C]],%[[I]])
// AVX512-NEXT: prefetcht0 128(%[[C]],%[[I]])
// AVX512-NEXT: prefetcht0 192(%[[C]],%[[I]])
// AVX512-NEXT: prefetcht0 256(%[[C]],%[[I]])
// AVX512-NEXT: prefetcht0 320(%[[C]],%[[I]])
// AVX512-NEXT: prefetcht0 384(%[[C]],%[[I]])
// AVX512-NEXT: prefetcht0 448(%[[C]],%[[I]])
// AVX512: prefetcht0 (%{{[a-z0-9]+}},%{{[a-z0-9]+}})
// AVX512-NOT: prefetcht0
// AVX512: vperm{{d|ps}} {{.*}}%zmm
// AVX512: vfmadd231ps {{.*}}%zmm
// AVX512-NOT: vfmadd{{[0-9]+}}ss
// AVX512: ret
// NEON-LABEL: {{^}}gemv_nf4:
// NEON: prfm pldl1keep
// NEON: tbl v{{[0-9]+}}.16b
// NEON: fmla v{{[0-9]+}}.4s
// NEON: ret
func.func @gemv_nf4(%x: tensor<1x256xf32>, %w: !qf.tensor<64x256xf32, #qf.format<"nf4:g64">>,
                    %out: tensor<1x64xf32> {bufferization.writable = true}) -> tensor<1x64xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<64x256xf32, #qf.format<"nf4:g64">> -> tensor<1x64xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}

// f16 results stream too: the half vectors are stored as i32 lanes, for
// which llc keeps the non-temporal hint (it drops it for half vectors).
// NTX86-LABEL: {{^}}nf4_dequant_f16:
// NTX86: vmovntps %zmm{{[0-9]+}}, (
// NTX86: {{lock|mfence}}
// NTX86: ret
func.func @nf4_dequant_f16(%q: !qf.tensor<4x128xf32, #qf.format<"nf4:g64">>,
                           %out: tensor<4x128xf16> {bufferization.writable = true}) -> tensor<4x128xf16> {
  %d = qf.dequantize %q : !qf.tensor<4x128xf32, #qf.format<"nf4:g64">> -> tensor<4x128xf16>
  %r = bufferization.materialize_in_destination %d in %out : (tensor<4x128xf16>, tensor<4x128xf16>) -> tensor<4x128xf16>
  return %r : tensor<4x128xf16>
}

// Kashin decoding, 16 vectors of 64 (DCT through radix-2 FFTs): eight
// vectors at a time, one per f64 lane, so the butterflies, rotations and
// scalings are packed double operations on zmm registers (two 2-lane NEON
// registers per four vectors on aarch64), with no scalar f64 arithmetic.
// AVX512-LABEL: {{^}}kashin_dequant:
// AVX512-NOT: v{{add|sub|mul}}sd
// AVX512: vmulpd {{.*}}%zmm
// AVX512: vaddpd {{.*}}%zmm
// AVX512: vsubpd {{.*}}%zmm
// AVX512-NOT: v{{add|sub|mul}}sd
// AVX512: vcvtpd2ps {{.*}}%zmm
// AVX512-NOT: v{{add|sub|mul}}sd
// AVX512: ret
// NEON-LABEL: {{^}}kashin_dequant:
// NEON-NOT: f{{add|sub|mul}} d{{[0-9]+}}
// NEON: fsub v{{[0-9]+}}.2d
// NEON-NOT: f{{add|sub|mul}} d{{[0-9]+}}
// NEON: ret
func.func @kashin_dequant(%q: !qf.tensor<16x64xf32, #qf.format<"kashin:2+2">>,
                          %out: tensor<16x64xf32> {bufferization.writable = true}) -> tensor<16x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<16x64xf32, #qf.format<"kashin:2+2">> -> tensor<16x64xf32>
  %r = bufferization.materialize_in_destination %d in %out : (tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// Fused Kashin GEMV (rows as vectors): u . x + v . (P x), both factors'
// 2-bit codes looked up in their per-row centroids by a permute of a zmm
// register (vpermd/vpermps) and multiplied by FMAs on zmm registers; on
// aarch64 learned codebooks take the scalar path (fmadd).
// AVX512-LABEL: {{^}}kashin_gemv:
// AVX512: vperm{{d|ps}} {{.*}}%zmm
// AVX512: vfmadd231ps {{.*}}%zmm
// AVX512: vperm{{d|ps}} {{.*}}%zmm
// AVX512: vfmadd231ps {{.*}}%zmm
// AVX512: ret
// NEON-LABEL: {{^}}kashin_gemv:
// NEON: fmadd s{{[0-9]+}}
// NEON: ret
func.func @kashin_gemv(%x: tensor<1x256xf32>, %w: !qf.tensor<64x256xf32, #qf.format<"kashin:2+2">>,
                       %out: tensor<1x64xf32> {bufferization.writable = true}) -> tensor<1x64xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<64x256xf32, #qf.format<"kashin:2+2">> -> tensor<1x64xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}
