//===- KashinTest.cpp - Tests of Kashin quantization ----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Kashin.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace qforge::num;

namespace {
double linf(const std::vector<double> &a) {
  double m = 0;
  for (double v : a)
    m = std::max(m, std::fabs(v));
  return m;
}
} // namespace

// The stated constant: ||u||_inf, ||v||_inf <= 6 ||x||_2 / sqrt(N).
constexpr double kLinfConstant = 3.0;

TEST(Kashin, GaussianDecaysGeometricallyWithSmallFactors) {
  const int64_t N = 4096;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> G(0, 1);
  for (KashinTransform kind :
       {KashinTransform::DCT, KashinTransform::Hadamard}) {
    for (int rep = 0; rep < 3; ++rep) {
      std::vector<double> x(N);
      double nx = 0;
      for (auto &v : x) {
        v = G(rng);
        nx += v * v;
      }
      nx = std::sqrt(nx);
      RandomizedTransform P(N, kind, 1000 + rep);
      KashinOptions o;
      o.tol = 1e-6;
      KashinDecomposition d;
      ASSERT_TRUE(kashinDecompose(x.data(), P, o, d).ok());
      // Geometric decay: every step shrinks the residual by at least 0.9,
      // and on average by better than 0.75.
      double prev = 1.0;
      for (double r : d.residuals) {
        EXPECT_LE(r, 0.9 * prev);
        prev = r;
      }
      double rate = std::pow(d.residuals.back(), 1.0 / d.residuals.size());
      EXPECT_LT(rate, 0.75);
      double bound = kLinfConstant * nx / std::sqrt(double(N));
      double cu = linf(d.u) * std::sqrt(double(N)) / nx;
      double cv = linf(d.v) * std::sqrt(double(N)) / nx;
      if (rep == 0)
        std::printf("[ info ] %s N=%lld: %d steps, mean decay %.3f, "
                    "||u||inf=%.3f, ||v||inf=%.3f (x ||x||2/sqrt N)\n",
                    kind == KashinTransform::DCT ? "dct" : "hadamard",
                    (long long)N, d.iterations, rate, cu, cv);
      EXPECT_LE(linf(d.u), bound);
      EXPECT_LE(linf(d.v), bound);
      // x = u + P^T v up to the tolerance.
      std::vector<double> back(N);
      P.applyT(d.v.data(), back.data());
      double err = 0;
      for (int64_t i = 0; i < N; ++i)
        err += (x[i] - d.u[i] - back[i]) * (x[i] - d.u[i] - back[i]);
      EXPECT_LE(std::sqrt(err), 1e-6 * nx * 1.0001);
    }
  }
}

TEST(Kashin, NonConvergenceIsReported) {
  const int64_t N = 256;
  std::vector<double> x(N);
  for (int64_t i = 0; i < N; ++i)
    x[i] = std::sin(0.37 * i) + (i % 5);
  RandomizedTransform P(N, KashinTransform::DCT, 5);
  KashinOptions o;
  o.maxIterations = 3;
  o.tol = 1e-9;
  KashinDecomposition d;
  Status st = kashinDecompose(x.data(), P, o, d);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("did not converge"), std::string::npos);
  EXPECT_FALSE(d.converged);
  EXPECT_EQ(d.iterations, 3);
  KashinCode c;
  EXPECT_FALSE(kashinQuantizeVector(x.data(), P, 2, 2, false, o, c).ok());
  // A zero vector converges at once.
  std::vector<double> z(N, 0.0);
  EXPECT_TRUE(kashinDecompose(z.data(), P, KashinOptions(), d).ok());
  EXPECT_EQ(d.iterations, 0);
}

