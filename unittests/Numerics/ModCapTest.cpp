//===- ModCapTest.cpp - Data-free ModCap grouping -------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/ModCap.h"
#include "qforge/Numerics/Allocation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qforge::num;

TEST(ModCap, StridePenaltyAndCapacity) {
  EXPECT_EQ(modCapStridePenalty(1), 1.0);
  EXPECT_EQ(modCapStridePenalty(0), 1.0);
  EXPECT_EQ(modCapStridePenalty(2), 0.5);
  EXPECT_EQ(modCapStridePenalty(4), 0.25);
  ModCapModule m{"m", {{100, 4, 1}, {200, 2, 2}}};
  EXPECT_DOUBLE_EQ(modCapCapacity(m), 100 * 4 + 200 * 2 * 0.5);
}

TEST(ModCap, TopKMergesWithChains) {
  // Capacities 10, 100, 110, 10, 12: differentials 90, 10, 100, 2.
  std::vector<ModCapModule> ms;
  for (double c : {10.0, 100.0, 110.0, 10.0, 12.0})
    ms.push_back({"m", {{static_cast<int64_t>(c), 1.0, 1}}});
  ModCapResult r = modCapGroup(ms, 2);
  ASSERT_EQ(r.differential.size(), 4u);
  EXPECT_DOUBLE_EQ(r.differential[0], 90);
  EXPECT_DOUBLE_EQ(r.differential[2], 100);
  EXPECT_TRUE(r.merged[0]);
  EXPECT_FALSE(r.merged[1]);
  EXPECT_TRUE(r.merged[2]);
  EXPECT_EQ(r.unit, (std::vector<int>{0, 0, 1, 1, 2}));
  EXPECT_EQ(r.numUnits, 3);
  // k = 3 chains 0-1-2-3.
  r = modCapGroup(ms, 3);
  EXPECT_EQ(r.unit, (std::vector<int>{0, 0, 0, 0, 1}));
  // k = 0: one unit per module; k beyond the pairs: one unit.
  EXPECT_EQ(modCapGroup(ms, 0).unit, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(modCapGroup(ms, 99).numUnits, 1);
  EXPECT_EQ(modCapGroup({}, 3).numUnits, 0);
  // Equal capacities: nothing to merge whatever k.
  std::vector<ModCapModule> same(3, ModCapModule{"m", {{16, 4.0, 1}}});
  EXPECT_EQ(modCapGroup(same, 2).numUnits, 3);
}

TEST(ModCap, OneGroupPerTensorChangesNothing) {
  // Tensors allocated individually versus through ModCap units of one
  // tensor each (one module per tensor, k = 0): identical choices.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> logF(0, std::log(1000.0));
  std::vector<AllocUnit> tensors;
  std::vector<ModCapModule> modules;
  for (int i = 0; i < 32; ++i) {
    AllocUnit u;
    u.numel = 64 * (1 + i % 5);
    double f = std::exp(logF(rng));
    for (int b = 2; b <= 8; ++b)
      u.options.push_back({b + 0.25, f * u.numel * std::exp2(-2.0 * b)});
    tensors.push_back(u);
    modules.push_back({"t" + std::to_string(i), {{u.numel, 4.0, 1}}});
  }
  ModCapResult g = modCapGroup(modules, 0);
  ASSERT_EQ(g.numUnits, 32);
  std::vector<AllocUnit> units(g.numUnits);
  for (size_t i = 0; i < tensors.size(); ++i) {
    AllocUnit &u = units[g.unit[i]];
    if (u.options.empty())
      u.options.assign(tensors[i].options.size(), RDPoint{});
    u.numel += tensors[i].numel;
    for (size_t k = 0; k < u.options.size(); ++k) {
      u.options[k].rate = tensors[i].options[k].rate;
      u.options[k].distortion += tensors[i].options[k].distortion;
    }
  }
  double sumN = 0;
  for (auto &t : tensors)
    sumN += static_cast<double>(t.numel);
  AllocResult a, b;
  ASSERT_TRUE(rdExactAllocate(tensors, 4.25 * sumN, a).ok());
  ASSERT_TRUE(rdExactAllocate(units, 4.25 * sumN, b).ok());
  std::vector<int> mapped;
  for (size_t i = 0; i < tensors.size(); ++i)
    mapped.push_back(b.choice[g.unit[i]]);
  EXPECT_EQ(a.choice, mapped);
}
