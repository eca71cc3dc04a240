//===- ASQTest.cpp - Tests of the ASQ solvers -----------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/ASQ.h"
#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Outliers.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace qforge::num;

namespace {

/// Brute-force O(s d^2) DP with an O(d^2) cost table from long-double prefix
/// sums (independent of IntervalCost). Values are data points; a value may
/// repeat (k == j).
long double bruteForce(const std::vector<double> &x,
                       const std::vector<double> &w, unsigned s) {
  size_t d = x.size();
  // The cost is translation invariant: centre on x[0] (exactly in long
  // double) so that offset data keep their precision.
  long double c0 = x[0];
  std::vector<long double> P0(d + 1, 0), P1(d + 1, 0), P2(d + 1, 0);
  for (size_t i = 0; i < d; ++i) {
    long double wi = w.empty() ? 1.0L : w[i];
    long double a = x[i] - c0;
    P0[i + 1] = P0[i] + wi;
    P1[i + 1] = P1[i] + wi * a;
    P2[i + 1] = P2[i] + wi * a * a;
  }
  auto cost = [&](size_t k, size_t j) {
    long double a = x[k] - c0, b = x[j] - c0;
    long double s0 = P0[j + 1] - P0[k], s1 = P1[j + 1] - P1[k],
                s2 = P2[j + 1] - P2[k];
    long double c = (a + b) * s1 - s2 - a * b * s0;
    return c < 0 ? 0.0L : c;
  };
  std::vector<long double> D(d), E(d);
  for (size_t j = 0; j < d; ++j)
    D[j] = cost(0, j);
  for (unsigned t = 3; t <= s; ++t) {
    for (size_t j = 0; j < d; ++j) {
      long double best = D[j];
      for (size_t k = 0; k < j; ++k)
        best = std::min(best, D[k] + cost(k, j));
      E[j] = best;
    }
    std::swap(D, E);
  }
  return D[d - 1];
}

/// Brute force restricted to candidate values, cost by direct summation.
long double bruteOnCandidates(const std::vector<double> &x,
                              const std::vector<double> &w,
                              const std::vector<double> &cand, unsigned s) {
  size_t m = cand.size();
  auto cost = [&](size_t a, size_t b) {
    long double t = 0;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i] >= cand[a] && x[i] <= cand[b])
        t += (w.empty() ? 1.0L : w[i]) * ((long double)cand[b] - x[i]) *
             ((long double)x[i] - cand[a]);
    return t;
  };
  std::vector<std::vector<long double>> C(m, std::vector<long double>(m, 0));
  for (size_t a = 0; a < m; ++a)
    for (size_t b = a; b < m; ++b)
      C[a][b] = cost(a, b);
  std::vector<long double> D(m), E(m);
  for (size_t j = 0; j < m; ++j)
    D[j] = C[0][j];
  for (unsigned t = 3; t <= s; ++t) {
    for (size_t j = 0; j < m; ++j) {
      long double best = D[j];
      for (size_t k = 0; k < j; ++k)
        best = std::min(best, D[k] + C[k][j]);
      E[j] = best;
    }
    std::swap(D, E);
  }
  return D[m - 1];
}

/// Random small instance of one of several shapes.
std::vector<double> randomCase(std::mt19937_64 &rng, int kind, size_t d) {
  std::vector<double> x(d);
  std::uniform_real_distribution<double> U(-3, 3);
  std::normal_distribution<double> N(0, 1);
  std::uniform_int_distribution<int> I(-4, 4);
  for (size_t i = 0; i < d; ++i) {
    switch (kind) {
    case 0:
      x[i] = U(rng);
      break;
    case 1:
      x[i] = N(rng);
      break;
    case 2:
      x[i] = std::exp(N(rng));
      break;
    case 3:
      x[i] = I(rng); // many duplicates and ties
      break;
    case 4:
      x[i] = 2.5; // all equal
      break;
    case 5:
      x[i] = (rng() & 1) ? -1.0 : 3.0; // two-valued
      break;
    case 6:
      x[i] = 1000.0 + 0.25 * I(rng) + 1e-3 * (rng() % 7); // offset, clusters
      break;
    default:
      x[i] = (i % 3 == 0) ? 0.0 : U(rng);
    }
  }
  std::sort(x.begin(), x.end());
  return x;
}

