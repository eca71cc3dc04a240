//===- AllocationTest.cpp - Fisher bit allocation -------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Allocation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qforge::num;

TEST(Allocation, ClosedFormHandComputed) {
  // F s^2 = 1 and 16, one element each: G = 4, b = 4 -/+ 1.
  auto b = closedFormBits({{1, 1.0, 1.0}, {1, 4.0, 4.0}}, 4.0);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NEAR(b[0], 3.0, 1e-12);
  EXPECT_NEAR(b[1], 5.0, 1e-12);
  // n = 3 and 1, F s^2 = 1 and 256: G = 2^(8/4) = 4; b = 3 and 7, and the
  // element-weighted mean is the budget: 3*3 + 7 = 16 = 4 * 4.
  std::vector<AllocTensor> t = {{3, 0.5, 2.0}, {1, 256.0, 1.0}};
  EXPECT_NEAR(closedFormG(t), 4.0, 1e-12);
  b = closedFormBits(t, 4.0);
  EXPECT_NEAR(b[0], 3.0, 1e-12);
  EXPECT_NEAR(b[1], 7.0, 1e-12);
  // Clamped to [2, 6]: b2 = 6, then 3 b1 + 6 = 16 -> b1 = 10/3.
  b = clampedClosedFormBits(t, 4.0, 2.0, 6.0);
  EXPECT_NEAR(b[1], 6.0, 1e-9);
  EXPECT_NEAR(b[0], 10.0 / 3.0, 1e-9);
  // Equal sensitivities give the uniform allocation.
  b = closedFormBits({{10, 2, 3}, {20, 3, 2}}, 3.5);
  EXPECT_NEAR(b[0], 3.5, 1e-12);
  EXPECT_NEAR(b[1], 3.5, 1e-12);
}

/// Integer element bits 2..8 with a 0.25 bit/param scale overhead
/// (16-bit scale per 64), model distortion n F s^2 2^{-2b} * noise.
static std::vector<AllocUnit> randomModel(std::mt19937_64 &rng, int tensors,
                                          std::vector<AllocTensor> &model,
                                          bool noise) {
  std::uniform_int_distribution<int> sizeD(1, 64);
  std::uniform_real_distribution<double> logF(0.0, std::log(1000.0));
  std::uniform_real_distribution<double> noiseD(0.8, 1.25);
  std::vector<AllocUnit> units;
  model.clear();
  for (int i = 0; i < tensors; ++i) {
    AllocTensor t{64 * sizeD(rng), std::exp(logF(rng)),
                  std::exp(logF(rng) / 3)};
    AllocUnit u;
    u.numel = t.numel;
    for (int b = 2; b <= 8; ++b) {
      double d = static_cast<double>(t.numel) * t.fisher * t.variance *
                 std::exp2(-2.0 * b) * (noise ? noiseD(rng) : 1.0);
      u.options.push_back({b + 0.25, d});
    }
    units.push_back(u);
    model.push_back(t);
  }
  return units;
}

TEST(Allocation, RdExactNeverAboveBudgetAndBeatsClosedForm) {
  std::mt19937_64 rng(42);
  for (int m = 0; m < 100; ++m) {
    std::vector<AllocTensor> model;
    auto units = randomModel(rng, 8 + m % 40, model, /*noise=*/true);
    double sumN = 0;
    for (auto &u : units)
      sumN += static_cast<double>(u.numel);
    double avg = 2.5 + (m % 11) * 0.5; // 2.5 .. 7.5 bits/param
    AllocResult cf, rd;
    ASSERT_TRUE(closedFormAllocate(units, model, avg, cf).ok());
    ASSERT_TRUE(rdExactAllocate(units, avg * sumN, rd).ok());
    EXPECT_LE(cf.totalBits, avg * sumN + 1e-6) << "model " << m;
    EXPECT_LE(rd.totalBits, avg * sumN + 1e-6) << "model " << m;
    EXPECT_LE(rd.distortion, cf.distortion * (1 + 1e-12)) << "model " << m;
    EXPECT_TRUE(rd.exact);
  }
}

TEST(Allocation, RdExactFillsTheBudget) {
  std::mt19937_64 rng(7);
  std::vector<AllocTensor> model;
  auto units = randomModel(rng, 64, model, true);
  double sumN = 0;
  for (auto &u : units)
    sumN += static_cast<double>(u.numel);
  for (double avg : {3.25, 4.25, 4.5, 5.0}) {
    AllocResult rd;
    ASSERT_TRUE(rdExactAllocate(units, avg * sumN, rd).ok());
    EXPECT_LE(rd.bitsPerParam, avg + 1e-9);
    EXPECT_GE(rd.bitsPerParam, avg - 0.01) << avg;
  }
}

TEST(Allocation, LagrangianFallbackStaysFeasible) {
  // Non-integral costs disable the exact DP: Lagrangian + greedy repair.
  std::vector<AllocUnit> units;
  for (int i = 0; i < 20; ++i) {
    AllocUnit u;
    u.numel = 1000 + 37 * i;
    for (int b = 2; b <= 8; ++b)
      u.options.push_back(
          {b + 0.3333333, (i + 1) * std::exp2(-2.0 * b) * u.numel});
    units.push_back(u);
  }
  double sumN = 0;
  for (auto &u : units)
    sumN += static_cast<double>(u.numel);
  AllocResult rd;
  ASSERT_TRUE(rdExactAllocate(units, 4.1 * sumN, rd).ok());
  EXPECT_FALSE(rd.exact);
  EXPECT_LE(rd.totalBits, 4.1 * sumN);
}

TEST(Allocation, ImpossibleBudgetIsAnError) {
  std::vector<AllocUnit> units = {{100, {{2.0, 1.0}, {4.0, 0.5}}}};
  AllocResult r;
  Status s = rdExactAllocate(units, 150.0, r);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("impossible budget"), std::string::npos);
  EXPECT_FALSE(rdExactAllocate(units, -1.0, r).ok());
}

/// The paper's headline on the distortion model MSE = c s^2 2^{-2b} of a
/// block-scaled Student-t tensor: Fisher spread over 3 orders of magnitude
/// reaches the predicted KL of uniform 4 bits with >= 0.2 bit/param less.
TEST(Allocation, HeadlineFisherSavesBits) {
  std::mt19937_64 rng(2025);
  std::uniform_real_distribution<double> logF(0.0, std::log(1000.0));
  std::vector<AllocUnit> units;
  double sumN = 0, klUniform = 0;
  for (int i = 0; i < 64; ++i) {
    int64_t n = 4096 * (1 + i % 4);
    double f = std::exp(logF(rng)), s2 = 0.01 * (1 + (i % 7));
    AllocUnit u;
    u.numel = n;
    for (int b = 2; b <= 8; ++b) {
      double kl = 0.5 * f * n * s2 * std::exp2(-2.0 * b);
      u.options.push_back({b + 0.25, kl});
      if (b == 4)
        klUniform += kl;
    }
    units.push_back(u);
    sumN += static_cast<double>(n);
  }
  // Smallest budget (on a 1/64 bit grid) whose exact allocation reaches the
  // uniform 4-bit KL.
  double best = 4.25;
  for (double avg = 4.25; avg >= 2.25; avg -= 1.0 / 64) {
    AllocResult r;
    ASSERT_TRUE(rdExactAllocate(units, avg * sumN, r).ok());
    if (r.distortion > klUniform)
      break;
    best = r.bitsPerParam;
  }
  EXPECT_GE(4.25 - best, 0.2);
}