TEST(Kashin, MatrixFormReconstructs) {
  const int64_t R = 48, C = 64;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> G(0, 1);
  std::vector<double> X(R * C);
  for (auto &v : X)
    v = G(rng);
  RandomizedTransform Pr(R, KashinTransform::DCT, 1),
      Pc(C, KashinTransform::Hadamard, 2);
  KashinOptions o;
  o.tol = 1e-5;
  KashinDecomposition d;
  ASSERT_TRUE(kashinDecomposeMatrix(X.data(), R, C, Pr, Pc, o, d).ok());
  // Rebuild Pr^T V Pc: rows by Pc^T, columns by Pr^T.
  std::vector<double> B(R * C), col(R), colOut(R);
  for (int64_t i = 0; i < R; ++i)
    Pc.applyT(d.v.data() + i * C, B.data() + i * C);
  for (int64_t j = 0; j < C; ++j) {
    for (int64_t i = 0; i < R; ++i)
      col[i] = B[i * C + j];
    Pr.applyT(col.data(), colOut.data());
    for (int64_t i = 0; i < R; ++i)
      B[i * C + j] = colOut[i];
  }
  double err = 0, nx = 0;
  for (int64_t i = 0; i < R * C; ++i) {
    err += std::pow(X[i] - d.u[i] - B[i], 2);
    nx += X[i] * X[i];
  }
  EXPECT_LE(std::sqrt(err), 1e-5 * std::sqrt(nx) * 1.0001);
  double bound = kLinfConstant * std::sqrt(nx / double(R * C));
  EXPECT_LE(linf(d.u), bound);
  EXPECT_LE(linf(d.v), bound);
}

TEST(Kashin, InitialCentroids) {
  std::vector<double> c = kashinInitialCentroids({2.0, 0.5}, 2);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_DOUBLE_EQ(c[0], -2.5);
  EXPECT_DOUBLE_EQ(c[1], -1.5);
  EXPECT_DOUBLE_EQ(c[2], 1.5);
  EXPECT_DOUBLE_EQ(c[3], 2.5);
  EXPECT_EQ(kashinInitialCentroids({1.0}, 3).size(), 8u);
}

TEST(Kashin, StudentTBeatsRTNInt4PerChannel) {
  const int64_t R = 1024, C = 1024;
  std::mt19937_64 rng(2024);
  std::student_t_distribution<double> T(4.0);
  std::vector<float> W(R * C);
  for (auto &v : W)
    v = static_cast<float>(T(rng));
  // RTN int4 per channel (row): symmetric absmax, codes in [-7, 7], from the
  // format library ("sint4:ch").
  FormatSpec rtnFormat;
  ASSERT_TRUE(FormatSpec::parse("sint4:ch", rtnFormat).ok());
  QuantizedTensor rtnQ;
  ASSERT_TRUE(quantize(W.data(), {R, C}, rtnFormat, {}, rtnQ).ok());
  std::vector<float> rtnY(W.size());
  ASSERT_TRUE(dequantize(rtnQ, rtnY.data()).ok());
  double rtn = mse(W.data(), rtnY.data(), R * C);
  // Kashin 2+2 per row, DCT.
  RandomizedTransform P(C, KashinTransform::DCT, 77);
  std::vector<double> err(R, 0.0);
  std::vector<int> ok(R, 0);
  parallelFor(R, 16, 0, [&](int64_t lo, int64_t hi) {
    std::vector<double> x(C), xr(C);
    for (int64_t i = lo; i < hi; ++i) {
      for (int64_t j = 0; j < C; ++j)
        x[j] = W[i * C + j];
      KashinCode code;
      KashinOptions o;
      o.tol = 1e-3;
      if (!kashinQuantizeVector(x.data(), P, 2, 2, false, o, code).ok())
        continue;
      ok[i] = 1;
      kashinReconstruct(code, P, false, xr.data());
      for (int64_t j = 0; j < C; ++j)
        err[i] += (x[j] - xr[j]) * (x[j] - xr[j]);
    }
  });
  double kashin = 0;
  for (int64_t i = 0; i < R; ++i) {
    ASSERT_TRUE(ok[i]) << "row " << i;
    kashin += err[i];
  }
  kashin /= double(R * C);
  std::printf("[ info ] Student-t(4) 1024x1024: MSE Kashin 2+2 (dct) = %.5f, "
              "RTN int4 per-channel = %.5f\n",
              kashin, rtn);
  EXPECT_LT(kashin, rtn);
}