void expectClose(long double ref, double got, double scale, const char *what,
                 int caseNo) {
  double tol = 1e-9 * (std::fabs((double)ref) + 1e-6 * scale) + 1e-12;
  EXPECT_NEAR((double)ref, got, tol) << what << " case " << caseNo;
}

double scaleOf(const std::vector<double> &x) {
  double r = x.back() - x.front();
  return r * r * x.size();
}

} // namespace

TEST(ASQ, ExactSolversMatchBruteForce) {
  std::mt19937_64 rng(12345);
  const ASQSolver solvers[] = {ASQSolver::ExactSMAWK, ASQSolver::ExactPairwise,
                               ASQSolver::ExactLagrange, ASQSolver::Exact};
  int spliced = 0;
  for (int caseNo = 0; caseNo < 1200; ++caseNo) {
    size_t d = 1 + rng() % 300;
    unsigned s = 2 + rng() % 15;
    int kind = caseNo % 8;
    std::vector<double> x = randomCase(rng, kind, d);
    long double ref = bruteForce(x, {}, s);
    for (ASQSolver sv : solvers) {
      ASQOptions o;
      o.solver = sv;
      ASQResult r;
      ASSERT_TRUE(solveASQ(x.data(), nullptr, d, s, o, r).ok());
      ASSERT_EQ(r.values.size(), s);
      EXPECT_EQ(r.values.front(), x.front());
      EXPECT_EQ(r.values.back(), x.back());
      EXPECT_TRUE(std::is_sorted(r.values.begin(), r.values.end()));
      expectClose(ref, r.cost, scaleOf(x), asqSolverName(sv), caseNo);
      expectClose(ref, asqCost(x.data(), nullptr, d, r.values), scaleOf(x),
                  "evaluated", caseNo);
      spliced += r.spliced;
    }
  }
  std::printf("[ info ] Lagrangian path splicing used in %d cases\n", spliced);
}

TEST(ASQ, WeightedExactSolversMatchBruteForce) {
  std::mt19937_64 rng(777);
  std::uniform_real_distribution<double> W(0, 2);
  for (int caseNo = 0; caseNo < 1000; ++caseNo) {
    size_t d = 1 + rng() % 300;
    unsigned s = 2 + rng() % 15;
    std::vector<double> x = randomCase(rng, caseNo % 8, d);
    std::vector<double> w(d);
    for (auto &v : w)
      v = (rng() % 5 == 0) ? 0.0 : W(rng);
    long double ref = bruteForce(x, w, s);
    double scale = scaleOf(x) * 2;
    for (ASQSolver sv : {ASQSolver::ExactSMAWK, ASQSolver::ExactPairwise,
                         ASQSolver::ExactLagrange}) {
      ASQOptions o;
      o.solver = sv;
      ASQResult r;
      ASSERT_TRUE(solveASQ(x.data(), w.data(), d, s, o, r).ok());
      expectClose(ref, r.cost, scale, asqSolverName(sv), caseNo);
      expectClose(ref, asqCost(x.data(), w.data(), d, r.values), scale,
                  "evaluated", caseNo);
    }
  }
}

TEST(ASQ, GridIsExactOnTheGrid) {
  std::mt19937_64 rng(99);
  for (int caseNo = 0; caseNo < 200; ++caseNo) {
    size_t d = 20 + rng() % 200;
    unsigned s = 2 + rng() % 8;
    std::vector<double> x = randomCase(rng, caseNo % 3, d);
    std::vector<double> w;
    if (caseNo % 2) {
      w.resize(d);
      for (auto &v : w)
        v = 0.1 + (rng() % 100) / 50.0;
    }
    ASQOptions o;
    o.solver = ASQSolver::Grid;
    o.gridBins = 24;
    ASQResult r;
    ASSERT_TRUE(
        solveASQ(x.data(), w.empty() ? nullptr : w.data(), d, s, o, r).ok());
    std::vector<double> grid;
    for (int m = 0; m <= 24; ++m)
      grid.push_back(m == 24 ? x.back()
                             : x.front() + (x.back() - x.front()) * m / 24.0);
    long double ref = bruteOnCandidates(x, w, grid, s);
    expectClose(ref, r.cost, scaleOf(x) * 2, "grid", caseNo);
  }
}

