//===- QuantizerTest.cpp - Tensor quantization, scaling, bad input --------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Packing.h"
#include "qforge/Numerics/Random.h"
#include "qforge/Numerics/Scaling.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

using namespace qforge::num;

namespace {

FormatSpec parsed(const std::string &s) {
  FormatSpec f;
  Status st = FormatSpec::parse(s, f);
  EXPECT_TRUE(st.ok()) << s << ": " << st.message();
  return f;
}

struct RoundTrip {
  QuantizedTensor q;
  std::vector<float> y;
  Status status;
};

RoundTrip roundTrip(const std::vector<float> &x,
                    const std::vector<int64_t> &shape, const FormatSpec &f,
                    QuantizeOptions o = {}) {
  RoundTrip r;
  r.status = quantize(x.data(), shape, f, o, r.q);
  if (!r.status)
    return r;
  r.y.assign(x.size(), std::numeric_limits<float>::quiet_NaN());
  r.status = dequantize(r.q, r.y.data(), o.threads);
  return r;
}

// Every Plain format the spec language names, with representative options.
const char *kPlainSpecs[] = {
    "int2:g32",
    "int3:g32",
    "int4:g32",
    "int5:g16",
    "int6:g64",
    "int7:g32",
    "int8:g32",
    "sint4:g32",
    "sint8:ch",
    "uint2:g32:zp",
    "uint4:g32:zp",
    "uint8:g64:zp",
    "uint3:g32:zp:search",
    "int4:g32:search",
    "int4:g32:signmax",
    "int4:g32:bf16",
    "int4:g32:f16",
    "int4:g32:e4m3:dq=8",
    "int8:tensor",
    "e2m1:g32",
    "e3m2:g32",
    "e2m3:g32",
    "e4m3:g32",
    "e5m2:g32",
    "e4m3:noscale",
    "mxfp4",
    "mxfp6",
    "mxfp6e3m2",
    "mxfp8",
    "mxfp8e5m2",
    "int8:g32:e8m0",
    "nvfp4",
    "nf4:g64",
    "nf4:g64:bf16:dq=tensor",
    "iq4nl:g32:f16:signmax",
    "crd-normal:4:g64",
    "crd-laplace:3:g64",
    "crd-t5:4:g64",
    "crd-normal:4:rms",
    "crd-t5:4:rms:g64",
    "crd-normal:2:g32@0",
    "lut2[-1,-0.25,0.5,1]:g32",
    "int4:g64:outliers=2^-7",
    "nf4:g64:outliers=2^-10/f32",
    "int4:ch@0",
    "int4:g8@0",
};

} // namespace

//===--- Element grids ---------------------------------------------------===//

TEST(ElementGrid, NearestAndStochasticMatchBruteForce) {
  Rng rng(3);
  for (const char *spec : kPlainSpecs) {
    FormatSpec f = parsed(spec);
    ElementGrid g(f);
    const auto &vals = g.sortedValues();
    // Every representable value encodes to itself.
    for (double v : vals)
      ASSERT_EQ(g.value(g.nearest(v)), static_cast<float>(v)) << spec;
    double lo = vals.front(), hi = vals.back(), span = hi - lo;
    for (int i = 0; i < 3000; ++i) {
      double t = lo - 0.1 * span + 1.2 * span * rng.uniform();
      if (i % 3 == 0 && vals.size() > 1) { // exact ties
        size_t k = rng.next() % (vals.size() - 1);
        t = 0.5 * (vals[k] + vals[k + 1]);
      }
      uint8_t c = g.nearest(t);
      double best = std::numeric_limits<double>::infinity();
      for (double v : vals)
        best = std::min(best, std::fabs(v - t));
      ASSERT_NEAR(std::fabs(g.value(c) - t), best, 1e-6 * span)
          << spec << " t=" << t;
      // Ties go to the even code.
      int nBest = 0;
      for (double v : vals)
        nBest += std::fabs(v - t) == best;
      if (nBest == 2 && !f.zeroPoint) {
        EXPECT_EQ(c % 2, 0) << spec << " tie at " << t;
      }
      // Stochastic rounding picks a neighbour.
      uint8_t s = g.stochastic(t, rng.uniform());
      double sv = g.value(s);
      if (t >= lo && t <= hi) {
        auto it = std::upper_bound(vals.begin(), vals.end(), t);
        double up = it == vals.end() ? hi : *it;
        double down = it == vals.begin() ? lo : *(it - 1);
        EXPECT_TRUE(sv == static_cast<float>(up) ||
                    sv == static_cast<float>(down))
            << spec << " t=" << t;
      }
    }
  }
}

