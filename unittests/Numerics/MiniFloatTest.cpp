//===- MiniFloatTest.cpp - Minifloat codecs against llvm::APFloat ---------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Random.h"

#include "llvm/ADT/APFloat.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace qforge::num;
using llvm::APFloat;

namespace {

struct Case {
  const FloatCodec *codec;
  const llvm::fltSemantics *sem;
};

std::vector<Case> allCases() {
  return {{&codecE2M1(), &APFloat::Float4E2M1FN()},
          {&codecE3M2(), &APFloat::Float6E3M2FN()},
          {&codecE2M3(), &APFloat::Float6E2M3FN()},
          {&codecE4M3FN(), &APFloat::Float8E4M3FN()},
          {&codecE5M2(), &APFloat::Float8E5M2()},
          {&codecE8M0(), &APFloat::Float8E8M0FNU()},
          {&codecF16(), &APFloat::IEEEhalf()},
          {&codecBF16(), &APFloat::BFloat()}};
}

double apDecode(const llvm::fltSemantics &sem, uint32_t code) {
  unsigned bits = APFloat::getSizeInBits(sem);
  APFloat f(sem, llvm::APInt(bits, code));
  if (f.isNaN())
    return std::numeric_limits<double>::quiet_NaN();
  bool lost;
  f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return f.convertToDouble();
}

uint32_t apEncode(const llvm::fltSemantics &sem, double x) {
  APFloat f(x);
  bool lost;
  f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint32_t>(f.bitcastToAPInt().getZExtValue());
}

bool sameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

/// Inputs that stress encoding: every representable value, every midpoint
/// (a tie), the doubles just around each midpoint, values beyond the range,
/// specials, and a strided sweep over all float32 bit patterns.
std::vector<double> sweep(const Case &c) {
  std::vector<double> xs;
  std::vector<double> vals;
  for (uint32_t code = 0; code < c.codec->numCodes(); ++code) {
    double v = c.codec->decode(code);
    if (std::isfinite(v))
      vals.push_back(v);
  }
  std::sort(vals.begin(), vals.end());
  vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
  for (size_t i = 0; i < vals.size(); ++i) {
    xs.push_back(vals[i]);
    if (i + 1 < vals.size()) {
      double m = 0.5 * (vals[i] + vals[i + 1]);
      xs.push_back(m);
      xs.push_back(std::nextafter(m, -INFINITY));
      xs.push_back(std::nextafter(m, INFINITY));
      xs.push_back(0.75 * vals[i] + 0.25 * vals[i + 1]);
    }
  }
  double mx = c.codec->maxFinite(), mn = c.codec->minPositive();
  for (double s : {1.0, -1.0})
    for (double v : {mx * 1.0625, mx * 1.125, mx * 1.5, mx * 2, mx * 1e3,
                     mn / 2, mn / 4, mn * 0.75, mn * 0.5000001, 0.0})
      xs.push_back(s * v);
  // Strided sweep over float32 (finite values only; specials below).
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 65537) {
    uint32_t b = static_cast<uint32_t>(u);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isfinite(f))
      xs.push_back(f);
  }
  return xs;
}

} // namespace

TEST(MiniFloat, DecodeEveryCodeMatchesAPFloat) {
  for (const Case &c : allCases()) {
    for (uint32_t code = 0; code < c.codec->numCodes(); ++code) {
      double ours = c.codec->decode(code), ref = apDecode(*c.sem, code);
      EXPECT_TRUE(sameValue(ours, ref))
          << c.codec->name << " code " << code << ": " << ours << " vs " << ref;
      EXPECT_EQ(c.codec->isNaNCode(code), std::isnan(ref))
          << c.codec->name << " code " << code;
    }
  }
}

TEST(MiniFloat, EveryValueEncodesToItself) {
  for (const Case &c : allCases()) {
    for (uint32_t code = 0; code < c.codec->numCodes(); ++code) {
      double v = c.codec->decode(code);
      if (std::isnan(v))
        continue;
      EXPECT_EQ(c.codec->encode(v, false), code) << c.codec->name << " " << v;
    }
  }
}