TEST(ASQ, ApproximationsReportGap) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> LN(0, 1);
  size_t d = 1 << 14;
  std::vector<double> x(d);
  for (auto &v : x)
    v = LN(rng);
  std::sort(x.begin(), x.end());
  for (unsigned s : {4u, 16u, 64u}) {
    ASQOptions o;
    ASQResult ex;
    ASSERT_TRUE(solveASQ(x.data(), nullptr, d, s, o, ex).ok());
    for (ASQSolver sv : {ASQSolver::Grid, ASQSolver::VMix, ASQSolver::Refine}) {
      o.solver = sv;
      ASQResult r;
      ASSERT_TRUE(solveASQ(x.data(), nullptr, d, s, o, r).ok());
      double gap = r.cost / ex.cost;
      std::printf("[ info ] s=%u %-7s cost/optimum = %.6f\n", s,
                  asqSolverName(sv), gap);
      EXPECT_GE(gap, 1 - 1e-9);
      EXPECT_NEAR(asqCost(x.data(), nullptr, d, r.values), r.cost,
                  1e-9 * r.cost);
      EXPECT_LT(gap, sv == ASQSolver::Grid ? 1.5 : 1.01);
    }
  }
}

TEST(ASQ, LargeInputsAgree) {
  // The compensated sums keep SMAWK and Lagrange in agreement on long inputs
  // far from the origin.
  std::mt19937_64 rng(8);
  std::normal_distribution<double> N(0, 1);
  size_t d = 1 << 15;
  std::vector<double> x(d);
  for (auto &v : x)
    v = 1e4 + N(rng);
  std::sort(x.begin(), x.end());
  for (unsigned s : {3u, 9u, 33u}) {
    ASQOptions a, b;
    a.solver = ASQSolver::ExactSMAWK;
    b.solver = ASQSolver::ExactLagrange;
    ASQResult ra, rb;
    ASSERT_TRUE(solveASQ(x.data(), nullptr, d, s, a, ra).ok());
    ASSERT_TRUE(solveASQ(x.data(), nullptr, d, s, b, rb).ok());
    EXPECT_NEAR(ra.cost, rb.cost, 1e-9 * ra.cost);
    EXPECT_NEAR(asqCost(x.data(), nullptr, d, ra.values), ra.cost,
                1e-7 * ra.cost);
  }
}

TEST(ASQ, ExactSolversAgreeOnMediumInputs) {
  // Larger than the brute force can check: the three exact solvers agree
  // (Wilber's blocks grow, ties force path splicing on integer data).
  std::mt19937_64 rng(77);
  std::normal_distribution<double> N(0, 1);
  std::uniform_real_distribution<double> U(0, 1);
  for (int it = 0; it < 40; ++it) {
    int64_t d = 500 + rng() % 1500;
    unsigned s = 2 + rng() % 100;
    std::vector<double> x(d), w(d);
    for (int64_t i = 0; i < d; ++i) {
      switch (it % 4) {
      case 0:
        x[i] = N(rng);
        break;
      case 1:
        x[i] = std::exp(2 * N(rng));
        break;
      case 2:
        x[i] = double(rng() % 50);
        break;
      default:
        x[i] = std::round(N(rng) * 10) / 10;
      }
      w[i] = (rng() % 4 != 0) ? U(rng) : 0.0;
    }
    std::sort(x.begin(), x.end());
    const double *wp = (it % 2) ? w.data() : nullptr;
    double ref = -1;
    for (ASQSolver sv : {ASQSolver::ExactSMAWK, ASQSolver::ExactPairwise,
                         ASQSolver::ExactLagrange}) {
      ASQOptions o;
      o.solver = sv;
      ASQResult r;
      ASSERT_TRUE(solveASQ(x.data(), wp, d, s, o, r).ok());
      double c = asqCost(x.data(), wp, d, r.values);
      if (ref < 0)
        ref = c;
      EXPECT_NEAR(c, ref, 1e-9 * ref + 1e-12)
          << asqSolverName(sv) << " case " << it;
    }
  }
}

namespace {
/// Reference MDV optimum: bisection to 1e-12 with a naive O(d) step.
double bruteMDV(const std::vector<double> &x, unsigned s) {
  auto feasible = [&](double v) {
    double q = x.front();
    unsigned used = 1;
    while (q < x.back()) {
      double next = x.back();
      bool any = false;
      for (double w : x)
        if (w > q) {
          double g = v > 0 ? w + v / (w - q) : w;
          if (!any || g < next)
            next = g;
          any = true;
        }
      q = std::min(next, x.back());
      if (++used > s)
        return false;
    }
    return true;
  };
  if (feasible(0))
    return 0;
  double hi = 0.25 * (x.back() - x.front()) * (x.back() - x.front()), lo = 0;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (feasible(mid) ? hi : lo) = mid;
  }
  return hi;
}
} // namespace