TEST(ElementGrid, IntegerRanges) {
  ElementGrid s4(parsed("int4:g32")), y4(parsed("sint4:g32")),
      u4(parsed("uint4:g32:zp"));
  EXPECT_EQ(s4.minValue(), -8);
  EXPECT_EQ(s4.maxValue(), 7);
  EXPECT_EQ(s4.absMaxRange(), 7);
  EXPECT_EQ(s4.signMaxExtreme(), -8);
  EXPECT_EQ(y4.minValue(), -7);
  EXPECT_EQ(u4.minValue(), 0);
  EXPECT_EQ(u4.maxValue(), 15);
  // Two's complement low bits.
  EXPECT_EQ(s4.nearest(-1.0), 0xF);
  EXPECT_EQ(s4.nearest(-8.0), 0x8);
  EXPECT_EQ(s4.nearest(2.5), 2); // half to even
  EXPECT_EQ(s4.nearest(3.5), 4);
  EXPECT_EQ(s4.nearest(100), 7); // saturates
}

//===--- Round trips -----------------------------------------------------===//

TEST(Quantizer, RoundTripEveryPlainFormat) {
  std::vector<float> x = normalSamples(64 * 256, 1);
  for (const char *spec : kPlainSpecs) {
    FormatSpec f = parsed(spec);
    RoundTrip r = roundTrip(x, {64, 256}, f);
    ASSERT_TRUE(r.status.ok()) << spec << ": " << r.status.message();
    EXPECT_TRUE(r.q.verify().ok()) << spec;
    EXPECT_EQ(r.q.totalBytes(), storageBytes(f, {64, 256})) << spec;
    ErrorMetrics m = errorMetrics(x.data(), r.y.data(), x.size());
    // Loose bound: at least ~1 bit of SNR per code bit beyond one.
    double bound = 1.3 * std::pow(2.0, -1.5 * (f.bits - 1)) + 0.02;
    EXPECT_LT(m.mse, bound) << spec;
    EXPECT_TRUE(std::isfinite(m.mse)) << spec;
    // Decoding the decoded tensor again is a fixed point for the codes'
    // values (re-quantizing reproduces it to within rounding of the scale).
    RoundTrip r2 = roundTrip(r.y, {64, 256}, f);
    ASSERT_TRUE(r2.status.ok()) << spec;
    EXPECT_LE(mse(r.y.data(), r2.y.data(), x.size()), m.mse * 1.01 + 1e-12)
        << spec;
  }
}

TEST(Quantizer, DecodeOfEncodeIsNearestRepresentable) {
  // Without a scale the round trip is the saturating e4m3 conversion:
  // representable values are fixed points, ties go to even, beyond 448
  // saturates.
  std::vector<float> x = normalSamples(4096, 5);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] *= (i % 3 == 0) ? 300.0f : (i % 3 == 1 ? 0.01f : 1.0f);
  const FloatCodec &c = codecE4M3FN();
  for (uint32_t code = 0; code < 256; ++code)
    if (!c.isNaNCode(code))
      x.push_back(static_cast<float>(c.decode(code)));
  for (uint32_t code = 0; code + 1 < 126; ++code) // ties between neighbours
    x.push_back(
        static_cast<float>(0.5 * (c.decode(code) + c.decode(code + 1))));
  while (x.size() % 64)
    x.push_back(0.0f);
  int64_t n = static_cast<int64_t>(x.size());
  RoundTrip r = roundTrip(x, {n}, parsed("e4m3:noscale"));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(r.y[i], static_cast<float>(c.decode(c.encode(x[i], true))))
        << x[i];
  // Per-tensor int8 with an f32 absmax scale: s * clamp(rint(x / s)).
  RoundTrip q = roundTrip(x, {n}, parsed("int8:tensor"));
  ASSERT_TRUE(q.status.ok());
  float s;
  std::memcpy(&s, q.q.section(Section::Scales).data(), 4);
  float amax = 0;
  for (float v : x)
    amax = std::max(amax, std::fabs(v));
  EXPECT_EQ(s, amax / 127.0f);
  for (int64_t i = 0; i < n; ++i) {
    double t = std::nearbyint(static_cast<double>(x[i]) / s);
    t = std::min(127.0, std::max(-128.0, t));
    ASSERT_EQ(q.y[i], s * static_cast<float>(t)) << x[i];
  }
}

TEST(Quantizer, GroupsAlongAnyAxis) {
  // Blocks along axis 0 of a [256, 48] tensor are the blocks along the
  // last axis of its transpose, enumerated in the order of the group grid.
  std::vector<float> x = normalSamples(256 * 48, 2), xt(x.size());
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 48; ++j)
      xt[j * 256 + i] = x[i * 48 + j];
  RoundTrip a = roundTrip(x, {256, 48}, parsed("int4:g32@0"));
  RoundTrip b = roundTrip(xt, {48, 256}, parsed("int4:g32"));
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 48; ++j)
      ASSERT_EQ(a.y[i * 48 + j], b.y[j * 256 + i]);
  // Group id of the axis-0 block (bi, col) is bi * 48 + col.
  FormatSpec fa = parsed("int4:g32@0");
  const auto &sa = a.q.section(Section::Scales);
  const auto &sb = b.q.section(Section::Scales);
  for (int bi = 0; bi < 8; ++bi)
    for (int col = 0; col < 48; ++col)
      ASSERT_EQ(std::memcmp(sa.data() + 4 * (bi * 48 + col),
                            sb.data() + 4 * (col * 8 + bi), 4),
                0);
  EXPECT_EQ(fa.numGroups({256, 48}), 8 * 48);
  // Per-channel along axis 0 = per row.
  RoundTrip c = roundTrip(x, {256, 48}, parsed("int4:ch@0"));
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(c.q.section(Section::Scales).size(), 256u * 4);
}

