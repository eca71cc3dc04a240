//===- KernelBuilder.h - GPU kernel emission for qf ops ---------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal interface between the qf-lower-to-gpu pass (host side, launch
// plumbing) and the kernel bodies.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_LIB_CONVERSION_QFTOGPU_KERNELBUILDER_H
#define QFORGE_LIB_CONVERSION_QFTOGPU_KERNELBUILDER_H

#include "qforge/Numerics/Format.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallVector.h"

#include <array>
#include <string>

namespace qforge::gpu_lowering {

/// What the kernels of one quantized weight read and how.
struct WeightPlan {
  num::FormatSpec spec;
  llvm::SmallVector<int64_t> shape;
  int64_t numel = 0;
  /// Plain layout: 32-bit words per thread (4 = one 128-bit load) and the
  /// number of elements they hold. GGUF layouts: one block per thread.
  unsigned words = 0;
  unsigned elemsPerThread = 0;
  /// Elements that share one scale along the flat order (Plain, Block or
  /// Channel granularity): group = (flat / groupStride) % groupCount.
  int64_t groupStride = 0, groupCount = 1;
  bool isGGUF = false;
  /// Bytes of one GGUF block (18 for q4_0/iq4_nl, 34 for q8_0).
  unsigned ggufBlockBytes = 0;
  /// Kernel argument types of the weight's sections, in Section order.
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<std::string> argNames;
  llvm::SmallVector<num::Section> argSections;
};

/// Checks that the GPU kernels can read `spec` for a tensor of `shape`, with
/// at most `maxElemsPerThread` elements per thread along runs of `rowLength`
/// contiguous elements (0 = no constraint), and fills `plan`. On failure
/// returns false and sets `why`.
bool planWeight(const num::FormatSpec &spec, llvm::ArrayRef<int64_t> shape,
                int64_t rowLength, unsigned maxWords, mlir::MLIRContext *ctx,
                WeightPlan &plan, std::string &why);

struct KernelOptions {
  std::string chip = "sm_80";
  unsigned blockSize = 256;
  unsigned warpsPerBlock = 8;
  /// SM architecture number parsed from `chip` (80, 90, ...).
  unsigned smVersion() const;
};

/// A built kernel and its launch configuration.
struct KernelInfo {
  mlir::gpu::GPUFuncOp func;
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
};

/// Builds `out[i] = dequantize(weight)[i]` (flat) into `module`.
KernelInfo buildDequantKernel(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::gpu::GPUModuleOp module,
                              llvm::StringRef name, const WeightPlan &w,
                              mlir::Type outElemType,
                              const KernelOptions &opts);

/// Builds `out[m, n] = sum_k lhs[m, k] * W[n, k]` for a weight stored
/// [N, K] (transpose_weight), M <= 16 rows of activations.
KernelInfo buildGemvKernel(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                           const WeightPlan &w, int64_t m, int64_t n, int64_t k,
                           mlir::Type lhsElemType, mlir::Type outElemType,
                           const KernelOptions &opts);

/// Shared-memory bytes of the activation tile of a GEMV kernel.
int64_t gemvSharedBytes(const WeightPlan &w, int64_t m);

} // namespace qforge::gpu_lowering

#endif // QFORGE_LIB_CONVERSION_QFTOGPU_KERNELBUILDER_H