TEST(ASQ, MDVWithinOnePlusEps) {
  std::mt19937_64 rng(31);
  const double eps = 0.01;
  for (int caseNo = 0; caseNo < 300; ++caseNo) {
    size_t d = 1 + rng() % 120;
    unsigned s = 2 + rng() % 10;
    std::vector<double> x = randomCase(rng, caseNo % 8, d);
    double ref = bruteMDV(x, s);
    MDVResult r;
    ASSERT_TRUE(solveMDV(x.data(), d, s, eps, r).ok());
    ASSERT_EQ(r.values.size(), s);
    EXPECT_EQ(r.values.front(), x.front());
    EXPECT_EQ(r.values.back(), x.back());
    double got = mdvMaxVariance(x.data(), d, r.values);
    EXPECT_NEAR(got, r.maxVariance, 1e-12 * (1 + got));
    EXPECT_LE(got, (1 + eps) * ref * (1 + 1e-9) + 1e-300) << caseNo;
    EXPECT_GE(got, ref * (1 - 1e-6)) << caseNo;
  }
}

TEST(ASQ, StochasticRoundingIsUnbiased) {
  std::vector<double> q = {-2.0, -0.5, 0.25, 1.0, 4.0};
  const int draws = 10000;
  for (double x : {-1.9, -0.7, 0.0, 0.3, 0.99, 2.5, 3.999}) {
    double sum = 0;
    for (int i = 0; i < draws; ++i)
      sum +=
          q[roundStochastic(q.data(), q.size(), x, counterUniform(42, 7, i))];
    double mean = sum / draws;
    int64_t c = lowerCell(q.data(), q.size(), x);
    double var = (q[c + 1] - x) * (x - q[c]);
    double sigma = std::sqrt(var / draws);
    EXPECT_LE(std::fabs(mean - x), 3 * sigma + 1e-12) << "x=" << x;
  }
  // Values on the codebook round to themselves.
  for (size_t i = 0; i < q.size(); ++i)
    EXPECT_EQ(q[roundStochastic(q.data(), q.size(), q[i], 0.999)], q[i]);
  EXPECT_EQ(roundNearest(q.data(), q.size(), 0.6), 2u);
  EXPECT_EQ(roundNearest(q.data(), q.size(), 0.7), 3u);
}

TEST(ASQ, VNMSEEvaluator) {
  std::vector<double> x = {0, 1, 2, 3, 4};
  std::vector<double> q = {0, 4};
  // sum (4-x)x = 0+3+4+3+0 = 10; sum x^2 = 30.
  EXPECT_NEAR(asqCost(x.data(), nullptr, 5, q), 10.0, 1e-12);
  EXPECT_NEAR(asqVNMSE(x.data(), nullptr, 5, q), 10.0 / 30.0, 1e-12);
}

//===----------------------------------------------------------------------===//
// Learned formats through quantize() / dequantize()
//===----------------------------------------------------------------------===//

namespace {
FormatSpec spec(const char *s) {
  FormatSpec f;
  EXPECT_TRUE(FormatSpec::parse(s, f).ok()) << s;
  return f;
}

std::vector<float> randomMatrix(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> N(0, 1);
  std::vector<float> w(rows * cols);
  for (auto &v : w)
    v = N(rng);
  return w;
}
} // namespace

