//===- Support.cpp - Status and parallel helpers for Numerics -------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Support.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace qforge::num;

unsigned qforge::num::defaultThreadCount() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

void qforge::num::parallelFor(
    int64_t n, int64_t grain, unsigned threads,
    const std::function<void(int64_t, int64_t)> &body) {
  if (n <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks = (n + grain - 1) / grain;
  if (threads == 0)
    threads = defaultThreadCount();
  unsigned workers =
      static_cast<unsigned>(std::min<int64_t>(threads, chunks));
  auto runChunk = [&](int64_t c) {
    int64_t begin = c * grain;
    body(begin, std::min(n, begin + grain));
  };
  if (workers <= 1) {
    for (int64_t c = 0; c < chunks; ++c)
      runChunk(c);
    return;
  }
  // Chunks are claimed dynamically, but their boundaries are fixed by
  // (n, grain) alone, so results do not depend on the schedule.
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (int64_t c = next++; c < chunks; c = next++)
      runChunk(c);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (unsigned i = 1; i < workers; ++i)
    pool.emplace_back(worker);
  worker();
  for (auto &t : pool)
    t.join();
}
