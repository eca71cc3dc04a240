//===- CPUKernels.h - Calling the AOT-compiled CPU kernels ------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The kernels of `qforge-bench dequant|gemv` are compiled by the build from
// MLIR (tools/qforge-bench/kernels: quant-opt --qf-cpu-pipeline, llc). Each
// kernel handles a tensor of half the rows; two threads run one half each.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_TOOLS_BENCH_CPUKERNELS_H
#define QFORGE_TOOLS_BENCH_CPUKERNELS_H

#include "Bench.h"

#include "qforge/Numerics/Quantizer.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace qforge::bench {

enum class KernelKind { dequant, gemv };

struct CPUKernel {
  const char *name;
  const char *format;
  KernelKind kind;
  int64_t rows, cols, m; ///< the tensor one call handles (half the rows)
  const char *target;    ///< "avx512bf16" / "avx512vnni" for the
                         ///< dot-precision=bf16x2 / i8 kernels
  void (*fn)();
};

/// All kernels linked into qforge-bench (BenchKernels.inc).
const std::vector<CPUKernel> &benchKernels();
/// The kernel of `kind` for `format` with `cols` columns compiled with
/// dot-precision=`dot` (f32, bf16x2 or i8), or null.
const CPUKernel *findKernel(KernelKind kind, const std::string &format,
                            int64_t cols, const std::string &dot = "f32");

/// Whether this CPU runs the bf16x2 kernels (AVX512_BF16).
bool cpuHasAVX512BF16();

/// Whether this CPU runs the i8 kernels (AVX512_VNNI).
bool cpuHasAVX512VNNI();

/// Runs `k` on the quantized tensor `q` (shape [k.rows, k.cols]); for GEMV
/// `x` is [k.m, k.cols] and `out` [k.m, k.rows], for dequantization `out`
/// is [k.rows, k.cols].
/// The sections of a quantized tensor copied into one LargeBuffer (each
/// section 64-byte aligned), i.e. on the pages of pages().
class PackedWeight {
public:
  explicit PackedWeight(const num::QuantizedTensor &q);
  const uint8_t *section(unsigned s) const { return base + offset[s]; }
  size_t sectionBytes(unsigned s) const { return bytes[s]; }

private:
  LargeBuffer buffer;
  const uint8_t *base = nullptr;
  size_t offset[num::kNumSections] = {}, bytes[num::kNumSections] = {};
};

void runKernel(const CPUKernel &k, const PackedWeight &w, const float *x,
               float *out);

/// Two threads (the caller and one helper) running fn(0) and fn(1)
/// together; the helper spins between calls so that no thread start is
/// timed.
class ThreadPair {
public:
  ThreadPair();
  ~ThreadPair();
  void run(const std::function<void(int)> &fn);

private:
  std::thread helper;
  std::atomic<uint64_t> generation{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  const std::function<void(int)> *work = nullptr;
};

/// The weights of the GEMV benchmarks (`gemv`, `ggml`): one [rows, K]
/// half per thread, quantized to `f` from normal samples (seeds 7 and 8).
/// Prints an error naming `bench` and returns false when `f` cannot
/// quantize them.
bool quantizeGemvHalves(const num::FormatSpec &f, int64_t rows, int64_t K,
                        unsigned threads, const char *bench,
                        std::vector<num::QuantizedTensor> &halves);

/// How many copies of `halves` rotate: --copies C, else enough to exceed
/// 450 MB (at least 2).
int gemvCopies(const Args &args,
               const std::vector<num::QuantizedTensor> &halves);

/// Median seconds of `reps` calls, each running fn(copy, 0) and
/// fn(copy, 1) on a ThreadPair, `copy` rotating over [0, copies).
double timeRotatingPair(int copies, int reps,
                        const std::function<void(int, int)> &fn);

} // namespace qforge::bench

#endif // QFORGE_TOOLS_BENCH_CPUKERNELS_H
