//===- Random.cpp - Seeded, reproducible random streams -------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Random.h"

#include <cmath>

using namespace qforge::num;

uint64_t qforge::num::splitMix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t qforge::num::mixSeed(uint64_t seed, uint64_t index) {
  uint64_t s = seed;
  uint64_t a = splitMix64(s);
  uint64_t t = index ^ (a * 0xd1342543de82ef95ULL);
  return splitMix64(t) ^ a;
}

Rng::Rng(uint64_t seed) {
  uint64_t st = seed;
  for (uint64_t &w : s)
    w = splitMix64(st);
}

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t Rng::next() {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Rng::uniform() { return (next() >> 11) * 0x1.0p-53; }

float Rng::uniformFloat() {
  return static_cast<float>(next() >> 40) * 0x1.0p-24f;
}

double Rng::normal() {
  if (haveSpare) {
    haveSpare = false;
    return spare;
  }
  double u, v, q;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    q = u * u + v * v;
  } while (q >= 1.0 || q == 0.0);
  double f = std::sqrt(-2.0 * std::log(q) / q);
  spare = v * f;
  haveSpare = true;
  return u * f;
}

double Rng::gamma(double shape) {
  if (shape < 1.0) {
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
    double u = uniform();
    while (u == 0.0)
      u = uniform();
    return gamma(shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = normal(), v = 1.0 + c * x;
    if (v <= 0)
      continue;
    v = v * v * v;
    double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x)
      return d * v;
    if (u > 0 && std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v)))
      return d * v;
  }
}

double Rng::studentT(double nu) {
  double z = normal();
  double chi2 = 2.0 * gamma(nu / 2.0);
  return z / std::sqrt(chi2 / nu);
}

double Rng::laplace() {
  double u = uniform() - 0.5;
  double b = 1.0 / std::sqrt(2.0);
  double a = 1.0 - 2.0 * std::fabs(u);
  if (a <= 0)
    a = 0x1.0p-53;
  return (u < 0 ? b : -b) * std::log(a);
}

std::vector<float> qforge::num::normalSamples(int64_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = static_cast<float>(r.normal());
  return v;
}

std::vector<float> qforge::num::studentTSamples(int64_t n, double nu,
                                                uint64_t seed,
                                                bool unitVariance) {
  Rng r(seed);
  double k = unitVariance && nu > 2 ? std::sqrt((nu - 2) / nu) : 1.0;
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = static_cast<float>(k * r.studentT(nu));
  return v;
}

std::vector<float> qforge::num::laplaceSamples(int64_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = static_cast<float>(r.laplace());
  return v;
}
