//===- CPUKernels.cpp - Calling the AOT-compiled CPU kernels --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "CPUKernels.h"

#include "qforge/Numerics/Random.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace qforge;
using namespace qforge::bench;

#define QFORGE_CPU_KERNEL(NAME, FMT, KIND, R, C, M, T)                         \
  extern "C" void _mlir_ciface_##NAME();
#include "BenchKernels.inc"
#undef QFORGE_CPU_KERNEL

const std::vector<CPUKernel> &qforge::bench::benchKernels() {
  static const std::vector<CPUKernel> k = {
#define QFORGE_CPU_KERNEL(NAME, FMT, KIND, R, C, M, T)                         \
  {#NAME, FMT, KernelKind::KIND, R, C, M, T, &_mlir_ciface_##NAME},
#include "BenchKernels.inc"
#undef QFORGE_CPU_KERNEL
  };
  return k;
}

const CPUKernel *qforge::bench::findKernel(KernelKind kind,
                                           const std::string &format,
                                           int64_t cols,
                                           const std::string &dot) {
  // Registry targets of the dot-precision kernels.
  const char *label = dot == "bf16x2" ? "avx512bf16"
                      : dot == "i8"   ? "avx512vnni"
                                      : nullptr;
  for (const CPUKernel &k : benchKernels()) {
    bool special = std::strcmp(k.target, "avx512bf16") == 0 ||
                   std::strcmp(k.target, "avx512vnni") == 0;
    if (k.kind == kind && format == k.format && k.cols == cols &&
        (label ? std::strcmp(k.target, label) == 0 : !special))
      return &k;
  }
  return nullptr;
}

bool qforge::bench::cpuHasAVX512BF16() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

bool qforge::bench::cpuHasAVX512VNNI() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx512vnni") &&
         __builtin_cpu_supports("avx512bw");
#else
  return false;
#endif
}

namespace {
/// A ranked memref descriptor as the C interface passes it.
template <int N> struct MemRef {
  const void *allocated = nullptr;
  const void *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizes[N] = {};
  int64_t strides[N] = {};
};

template <int N>
MemRef<N> describe(const void *data, std::initializer_list<int64_t> shape) {
  MemRef<N> d;
  d.allocated = d.aligned = data;
  int i = 0;
  for (int64_t s : shape)
    d.sizes[i++] = s;
  int64_t stride = 1;
  for (int k = N - 1; k >= 0; --k) {
    d.strides[k] = stride;
    stride *= d.sizes[k];
  }
  return d;
}
} // namespace

static size_t packedSize(const num::QuantizedTensor &q) {
  size_t n = 0;
  for (const auto &sec : q.sections)
    n += (sec.size() + 63) / 64 * 64;
  return n;
}

PackedWeight::PackedWeight(const num::QuantizedTensor &q)
    : buffer(std::max<size_t>(packedSize(q), 64)) {
  auto *p = static_cast<uint8_t *>(buffer.data());
  base = p;
  size_t at = 0;
  for (unsigned s = 0; s < num::kNumSections; ++s) {
    offset[s] = at;
    bytes[s] = q.sections[s].size();
    if (bytes[s])
      std::memcpy(p + at, q.sections[s].data(), bytes[s]);
    at += (bytes[s] + 63) / 64 * 64;
  }
}

void qforge::bench::runKernel(const CPUKernel &k, const PackedWeight &w,
                              const float *x, float *out) {
  MemRef<2> result, xd, od;
  MemRef<1> secs[num::kNumSections];
  void *a[num::kNumSections + 3];
  unsigned n = 0, ns = 0;
  a[n++] = &result;
  if (k.kind == KernelKind::gemv) {
    xd = describe<2>(x, {k.m, k.cols});
    a[n++] = &xd;
  }
  for (unsigned s = 0; s < num::kNumSections; ++s)
    if (w.sectionBytes(s)) {
      secs[ns] = describe<1>(w.section(s), {int64_t(w.sectionBytes(s))});
      a[n++] = &secs[ns++];
    }
  od = k.kind == KernelKind::gemv ? describe<2>(out, {k.m, k.rows})
                                  : describe<2>(out, {k.rows, k.cols});
  a[n++] = &od;
  using P = void *;
  switch (n) {
  case 3:
    reinterpret_cast<void (*)(P, P, P)>(k.fn)(a[0], a[1], a[2]);
    return;
  case 4:
    reinterpret_cast<void (*)(P, P, P, P)>(k.fn)(a[0], a[1], a[2], a[3]);
    return;
  case 5:
    reinterpret_cast<void (*)(P, P, P, P, P)>(k.fn)(a[0], a[1], a[2], a[3],
                                                    a[4]);
    return;
  case 6: // a third section: zero points
    reinterpret_cast<void (*)(P, P, P, P, P, P)>(k.fn)(a[0], a[1], a[2], a[3],
                                                       a[4], a[5]);
    return;
  default:
    std::fprintf(stderr, "qforge-bench: kernel %s has %u arguments\n", k.name,
                 n);
    std::abort();
  }
}

bool qforge::bench::quantizeGemvHalves(
    const num::FormatSpec &f, int64_t rows, int64_t K, unsigned threads,
    const char *bench, std::vector<num::QuantizedTensor> &halves) {
  std::vector<int64_t> half = {rows, K};
  num::QuantizeOptions qo;
  qo.threads = threads;
  halves.assign(2, num::QuantizedTensor());
  for (int h = 0; h < 2; ++h) {
    std::vector<float> w = num::normalSamples(rows * K, 7 + h);
    if (!num::quantize(w.data(), half, f, qo, halves[h])) {
      std::fprintf(stderr, "qforge-bench %s: cannot quantize '%s'\n", bench,
                   f.str().c_str());
      return false;
    }
  }
  return true;
}

int qforge::bench::gemvCopies(const Args &args,
                              const std::vector<num::QuantizedTensor> &halves) {
  if (int64_t c = args.getInt("copies", 0); c > 0)
    return static_cast<int>(c);
  const int64_t minWorkingSet = 450ll << 20;
  uint64_t bytes = 0;
  for (const num::QuantizedTensor &h : halves)
    bytes += h.totalBytes();
  return static_cast<int>(
      std::max<int64_t>(2, (minWorkingSet + bytes - 1) / bytes));
}

ThreadPair::ThreadPair() {
  helper = std::thread([this] {
    uint64_t seen = 0;
    while (true) {
      uint64_t g;
      while ((g = generation.load(std::memory_order_acquire)) == seen &&
             !stop.load(std::memory_order_relaxed))
        std::this_thread::yield();
      if (stop.load())
        return;
      seen = g;
      (*work)(1);
      done.store(g, std::memory_order_release);
    }
  });
}

ThreadPair::~ThreadPair() {
  stop.store(true);
  helper.join();
}

void ThreadPair::run(const std::function<void(int)> &fn) {
  work = &fn;
  uint64_t g = generation.load() + 1;
  generation.store(g, std::memory_order_release);
  fn(0);
  while (done.load(std::memory_order_acquire) != g)
    std::this_thread::yield();
}

double
qforge::bench::timeRotatingPair(int copies, int reps,
                                const std::function<void(int, int)> &fn) {
  ThreadPair pair;
  int copy = 0;
  return medianTime(
      [&] {
        int c = copy++ % copies;
        pair.run([&](int h) { fn(c, h); });
      },
      reps);
}