TEST(ASQTensor, RowCodebooksRoundTrip) {
  const int64_t R = 32, C = 200;
  std::vector<float> w = randomMatrix(R, C, 1);
  for (const char *fs :
       {"asq:16:row", "asq:5:g40:f16", "asq:64", "asq:4:row:bf16", "asq:256"}) {
    FormatSpec f = spec(fs);
    QuantizedTensor q;
    QuantizeOptions o;
    ASSERT_TRUE(quantize(w.data(), {R, C}, f, o, q).ok()) << fs;
    ASSERT_TRUE(q.verify().ok()) << fs;
    std::vector<float> back(R * C);
    ASSERT_TRUE(dequantize(q, back.data()).ok());
    // Every group: codebook nondecreasing, each element decodes to its
    // nearest codebook value, min and max are codebook values (as stored).
    int64_t groups = f.numGroups({R, C}), gs = f.groupSize({R, C});
    EXPECT_EQ(q.section(Section::Codebooks).size(),
              uint64_t(groups) * f.levels * FormatSpec::scaleBits(f.scaleType) /
                  8);
    if (f.scaleType == ScaleType::F32 && f.granularity != Granularity::Block) {
      // Row or tensor codebooks in f32: check them element by element.
      const auto &cbs = q.section(Section::Codebooks);
      for (int64_t g = 0; g < groups; ++g) {
        std::vector<float> cb(f.levels);
        std::memcpy(cb.data(), cbs.data() + g * f.levels * 4, f.levels * 4);
        EXPECT_TRUE(std::is_sorted(cb.begin(), cb.end())) << fs;
        float lo = 1e30f, hi = -1e30f;
        for (int64_t j = 0; j < gs; ++j) {
          int64_t i = groups == 1 ? j : g * C + j;
          lo = std::min(lo, w[i]);
          hi = std::max(hi, w[i]);
          // Decodes to a codebook value, and to the nearest one.
          auto it = std::lower_bound(cb.begin(), cb.end(), back[i]);
          ASSERT_TRUE(it != cb.end() && *it == back[i]) << fs;
          for (float v : cb)
            EXPECT_LE(std::fabs(back[i] - w[i]), std::fabs(v - w[i])) << fs;
        }
        EXPECT_EQ(cb.front(), lo) << fs;
        EXPECT_EQ(cb.back(), hi) << fs;
      }
    }
    double mse = 0;
    for (int64_t i = 0; i < R * C; ++i)
      mse += (w[i] - back[i]) * (w[i] - back[i]);
    mse /= R * C;
    // Nearest rounding to an ASQ codebook beats the stochastic variance.
    std::printf("[ info ] %-16s bpw %.4f  MSE %.5f\n", fs,
                f.bitsPerWeight({R, C}), mse);
    EXPECT_LT(mse, f.levels >= 16 ? 0.01 : 0.3) << fs;
  }
}

TEST(ASQTensor, StochasticRoundingIsThreadIndependent) {
  const int64_t R = 64, C = 96;
  std::vector<float> w = randomMatrix(R, C, 2);
  FormatSpec f = spec("asq:8:row");
  QuantizeOptions o;
  o.rounding = Rounding::Stochastic;
  o.seed = 99;
  QuantizedTensor a, b;
  o.threads = 1;
  ASSERT_TRUE(quantize(w.data(), {R, C}, f, o, a).ok());
  o.threads = 4;
  ASSERT_TRUE(quantize(w.data(), {R, C}, f, o, b).ok());
  for (unsigned s = 0; s < kNumSections; ++s)
    EXPECT_EQ(a.sections[s], b.sections[s]);
  // Unbiased on average over seeds: mean error of the tensor ~ 0.
  std::vector<float> back(R * C);
  double bias = 0;
  const int seeds = 64;
  for (int k = 0; k < seeds; ++k) {
    o.seed = 1000 + k;
    ASSERT_TRUE(quantize(w.data(), {R, C}, f, o, a).ok());
    ASSERT_TRUE(dequantize(a, back.data()).ok());
    for (int64_t i = 0; i < R * C; ++i)
      bias += back[i] - w[i];
  }
  bias /= double(seeds) * R * C;
  EXPECT_LT(std::fabs(bias), 2e-3);
}

TEST(ASQTensor, WeightedByActivationMoments) {
  const int64_t R = 16, C = 128;
  std::vector<float> w = randomMatrix(R, C, 3);
  std::vector<float> act(C);
  for (int64_t j = 0; j < C; ++j)
    act[j] = j < 8 ? 100.0f : 0.01f; // a few important input channels
  FormatSpec f = spec("asq:4:row");
  QuantizeOptions plain, weighted;
  weighted.actSq = act.data();
  QuantizedTensor qp, qw;
  ASSERT_TRUE(quantize(w.data(), {R, C}, f, plain, qp).ok());
  ASSERT_TRUE(quantize(w.data(), {R, C}, f, weighted, qw).ok());
  std::vector<float> bp(R * C), bw(R * C);
  ASSERT_TRUE(dequantize(qp, bp.data()).ok());
  ASSERT_TRUE(dequantize(qw, bw.data()).ok());
  double ep = 0, ew = 0;
  for (int64_t i = 0; i < R * C; ++i) {
    double l = act[i % C];
    ep += l * (w[i] - bp[i]) * (w[i] - bp[i]);
    ew += l * (w[i] - bw[i]) * (w[i] - bw[i]);
  }
  EXPECT_LT(ew, ep);
  std::vector<float> bad(C, -1.0f);
  weighted.actSq = bad.data();
  EXPECT_FALSE(quantize(w.data(), {R, C}, f, weighted, qw).ok());
}

