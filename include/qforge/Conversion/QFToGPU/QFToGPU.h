//===- QFToGPU.h - Lowering of qf to GPU kernels and PTX --------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// qf-lower-to-gpu turns functions made of qf.dequantize / qf.matmul on their
// arguments into gpu.module kernels plus a host function that launches them
// (memref arguments, bare-pointer kernel ABI). qf-nvptx-pipeline continues
// through NVVM to a gpu.binary holding PTX (or a cubin / fatbin).
//
// Kernel ABI (one pointer per argument, in this order; names are recorded in
// the kernel's `qf.kernel_args` attribute):
//   weight sections present in the format, in Section order (each kernel
//   takes those it reads):
//     codes        memref<(bytes/4) x i32> (Plain, q4_k, Kashin) or
//                  memref<(bytes/2) x i16> (q4_0, q8_0, iq4_nl blocks)
//     scales       memref<G x f32 | i16 | i8> (raw scale bits)
//     zero_points  memref<G x i8>
//     codebooks    memref<(G*levels) x f32 | i16> (learned) or
//                  memref<(bytes/4) x i32> (Kashin: seed, then centroids)
//     super_scales memref<S x f32>
//     outliers     memref<(bytes/2) x i16> (indices, then values)
//   lhs           memref<(M*K) x T>            (qf.matmul only)
//   scratch       memref<(M*K) x f32>          (Kashin GEMV: P x; size in
//                                               `qf.scratch_bytes`)
//   workspace     memref<W x f64>              (Kashin transforms too long
//                                               for shared memory, Bluestein
//                                               FFTs; `qf.workspace_bytes`)
//   out           memref<numel x T>            (flat, row-major)
// A qf op may launch several kernels, in order: dequantization then the
// outlier scatter (`<name>_outliers`); the Kashin activation transform
// (`<name>_px`) then the GEMV. The launch configuration is chosen by the
// pass and recorded on each kernel as `known_block_size` /
// `known_grid_size`, plus `qf.dynamic_shared_bytes` when the kernel uses
// dynamic shared memory (to pass at launch). The host function allocates
// `scratch` and `workspace` itself (gpu.alloc), around the launches.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_CONVERSION_QFTOGPU_QFTOGPU_H
#define QFORGE_CONVERSION_QFTOGPU_QFTOGPU_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace qforge {

/// Options of `qf-nvptx-pipeline`.
struct QFNVPTXPipelineOptions
    : public mlir::PassPipelineOptions<QFNVPTXPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("Target chip: sm_80 or sm_90"),
                           llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (default: +ptx70 for sm_8x, +ptx80 for "
                     "sm_90)"),
      llvm::cl::init("")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu.binary format: isa (PTX text), bin (cubin) or "
                     "fatbin; bin and fatbin need the CUDA toolkit"),
      llvm::cl::init("isa")};
  Option<std::string> ptxFile{
      *this, "ptx-file",
      llvm::cl::desc("Also write the PTX of every kernel module to this file "
                     "('-' for stdout)"),
      llvm::cl::init("")};
  Option<unsigned> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the dequantization kernels"),
      llvm::cl::init(256)};
  Option<unsigned> warpsPerBlock{
      *this, "warps-per-block",
      llvm::cl::desc("Warps (output rows) per block of the GEMV kernels"),
      llvm::cl::init(8)};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("NVPTX optimisation level"),
                            llvm::cl::init(3)};
};

/// The PTX feature string used for a chip when none is given.
std::string defaultPTXFeatures(llvm::StringRef chip);

/// Appends qf-lower-to-gpu, the NVVM lowering and gpu-module-to-binary.
void buildQFNVPTXPipeline(mlir::OpPassManager &pm,
                          const QFNVPTXPipelineOptions &options);

/// Registers `qf-nvptx-pipeline`.
void registerQFNVPTXPipeline();

} // namespace qforge

#endif // QFORGE_CONVERSION_QFTOGPU_QFTOGPU_H