TEST(Kashin, JointCodeReconstructs) {
  const int64_t N = 512;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> G(0, 1);
  std::vector<double> x(N), xr(N), xs(N);
  for (auto &v : x)
    v = G(rng);
  RandomizedTransform P(N, KashinTransform::Hadamard, 4);
  KashinCode joint, sep;
  ASSERT_TRUE(
      kashinQuantizeVector(x.data(), P, 4, 0, true, KashinOptions(), joint)
          .ok());
  ASSERT_TRUE(
      kashinQuantizeVector(x.data(), P, 2, 2, false, KashinOptions(), sep)
          .ok());
  EXPECT_EQ(joint.cu.size(), 16u);
  EXPECT_TRUE(joint.codesV.empty());
  kashinReconstruct(joint, P, true, xr.data());
  kashinReconstruct(sep, P, false, xs.data());
  double ej = 0, es = 0, nx = 0;
  for (int64_t i = 0; i < N; ++i) {
    ej += (x[i] - xr[i]) * (x[i] - xr[i]);
    es += (x[i] - xs[i]) * (x[i] - xs[i]);
    nx += x[i] * x[i];
  }
  std::printf("[ info ] N(0,1) N=512 relative MSE: joint 4-bit %.4f, "
              "2+2 %.4f\n",
              ej / nx, es / nx);
  EXPECT_LT(ej / nx, 0.1);
  EXPECT_LT(es / nx, 0.1);
}

//===----------------------------------------------------------------------===//
// Kashin formats through quantize() / dequantize()
//===----------------------------------------------------------------------===//

TEST(KashinTensor, RoundTripAndSizes) {
  const int64_t R = 24, C = 256;
  std::mt19937_64 rng(5);
  std::student_t_distribution<float> T(4.0f);
  std::vector<float> w(R * C);
  for (auto &v : w)
    v = T(rng);
  for (const char *fs : {"kashin:2+2", "kashin:2+2:hadamard", "kashin:4:joint",
                         "kashin:3+1:g64", "kashin:1+1:g128:hadamard"}) {
    FormatSpec f;
    ASSERT_TRUE(FormatSpec::parse(fs, f).ok()) << fs;
    QuantizeOptions o;
    o.seed = 0x1234567890ULL;
    QuantizedTensor q;
    ASSERT_TRUE(quantize(w.data(), {R, C}, f, o, q).ok()) << fs;
    ASSERT_TRUE(q.verify().ok()) << fs;
    // Exact bits per weight: codes + centroids + the seed.
    int64_t n = R * C, g = f.groupSize({R, C}), groups = n / g;
    double bpw;
    if (f.kashinJoint)
      bpw = (std::ceil(n * f.kashinBitsU / 8.0) * 8 +
             groups * (64.0 * (1 << f.kashinBitsU)) + 64) /
            n;
    else
      bpw =
          (std::ceil(n * f.kashinBitsU / 8.0) * 8 +
           std::ceil(n * f.kashinBitsV / 8.0) * 8 +
           groups * 32.0 * ((1 << f.kashinBitsU) + (1 << f.kashinBitsV)) + 64) /
          n;
    EXPECT_DOUBLE_EQ(8.0 * q.totalBytes() / n, bpw) << fs;
    std::vector<float> back(n), back4(n);
    ASSERT_TRUE(dequantize(q, back.data(), 1).ok());
    ASSERT_TRUE(dequantize(q, back4.data(), 4).ok());
    EXPECT_EQ(back, back4);
    // The decoder matches the direct decomposition of one vector.
    RandomizedTransform P(g, f.kashinTransform, o.seed);
    std::vector<double> x(g), xr(g);
    for (int64_t j = 0; j < g; ++j)
      x[j] = w[j];
    KashinCode code;
    ASSERT_TRUE(kashinQuantizeVector(x.data(), P, f.kashinBitsU, f.kashinBitsV,
                                     f.kashinJoint, KashinOptions(), code)
                    .ok());
    kashinReconstruct(code, P, f.kashinJoint, xr.data());
    for (int64_t j = 0; j < g; ++j)
      EXPECT_EQ(back[j], static_cast<float>(xr[j])) << fs << " " << j;
    double mse = 0, e = 0;
    for (int64_t i = 0; i < n; ++i) {
      mse += (w[i] - back[i]) * (w[i] - back[i]);
      e += w[i] * w[i];
    }
    std::printf("[ info ] %-26s bpw %.4f  relative MSE %.4f\n", fs, bpw,
                mse / e);
    EXPECT_LT(mse / e, 0.35) << fs;
  }
  // Thread count does not change the bytes.
  FormatSpec f;
  ASSERT_TRUE(FormatSpec::parse("kashin:2+2", f).ok());
  QuantizeOptions o1, o4;
  o1.threads = 1;
  o4.threads = 4;
  QuantizedTensor a, b;
  ASSERT_TRUE(quantize(w.data(), {R, C}, f, o1, a).ok());
  ASSERT_TRUE(quantize(w.data(), {R, C}, f, o4, b).ok());
  for (unsigned s = 0; s < kNumSections; ++s)
    EXPECT_EQ(a.sections[s], b.sections[s]);
}