TEST(Quantizer, KnownAnswerInt8) {
  // int8:g4 (f32 absmax): scale = absmax / 127; codes two's complement.
  std::vector<float> x = {127, -63.5, 0, 1, 0, 0, 0, 0};
  RoundTrip r = roundTrip(x, {8}, parsed("int8:g4"));
  ASSERT_TRUE(r.status.ok());
  const auto &c = r.q.section(Section::Codes);
  EXPECT_EQ(c, (std::vector<uint8_t>{127, 0xC0, 0, 1, 0, 0, 0, 0}));
  float s0;
  std::memcpy(&s0, r.q.section(Section::Scales).data(), 4);
  EXPECT_EQ(s0, 1.0f);
  float s1;
  std::memcpy(&s1, r.q.section(Section::Scales).data() + 4, 4);
  EXPECT_EQ(s1, 0.0f); // all-zero block
  EXPECT_EQ(r.y, (std::vector<float>{127, -64, 0, 1, 0, 0, 0, 0}));
}

TEST(Quantizer, MXScaleRule) {
  // mxfp4: X = 2^(floor(log2(amax)) - 2); 7 / 2 = 3.5 encodes as 4 (tie to
  // even mantissa) and 13 / 2 = 6.5 saturates to 6.
  std::vector<float> x(32, 0.0f);
  x[0] = 13;
  x[1] = 7;
  x[2] = -1.0; // -0.5 after scaling: exact
  RoundTrip r = roundTrip(x, {32}, parsed("mxfp4"));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.q.section(Section::Scales)[0], 127 + 1);
  EXPECT_EQ(r.y[0], 12.0f);
  EXPECT_EQ(r.y[1], 8.0f);
  EXPECT_EQ(r.y[2], -1.0f);
  x[2] = -0.5; // -0.25: a tie between 0 and 0.5 -> even mantissa: 0
  r = roundTrip(x, {32}, parsed("mxfp4"));
  EXPECT_EQ(r.y[2], 0.0f);
}

//===--- Scales
//------------------------------------------------------------===//

TEST(Quantizer, SearchBeatsAbsMaxAndUsesImportance) {
  std::vector<float> x = studentTSamples(128 * 128, 4, 9);
  double ma =
      mse(x.data(), roundTrip(x, {128, 128}, parsed("int3:g64")).y.data(),
          x.size());
  double ms = mse(x.data(),
                  roundTrip(x, {128, 128}, parsed("int3:g64:search")).y.data(),
                  x.size());
  EXPECT_LT(ms, ma);
  EXPECT_EQ(searchMultipliers().size(), 17u);
  EXPECT_DOUBLE_EQ(searchMultipliers()[0], 0.25);
  EXPECT_DOUBLE_EQ(searchMultipliers()[8], 1.0);
  EXPECT_DOUBLE_EQ(searchMultipliers()[16], 4.0);
  // Importance-weighted search lowers the weighted error.
  std::vector<float> w(x.size());
  Rng r(4);
  for (float &v : w)
    v = static_cast<float>(r.uniform() < 0.1 ? 100.0 : 1.0);
  QuantizeOptions o;
  o.importance = w.data();
  RoundTrip rw = roundTrip(x, {128, 128}, parsed("int3:g64:search"), o);
  RoundTrip ru = roundTrip(x, {128, 128}, parsed("int3:g64:search"));
  EXPECT_LT(weightedMse(x.data(), rw.y.data(), w.data(), x.size()),
            weightedMse(x.data(), ru.y.data(), w.data(), x.size()));
}

