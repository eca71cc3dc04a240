//===- ActivationsTest.cpp - Int8 activation blocks -----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Activations.h"
#include "qforge/Numerics/Format.h"
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

// Narrow maps: int4 values -8..7 with unit 1 and offset 8; e2m1 values
// (multiples of 0.5 up to 6) with unit 1/2, offset 12.
TEST(Int8CodeMap, NarrowMapsAreExact) {
  std::vector<float> int4;
  for (int c = 0; c < 16; ++c)
    int4.push_back(float(c < 8 ? c : c - 16));
  std::optional<Int8CodeMap> m = int8CodeMap(int4, false);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->wide);
  EXPECT_EQ(m->unit, 1.0f);
  EXPECT_EQ(m->offset, 8);
  for (size_t c = 0; c < 16; ++c)
    EXPECT_EQ(m->value(c), int4[c]);
  std::vector<float> e2m1 = {0,     0.5,  1,  1.5,  2,  3,  4,  6,
                             -0.0f, -0.5, -1, -1.5, -2, -3, -4, -6};
  m = int8CodeMap(e2m1, true);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->wide);
  EXPECT_EQ(m->unit, 0.5f);
  EXPECT_EQ(m->offset, 12);
  for (size_t c = 0; c < 16; ++c) {
    EXPECT_EQ(m->value(c), e2m1[c]);
    EXPECT_LE(m->u[c], 255);
  }
}

// nf4's values are not multiples of a small power of two: only a wide map
// (when allowed), unit 2^-14 (2^-15 would need u = 65536 for +1), each
// value within half a unit, u(c) in 16 bits.
TEST(Int8CodeMap, WideMapsRoundToTheUnit) {
  FormatSpec f;
  ASSERT_TRUE(FormatSpec::parse("nf4", f));
  std::vector<float> nf4;
  for (double v : f.tableValues())
    nf4.push_back(static_cast<float>(v));
  ASSERT_EQ(nf4.size(), 16u);
  EXPECT_FALSE(int8CodeMap(nf4, false).has_value());
  std::optional<Int8CodeMap> m = int8CodeMap(nf4, true);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->wide);
  EXPECT_EQ(m->unit, std::ldexp(1.0f, -14));
  EXPECT_EQ(m->offset, 16384);
  bool rounded = false;
  for (size_t c = 0; c < 16; ++c) {
    EXPECT_LE(std::fabs(m->value(c) - nf4[c]), m->unit / 2) << c;
    rounded = rounded || m->value(c) != nf4[c];
  }
  EXPECT_TRUE(rounded);
  EXPECT_EQ(m->u.front(), 0);    // -1
  EXPECT_EQ(m->u.back(), 32768); // +1
  EXPECT_EQ(m->value(7), 0.0f);  // nf4 has an exact 0
}

// Values that are not finite, or no values, have no map.
TEST(Int8CodeMap, NonFiniteValuesHaveNoMap) {
  EXPECT_FALSE(int8CodeMap({}, true).has_value());
  EXPECT_FALSE(
      int8CodeMap({1.0f, std::numeric_limits<float>::quiet_NaN()}, true)
          .has_value());
  EXPECT_FALSE(int8CodeMap({1.0f, std::numeric_limits<float>::infinity()}, true)
                   .has_value());
  // FLT_MAX would round to 2^128 at the unit 2^113 that its span needs.
  float big = std::numeric_limits<float>::max();
  EXPECT_FALSE(int8CodeMap({-big, big}, true).has_value());
  // A span of 2^20 between two values still fits 16 bits at a unit of 2^5.
  std::optional<Int8CodeMap> m = int8CodeMap({-1048576.0f, 0.3f}, true);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->unit, 32.0f);
  EXPECT_EQ(m->value(0), -1048576.0f);
  EXPECT_EQ(m->value(1), 0.0f);
}

} // namespace