TEST(KashinTensor, BadShapes) {
  FormatSpec f;
  ASSERT_TRUE(FormatSpec::parse("kashin:2+2:hadamard", f).ok());
  std::vector<float> w(4 * 12, 1.0f);
  QuantizedTensor q;
  EXPECT_FALSE(quantize(w.data(), {4, 12}, f, QuantizeOptions(), q).ok());
}

TEST(KashinTensor, NearFltMaxDecodesFinite) {
  // Inputs of magnitude ~FLT_MAX: the reconstruction u + P^T v (double) may
  // exceed FLT_MAX by the quantization error. The decoded f32 values
  // saturate to +-FLT_MAX (never inf; the error only shrinks since |x| <=
  // FLT_MAX) and the stored centroids are finite; inside the f32 range the
  // decoded value is static_cast<float> of the reconstruction, as before.
  const int64_t R = 2, C = 256;
  std::vector<float> w(R * C);
  for (int64_t i = 0; i < R * C; ++i)
    w[i] = static_cast<float>(FLT_MAX * std::sin(0.37 * double(i)));
  int saturated = 0;
  for (const char *fs : {"kashin:2+2", "kashin:2+2:hadamard", "kashin:4:joint",
                         "kashin:4:joint:hadamard", "kashin:3+1:hadamard"}) {
    SCOPED_TRACE(fs);
    FormatSpec f;
    ASSERT_TRUE(FormatSpec::parse(fs, f).ok());
    QuantizeOptions o;
    QuantizedTensor q;
    ASSERT_TRUE(quantize(w.data(), {R, C}, f, o, q).ok());
    const std::vector<uint8_t> &cb = q.section(Section::Codebooks);
    for (size_t i = 8; i + 4 <= cb.size(); i += 4) {
      float v;
      std::memcpy(&v, &cb[i], 4);
      EXPECT_TRUE(std::isfinite(v)) << "centroid " << (i - 8) / 4;
    }
    std::vector<float> back(R * C);
    ASSERT_TRUE(dequantize(q, back.data(), 1).ok());
    double worst = 0;
    for (int64_t i = 0; i < R * C; ++i) {
      ASSERT_TRUE(std::isfinite(back[i])) << "element " << i;
      worst = std::max(worst, std::fabs(double(back[i]) - w[i]));
    }
    EXPECT_LT(worst, 0.5 * FLT_MAX);
    // The first vector, decoded directly: saturation exactly where the
    // double reconstruction leaves the f32 range.
    RandomizedTransform P(C, f.kashinTransform, o.seed);
    std::vector<double> x(w.begin(), w.begin() + C), xr(C);
    KashinCode code;
    ASSERT_TRUE(kashinQuantizeVector(x.data(), P, f.kashinBitsU, f.kashinBitsV,
                                     f.kashinJoint, KashinOptions(), code)
                    .ok());
    kashinReconstruct(code, P, f.kashinJoint, xr.data());
    std::vector<float> xf(C);
    kashinReconstruct(code, P, f.kashinJoint, xf.data());
    for (int64_t j = 0; j < C; ++j) {
      EXPECT_EQ(back[j], xf[j]) << j;
      if (std::fabs(xr[j]) > FLT_MAX) {
        EXPECT_EQ(xf[j], std::copysign(FLT_MAX, xr[j])) << j;
        ++saturated;
      } else {
        EXPECT_EQ(xf[j], static_cast<float>(xr[j])) << j;
      }
    }
  }
  // The Hadamard case used to decode to inf: the saturation is exercised.
  EXPECT_GT(saturated, 0);
}