TEST(Quantizer, ZeroPointAsymmetric) {
  std::vector<float> x(64 * 64);
  Rng r(5);
  for (float &v : x)
    v = static_cast<float>(0.5 + r.uniform()); // in [0.5, 1.5)
  RoundTrip u = roundTrip(x, {64, 64}, parsed("uint4:g64:zp"));
  RoundTrip s = roundTrip(x, {64, 64}, parsed("int4:g64"));
  ASSERT_TRUE(u.status.ok() && s.status.ok());
  EXPECT_EQ(u.q.section(Section::ZeroPoints).size(), 64u);
  // Range [0, 1.5): zp = 0 codes the minimum 0.
  EXPECT_EQ(u.q.section(Section::ZeroPoints)[0], 0);
  std::vector<float> neg(x);
  for (float &v : neg)
    v -= 1.0f; // [-0.5, 0.5): zp near 7.5
  RoundTrip n = roundTrip(neg, {64, 64}, parsed("uint4:g64:zp"));
  EXPECT_NEAR(n.q.section(Section::ZeroPoints)[0], 7.5, 1.0);
  EXPECT_LT(mse(neg.data(), n.y.data(), x.size()), 0.0015);
}

TEST(Quantizer, DoubleQuantization) {
  std::vector<float> x = normalSamples(64 * 256, 6);
  for (float &v : x)
    v *= 1e4f; // scales beyond e4m3's range without the super-scale
  FormatSpec nv = parsed("nvfp4");
  RoundTrip r = roundTrip(x, {64, 256}, nv);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.q.section(Section::SuperScales).size(), 4u);
  float sup;
  std::memcpy(&sup, r.q.section(Section::SuperScales).data(), 4);
  // Super-scale: the largest block scale maps to e4m3's 448.
  float amax = 0;
  for (float v : x)
    amax = std::max(amax, std::fabs(v));
  EXPECT_FLOAT_EQ(sup, static_cast<float>(amax / 6.0 / 448.0));
  EXPECT_LT(vnmse(x.data(), r.y.data(), x.size()), 0.02);
  // Grouped super-scales: one per 8 scales.
  RoundTrip g = roundTrip(x, {64, 256}, parsed("int4:g32:e4m3:dq=8"));
  ASSERT_TRUE(g.status.ok()) << g.status.message();
  EXPECT_EQ(g.q.section(Section::SuperScales).size(), 4u * 64);
  // Without double quantization e4m3 scales cannot hold them: an error.
  RoundTrip e = roundTrip(x, {64, 256}, parsed("e2m1:g16:e4m3"));
  EXPECT_FALSE(e.status.ok());
  EXPECT_NE(e.status.message().find("e4m3"), std::string::npos)
      << e.status.message();
}

TEST(Quantizer, SparseOutliers) {
  std::vector<float> x = normalSamples(128 * 128, 8);
  x[77] = 1000.0f;
  x[5000] = -300.0f;
  FormatSpec f = parsed("int4:g64:outliers=2^-7");
  int64_t k = f.numOutliers(x.size());
  EXPECT_EQ(k, 128);
  RoundTrip r = roundTrip(x, {128, 128}, f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.y[77], 1000.0f);
  EXPECT_EQ(r.y[5000], -300.0f);
  // Indices are sorted and are the k largest magnitudes.
  const auto &sec = r.q.section(Section::Outliers);
  ASSERT_EQ(sec.size(), static_cast<size_t>(k) * 6);
  std::vector<float> mags;
  for (float v : x)
    mags.push_back(std::fabs(v));
  std::nth_element(mags.begin(), mags.begin() + (k - 1), mags.end(),
                   std::greater<float>());
  float kth = mags[k - 1];
  uint32_t prev = 0;
  for (int64_t j = 0; j < k; ++j) {
    uint32_t idx;
    std::memcpy(&idx, sec.data() + 4 * j, 4);
    if (j) {
      EXPECT_GT(idx, prev);
    }
    prev = idx;
    EXPECT_GE(std::fabs(x[idx]), kth);
    EXPECT_EQ(r.y[idx], bf16ToFloat(floatToBF16(x[idx])));
  }
  // Outliers do not inflate the scale of their block.
  RoundTrip plain = roundTrip(x, {128, 128}, parsed("int4:g64"));
  EXPECT_LT(mse(x.data(), r.y.data(), x.size()),
            0.5 * mse(x.data(), plain.y.data(), x.size()));
}

//===--- Rounding and threads --------------------------------------------===//

TEST(Quantizer, IdenticalForAnyThreadCount) {
  std::vector<float> x = normalSamples(96 * 512, 10);
  for (const char *spec :
       {"int4:g32", "int3:g32@0", "nf4:g64:search", "nvfp4",
        "uint4:g32:zp:search", "int4:ch@0", "crd-t5:4:rms",
        "int4:g64:outliers=2^-7", "q4_0", "q4_k", "iq4_nl", "e3m2:g32"}) {
    FormatSpec f = parsed(spec);
    for (Rounding rnd : {Rounding::Nearest, Rounding::Stochastic}) {
      if (rnd == Rounding::Stochastic && f.layout != Layout::Plain)
        continue;
      QuantizeOptions o1, o4;
      o1.threads = 1;
      o4.threads = 4;
      o1.rounding = o4.rounding = rnd;
      o1.seed = o4.seed = 1234;
      RoundTrip a = roundTrip(x, {96, 512}, f, o1);
      RoundTrip b = roundTrip(x, {96, 512}, f, o4);
      ASSERT_TRUE(a.status.ok() && b.status.ok()) << spec;
      EXPECT_EQ(a.q.sections, b.q.sections) << spec;
      EXPECT_EQ(0, std::memcmp(a.y.data(), b.y.data(), 4 * x.size())) << spec;
    }
  }
}

