//===- Bundle.h - Compiled QForge GPU kernels in one file -------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A bundle is what `qforge-gpu-run --compile-only --bundle-out FILE` writes
// and `qforge-gpu-exec --bundle FILE` runs: the PTX of one qf op and
// everything needed to launch it, in one text file.
//
//   qforge-gpu-bundle 1
//   op dequant format int4:g128:f16 shape 16384x8192 m 0 dtype f16 chip sm_90
//   kernel qf_run_dequant0 grid 65536x1x1 block 256x1x1 args codes scales out
//   ...                                   (one line per kernel, launch order)
//   ptx-bytes 12345
//   <exactly ptx-bytes bytes of PTX>
//
// The `kernel` lines are those of `qforge-gpu-run --compile-only`
// (describeKernel). The `op` line records what was compiled: the kernels'
// grids and buffers are only valid for that op, so qforge-gpu-exec refuses
// options that disagree with it.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_TOOLS_QFORGE_GPU_RUN_BUNDLE_H
#define QFORGE_TOOLS_QFORGE_GPU_RUN_BUNDLE_H

#include "Runner.h"

#include <string>
#include <vector>

namespace qforge::gpurun {

struct Bundle {
  /// The compiled op: --kernel, --format (canonical), --shape, --m (0 for a
  /// dequantization), --dtype and --chip of the compilation.
  std::string kernel, format, shape, dtype, chip;
  int64_t m = 0;
  std::vector<KernelMeta> kernels;
  std::string ptx;
};

/// The text of a bundle.
std::string printBundle(const Bundle &b);

/// Parses the text of a bundle; on failure returns false and says why
/// (with the line number where it applies).
bool parseBundle(const std::string &text, Bundle &b, std::string &err);

} // namespace qforge::gpurun

#endif // QFORGE_TOOLS_QFORGE_GPU_RUN_BUNDLE_H
