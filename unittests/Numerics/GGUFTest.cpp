//===- GGUFTest.cpp - GGUF (ggml) block compatibility ---------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/Codebooks.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

using namespace qforge::num;

TEST(GGUF, Q4_0KnownAnswer) {
  // x_j = j - 16: the signed max is -16, d = -16 / -8 = 2, q = trunc(x/d +
  // 8.5) clamped to 15 (ggml's reference rounding).
  float x[32], y[32];
  for (int j = 0; j < 32; ++j)
    x[j] = static_cast<float>(j - 16);
  uint8_t b[18];
  ASSERT_TRUE(quantizeGGUFBlock(Layout::Q4_0, x, b).ok());
  EXPECT_EQ(b[0], 0x00);
  EXPECT_EQ(b[1], 0x40); // f16 2.0
  for (int j = 0; j < 16; ++j) {
    int q0 = std::min(15, static_cast<int>((j - 16) / 2.0f + 8.5f));
    int q1 = std::min(15, static_cast<int>(j / 2.0f + 8.5f));
    EXPECT_EQ(b[2 + j], q0 | (q1 << 4)) << j;
  }
  dequantizeGGUFBlock(Layout::Q4_0, b, y);
  for (int j = 0; j < 32; ++j)
    EXPECT_NEAR(y[j], x[j], 1.0f + 1e-6f) << j;
  EXPECT_EQ(y[0], -16.0f);
}

TEST(GGUF, Q8_0KnownAnswer) {
  float x[32], y[32];
  for (int j = 0; j < 32; ++j)
    x[j] = static_cast<float>(j * 4 - 64) + 0.5f; // amax 63.5 -> d = 0.5
  x[0] = -127.0f;                                 // amax 127 -> d = 1
  uint8_t b[34];
  ASSERT_TRUE(quantizeGGUFBlock(Layout::Q8_0, x, b).ok());
  EXPECT_EQ(b[0], 0x00);
  EXPECT_EQ(b[1], 0x3C); // f16 1.0
  EXPECT_EQ(static_cast<int8_t>(b[2]), -127);
  // roundf: halves away from zero.
  EXPECT_EQ(static_cast<int8_t>(b[3]), static_cast<int>(std::round(-59.5f)));
  dequantizeGGUFBlock(Layout::Q8_0, b, y);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(y[j], std::round(x[j]));
}

TEST(GGUF, IQ4_NLDecodeAndEncode) {
  uint8_t b[18] = {0x00, 0x3C}; // d = 1
  for (int j = 0; j < 16; ++j)
    b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantizeGGUFBlock(Layout::IQ4_NL, b, y);
  const int8_t *k = iq4nlKValues();
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], k[j]);
    EXPECT_EQ(y[16 + j], k[15 - j]);
  }
  // Encoding decoded values of an f16-exact scale reproduces them.
  uint8_t b2[18];
  ASSERT_TRUE(quantizeGGUFBlock(Layout::IQ4_NL, y, b2).ok());
  float y2[32];
  dequantizeGGUFBlock(Layout::IQ4_NL, b2, y2);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(y2[j], y[j]);
}

TEST(GGUF, Q4_KScalePacking) {
  Rng r(1);
  for (int t = 0; t < 2000; ++t) {
    uint8_t sc[8], mn[8], packed[12], sc2[8], mn2[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = static_cast<uint8_t>(r.next() & 63);
      mn[j] = static_cast<uint8_t>(r.next() & 63);
    }
    packQ4KScales(sc, mn, packed);
    unpackQ4KScales(packed, sc2, mn2);
    for (int j = 0; j < 8; ++j) {
      ASSERT_EQ(sc[j], sc2[j]);
      ASSERT_EQ(mn[j], mn2[j]);
    }
  }
  // ggml's get_scale_min_k4 on a hand-packed block: sub-block 5 takes its
  // low 4 bits from byte 9 and its high 2 bits from the top of byte 1.
  uint8_t q[12] = {0};
  q[9] = 0x3A; // scale low nibble 0xA, min low nibble 0x3
  q[1] = 0x80; // scale high bits 0b10
  q[5] = 0x40; // min high bits 0b01
  uint8_t sc[8], mn[8];
  unpackQ4KScales(q, sc, mn);
  EXPECT_EQ(sc[5], 0x2A);
  EXPECT_EQ(mn[5], 0x13);
}

