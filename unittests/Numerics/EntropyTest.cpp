//===- EntropyTest.cpp - Entropy, Huffman, metrics, random streams --------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Entropy.h"
#include "qforge/Numerics/Codebooks.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Random.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace qforge::num;

TEST(Entropy, EntropyAndHuffman) {
  EXPECT_DOUBLE_EQ(entropyBits({1, 1, 1, 1}), 2.0);
  EXPECT_DOUBLE_EQ(entropyBits({5, 0, 0}), 0.0);
  EXPECT_EQ(huffmanLengths({1, 1, 2, 4}), (std::vector<unsigned>{3, 3, 2, 1}));
  EXPECT_EQ(huffmanLengths({0, 7, 0}), (std::vector<unsigned>{0, 1, 0}));
  EXPECT_DOUBLE_EQ(huffmanMeanBits({1, 1, 2, 4}), 1.75);
  // Kraft equality and H <= L < H + 1 on a random histogram.
  Rng r(2);
  std::vector<uint64_t> h(200);
  for (auto &c : h)
    c = r.next() % 1000;
  std::vector<unsigned> len = huffmanLengths(h);
  double kraft = 0;
  for (size_t i = 0; i < h.size(); ++i)
    if (h[i])
      kraft += std::ldexp(1.0, -static_cast<int>(len[i]));
  EXPECT_NEAR(kraft, 1.0, 1e-12);
  double H = entropyBits(h), L = huffmanMeanBits(h);
  EXPECT_GE(L, H);
  EXPECT_LT(L, H + 1);
}

// Orr et al.: a uniform grid with entropy coding beats the best fixed-length
// quantizer; at the MSE of 4-bit Lloyd-Max on N(0,1) it needs 0.3-0.5 fewer
// bits per weight (theory ~0.39 at this rate).
TEST(Entropy, EntropyCodedUniformBeatsLloydMax) {
  std::vector<float> x = normalSamples(1000000, 77);
  double target =
      lloydMaxDensity(
          [](double v) { return distributionPdf(Distribution::Normal, 0, v); },
          16, -12, 12)
          .mse;
  auto measure = [&](double step, double &H, double &L) {
    // |x| < 8 for these samples and step >= 0.1: 161 cells suffice.
    std::vector<uint64_t> h(161, 0);
    double se = 0;
    for (float v : x) {
      double q = std::nearbyint(v / step);
      double d = v - q * step;
      se += d * d;
      ++h[static_cast<size_t>(std::min(80.0, std::max(-80.0, q)) + 80)];
    }
    H = entropyBits(h);
    L = huffmanMeanBits(h);
    return se / x.size();
  };
  // Bisect the step to the Lloyd-Max MSE.
  double lo = 0.1, hi = 0.6, H = 0, L = 0;
  for (int it = 0; it < 30; ++it) {
    double mid = 0.5 * (lo + hi);
    (measure(mid, H, L) < target ? lo : hi) = mid;
  }
  double m = measure(0.5 * (lo + hi), H, L);
  EXPECT_NEAR(m, target, 0.01 * target);
  double saved = 4.0 - H;
  EXPECT_GE(saved, 0.3) << "entropy " << H;
  EXPECT_LE(saved, 0.5) << "entropy " << H;
  EXPECT_LT(L, 4.0); // a real (Huffman) code also saves bits
}

TEST(Entropy, CodeStatisticsOfATensor) {
  std::vector<float> x = normalSamples(64 * 256, 3);
  FormatSpec f;
  ASSERT_TRUE(FormatSpec::parse("int4:g64", f).ok());
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), {64, 256}, f, {}, q).ok());
  CodeStats s;
  ASSERT_TRUE(codeStatistics(q, s).ok());
  uint64_t total = 0;
  for (uint64_t c : s.histogram)
    total += c;
  EXPECT_EQ(total, x.size());
  EXPECT_DOUBLE_EQ(s.fixedBitsPerWeight, 4.5);
  EXPECT_LT(s.entropy, 4.0);
  EXPECT_GE(s.huffman, s.entropy);
  EXPECT_DOUBLE_EQ(s.entropyBitsPerWeight, 0.5 + s.entropy);
  EXPECT_DOUBLE_EQ(s.huffmanBitsPerWeight, 0.5 + s.huffman);
  // GGUF blocks: the codes are the 4-bit indices inside the blocks.
  ASSERT_TRUE(FormatSpec::parse("q4_0", f).ok());
  ASSERT_TRUE(quantize(x.data(), {64, 256}, f, {}, q).ok());
  ASSERT_TRUE(codeStatistics(q, s).ok());
  EXPECT_DOUBLE_EQ(s.fixedBitsPerWeight, 4.5);
  EXPECT_EQ(s.histogram.size(), 16u);
}

TEST(Metrics, KnownValues) {
  float x[4] = {1, -2, 3, 0}, y[4] = {1, -1, 3, 1}, w[4] = {1, 3, 1, 0};
  ErrorMetrics m = errorMetrics(x, y, 4, w);
  EXPECT_DOUBLE_EQ(m.mse, 0.5);
  EXPECT_DOUBLE_EQ(m.vnmse, 2.0 / 14.0);
  EXPECT_DOUBLE_EQ(m.relRmse, std::sqrt(2.0 / 14.0));
  EXPECT_DOUBLE_EQ(m.sqnrDb, 10 * std::log10(7.0));
  EXPECT_DOUBLE_EQ(m.weightedMse, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.maxAbsError, 1.0);
  EXPECT_DOUBLE_EQ(mse(x, y, 4), 0.5);
  EXPECT_DOUBLE_EQ(weightedMse(x, y, w, 4), 0.6);
  EXPECT_TRUE(std::isinf(sqnrDb(x, x, 4)));
  EXPECT_EQ(vnmse(x, x, 4), 0.0);
  float z[2] = {0, 0}, e[2] = {0, 1};
  EXPECT_TRUE(std::isinf(vnmse(z, e, 2)));
}

TEST(Random, StreamsAreReproducibleAndIndependent) {
  Rng a = Rng::stream(5, 17), b = Rng::stream(5, 17), c = Rng::stream(5, 18);
  for (int i = 0; i < 100; ++i) {
    uint64_t va = a.next();
    EXPECT_EQ(va, b.next());
    EXPECT_NE(va, c.next());
  }
  std::vector<float> n = normalSamples(200000, 1);
  double s1 = 0, s2 = 0;
  for (float v : n) {
    s1 += v;
    s2 += double(v) * v;
  }
  EXPECT_NEAR(s1 / n.size(), 0.0, 0.01);
  EXPECT_NEAR(s2 / n.size(), 1.0, 0.01);
  for (auto v : {studentTSamples(400000, 5.0, 2), laplaceSamples(200000, 3)}) {
    double m2 = 0;
    for (float t : v)
      m2 += double(t) * t;
    EXPECT_NEAR(m2 / v.size(), 1.0, 0.05);
  }
}