TEST(Quantizer, LargeGroupsRunInParallelDeterministically) {
  // Groups above Rng::kChunk elements are split into chunks across threads;
  // the result equals the sequential GroupQuantizer on the whole group.
  std::vector<float> x = studentTSamples(3 * Rng::kChunk + 1000, 5.0, 13);
  int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> w(x.size());
  Rng r(2);
  for (float &v : w)
    v = static_cast<float>(r.uniform());
  for (const char *spec :
       {"int8:tensor", "int4:tensor:search", "uint4:tensor:zp:search",
        "crd-t5:4:rms", "e2m1:tensor:bf16:search"}) {
    FormatSpec f = parsed(spec);
    for (bool stoch : {false, true}) {
      QuantizeOptions o1, o2;
      o1.threads = 1;
      o2.threads = 3;
      o1.importance = o2.importance = w.data();
      o1.rounding = o2.rounding =
          stoch ? Rounding::Stochastic : Rounding::Nearest;
      o1.seed = o2.seed = 5;
      RoundTrip a = roundTrip(x, {n}, f, o1), b = roundTrip(x, {n}, f, o2);
      ASSERT_TRUE(a.status.ok() && b.status.ok()) << spec;
      EXPECT_EQ(a.q.sections, b.q.sections) << spec;
      GroupQuantizer gq(f);
      std::vector<uint8_t> codes(x.size());
      GroupScale gs;
      ASSERT_TRUE(gq.quantize(x.data(), w.data(), n, false, 0.0f, stoch, 5, 0,
                              codes.data(), gs)
                      .ok());
      std::vector<uint8_t> packed(packedBytes(x.size(), f.bits), 0);
      packCodes(codes.data(), x.size(), f.bits, packed.data());
      EXPECT_EQ(packed, a.q.section(Section::Codes)) << spec;
    }
  }
  // Large per-channel groups along axis 0 (strided) as well.
  RoundTrip c1, c2;
  QuantizeOptions o1, o2;
  o1.threads = 1;
  o2.threads = 4;
  // Its own data: x has fewer than 4 * kChunk elements.
  std::vector<float> y = normalSamples(4 * Rng::kChunk, 14);
  c1 = roundTrip(y, {Rng::kChunk * 2, 2}, parsed("int4:ch@1"), o1);
  c2 = roundTrip(y, {Rng::kChunk * 2, 2}, parsed("int4:ch@1"), o2);
  ASSERT_TRUE(c1.status.ok() && c2.status.ok())
      << c1.status.message() << " | " << c2.status.message();
  EXPECT_EQ(c1.q.sections, c2.q.sections);
  EXPECT_LT(vnmse(y.data(), c1.y.data(), y.size()), 0.2);
}

TEST(Quantizer, StochasticRoundingIsUnbiasedAndReproducible) {
  std::vector<float> x = normalSamples(4096, 12);
  FormatSpec f = parsed("int3:g64");
  QuantizeOptions o;
  o.rounding = Rounding::Stochastic;
  o.seed = 99;
  RoundTrip a = roundTrip(x, {4096}, f, o), b = roundTrip(x, {4096}, f, o);
  EXPECT_EQ(a.q.sections, b.q.sections);
  o.seed = 100;
  RoundTrip c = roundTrip(x, {4096}, f, o);
  EXPECT_NE(a.q.sections[0], c.q.sections[0]);
  // The mean over seeds converges to x (the scales do not depend on the
  // seed, so E[decode] = x exactly inside the range).
  std::vector<double> mean(x.size(), 0.0);
  const int reps = 400;
  for (int s = 0; s < reps; ++s) {
    o.seed = s;
    RoundTrip r = roundTrip(x, {4096}, f, o);
    for (size_t i = 0; i < x.size(); ++i)
      mean[i] += r.y[i] / reps;
  }
  RoundTrip nearest = roundTrip(x, {4096}, f);
  double bias = 0, nearestBias = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    bias += std::fabs(mean[i] - x[i]);
    nearestBias += std::fabs(nearest.y[i] - x[i]);
  }
  EXPECT_LT(bias, 0.15 * nearestBias);
  // Stochastic rounding works for minifloats and tables too.
  for (const char *spec : {"e2m1:g32", "nf4:g64", "uint4:g32:zp"}) {
    o.seed = 1;
    RoundTrip r = roundTrip(x, {4096}, parsed(spec), o);
    ASSERT_TRUE(r.status.ok()) << spec;
    EXPECT_LT(mse(x.data(), r.y.data(), x.size()), 0.1) << spec;
  }
}

