//===- Runner.h - Running compiled QForge GPU kernels -----------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The device side of qforge-gpu-run, free of LLVM and MLIR: given the PTX of
// one qf op and the metadata of its kernels, it opens the first CUDA device,
// generates and quantizes random weights (and activations) with fixed seeds,
// runs the kernels, checks the result against the CPU reference (Check.h)
// and times them against a device-to-device copy. qforge-gpu-run calls it
// after compiling in process; qforge-gpu-exec calls it on a bundle (Bundle.h)
// written by `qforge-gpu-run --compile-only --bundle-out`, so that kernels
// can run on a machine without LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_TOOLS_QFORGE_GPU_RUN_RUNNER_H
#define QFORGE_TOOLS_QFORGE_GPU_RUN_RUNNER_H

#include "Check.h"

#include "qforge/Numerics/Format.h"

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace qforge::gpurun {

/// One kernel of a compiled qf op, in launch order (a qf op may launch
/// several: an outlier scatter after a dequantization, the activation
/// transform before a Kashin GEMV).
struct KernelMeta {
  std::string name;
  std::array<int, 3> grid{1, 1, 1}, block{1, 1, 1};
  /// The role of each argument (qf.kernel_args): a section of the quantized
  /// tensor ("codes", "scales", ...), "lhs", "out", "scratch", "workspace".
  std::vector<std::string> args;
  /// Dynamic shared memory to pass at launch (qf.dynamic_shared_bytes).
  unsigned dynamicShared = 0;
  /// Bytes of the `scratch` and `workspace` arguments (qf.scratch_bytes,
  /// qf.workspace_bytes): global buffers the runner allocates.
  uint64_t scratchBytes = 0, workspaceBytes = 0;
};

/// "kernel NAME grid XxYxZ block XxYxZ args A B ... [dynamic-shared N]
/// [scratch-bytes N] [workspace-bytes N]", without a newline: the line of
/// `qforge-gpu-run --compile-only` and of a bundle's header.
std::string describeKernel(const KernelMeta &meta);

/// What to run, as given on the command line.
struct RunOptions {
  /// Prefix of diagnostics ("qforge-gpu-run", "qforge-gpu-exec").
  std::string tool = "qforge-gpu-run";
  std::string kernel = "dequant"; ///< dequant or gemv
  std::string format = "int4:g128:f16";
  std::string shape = "4096x4096"; ///< NxK (gemv: [N, K] = nn.Linear)
  int64_t m = 1;                   ///< activation rows (gemv)
  std::string dtype = "f16";       ///< activations and outputs
  int iters = 20;                  ///< timed repetitions
  uint64_t seed = 1;
  bool json = false; ///< print one JSON object instead of a table row
  /// If set, a file to hold an exclusive flock(2) on while the device is in
  /// use (from creating the context to releasing it): runs started in
  /// parallel prepare their data (quantization, CPU reference) at the same
  /// time but use the GPU, and are timed, one at a time.
  std::string gpuLock;
};

/// RunOptions, validated and parsed.
struct RunConfig {
  bool gemv = false;
  int64_t n = 0, k = 0, m = 0; ///< m is 0 for a dequantization
  DType dtype = DType::F16;
  num::FormatSpec spec;
};

/// Validates `opts` into `cfg`. Returns 0, or prints "TOOL: why" to `err`
/// and returns 2 (bad usage).
int parseRunOptions(const RunOptions &opts, RunConfig &cfg, std::ostream &err);

/// Opens the CUDA driver and the first device: prints "CUDA device: NAME"
/// to `out` and returns 0, or prints why not to `err` and returns
/// kExitNoDevice (or 1 if a driver call fails).
int probeDevice(const std::string &tool, std::ostream &out, std::ostream &err);

/// Runs, checks and times `kernels` (from `ptx`) on the first CUDA device
/// and prints one row (or one JSON object) to `out`. The CPU work (random
/// data, quantization, reference) comes before the device work, which holds
/// `opts.gpuLock` if set. Returns the exit status
/// of qforge-gpu-run: 0 success, 1 wrong results or a failed CUDA call, 2 bad
/// usage, kExitNoDevice without a driver or device.
int runKernels(const std::string &ptx, const std::vector<KernelMeta> &kernels,
               const RunOptions &opts, const RunConfig &cfg, std::ostream &out,
               std::ostream &err);

} // namespace qforge::gpurun

#endif // QFORGE_TOOLS_QFORGE_GPU_RUN_RUNNER_H
