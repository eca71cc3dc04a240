//===- QFToVector.h - qf to vector lowering and CPU pipeline ----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The CPU code generation path: `qf-lower-to-vector` (Passes.td) rewrites
// qf.dequantize and qf.matmul into scf/vector/arith code; the registered
// pipeline `qf-cpu-pipeline{target=...}` continues through bufferization
// to the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_CONVERSION_QFTOVECTOR_QFTOVECTOR_H
#define QFORGE_CONVERSION_QFTOVECTOR_QFTOVECTOR_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace qforge {

struct QFCPUPipelineOptions
    : public mlir::PassPipelineOptions<QFCPUPipelineOptions> {
  Option<std::string> target{
      *this, "target", llvm::cl::desc("avx2, avx512, neon, generic or host"),
      llvm::cl::init("host")};
  Option<int64_t> nontemporalBytes{
      *this, "nontemporal-bytes",
      llvm::cl::desc("qf.dequantize results of at least this many bytes "
                     "are written with non-temporal stores (0: never)"),
      llvm::cl::init(int64_t(32) << 20)};
  Option<std::string> dotPrecision{
      *this, "dot-precision",
      llvm::cl::desc(
          "Fused GEMV dot products: f32 (exact products), "
          "bf16x2 (bf16 weights times activations split into "
          "two bf16 halves; avx512 with AVX512_BF16) or i8 "
          "(integer weights, or tables of up to 16 values rounded to "
          "16 bits, times int8 activation blocks; "
          "avx512 with AVX512_VNNI)"),
      llvm::cl::init("f32")};
};

/// qf + linalg/tensor/func -> LLVM dialect: qf-lower-to-vector, one-shot
/// bufferization (function boundaries, identity layouts), dropping of
/// results equivalent to arguments, and the conversions to LLVM.
void buildQFCPUPipeline(mlir::OpPassManager &pm,
                        const QFCPUPipelineOptions &options);

/// Registers `qf-cpu-pipeline`.
void registerQFCPUPipeline();

/// The concrete target (`avx2`, `avx512` or `neon`, or `generic`) that
/// `target` names; `host` is resolved from the running CPU.
std::string resolveCPUTarget(llvm::StringRef target);

/// Whether the running CPU has AVX-512 with AVX512_BF16 (vdpbf16ps).
bool hostHasAVX512BF16();

/// Whether the running CPU has AVX-512 (BW) with AVX512_VNNI (vpdpbusd).
bool hostHasAVX512VNNI();

} // namespace qforge

#endif // QFORGE_CONVERSION_QFTOVECTOR_QFTOVECTOR_H