//===--- Bad input -------------------------------------------------------===//

TEST(QuantizerBadInput, NonFiniteWeightsAreErrors) {
  std::vector<float> x = normalSamples(256, 1);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    std::vector<float> y = x;
    y[100] = bad;
    for (const char *spec : {"int4:g32", "q4_0", "nf4:g64:outliers=2^-7"}) {
      QuantizedTensor q;
      Status s = quantize(y.data(), {256}, parsed(spec), {}, q);
      ASSERT_FALSE(s.ok()) << spec;
      EXPECT_NE(s.message().find("element 100"), std::string::npos)
          << s.message();
    }
  }
}

TEST(QuantizerBadInput, AllZeroBlocksDecodeToExactZeros) {
  std::vector<float> x(256, 0.0f);
  for (int i = 128; i < 256; ++i)
    x[i] = static_cast<float>(i % 7) - 3;
  for (const char *spec : kPlainSpecs) {
    FormatSpec f = parsed(spec);
    if (f.granularity != Granularity::Block || f.axis != -1 ||
        f.outlierFraction > 0)
      continue;
    RoundTrip r = roundTrip(x, {2, 128}, f);
    ASSERT_TRUE(r.status.ok()) << spec << r.status.message();
    for (int i = 0; i < 128; ++i)
      ASSERT_EQ(r.y[i], 0.0f) << spec << " at " << i;
  }
  for (const char *spec : {"q4_0", "q8_0", "iq4_nl", "q4_k"}) {
    RoundTrip r = roundTrip(x, {1, 256}, parsed(spec));
    ASSERT_TRUE(r.status.ok()) << spec;
    for (int i = 0; i < 128; ++i)
      ASSERT_EQ(r.y[i], 0.0f) << spec;
  }
}

TEST(QuantizerBadInput, TinyAndHugeBlocks) {
  std::vector<float> x = normalSamples(128, 3);
  std::vector<float> tiny(x), huge(x);
  for (float &v : tiny)
    v *= FLT_MIN;
  for (float &v : huge)
    v *= 1e37f;
  // Near FLT_MIN: f32 scales stay finite and the error is relative.
  for (const char *spec :
       {"int4:g32", "int8:g32:search", "nf4:g64", "mxfp4", "uint4:g32:zp"}) {
    RoundTrip r = roundTrip(tiny, {128}, parsed(spec));
    ASSERT_TRUE(r.status.ok()) << spec;
    for (float v : r.y)
      ASSERT_TRUE(std::isfinite(v)) << spec;
    EXPECT_LT(vnmse(tiny.data(), r.y.data(), 128), 0.1) << spec;
  }
  // f16 scales flush to their smallest value: decoded values are finite and
  // tiny (the block underflows to ~0), never NaN.
  RoundTrip h = roundTrip(tiny, {128}, parsed("int4:g32:f16"));
  ASSERT_TRUE(h.status.ok());
  for (float v : h.y)
    ASSERT_LE(std::fabs(v), 1e-6f);
  // Beyond the scale type's range: an error naming the type.
  for (const char *spec : {"int4:g32:f16", "nf4:g64:f16", "e2m1:g32:e4m3"}) {
    QuantizedTensor q;
    Status s = quantize(huge.data(), {128}, parsed(spec), {}, q);
    ASSERT_FALSE(s.ok()) << spec;
    EXPECT_NE(s.message().find("does not fit scale type"), std::string::npos)
        << s.message();
  }
  // q4_0 has f16 block scales too.
  QuantizedTensor q;
  EXPECT_FALSE(quantize(huge.data(), {128}, parsed("q4_0"), {}, q).ok());
  // f32 / bf16 / e8m0 scales hold even FLT_MAX-sized blocks.
  std::vector<float> maxed(32, FLT_MAX);
  maxed[1] = -FLT_MAX;
  for (const char *spec :
       {"int4:g32", "int4:g32:bf16", "mxfp4", "int8:g32:e8m0"}) {
    RoundTrip r = roundTrip(maxed, {32}, parsed(spec));
    ASSERT_TRUE(r.status.ok()) << spec << ": " << r.status.message();
    for (float v : r.y)
      ASSERT_TRUE(std::isfinite(v)) << spec;
  }
}

