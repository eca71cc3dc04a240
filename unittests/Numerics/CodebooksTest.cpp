//===- CodebooksTest.cpp - Lloyd-Max, CRD and fixed tables ----------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Codebooks.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace qforge::num;

namespace {
double normalPdf(double x) {
  return distributionPdf(Distribution::Normal, 0, x);
}

FormatSpec parsed(const char *s) {
  FormatSpec f;
  Status st = FormatSpec::parse(s, f);
  EXPECT_TRUE(st.ok()) << s << ": " << st.message();
  return f;
}

double quantMse(const std::vector<float> &x, const std::vector<int64_t> &shape,
                const FormatSpec &f) {
  QuantizedTensor q;
  QuantizeOptions o;
  Status s = quantize(x.data(), shape, f, o, q);
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<float> y(x.size());
  s = dequantize(q, y.data());
  EXPECT_TRUE(s.ok()) << s.message();
  return mse(x.data(), y.data(), static_cast<int64_t>(x.size()));
}
} // namespace

// Max (1960), Table I: optimal MSE of the Lloyd-Max quantizer of N(0,1).
TEST(Codebooks, LloydMaxReproducesMax) {
  const double maxMse[] = {0.3634, 0.1175, 0.03454, 0.009497, 0.002499};
  for (unsigned b = 1; b <= 5; ++b) {
    LloydMaxResult r = lloydMaxDensity(normalPdf, 1u << b, -12, 12);
    EXPECT_NEAR(r.mse, maxMse[b - 1], 0.005 * maxMse[b - 1]) << b << " bits";
    ASSERT_EQ(r.values.size(), 1u << b);
    for (size_t i = 1; i < r.values.size(); ++i)
      EXPECT_LT(r.values[i - 1], r.values[i]);
    EXPECT_NEAR(r.values.front(), -r.values.back(), 1e-6);
  }
}

TEST(Codebooks, LloydMaxSampleMatchesDensity) {
  std::vector<float> x = normalSamples(200000, 11);
  LloydMaxResult r = lloydMaxSample(x.data(), x.size(), 16);
  EXPECT_NEAR(r.mse, 0.009497, 0.03 * 0.009497);
  // Re-running gives the same table (deterministic).
  LloydMaxResult r2 = lloydMaxSample(x.data(), x.size(), 16);
  EXPECT_EQ(r.values, r2.values);
}

TEST(Codebooks, CRDNormalRMSWithinFivePercentOfLloydMax) {
  std::vector<float> x = normalSamples(1000000, 42);
  FormatSpec f = parsed("crd-normal:4:rms");
  EXPECT_EQ(f.granularity, Granularity::Tensor);
  double m = quantMse(x, {1000, 1000}, f);
  double lm = lloydMaxDensity(normalPdf, 16, -12, 12).mse;
  EXPECT_LT(m, 1.05 * lm) << "CRD " << m << " Lloyd-Max " << lm;
  EXPECT_GT(m, 0.98 * lm);
}

TEST(Codebooks, CRDStudentTBeatsNF4OnStudentT) {
  std::vector<float> x = studentTSamples(1 << 20, 5.0, 5);
  FormatSpec crd = parsed("crd-t5:4:g64"), nf4 = parsed("nf4:g64");
  EXPECT_EQ(crd.bitsPerWeight(), nf4.bitsPerWeight());
  double mc = quantMse(x, {1024, 1024}, crd),
         mn = quantMse(x, {1024, 1024}, nf4);
  EXPECT_LT(mc, mn) << "crd-t " << mc << " nf4 " << mn;
}

TEST(Codebooks, CRDTableShapes) {
  for (Distribution d :
       {Distribution::Normal, Distribution::Laplace, Distribution::StudentT}) {
    for (unsigned b = 1; b <= 8; ++b) {
      for (TableScaling s : {TableScaling::RMS, TableScaling::AbsMax}) {
        std::vector<double> t = crdTable(d, 5.0, b, s, 64);
        ASSERT_EQ(t.size(), 1u << b);
        for (size_t i = 1; i < t.size(); ++i)
          ASSERT_LT(t[i - 1], t[i]) << int(d) << " " << b;
        for (size_t i = 0; i < t.size(); ++i)
          EXPECT_EQ(t[i], -t[t.size() - 1 - i]);
        if (s == TableScaling::AbsMax) {
          EXPECT_EQ(t.front(), -1.0);
          EXPECT_EQ(t.back(), 1.0);
        }
      }
    }
  }
  // Absmax tables depend on the block size: larger blocks have a larger
  // absmax relative to the bulk, so the inner values move towards 0.
  std::vector<double> t32 =
      crdTable(Distribution::Normal, 0, 4, TableScaling::AbsMax, 32);
  std::vector<double> t1024 =
      crdTable(Distribution::Normal, 0, 4, TableScaling::AbsMax, 1024);
  EXPECT_LT(t1024[8], t32[8]);
  EXPECT_GT(medianBlockAbsMax(Distribution::Normal, 0, 1024),
            medianBlockAbsMax(Distribution::Normal, 0, 32));
  // The median absmax of one N(0,1) sample is the 75% quantile: 0.6745.
  EXPECT_NEAR(medianBlockAbsMax(Distribution::Normal, 0, 1), 0.6745, 1e-3);
}

TEST(Codebooks, FixedTables) {
  std::vector<double> nf4 = nf4Table();
  ASSERT_EQ(nf4.size(), 16u);
  EXPECT_EQ(nf4[0], -1.0);
  EXPECT_EQ(nf4[7], 0.0);
  EXPECT_EQ(nf4[15], 1.0);
  EXPECT_DOUBLE_EQ(nf4[8], 0.07958029955625534);
  std::vector<double> iq = iq4nlTable();
  EXPECT_DOUBLE_EQ(iq[0], -1.0);
  EXPECT_DOUBLE_EQ(iq[15], 113.0 / 127);
  EXPECT_EQ(parsed("nf4:g64").tableValues(), nf4);
  EXPECT_EQ(parsed("iq4_nl").tableValues(), iq);
  EXPECT_TRUE(parsed("int4:g32").tableValues().empty());
  FormatSpec inl = parsed("lut2[-1,-0.25,0.5,1]:g32");
  EXPECT_EQ(inl.tableValues(), (std::vector<double>{-1, -0.25, 0.5, 1}));
  // CRD tables of a spec follow its block size and scaling.
  EXPECT_EQ(parsed("crd-normal:4:g64").tableValues(),
            crdTable(Distribution::Normal, 0, 4, TableScaling::AbsMax, 64));
  EXPECT_EQ(parsed("crd-t5:3:rms:g64").tableValues(),
            crdTable(Distribution::StudentT, 5, 3, TableScaling::RMS, 64));
  EXPECT_EQ(uniformTable(5, -1, 1), (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
}

TEST(Codebooks, NearestIndexTies) {
  std::vector<double> t = {-1, 0, 1, 2};
  EXPECT_EQ(nearestIndex(t, -5), 0u);
  EXPECT_EQ(nearestIndex(t, 0.4), 1u);
  EXPECT_EQ(nearestIndex(t, 0.5), 2u); // tie: even index
  EXPECT_EQ(nearestIndex(t, -0.5), 0u);
  EXPECT_EQ(nearestIndex(t, 9), 3u);
}
