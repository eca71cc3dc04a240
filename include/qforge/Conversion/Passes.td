//===- Passes.td - QForge conversion passes ----------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowerings of the qf dialect to code: QFToVector (CPU SIMD) and QFToGPU
// (NVVM/PTX). Each conversion adds its pass definitions below.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_CONVERSION_PASSES_TD
#define QFORGE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// QFToGPU
//===----------------------------------------------------------------------===//

def QFLowerToGPU : Pass<"qf-lower-to-gpu", "mlir::ModuleOp"> {
  let summary = "Lower qf.dequantize and qf.matmul to GPU kernels";
  let description = [{
    Rewrites every function whose body is made of `qf.dequantize` and
    `qf.matmul` (with `transpose_weight`) on its arguments into a host
    function that launches kernels of a `gpu.module @qf_kernels`. The host
    function takes flat memrefs: each argument in order (a `!qf.tensor`
    becomes its storage sections), then one output buffer per result. The
    kernels take (bare pointers, names in `qf.kernel_args`) the weight's
    sections, the activations, a scratch buffer, then the output:

    * dequantization: one thread decodes a packed word of 8-32 weights
      (one 128-bit load when the group allows it; 32 or 64 codes of 3, 5,
      6 or 7 bits from whole words; 64 elements of a q4_k super-block) and
      writes them with 128-bit stores; lookup tables and learned codebooks
      live in shared memory; sparse outliers are written by a second
      (scatter) kernel; Kashin codes are decoded one vector per block, the
      inverse transform applied in f64 with the reference's data flow
      (radix-2 or Bluestein FFT), in shared memory or, for long or
      non-power-of-two vectors, in a global workspace;
    * fused GEMV / small-M GEMM (M <= 16): one warp per output row, the
      activations staged in shared memory (f32, padded against bank
      conflicts; dynamic shared memory beyond 48 KiB), 128-bit weight loads
      per lane, shuffle reductions; outliers enter as a per-row correction
      sum x_k (outlier - dense); a Kashin GEMV computes W x = U x + V (P x)
      with P x written to a scratch buffer by a first kernel; the decoded
      weights never reach global memory.

    The launch configuration is chosen here and recorded on each kernel
    (`known_block_size`, `known_grid_size`, `qf.dynamic_shared_bytes`,
    `qf.scratch_bytes`, `qf.workspace_bytes`). Formats the kernels cannot
    decode (Kashin vectors or learned codebooks that are not contiguous,
    groups of odd-width codes or Kashin vectors not a multiple of 32, learned
    codebooks with outliers) are rejected with a diagnostic.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::func::FuncDialect",
    "mlir::gpu::GPUDialect", "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_80\"",
           "Target chip (sm_80, sm_90, ...): enables native fp8 conversions "
           "from sm_89">,
    Option<"blockSize", "block-size", "unsigned", "256",
           "Threads per block of the dequantization kernels">,
    Option<"warpsPerBlock", "warps-per-block", "unsigned", "8",
           "Warps (output rows) per block of the GEMV kernels">,
  ];
}

def QFStripBinaryTimings : Pass<"qf-strip-binary-timings", "mlir::ModuleOp"> {
  let summary = "Drop compile-time measurements from gpu.binary objects";
  let description = [{
    `gpu-module-to-binary` records how long each compilation step took
    (`LLVMIRToISATimeInMs`, `ISAToBinaryTimeInMs`) in the properties of the
    objects it creates. This pass removes every `*TimeInMs` property so that
    the output of `qf-nvptx-pipeline` depends only on its input.
  }];
}

def QFWritePTX : Pass<"qf-write-ptx", "mlir::ModuleOp"> {
  let summary = "Write the PTX of every gpu.binary to a file";
  let description = [{
    Writes the assembly (PTX text) of every `gpu.binary` object in the module
    to `file` ('-' = stdout), in module order, each preceded by a
    `// qf-kernel-module: <name>` line. Objects not in PTX form are an error.
  }];
  let options = [
    Option<"file", "file", "std::string", "\"-\"", "Output file">,
  ];
}

//===----------------------------------------------------------------------===//
// QFToVector
//===----------------------------------------------------------------------===//

def QFLowerToVector : Pass<"qf-lower-to-vector", "mlir::ModuleOp"> {
  let summary = "Lower qf.dequantize and qf.matmul to vector code for CPUs";
  let description = [{
    Rewrites the qf operations of every function into `scf` loops of
    `vector` and `arith` operations on the storage sections:

    * every `!qf.tensor` function argument becomes one `tensor<Bxi8>`
      argument per non-empty storage section, in section order (codes,
      scales, zero_points, codebooks, super_scales, outliers); `qf.constant`
      becomes one `arith.constant` per section (read from the weight file
      for external storage) and `qf.external_constant` one `arith.constant`
      over the file's data;
    * `qf.dequantize`: packed codes are loaded as byte vectors, unpacked
      (shifts, masks, interleaves), decoded and scaled by the shared decode
      emitter (QFCommon/DecodeEmitter.h) and written with vector stores;
      outliers are patched afterwards; elements that do not fill a vector
      (row tails) take a scalar path; 3/5/6/7-bit codes, which cross byte
      boundaries, are gathered two bytes per code into i16 lanes by one
      shuffle, shifted per lane and masked. When
      the only use is a `bufferization.materialize_in_destination`, the
      destination is written directly;
    * `qf.matmul` with `transpose_weight` and M <= 16: fused dequant-GEMV /
      small-M GEMM. Codes are decoded as planes (the codes at the same bit
      position of each byte, or of each 4-byte word, form one vector), the
      activations having been permuted once into that order, and the group
      scale multiplies each chunk's partial dot product; 4 weight rows
      share every activation load (M <= 2). No decoded weight reaches
      memory; outliers are added as a sparse correction;
    * `qf.matmul` with `transpose_weight` and M > 16: tiled GEMM, weight
      tiles of up to 256 KiB dequantized into a buffer and multiplied by a
      4x4 register-blocked micro-kernel;
    * f16/bf16 activations and results of these two forms are widened and
      narrowed by elementwise `arith.extf` / `arith.truncf` around the f32
      kernels; any other `qf.matmul` dequantizes the weight and uses a
      `linalg.generic` contraction.

    Decoded: integer, minifloat and lookup-table codes of 1-8 bits (all
    vectorised; the fused GEMV decodes 1/2/4/8-bit codes as planes and
    3/5/6/7-bit codes in element order; on x86, q4_k super-blocks as
    word-lane planes whose sub-blocks' scales and mins are applied once
    per lane class), scales of every
    type, zero points, double quantization, sparse outliers, learned (asq)
    codebooks and the q4_0, q8_0, iq4_nl and q4_k GGUF layouts, all
    bit-identical to `qforge::num::dequantize`.

    Kashin codes (`kashin:<bu>+<bv>[:dct|:hadamard]`, `kashin:<b>:joint`,
    vectors along rows, columns or blocks): each vector decodes as
    x = u + P^T v in f64, with P^T evaluated by `scf` loops over f64
    scratch buffers (`memref.alloc`) that perform the reference's
    operations in its order (`num::RandomizedTransform::applyT`: radix-2
    FFT butterflies or Bluestein's chirp-z for other DCT lengths, the DCT's
    reordering and rotations, the Walsh-Hadamard passes, the sign vector
    recomputed from the stored seed), with the plans' twiddles, rotations
    and chirps as constant tables, then rounded to f32: bit-identical to
    `qforge::num::dequantize`. A `qf.matmul` on a Kashin weight dequantizes
    it once and uses the tiled GEMM for any M.

    `target` selects the table lookup: `avx512` uses vpermps
    (`llvm.x86.avx512.permvar.sf.512`, 16 lanes), `avx2` vpermps on 8
    lanes, `neon` `tbl`, `generic` a portable select tree; `host` picks
    from the running CPU; any other name is an error. Public functions get
    `llvm.emit_c_interface`.

    `nontemporal-bytes` (default 32 MiB): the vector loop of a
    `qf.dequantize` whose result has at least this many bytes (and no row
    tail) carries `qf.nontemporal_stores`, for `qf-nontemporal-stores`
    after bufferization; 0 disables it. The fused GEMV prefetches the
    weight sections about 1 KiB of a row ahead in the rows it reads (rows
    shorter than 2 KiB: the rows at least 32768 elements later).

    `dot-precision=bf16x2` (target `avx512`, for CPUs with AVX512_BF16):
    the fused GEMV of formats whose decoded values are exact in bf16
    (int1/2/4, e2m1 / mxfp4 / nvfp4, q4_0, iq4_nl and other word-lane
    formats without zero points) decodes 32 weights per plane vector as
    bf16 (a shift of i16 lanes and a `vpermw` lookup) and multiplies them
    with `vdpbf16ps` by the activations, each split once per call into a
    high and a low bf16 half (x = hi + lo to 16 significant bits: at most
    2^-16 relative error per element, against 2^-24 for f32). Rows of
    activations whose largest magnitude is below 2^-64 or above 2^64 are
    scaled by an exact power of two first. Other formats keep the f32
    path; `f32` (default) keeps it for all.

    `dot-precision=i8` (target `avx512`, for CPUs with AVX512_VNNI): the
    activations are quantized once per call to int8 in blocks of 32
    elements (scale m / 127, m the block's largest magnitude, codes rounded
    to nearest even; as `qforge::num::quantizeActivationsInt8`), like
    llama.cpp's q8_0 activations. Formats whose decoded values are integer
    multiples of a power of two within 255 of each other (int1/2/4/8
    without zero points, e2m1 / mxfp4, q4_0, iq4_nl, q8_0) and rows whose
    length is a multiple of the chunk (128 4-bit codes, 64 8-bit codes)
    read 64 code bytes per chunk, map each plane's codes to unsigned bytes
    (a shift, a mask and a `vpshufb` lookup, a sign flip, or nothing for
    q4_0), and multiply them by the activation bytes with `vpdpbusd` into
    exact i32 lane sums, which are converted and scaled by the activation
    blocks' and the weight groups' scales. Tables of at most 16 other
    finite values (nf4, CRD and inline tables) are rounded to 16-bit
    multiples of a power of two (`qforge::num::int8CodeMap`; nf4: 2^-14)
    and multiplied as low and high bytes; 1/2/4/8-bit unsigned codes with
    zero points start each chunk's sums at -zp * sum q; q4_k super-blocks
    (rows of whole super-blocks) sum each of their 4 nibble planes in its
    own chain, scaled per lane by d * sc, and subtract dmin * m times each
    activation block's sum. The result is the
    f32 dot product of those weights with the quantized activations (each
    within half a block scale of x); a block with a NaN or infinite
    activation gives NaN. Other formats (learned codebooks, 8-bit
    minifloats, 3/5/6/7-bit zero-point codes, double quantization,
    outliers) keep the f32 path.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::func::FuncDialect", "mlir::linalg::LinalgDialect",
    "mlir::LLVM::LLVMDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"target", "target", "std::string", "\"host\"",
           "Target features: avx2, avx512, neon, generic (portable) or "
           "host">,
    Option<"nontemporalBytes", "nontemporal-bytes", "int64_t",
           "int64_t(32) << 20",
           "qf.dequantize results of at least this many bytes are marked "
           "for non-temporal stores (0: never); see qf-nontemporal-stores">,
    Option<"dotPrecision", "dot-precision", "std::string", "\"f32\"",
           "Fused GEMV dot products: f32 (f32 products, the default), "
           "bf16x2 (bf16 weights times activations split into two bf16 "
           "halves; target avx512 on a CPU with AVX512_BF16) or i8 (integer "
           "weights, tables of up to 16 other values rounded to 16-bit "
           "multiples of a power of two, times activations quantized to "
           "int8 in blocks of 32; target avx512 on a CPU with AVX512_VNNI)">,
  ];
}

def QFNontemporalStores
    : Pass<"qf-nontemporal-stores", "mlir::func::FuncOp"> {
  let summary = "Write marked loops' vector stores around the caches";
  let description = [{
    Runs after bufferization. In every `scf.for` carrying the unit
    attribute `qf.nontemporal_stores` (set by `qf-lower-to-vector` on the
    vector loop of a `qf.dequantize` whose result is at least
    `nontemporal-bytes` large, so that it would only evict the caches),
    each in-bounds, unmasked, minor-identity `vector.transfer_write` of a
    1-D vector of 32 or more bytes to a memref becomes

        scf.if <address is aligned to min(vector bytes, 64)> {
          vector.store ... {nontemporal = true, alignment = A}
        } else {
          the original write
        }

    so that a misaligned caller buffer is still written correctly, with
    ordinary stores. f16 and bf16 vectors are bitcast to i32 lanes (before
    the `scf.if`) and written by `llvm.store {nontemporal}` to the aligned
    address instead: x86 `llc` drops the hint of half/bfloat stores. A
    sequentially consistent `llvm.fence` follows the
    loop, ordering the weakly ordered streaming stores before anything
    later (x86 `mfence`, aarch64 `dmb`). The attribute is removed.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
}

def QFForwardArgumentResults
    : Pass<"qf-forward-argument-results", "mlir::ModuleOp"> {
  let summary = "Return a public function's result that is a copy of one of "
                "its arguments as that argument";
  let description = [{
    Runs after ownership-based buffer deallocation, which gives every
    returned buffer to the caller and therefore returns a copy
    (`bufferization.clone`) of a buffer that the function does not own. A
    public function of the CPU pipeline that writes its result into a
    destination argument (`bufferization.materialize_in_destination` into
    a `bufferization.writable` argument) returns that buffer, and
    `drop-equivalent-buffer-results` leaves the results of public functions
    in place; the copy would double the memory traffic of a dequantization
    and hand the caller a buffer it does not expect to free. In every
    public `func.func`, each returned value defined by
    `bufferization.clone` of an entry-block argument (directly or through
    `memref.cast`), and used only by the return, is replaced by the
    clone's source, as before deallocation:
    the result aliases the caller's buffer and is not the caller's to free.
    Other returned buffers (freshly allocated results) stay the caller's.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

#endif // QFORGE_CONVERSION_PASSES_TD