TEST(QuantizerBadInput, ZeroPointCodesNearFltMaxDecodeFinite) {
  // The range [-FLT_MAX, FLT_MAX] gives scale 2 FLT_MAX / qmax and a zero
  // point near qmax / 2: the code farthest from the zero point would decode
  // (scale * (code - zp)) beyond f32. Only codes that decode to finite values
  // are used, so the extreme elements lose at most one step.
  std::vector<float> x(64);
  for (int i = 0; i < 64; ++i)
    x[i] = static_cast<float>(FLT_MAX * std::sin(0.37 * i));
  x[3] = FLT_MAX;
  x[9] = -FLT_MAX;
  for (const char *spec : {"uint4:g32:zp", "uint3:g32:bf16:zp", "uint8:g64:zp",
                           "uint2:g16:zp", "uint4:g32:zp:search"})
    for (Rounding r : {Rounding::Nearest, Rounding::Stochastic}) {
      SCOPED_TRACE(spec);
      QuantizeOptions o;
      o.rounding = r;
      RoundTrip t = roundTrip(x, {64}, parsed(spec), o);
      ASSERT_TRUE(t.status.ok()) << t.status.message();
      FormatSpec f = parsed(spec);
      GroupQuantizer gq(f);
      std::vector<uint8_t> codes(64);
      unpackCodes(t.q.section(Section::Codes).data(), 0, 64, f.bits,
                  codes.data());
      int64_t g = f.blockSize;
      for (int i = 0; i < 64; ++i) {
        ASSERT_TRUE(std::isfinite(t.y[i])) << "element " << i;
        GroupScale gs;
        gs.scale = decodeScale(
            f.scaleType,
            loadScaleBits(f.scaleType,
                          t.q.section(Section::Scales).data() +
                              (i / g) * (f.scaleBits(f.scaleType) / 8)));
        gs.zeroPoint = t.q.section(Section::ZeroPoints)[i / g];
        // One step (two with stochastic rounding) of the group's scale.
        double step = std::fabs(static_cast<double>(gs.scale));
        EXPECT_LE(std::fabs(static_cast<double>(t.y[i]) - x[i]),
                  (r == Rounding::Nearest ? 1.0 : 2.0) * step)
            << "element " << i << " code " << int(codes[i]);
        EXPECT_EQ(t.y[i], gq.decode(codes[i], gs));
      }
    }
  // Ordinary data keeps the full code range [0, qmax].
  std::vector<float> y(64);
  for (int i = 0; i < 64; ++i)
    y[i] = static_cast<float>(i) - 20.0f;
  RoundTrip o = roundTrip(y, {64}, parsed("uint4:g64:zp"));
  ASSERT_TRUE(o.status.ok());
  std::vector<uint8_t> codes(64);
  unpackCodes(o.q.section(Section::Codes).data(), 0, 64, 4, codes.data());
  EXPECT_EQ(*std::min_element(codes.begin(), codes.end()), 0);
  EXPECT_EQ(*std::max_element(codes.begin(), codes.end()), 15);
}

TEST(QuantizerBadInput, DeepSubnormalGroupsFlushToZero) {
  // Groups of subnormals k * 2^-149 (k = -6..6): below the smallest positive
  // scale of e8m0 (2^-127), bf16 (2^-133), f16 (2^-24) and e4m3 (2^-9), and
  // with an f32 super-scale that underflows to 0. docs/formats.md section 4:
  // such groups flush to zero (error |x| per element), never NaN or inf.
  const float dm = std::numeric_limits<float>::denorm_min();
  std::vector<float> x(64);
  for (int i = 0; i < 64; ++i)
    x[i] = dm * static_cast<float>((i % 13) - 6);
  for (const char *spec :
       {"mxfp4", "int8:g32:e8m0", "uint4:g32:bf16:zp", "int4:g32:bf16",
        "int4:g32:f16", "e2m1:g32:e4m3", "int4:g32:e4m3:dq=4",
        "nf4:g32:f16:dq=2", "q4_0", "q8_0", "iq4_nl"}) {
    RoundTrip t = roundTrip(x, {64}, parsed(spec));
    ASSERT_TRUE(t.status.ok()) << spec << ": " << t.status.message();
    for (int i = 0; i < 64; ++i)
      EXPECT_EQ(t.y[i], 0.0f) << spec << " element " << i;
  }
  // f32 scales hold subnormal scales: no flush, the integers are exact.
  RoundTrip f32 = roundTrip(x, {64}, parsed("int4:g32"));
  ASSERT_TRUE(f32.status.ok());
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(f32.y[i], x[i]) << "element " << i;
  // Outlier values flush with their value type (bf16 here), the dense part
  // is exact: every error is at most |x|.
  RoundTrip out = roundTrip(x, {64}, parsed("int4:g32:outliers=0.1"));
  ASSERT_TRUE(out.status.ok());
  int flushed = 0;
  for (int i = 0; i < 64; ++i) {
    EXPECT_LE(std::fabs(out.y[i] - x[i]), std::fabs(x[i])) << i;
    flushed += out.y[i] == 0 && x[i] != 0;
  }
  EXPECT_GT(flushed, 0);
}

