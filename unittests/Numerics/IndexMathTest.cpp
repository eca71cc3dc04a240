//===- IndexMathTest.cpp - Size and index math beyond 2^31 elements -------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Issue 9, resource limits: the section sizes, group counts and outlier
// index widths of tensors with more than 2^31 (and 2^32) elements, computed
// without allocating them, against the storage layout of docs/formats.md.
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Format.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>

using namespace qforge::num;

namespace {

FormatSpec spec(const char *text) {
  FormatSpec f;
  Status s = FormatSpec::parse(text, f);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message();
  return f;
}

uint64_t at(const std::array<uint64_t, kNumSections> &b, Section s) {
  return b[static_cast<unsigned>(s)];
}

constexpr int64_t k2p16 = int64_t(1) << 16;
constexpr int64_t k2p31 = int64_t(1) << 31;

TEST(IndexMath, ElementCountsBeyond32Bits) {
  EXPECT_EQ(checkedNumElements({k2p16, k2p16}), int64_t(1) << 32);
  EXPECT_EQ(checkedNumElements({3, k2p31}), 3 * k2p31);
  EXPECT_EQ(checkedNumElements({int64_t(1) << 40, 1 << 20}), int64_t(1) << 60);
  // 2^64 overflows int64_t: reported, not wrapped.
  EXPECT_EQ(checkedNumElements({int64_t(1) << 32, int64_t(1) << 32}), -1);
  EXPECT_EQ(checkedNumElements({INT64_MAX, 2}), -1);
  EXPECT_EQ(checkedNumElements({4, -1}), -1);
  EXPECT_EQ(checkedNumElements({0, INT64_MAX}), 0);
}

TEST(IndexMath, ShapeLimitsAreDiagnosed) {
  FormatSpec f = spec("int4:g64");
  EXPECT_TRUE(f.verifyShape({3, k2p31}).ok());
  Status tooMany = f.verifyShape({int64_t(1) << 30, int64_t(1) << 30});
  EXPECT_FALSE(tooMany.ok());
  EXPECT_NE(tooMany.message().find("2^48"), std::string::npos)
      << tooMany.message();
  EXPECT_FALSE(f.verifyShape({int64_t(1) << 32, int64_t(1) << 32}).ok());
  EXPECT_FALSE(f.verifyShape({-64}).ok());
}

TEST(IndexMath, PlainSectionsBeyond2To31Elements) {
  // 3 * 2^31 elements (> 2^32): every size is a 64-bit quantity.
  std::vector<int64_t> shape = {3, k2p31};
  uint64_t n = 3ull << 31;
  for (unsigned bits : {2u, 3u, 4u, 5u, 8u}) {
    std::string text = "int" + std::to_string(bits) + ":g64:f16";
    FormatSpec f = spec(text.c_str());
    auto b = sectionBytes(f, shape);
    EXPECT_EQ(at(b, Section::Codes), (n * bits + 7) / 8) << text;
    EXPECT_EQ(f.numGroups(shape), static_cast<int64_t>(n / 64)) << text;
    EXPECT_EQ(at(b, Section::Scales), n / 64 * 2) << text;
    EXPECT_EQ(storageBytes(f, shape), (n * bits + 7) / 8 + n / 64 * 2) << text;
    EXPECT_NEAR(f.bitsPerWeight(shape), bits + 16.0 / 64, 1e-9) << text;
  }
}

TEST(IndexMath, GroupsAlongTheFirstAxisAndChannels) {
  std::vector<int64_t> shape = {int64_t(1) << 33, 2};
  FormatSpec ch = spec("uint8:ch@0:bf16:zp");
  EXPECT_EQ(ch.numGroups(shape), int64_t(1) << 33);
  auto b = sectionBytes(ch, shape);
  EXPECT_EQ(at(b, Section::Scales), (uint64_t(1) << 33) * 2);
  EXPECT_EQ(at(b, Section::ZeroPoints), uint64_t(1) << 33);
  FormatSpec blk = spec("int4:g32@0");
  EXPECT_EQ(blk.numGroups(shape), int64_t(1) << 29);
  EXPECT_EQ(blk.groupSize(shape), 32);
}

TEST(IndexMath, OutlierIndexWidthSwitchesAbove2To32) {
  FormatSpec f = spec("int4:g64:outliers=0.01");
  // Exactly 2^32 elements: indices 0..2^32-1 fit u32.
  std::vector<int64_t> four = {k2p16, k2p16};
  int64_t k4 = f.numOutliers(int64_t(1) << 32);
  EXPECT_EQ(k4, static_cast<int64_t>(std::floor((1ull << 32) * 0.01)));
  EXPECT_EQ(at(sectionBytes(f, four), Section::Outliers),
            static_cast<uint64_t>(k4) * (4 + 2));
  // One more row: u64 indices.
  std::vector<int64_t> more = {k2p16 + 1, k2p16};
  int64_t n = (k2p16 + 1) * k2p16;
  int64_t k8 = f.numOutliers(n);
  EXPECT_EQ(at(sectionBytes(f, more), Section::Outliers),
            static_cast<uint64_t>(k8) * (8 + 2));
  FormatSpec f32 = spec("int4:g64:outliers=0.5/f32");
  EXPECT_EQ(at(sectionBytes(f32, more), Section::Outliers),
            static_cast<uint64_t>(f32.numOutliers(n)) * (8 + 4));
}

TEST(IndexMath, DoubleQuantAndGGUFLayoutsBeyond2To31) {
  std::vector<int64_t> shape = {int64_t(1) << 20, 1 << 12}; // 2^32
  uint64_t n = uint64_t(1) << 32;
  FormatSpec dq = spec("int4:g32:e4m3:dq=256");
  auto b = sectionBytes(dq, shape);
  EXPECT_EQ(at(b, Section::Scales), n / 32);
  EXPECT_EQ(at(b, Section::SuperScales), 4 * (n / 32 / 256));
  FormatSpec dqOdd = spec("int4:g32:e4m3:dq=3");
  EXPECT_EQ(at(sectionBytes(dqOdd, shape), Section::SuperScales),
            4 * ((n / 32 + 2) / 3));
  EXPECT_EQ(at(sectionBytes(spec("q4_0"), shape), Section::Codes), n / 32 * 18);
  EXPECT_EQ(at(sectionBytes(spec("q8_0"), shape), Section::Codes), n / 32 * 34);
  EXPECT_EQ(at(sectionBytes(spec("q4_k"), shape), Section::Codes),
            n / 256 * 144);
}

TEST(IndexMath, LearnedAndKashinBeyond2To31) {
  std::vector<int64_t> shape = {3, k2p31};
  uint64_t n = 3ull << 31;
  FormatSpec asq = spec("asq:16:g64");
  auto a = sectionBytes(asq, shape);
  EXPECT_EQ(at(a, Section::Codes), n * asq.bits / 8);
  EXPECT_EQ(at(a, Section::Codebooks),
            n / 64 * 16 * (FormatSpec::scaleBits(asq.scaleType) / 8));
  // Outliers of a learned format: u64 indices beyond 2^32 elements.
  FormatSpec asqOut = spec("asq:16:g64:outliers=2^-10/f16");
  auto ao = sectionBytes(asqOut, shape);
  EXPECT_EQ(at(ao, Section::Codes), at(a, Section::Codes));
  EXPECT_EQ(at(ao, Section::Codebooks), at(a, Section::Codebooks));
  EXPECT_EQ(at(ao, Section::Outliers), n / 1024 * (8 + 2));
  FormatSpec kashin = spec("kashin:2+2");
  auto k = sectionBytes(kashin, shape);
  EXPECT_EQ(at(k, Section::Codes), 2 * ((n * 2 + 7) / 8));
  uint64_t groups = static_cast<uint64_t>(kashin.numGroups(shape));
  EXPECT_EQ(at(k, Section::Codebooks), 8 + groups * (4 + 4) * 4);
}

} // namespace
