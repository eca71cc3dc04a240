//===- TransformsTest.cpp - Tests of FFT, DCT and Walsh-Hadamard ----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Transforms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace qforge::num;
using cd = std::complex<double>;

TEST(Transforms, FFTMatchesNaiveDFT) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> N(0, 1);
  for (int64_t n : {1, 2, 3, 5, 7, 8, 12, 16, 17, 31, 64, 100, 127, 256, 243}) {
    std::vector<cd> x(n), ref(n), refInv(n);
    for (auto &v : x)
      v = cd(N(rng), N(rng));
    naiveDFT(x.data(), ref.data(), n, false);
    naiveDFT(x.data(), refInv.data(), n, true);
    FFTPlan p(n);
    std::vector<cd> y = x, z = x;
    p.forward(y.data());
    p.inverse(z.data());
    for (int64_t k = 0; k < n; ++k) {
      EXPECT_NEAR(std::abs(y[k] - ref[k]), 0.0, 1e-9 * std::sqrt(double(n)))
          << "n=" << n << " k=" << k;
      EXPECT_NEAR(std::abs(z[k] - refInv[k]), 0.0, 1e-9 * std::sqrt(double(n)))
          << "n=" << n << " k=" << k;
    }
  }
}

TEST(Transforms, DCTMatchesNaiveAndIsOrthogonal) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> N(0, 1);
  for (int64_t n :
       {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 33, 100, 128, 255, 384, 1000}) {
    std::vector<double> x(n), ref(n), y(n), back(n), refBack(n);
    for (auto &v : x)
      v = N(rng);
    naiveDCT(x.data(), ref.data(), n);
    DCTPlan p(n);
    p.forward(x.data(), y.data());
    for (int64_t k = 0; k < n; ++k)
      EXPECT_NEAR(y[k], ref[k], 1e-9) << "n=" << n << " k=" << k;
    naiveIDCT(y.data(), refBack.data(), n);
    p.inverse(y.data(), back.data());
    double nx = 0, ny = 0;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(back[i], refBack[i], 1e-9);
      EXPECT_NEAR(back[i], x[i], 1e-9);
      nx += x[i] * x[i];
      ny += y[i] * y[i];
    }
    EXPECT_NEAR(nx, ny, 1e-9 * nx); // Parseval
  }
}

namespace {
/// Columns of P applied to the basis: checks P^T P = I and P^T = transpose.
void checkOrthogonal(const RandomizedTransform &P, int64_t n) {
  std::vector<std::vector<double>> cols(n, std::vector<double>(n));
  std::vector<std::vector<double>> colsT(n, std::vector<double>(n));
  for (int64_t j = 0; j < n; ++j) {
    std::vector<double> e(n, 0.0);
    e[j] = 1;
    P.apply(e.data(), cols[j].data());
    P.applyT(e.data(), colsT[j].data());
  }
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < n; ++b) {
      double dot = 0;
      for (int64_t i = 0; i < n; ++i)
        dot += cols[a][i] * cols[b][i];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-6) << a << "," << b;
      // (P^T)_{ab} = P_{ba}: column a of P^T, row b = column b of P, row a.
      EXPECT_NEAR(colsT[a][b], cols[b][a], 1e-9);
    }
}
} // namespace

TEST(Transforms, RandomizedDCTIsOrthogonal) {
  for (int64_t n : {5, 16, 24, 37, 64}) {
    RandomizedTransform P(n, KashinTransform::DCT, 1234 + n);
    ASSERT_TRUE(P.ok());
    checkOrthogonal(P, n);
  }
}

TEST(Transforms, RandomizedHadamardIsOrthogonal) {
  for (int64_t n : {2, 8, 32, 64}) {
    RandomizedTransform P(n, KashinTransform::Hadamard, 99);
    ASSERT_TRUE(P.ok());
    checkOrthogonal(P, n);
  }
  RandomizedTransform bad(12, KashinTransform::Hadamard, 1);
  EXPECT_FALSE(bad.ok());
}

TEST(Transforms, FWHTMatchesNaive) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> N(0, 1);
  for (int64_t n : {1, 2, 4, 16, 128}) {
    std::vector<double> x(n), y;
    for (auto &v : x)
      v = N(rng);
    y = x;
    fwht(y.data(), n);
    for (int64_t k = 0; k < n; ++k) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i)
        s += x[i] * ((__builtin_popcountll(i & k) & 1) ? -1.0 : 1.0);
      EXPECT_NEAR(y[k], s, 1e-9);
    }
  }
}

TEST(Transforms, LargeDCTRoundTrip) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> N(0, 1);
  for (int64_t n : {4096, 3000}) {
    std::vector<double> x(n), y(n), z(n);
    for (auto &v : x)
      v = N(rng);
    RandomizedTransform P(n, KashinTransform::DCT, 7);
    P.apply(x.data(), y.data());
    P.applyT(y.data(), z.data());
    double err = 0, nx = 0, ny = 0;
    for (int64_t i = 0; i < n; ++i) {
      err = std::max(err, std::fabs(z[i] - x[i]));
      nx += x[i] * x[i];
      ny += y[i] * y[i];
    }
    EXPECT_LT(err, 1e-9);
    EXPECT_NEAR(nx, ny, 1e-9 * nx);
  }
}