TEST(MiniFloat, EncodeSweepMatchesAPFloat) {
  for (const Case &c : allCases()) {
    bool finiteOnly =
        !c.codec->hasInf && !c.codec->ieeeNaN && !c.codec->allOnesNaN;
    int checked = 0;
    for (double x : sweep(c)) {
      if (!c.codec->hasSign && !(x > 0))
        continue; // e8m0 has no sign (see the rule for x <= 0 below)
      uint32_t ours = c.codec->encode(x, false);
      uint32_t ref = apEncode(*c.sem, x);
      ASSERT_EQ(ours, ref) << c.codec->name << " x=" << x;
      ++checked;
    }
    EXPECT_GT(checked, 30000) << c.codec->name;
    // Specials. NaN: canonical NaN (or +0 for the finite-only formats, as
    // APFloat does); infinities as APFloat for formats that have them.
    double nan = std::numeric_limits<double>::quiet_NaN();
    if (finiteOnly) {
      EXPECT_EQ(c.codec->encode(nan, false), 0u);
    } else {
      EXPECT_TRUE(c.codec->isNaNCode(c.codec->encode(nan, false)));
      EXPECT_EQ(c.codec->encode(nan, false), apEncode(*c.sem, nan))
          << c.codec->name;
    }
    if (!finiteOnly && c.codec->hasSign) {
      for (double inf : {INFINITY, -INFINITY})
        EXPECT_EQ(c.codec->encode(inf, false), apEncode(*c.sem, inf))
            << c.codec->name << " " << inf;
    }
  }
}

TEST(MiniFloat, SaturatingEncode) {
  for (const Case &c : allCases()) {
    double mx = c.codec->maxFinite();
    EXPECT_EQ(c.codec->decode(c.codec->encode(mx * 4, true)), mx);
    EXPECT_EQ(c.codec->decode(c.codec->encode(INFINITY, true)), mx);
    if (c.codec->hasSign) {
      EXPECT_EQ(c.codec->decode(c.codec->encode(-mx * 4, true)), -mx);
      EXPECT_EQ(c.codec->decode(c.codec->encode(-INFINITY, true)), -mx);
    }
  }
  // Finite-only formats saturate even without the flag, and map +-inf to
  // the largest value (APFloat leaves this case undefined).
  EXPECT_EQ(codecE2M1().decode(codecE2M1().encode(100, false)), 6.0);
  EXPECT_EQ(codecE2M1().decode(codecE2M1().encode(-INFINITY, false)), -6.0);
  EXPECT_EQ(codecE3M2().maxFinite(), 28.0);
  EXPECT_EQ(codecE2M3().maxFinite(), 7.5);
  EXPECT_EQ(codecE4M3FN().maxFinite(), 448.0);
  EXPECT_EQ(codecE5M2().maxFinite(), 57344.0);
  EXPECT_EQ(codecE8M0().maxFinite(), std::ldexp(1.0, 127));
  EXPECT_EQ(codecE8M0().minPositive(), std::ldexp(1.0, -127));
}

TEST(MiniFloat, E8M0NonPositiveInputs) {
  EXPECT_EQ(codecE8M0().encode(0.0, false), 0u);
  EXPECT_EQ(codecE8M0().encode(-3.0, false), 0u);
  EXPECT_EQ(codecE8M0().encode(std::nan(""), false), 0xFFu);
  EXPECT_EQ(codecE8M0().encode(1.5, false), 128u); // tie rounds up
}

TEST(MiniFloat, HalfAndBFloatHelpers) {
  Rng r(7);
  for (int i = 0; i < 200000; ++i) {
    uint32_t b = static_cast<uint32_t>(r.next());
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(f))));
      EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(f))));
      continue;
    }
    EXPECT_EQ(floatToHalf(f), apEncode(APFloat::IEEEhalf(), f)) << f;
    EXPECT_EQ(floatToBF16(f), apEncode(APFloat::BFloat(), f)) << f;
  }
}
