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
    kernels take the weight's sections, the activations, then the output
    (bare pointers):

    * dequantization: one thread decodes a packed word of 8-32 weights
      (one 128-bit load when the group allows it) and writes them with
      128-bit stores; lookup tables live in shared memory;
    * fused GEMV / small-M GEMM (M <= 16): one warp per output row, the
      activations staged in shared memory (f32, padded against bank
      conflicts), 128-bit weight loads per lane, shuffle reductions; the
      decoded weights never reach global memory.

    The launch configuration is chosen here and recorded on each kernel
    (`known_block_size`, `known_grid_size`); the kernel argument names are in
    `qf.kernel_args`. Formats the kernels cannot decode (learned, Kashin,
    q4_k, outliers, double quantization, codes not dividing 32 bits) are
    rejected with a diagnostic.
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
      becomes one `arith.constant` per section;
    * `qf.dequantize`: packed codes are loaded as byte vectors, unpacked
      (shifts, masks, interleaves), decoded and scaled by the shared decode
      emitter (QFCommon/DecodeEmitter.h) and written with vector stores;
      outliers are patched afterwards; elements that do not fill a vector
      (row tails, codes crossing byte boundaries) take a scalar path. When
      the only use is a `bufferization.materialize_in_destination`, the
      destination is written directly;
    * `qf.matmul` with `transpose_weight` and M <= 16: fused dequant-GEMV /
      small-M GEMM, one weight row at a time, the decoded chunk multiplied
      into independent vector accumulators with `vector.fma`, so no decoded
      weight reaches memory; other shapes dequantize the weight and use
      `linalg.matmul`.

    `target` selects the table lookup: `avx512` uses vpermps
    (`llvm.x86.avx512.permvar.sf.512`), `avx2` vpermps on 8 lanes, `neon`
    and unknown targets a portable select tree; `host` picks from the
    running CPU. Public functions get `llvm.emit_c_interface`. Formats the
    emitter cannot decode (learned, Kashin, q4_k) are rejected with a
    diagnostic.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::func::FuncDialect", "mlir::linalg::LinalgDialect",
    "mlir::LLVM::LLVMDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"target", "target", "std::string", "\"host\"",
           "Target features: avx2, avx512, neon or host">,
  ];
}

#endif // QFORGE_CONVERSION_PASSES_TD
