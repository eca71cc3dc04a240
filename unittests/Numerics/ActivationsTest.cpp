//===- ActivationsTest.cpp - Int8 activation blocks -----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Activations.h"
#include "qforge/Numerics/Random.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <vector>

using namespace qforge::num;

namespace {

TEST(ActivationsInt8, BlocksOf32RoundToNearestEven) {
  // Block 0: largest magnitude 127, so codes are x rounded to nearest even.
  std::vector<float> x(40, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;  // tie: 2
  x[2] = -3.5f; // tie: -4
  x[3] = 0.49f; // 0
  x[4] = -127.0f;
  // Block 1 (8 elements, the short last block): largest magnitude 0.5.
  x[32] = 0.5f;
  x[33] = -0.25f;
  std::vector<int8_t> q(40, 99);
  std::vector<float> s(2, -1.0f);
  quantizeActivationsInt8(x.data(), 40, q.data(), s.data());
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], 2);
  EXPECT_EQ(q[2], -4);
  EXPECT_EQ(q[3], 0);
  EXPECT_EQ(q[4], -127);
  EXPECT_EQ(s[1], 0.5f / 127.0f);
  EXPECT_EQ(q[32], 127);
  EXPECT_EQ(q[33], -64); // -63.5: tie to even
  EXPECT_EQ(q[39], 0);
}

TEST(ActivationsInt8, ErrorAtMostHalfAScale) {
  std::vector<float> x = normalSamples(1024, 3);
  for (int64_t i = 0; i < 1024; i += 97)
    x[i] *= 1e4f; // blocks of very different ranges
  std::vector<int8_t> q(x.size());
  std::vector<float> s(x.size() / 32);
  quantizeActivationsInt8(x.data(), int64_t(x.size()), q.data(), s.data());
  for (size_t i = 0; i < x.size(); ++i) {
    double sc = s[i / 32];
    EXPECT_LE(std::fabs(double(x[i]) - sc * q[i]), 0.5 * sc * (1 + 1e-6))
        << "element " << i;
    EXPECT_LE(std::abs(int(q[i])), 127);
  }
}

TEST(ActivationsInt8, ZeroAndNonFiniteBlocks) {
  std::vector<float> x(96, 1.0f);
  for (int i = 0; i < 32; ++i)
    x[i] = 0.0f;
  x[40] = std::numeric_limits<float>::infinity();
  x[70] = std::numeric_limits<float>::quiet_NaN();
  std::vector<int8_t> q(96, 5);
  std::vector<float> s(3);
  quantizeActivationsInt8(x.data(), 96, q.data(), s.data());
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_TRUE(std::isnan(s[1]));
  EXPECT_TRUE(std::isnan(s[2]));
  for (int i = 0; i < 96; ++i)
    EXPECT_EQ(q[i], 0) << "element " << i;
}

} // namespace
