//===- ModCap.cpp - Module capacity and oscillation-aware grouping --------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/ModCap.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace qforge::num;

double qforge::num::modCapStridePenalty(int64_t stride) {
  return stride <= 1 ? 1.0 : 1.0 / static_cast<double>(stride);
}

double qforge::num::modCapCapacity(const ModCapModule &m) {
  double c = 0;
  for (const ModCapLayer &l : m.layers)
    c += static_cast<double>(l.params) * l.bits * modCapStridePenalty(l.stride);
  return c;
}

ModCapResult qforge::num::modCapGroup(const std::vector<ModCapModule> &modules,
                                      int64_t k) {
  ModCapResult r;
  size_t n = modules.size();
  for (const ModCapModule &m : modules)
    r.capacity.push_back(modCapCapacity(m));
  size_t pairs = n > 0 ? n - 1 : 0;
  for (size_t i = 0; i < pairs; ++i)
    r.differential.push_back(std::fabs(r.capacity[i + 1] - r.capacity[i]));
  r.merged.assign(pairs, false);
  std::vector<size_t> order(pairs);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return r.differential[a] > r.differential[b];
  });
  size_t take = k <= 0 ? 0 : std::min<size_t>(static_cast<size_t>(k), pairs);
  // A pair without a capacity change cannot oscillate: never merged.
  for (size_t i = 0; i < take; ++i)
    if (r.differential[order[i]] > 0)
      r.merged[order[i]] = true;
  r.unit.assign(n, 0);
  int u = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && !r.merged[i - 1])
      ++u;
    r.unit[i] = u;
  }
  r.numUnits = n > 0 ? u + 1 : 0;
  return r;
}
