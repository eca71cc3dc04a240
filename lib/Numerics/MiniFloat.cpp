//===- MiniFloat.cpp - OCP minifloat, half and scale encodings ------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/MiniFloat.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace qforge::num;

double FloatCodec::decode(uint32_t code) const {
  unsigned nb = totalBits();
  code &= (1u << nb) - 1;
  bool neg = hasSign && (code >> (nb - 1)) & 1;
  uint32_t e = (code >> manBits) & ((1u << expBits) - 1);
  uint32_t m = code & ((1u << manBits) - 1);
  uint32_t maxE = (1u << expBits) - 1;
  double sign = neg ? -1.0 : 1.0;
  if (isNaNCode(code))
    return std::numeric_limits<double>::quiet_NaN();
  if (hasInf && e == maxE && m == 0)
    return sign * std::numeric_limits<double>::infinity();
  if (!hasZero) // e8m0: 2^(e - bias)
    return std::ldexp(1.0, static_cast<int>(e) - bias);
  if (e == 0)
    return sign * std::ldexp(static_cast<double>(m), 1 - bias - (int)manBits);
  return sign * std::ldexp(static_cast<double>(m + (1u << manBits)),
                           static_cast<int>(e) - bias - (int)manBits);
}

bool FloatCodec::isNaNCode(uint32_t code) const {
  unsigned nb = totalBits();
  uint32_t mag = code & ((1u << (hasSign ? nb - 1 : nb)) - 1);
  uint32_t e = mag >> manBits, m = mag & ((1u << manBits) - 1);
  uint32_t maxE = (1u << expBits) - 1;
  if (ieeeNaN && e == maxE && m != 0)
    return true;
  if (allOnesNaN && mag == (1u << (expBits + manBits)) - 1)
    return true;
  return false;
}

double FloatCodec::maxFinite() const {
  uint32_t maxE = (1u << expBits) - 1;
  uint32_t mag;
  if (hasInf || ieeeNaN)
    mag = ((maxE - 1) << manBits) | ((1u << manBits) - 1);
  else if (allOnesNaN)
    mag = ((1u << (expBits + manBits)) - 1) - 1;
  else
    mag = (1u << (expBits + manBits)) - 1;
  return decode(mag);
}

double FloatCodec::minPositive() const {
  if (!hasZero)
    return std::ldexp(1.0, -bias);
  return std::ldexp(1.0, 1 - bias - (int)manBits);
}

int FloatCodec::maxExponent() const {
  int e;
  std::frexp(maxFinite(), &e);
  return e - 1;
}

uint32_t FloatCodec::encode(double x, bool saturate) const {
  unsigned nb = totalBits();
  uint32_t signBit = hasSign ? 1u << (nb - 1) : 0;
  uint32_t magMask = (1u << (hasSign ? nb - 1 : nb)) - 1;
  uint32_t maxE = (1u << expBits) - 1;
  bool neg = std::signbit(x) && hasSign;
  uint32_t s = neg ? signBit : 0;
  auto nanCode = [&]() -> uint32_t {
    if (ieeeNaN)
      return s | (maxE << manBits) | (1u << (manBits - 1));
    if (allOnesNaN)
      return s | magMask;
    return 0; // finite-only formats have no NaN
  };
  auto overflow = [&]() -> uint32_t {
    if (saturate || (!hasInf && !ieeeNaN && !allOnesNaN))
      return s | encode(maxFinite(), false);
    if (hasInf)
      return s | (maxE << manBits);
    return nanCode();
  };
  if (std::isnan(x))
    return nanCode();
  if (!hasZero) {
    // e8m0: unsigned powers of two, no zero; ties round up.
    if (std::isinf(x))
      return saturate && x > 0 ? magMask - 1 : (x > 0 ? magMask : 0);
    if (!(x > 0))
      return 0;
    int e;
    double f = std::frexp(x, &e); // x = f * 2^e, f in [0.5, 1)
    int p = e - 1;                // x = (2f) * 2^p
    if (2 * f >= 1.5)
      ++p;
    if (p < -bias)
      return 0;
    if (p > static_cast<int>(maxE) - 1 - bias)
      return saturate ? magMask - 1 : magMask;
    return static_cast<uint32_t>(p + bias);
  }
  double a = std::fabs(x);
  if (std::isinf(a))
    return overflow();
  if (a == 0)
    return s;
  int e;
  std::frexp(a, &e);
  int exp = e - 1; // a in [2^exp, 2^(exp+1))
  int emin = 1 - bias;
  if (exp < emin)
    exp = emin;
  double quantum = std::ldexp(1.0, exp - (int)manBits);
  double q = std::nearbyint(a / quantum); // exact scaling, RNE
  double v = q * quantum;
  if (v > maxFinite())
    return overflow();
  if (v == 0)
    return s;
  // Re-encode the (representable) value v.
  std::frexp(v, &e);
  exp = e - 1;
  uint32_t code;
  if (exp < emin) {
    code = static_cast<uint32_t>(v / std::ldexp(1.0, emin - (int)manBits));
  } else {
    uint32_t mant = static_cast<uint32_t>(
        v / std::ldexp(1.0, exp - (int)manBits) - std::ldexp(1.0, manBits));
    code = (static_cast<uint32_t>(exp + bias) << manBits) | mant;
  }
  return s | code;
}

static const FloatCodec kE2M1{"e2m1", 2, 1, 1, true, false, false, false, true};
static const FloatCodec kE3M2{"e3m2", 3, 2, 3, true, false, false, false, true};
static const FloatCodec kE2M3{"e2m3", 2, 3, 1, true, false, false, false, true};
static const FloatCodec kE4M3FN{"e4m3fn", 4,     3,    7,   true,
                                false,    false, true, true};
static const FloatCodec kE5M2{"e5m2", 5, 2, 15, true, true, true, false, true};
static const FloatCodec kE8M0{"e8m0", 8,     0,    127,  false,
                              false,  false, true, false};
static const FloatCodec kF16{"f16", 5, 10, 15, true, true, true, false, true};
static const FloatCodec kBF16{"bf16", 8, 7, 127, true, true, true, false, true};

const FloatCodec &qforge::num::codecE2M1() { return kE2M1; }
const FloatCodec &qforge::num::codecE3M2() { return kE3M2; }
const FloatCodec &qforge::num::codecE2M3() { return kE2M3; }
const FloatCodec &qforge::num::codecE4M3FN() { return kE4M3FN; }
const FloatCodec &qforge::num::codecE5M2() { return kE5M2; }
const FloatCodec &qforge::num::codecE8M0() { return kE8M0; }
const FloatCodec &qforge::num::codecF16() { return kF16; }
const FloatCodec &qforge::num::codecBF16() { return kBF16; }

const FloatCodec &qforge::num::miniFloatCodec(MiniFloatKind k) {
  switch (k) {
  case MiniFloatKind::E2M1:
    return kE2M1;
  case MiniFloatKind::E3M2:
    return kE3M2;
  case MiniFloatKind::E2M3:
    return kE2M3;
  case MiniFloatKind::E4M3FN:
    return kE4M3FN;
  case MiniFloatKind::E5M2:
    return kE5M2;
  }
  return kE4M3FN;
}

uint16_t qforge::num::floatToHalf(float x) {
  return static_cast<uint16_t>(kF16.encode(x, false));
}

float qforge::num::halfToFloat(uint16_t h) {
  return static_cast<float>(kF16.decode(h));
}

uint16_t qforge::num::floatToBF16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((u >> 16) | 0x40); // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

float qforge::num::bf16ToFloat(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