TEST(GGUF, Q4_KDecodeFormula) {
  uint8_t b[144] = {0};
  b[1] = 0x3C; // d = 1
  b[3] = 0x38; // dmin = 0.5
  uint8_t sc[8] = {1, 2, 3, 4, 5, 6, 7, 8}, mn[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  packQ4KScales(sc, mn, b + 4);
  for (int l = 0; l < 128; ++l)
    b[16 + l] = static_cast<uint8_t>((l % 16) | ((15 - l % 16) << 4));
  float y[256];
  dequantizeGGUFBlock(Layout::Q4_K, b, y);
  for (int p = 0; p < 4; ++p)
    for (int l = 0; l < 32; ++l) {
      EXPECT_EQ(y[64 * p + l], sc[2 * p] * (l % 16) - 0.5f * mn[2 * p]);
      EXPECT_EQ(y[64 * p + 32 + l],
                sc[2 * p + 1] * (15 - l % 16) - 0.5f * mn[2 * p + 1]);
    }
}

TEST(GGUF, PresetsRoundTripThroughQuantizer) {
  std::vector<float> x = normalSamples(16 * 512, 21);
  const struct {
    const char *spec;
    double maxMse;
  } cases[] = {
      {"q4_0", 0.012}, {"q8_0", 1e-4}, {"iq4_nl", 0.008}, {"q4_k", 0.008}};
  for (auto &c : cases) {
    FormatSpec f;
    ASSERT_TRUE(FormatSpec::parse(c.spec, f).ok());
    QuantizedTensor q;
    ASSERT_TRUE(quantize(x.data(), {16, 512}, f, {}, q).ok()) << c.spec;
    EXPECT_EQ(q.section(Section::Codes).size(),
              static_cast<size_t>(16 * 512 / ggufBlockElements(f.layout) *
                                  ggufBlockBytes(f.layout)));
    for (unsigned s = 1; s < kNumSections; ++s)
      EXPECT_TRUE(q.sections[s].empty());
    std::vector<float> y(x.size());
    ASSERT_TRUE(dequantize(q, y.data()).ok());
    EXPECT_LT(mse(x.data(), y.data(), x.size()), c.maxMse) << c.spec;
    // The rows decode block by block with the ggml formulas.
    std::vector<float> z(x.size());
    dequantizeGGUF(f.layout, q.section(Section::Codes).data(), x.size(),
                   z.data(), 1);
    EXPECT_EQ(y, z);
  }
}

TEST(GGUF, BlocksBelowTheF16RangeAreWellDefined) {
  // Blocks of +-FLT_MIN and of subnormals: the block scale d is far below
  // f16 (it is 0 there) and 1/d overflows f32. q4_0 and q8_0 write the
  // all-zero block (d = +0, codes of 0) instead of converting inf to an
  // integer; q4_k clamps before every conversion. All decode to zeros
  // (docs/formats.md, GGUF layouts); under UBSan (make test-sanitize) no
  // conversion is undefined.
  const float dm = std::numeric_limits<float>::denorm_min();
  std::vector<float> minNormal(256), subnormal(256), mixed(256);
  for (int j = 0; j < 256; ++j) {
    minNormal[j] = (j % 2 ? 1 : -1) * FLT_MIN * static_cast<float>(1 + j % 3);
    subnormal[j] = dm * static_cast<float>((j % 13) - 6);
    mixed[j] = j % 32 == 5 ? FLT_MIN : dm * static_cast<float>(j % 5);
  }
  int zeroBlocks = 0;
  for (const std::vector<float> *x : {&minNormal, &subnormal, &mixed})
    for (Layout l :
         {Layout::Q4_0, Layout::Q8_0, Layout::IQ4_NL, Layout::Q4_K}) {
      int64_t be = ggufBlockElements(l), bb = ggufBlockBytes(l);
      std::vector<uint8_t> blk(bb);
      for (int64_t b0 = 0; b0 < 256; b0 += be) {
        ASSERT_TRUE(quantizeGGUFBlock(l, x->data() + b0, blk.data()).ok());
        std::vector<float> y(be, -1.0f);
        dequantizeGGUFBlock(l, blk.data(), y.data());
        for (int64_t j = 0; j < be; ++j)
          EXPECT_EQ(y[j], 0.0f) << "layout " << int(l) << " element " << j;
        if (l != Layout::Q4_0 && l != Layout::Q8_0)
          continue;
        // ggml's d (f32) of the block; its f16 value is always 0 here.
        float amax = 0, max = 0;
        for (int64_t j = 0; j < be; ++j)
          if (amax < std::fabs((*x)[b0 + j])) {
            amax = std::fabs((*x)[b0 + j]);
            max = (*x)[b0 + j];
          }
        float d = l == Layout::Q4_0 ? max / -8 : amax / 127;
        EXPECT_EQ(blk[0], 0);
        EXPECT_EQ(blk[1] & 0x7F, 0);
        if (d != 0 && !std::isfinite(1.0f / d)) {
          ++zeroBlocks;
          EXPECT_EQ(blk[1], 0); // +0
          for (int64_t k = 2; k < bb; ++k)
            EXPECT_EQ(blk[k], l == Layout::Q4_0 ? 0x88 : 0x00);
        }
      }
    }
  EXPECT_GT(zeroBlocks, 0);
  // A block whose d is 0 in f16 but whose 1/d is finite keeps ggml's
  // reference bytes (codes from 1/d); it decodes to zeros as well.
  float x[32], y[32];
  for (int j = 0; j < 32; ++j)
    x[j] = 1e-30f * static_cast<float>(j - 16);
  uint8_t b[18];
  ASSERT_TRUE(quantizeGGUFBlock(Layout::Q4_0, x, b).ok());
  float d = -16e-30f / -8, id = 1.0f / d;
  for (int j = 0; j < 16; ++j) {
    int q0 =
        std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
    EXPECT_EQ(b[2 + j] & 0xF, q0) << j;
  }
  dequantizeGGUFBlock(Layout::Q4_0, b, y);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(y[j], 0.0f);
}