TEST(ASQTensor, SparseOutliersRoundTrip) {
  // Heavy-tailed weights (Student-t, 3 degrees of freedom) plus a few spikes:
  // the outliers are stored exactly, the codebooks fit the rest.
  const int64_t R = 24, C = 256;
  std::vector<float> w = studentTSamples(R * C, 3.0, 11);
  w[5] = 80.0f;
  w[R * C / 2 + 3] = -60.0f;
  w[R * C - 1] = 45.0f;
  for (const char *fs :
       {"asq:16:g64:outliers=0.01", "asq:8:row:f16:outliers=2^-7/f32",
        "asq:4:tensor:bf16:outliers=0.02/f16", "asq:5:g128:outliers=0.005"}) {
    SCOPED_TRACE(fs);
    FormatSpec f = spec(fs);
    int64_t k = f.numOutliers(R * C);
    ASSERT_GT(k, 0);
    for (unsigned threads : {1u, 3u}) {
      QuantizeOptions o;
      o.threads = threads;
      QuantizedTensor q;
      Status st = quantize(w.data(), {R, C}, f, o, q);
      ASSERT_TRUE(st.ok()) << st.message();
      ASSERT_TRUE(q.verify().ok());
      EXPECT_EQ(q.section(Section::Outliers).size(),
                sectionBytes(f, {R, C})[unsigned(Section::Outliers)]);
      EXPECT_EQ(q.section(Section::Outliers).size(),
                uint64_t(k) * (4 + FormatSpec::scaleBits(f.outlierType) / 8));
      std::vector<float> back(R * C, std::nanf(""));
      Status ds = dequantize(q, back.data(), threads);
      ASSERT_TRUE(ds.ok()) << ds.message();
      // The stored outliers are the k largest magnitudes, and decode to
      // their values rounded to the outlier type.
      std::vector<int64_t> idx;
      std::vector<float> vals;
      ASSERT_TRUE(decodeOutliers(q.section(Section::Outliers), R * C, k,
                                 f.outlierType, idx, vals)
                      .ok());
      EXPECT_EQ(idx, selectOutliers(w.data(), R * C, k));
      for (int64_t j = 0; j < k; ++j) {
        float x = w[idx[j]];
        float want = f.outlierType == ScaleType::F32 ? x
                     : f.outlierType == ScaleType::F16
                         ? halfToFloat(floatToHalf(x))
                         : bf16ToFloat(floatToBF16(x));
        EXPECT_EQ(back[idx[j]], want) << "outlier " << idx[j];
      }
      EXPECT_EQ(back[5], 80.0f);
      EXPECT_EQ(back[R * C / 2 + 3], -60.0f);
      EXPECT_EQ(back[R * C - 1], 45.0f);
      // Everything else decodes through the codebooks, which no longer
      // stretch to the outliers: the error beats the format without them.
      FormatSpec dense = f;
      dense.outlierFraction = 0;
      QuantizedTensor qd;
      ASSERT_TRUE(quantize(w.data(), {R, C}, dense, o, qd).ok());
      std::vector<float> backDense(R * C);
      ASSERT_TRUE(dequantize(qd, backDense.data(), threads).ok());
      double e = 0, ed = 0;
      for (int64_t i = 0; i < R * C; ++i) {
        e += (w[i] - back[i]) * double(w[i] - back[i]);
        ed += (w[i] - backDense[i]) * double(w[i] - backDense[i]);
      }
      if (threads == 1)
        std::printf("[ info ] %-36s SSE %.4f, without outliers %.4f\n", fs, e,
                    ed);
      EXPECT_LT(e, ed);
      // A corrupted Outliers section is rejected, not decoded.
      QuantizedTensor bad = q;
      uint32_t beyond = R * C;
      std::memcpy(bad.section(Section::Outliers).data(), &beyond, 4);
      Status bs = dequantize(bad, back.data(), threads);
      EXPECT_FALSE(bs.ok());
      EXPECT_NE(bs.message().find("outlier index"), std::string::npos)
          << bs.message();
    }
  }
}