TEST(QuantizerBadInput, EmptyAndIndivisibleShapes) {
  for (const char *spec : {"int4:g32", "q4_0", "nvfp4", "nf4:g64"}) {
    QuantizedTensor q;
    Status s = quantize(nullptr, {0, 64}, parsed(spec), {}, q);
    ASSERT_TRUE(s.ok()) << spec;
    EXPECT_EQ(q.totalBytes(), 0u);
    EXPECT_TRUE(dequantize(q, nullptr).ok());
  }
  std::vector<float> x(100, 1.0f);
  QuantizedTensor q;
  Status s = quantize(x.data(), {100}, parsed("int4:g32"), {}, q);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not divide"), std::string::npos);
  s = quantize(x.data(), {100}, parsed("q4_0"), {}, q);
  EXPECT_FALSE(s.ok());
  s = quantize(x.data(), {100}, parsed("int4:tensor"), {}, q);
  EXPECT_TRUE(s.ok()); // per-tensor: any size
}

TEST(QuantizerBadInput, CorruptTensorsAreRejected) {
  std::vector<float> x = normalSamples(256, 4);
  RoundTrip r = roundTrip(x, {256}, parsed("int4:g64:outliers=2^-6"));
  ASSERT_TRUE(r.status.ok());
  std::vector<float> y(256);
  QuantizedTensor bad = r.q;
  bad.section(Section::Scales).pop_back();
  EXPECT_FALSE(dequantize(bad, y.data()).ok());
  bad = r.q;
  // Outlier indices out of order.
  std::swap(bad.section(Section::Outliers)[0],
            bad.section(Section::Outliers)[4]);
  EXPECT_FALSE(dequantize(bad, y.data()).ok());
}

//===--- Packing ---------------------------------------------------------===//

TEST(Packing, LsbFirstLayoutAndRoundTrip) {
  // Three 3-bit codes 5, 3, 7: bits 101 | 011 << 3 | 111 << 6.
  uint8_t codes[3] = {5, 3, 7}, out[2] = {0, 0};
  packCodes(codes, 3, 3, out);
  EXPECT_EQ(out[0], static_cast<uint8_t>(5 | 3 << 3 | (7 & 3) << 6));
  EXPECT_EQ(out[1], 1);
  Rng r(1);
  for (unsigned b = 1; b <= 8; ++b) {
    std::vector<uint8_t> c(1001), back(1001);
    for (auto &v : c)
      v = static_cast<uint8_t>(r.next() & ((1u << b) - 1));
    std::vector<uint8_t> p(packedBytes(c.size(), b), 0);
    // In two ranges, the first a multiple of 8 long.
    packCodes(c.data(), 504, b, p.data(), 0);
    packCodes(c.data() + 504, c.size() - 504, b, p.data(), 504);
    unpackCodes(p.data(), 0, c.size(), b, back.data());
    EXPECT_EQ(c, back) << b;
    unpackCodes(p.data(), 333, 100, b, back.data());
    EXPECT_TRUE(std::equal(back.begin(), back.begin() + 100, c.begin() + 333));
    // Bit-level definition.
    for (size_t i = 0; i < c.size(); ++i) {
      unsigned v = 0;
      for (unsigned k = 0; k < b; ++k) {
        size_t bit = i * b + k;
        v |= ((p[bit / 8] >> (bit % 8)) & 1u) << k;
      }
      ASSERT_EQ(v, c[i]);
    }
  }
}

TEST(Scaling, ScaleTypes) {
  bool ovf;
  EXPECT_EQ(decodeScale(ScaleType::F16, encodeScale(ScaleType::F16, 1.0, ovf)),
            1.0f);
  encodeScale(ScaleType::F16, 1e6, ovf);
  EXPECT_TRUE(ovf);
  encodeScale(ScaleType::E4M3, 500, ovf);
  EXPECT_TRUE(ovf);
  encodeScale(ScaleType::E4M3, 448, ovf);
  EXPECT_FALSE(ovf);
  EXPECT_EQ(decodeScale(ScaleType::E8M0, 127), 1.0f);
  EXPECT_EQ(decodeScale(ScaleType::BF16, 0x3F80), 1.0f);
  EXPECT_EQ(scaleTypeMax(ScaleType::E4M3), 448.0);
  uint8_t buf[4];
  storeScaleBits(ScaleType::F32, 0x3F800000u, buf);
  EXPECT_EQ(buf[3], 0x3F);
  EXPECT_EQ(loadScaleBits(ScaleType::F32, buf), 0x3F800000u);
  // Learned codebook layout helpers.
  FormatSpec f;
  f.kind = ElementKind::Learned;
  f.levels = 4;
  f.bits = 2;
  f.scaleType = ScaleType::F16;
  std::vector<uint8_t> sec;
  double cb[4] = {-1, -0.5, 0.25, 2};
  storeCodebook(f, 3, cb, sec);
  EXPECT_EQ(sec.size(), 4u * 4 * 2);
  EXPECT_EQ(codebookOffset(f, 3), 24u);
  float back[4];
  loadCodebook(f, 3, sec, back);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(back[i], static_cast<float>(cb[i]));
}
