//===- FormatTest.cpp - Tests of the format spec parser and sizes ---------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Format.h"

#include <gtest/gtest.h>

using namespace qforge::num;

namespace {

FormatSpec parseOk(const std::string &text) {
  FormatSpec f;
  Status s = FormatSpec::parse(text, f);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message();
  return f;
}

std::string parseErr(const std::string &text) {
  FormatSpec f;
  Status s = FormatSpec::parse(text, f);
  EXPECT_FALSE(s.ok()) << text << " parsed as " << f.str();
  return s.message();
}

TEST(FormatSpec, CanonicalRoundTrip) {
  // Each spec is already canonical: printing its parse reproduces it, and
  // parsing the print gives an equal spec.
  for (const char *text :
       {"int4:g128:f16", "uint4:g64:f16:zp", "sint8:ch", "int2:g32@0:bf16",
        "nf4:g64", "iq4nl:g32:f16", "crd-normal:4:g64:bf16",
        "crd-laplace:3:g32:f16", "crd-t5:4:g64:bf16", "crd-t2.5:4:g64:rms",
        "crd-normal:4:rms", "lut2[-1,-0.25,0.25,1]:g16", "asq:16:ch",
        "asq:5:g64:f16", "asq:64", "kashin:2+2", "kashin:3+1:hadamard",
        "kashin:4:joint:g256", "e4m3:ch:f16", "e2m1:g16:e4m3:search",
        "e5m2:noscale", "int4:g128:f16:outliers=2^-10",
        "int4:g128:f16:outliers=0.003/f32", "nf4:g64:e4m3:dq=256",
        "mxfp4", "mxfp6", "mxfp6e3m2", "mxfp8", "mxfp8e5m2", "nvfp4",
        "q4_0", "q8_0", "iq4_nl", "q4_k", "int4:g32:f16:search",
        "int8:ch@1:signmax"}) {
    FormatSpec f = parseOk(text);
    EXPECT_EQ(f.str(), text);
    EXPECT_EQ(parseOk(f.str()), f) << text;
  }
}

TEST(FormatSpec, OutlierFractionsRoundTrip) {
  // Powers of two print as 2^-k only where the parser accepts that form.
  for (const char *text : {"int4:g32:outliers=2^-1", "int4:g32:outliers=2^-62",
                           "int4:g32:outliers=1.0842021724855044e-19"}) {
    FormatSpec f = parseOk(text);
    EXPECT_EQ(parseOk(f.str()), f) << text << " printed as " << f.str();
  }
}

TEST(FormatSpec, NormalForms) {
  EXPECT_EQ(parseOk("e2m1:g32:e8m0").str(), "mxfp4");
  EXPECT_EQ(parseOk("int4:g32:f16:signmax:layout=q4_0").str(), "q4_0");
  EXPECT_EQ(parseOk("asq:16:row").str(), "asq:16:ch");
  EXPECT_EQ(parseOk("crd-t:4:g64:bf16").str(), "crd-t5:4:g64:bf16");
  EXPECT_EQ(parseOk("lut:4:nf4:g64").str(), "nf4:g64");
  EXPECT_EQ(parseOk("int4:g128:f32:absmax").str(), "int4:g128");
  EXPECT_EQ(parseOk("e4m3fn:tensor").str(), "e4m3");
  EXPECT_EQ(parseOk("kashin:2+2:dct:ch").str(), "kashin:2+2");
}

TEST(FormatSpec, Errors) {
  EXPECT_NE(parseErr("int9").find("out of range"), std::string::npos);
  EXPECT_NE(parseErr("int1").find("out of range"), std::string::npos);
  EXPECT_NE(parseErr("foo4").find("unknown element code"), std::string::npos);
  EXPECT_NE(parseErr("int4:g0").find("block size"), std::string::npos);
  EXPECT_NE(parseErr("int4:gx").find("unknown format field"),
            std::string::npos);
  EXPECT_NE(parseErr("lut2[1,0,2,3]").find("strictly increasing"),
            std::string::npos);
  EXPECT_NE(parseErr("lut2[0,1,2]").find("needs 4"), std::string::npos);
  EXPECT_NE(parseErr("uint4:g32").find("zero point"), std::string::npos);
  EXPECT_NE(parseErr("sint4:g32:zp").find("unsigned"), std::string::npos);
  EXPECT_NE(parseErr("int4:g32:zp").find("unsigned"), std::string::npos);
  EXPECT_NE(parseErr("nf4:g32:zp").find("integer codes"), std::string::npos);
  EXPECT_NE(parseErr("nf4:g64:e8m0").find("e8m0"), std::string::npos);
  EXPECT_NE(parseErr("int4:rms").find("rms"), std::string::npos);
  EXPECT_NE(parseErr("int4:ch:dq=16").find("block scales"), std::string::npos);
  EXPECT_NE(parseErr("int4:g32:dq=16").find("narrow"), std::string::npos);
  EXPECT_NE(parseErr("int4:g32:outliers=0.9").find("(0, 0.5]"),
            std::string::npos);
  EXPECT_NE(parseErr("int4:g64:f16:layout=q4_0").find("requires exactly"),
            std::string::npos);
  EXPECT_NE(parseErr("asq:1").find("levels"), std::string::npos);
  EXPECT_NE(parseErr("asq:16:e4m3").find("learned"), std::string::npos);
  EXPECT_NE(parseErr("kashin:5+2").find("[1, 4]"), std::string::npos);
  EXPECT_NE(parseErr("kashin:2+2:tensor").find("vectors"), std::string::npos);
  EXPECT_NE(parseErr("int4:hadamard").find("Kashin"), std::string::npos);
  EXPECT_NE(parseErr("int4:g32:g64").find("duplicate"), std::string::npos);
  EXPECT_NE(parseErr("").find("empty"), std::string::npos);
  EXPECT_NE(parseErr("int4::g32").find("empty field"), std::string::npos);
  EXPECT_NE(parseErr("crd-cauchy:4").find("unknown CRD"), std::string::npos);
  EXPECT_NE(parseErr("int4:noscale").find("scale type"), std::string::npos);
  EXPECT_NE(parseErr("lut2[0,nan,1,2]").find("invalid codebook value"),
            std::string::npos);
}

TEST(FormatSpec, Shapes) {
  FormatSpec f = parseOk("int4:g128:f16");
  EXPECT_TRUE(f.verifyShape({64, 256}).ok());
  Status s = f.verifyShape({64, 100});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not divide"), std::string::npos);
  FormatSpec g = parseOk("int4:g32@0");
  EXPECT_TRUE(g.verifyShape({64, 3}).ok());
  EXPECT_EQ(g.numGroups({64, 3}), 6);
  EXPECT_FALSE(parseOk("int4:ch@2").verifyShape({4, 4}).ok());
  EXPECT_FALSE(parseOk("q4_k").verifyShape({4, 128}).ok());
  EXPECT_FALSE(parseOk("int4").verifyShape({int64_t(1) << 40, 1 << 20}).ok());
  EXPECT_EQ(checkedNumElements({int64_t(1) << 62, 4}), -1);
  EXPECT_FALSE(parseOk("kashin:2+2:hadamard").verifyShape({4, 12}).ok());
}

TEST(FormatSpec, BitsAndBytes) {
  EXPECT_DOUBLE_EQ(parseOk("int4:g128:f16").bitsPerWeight(), 4.125);
  EXPECT_DOUBLE_EQ(parseOk("mxfp4").bitsPerWeight(), 4.25);
  EXPECT_DOUBLE_EQ(parseOk("q4_0").bitsPerWeight(), 4.5);
  EXPECT_DOUBLE_EQ(parseOk("q8_0").bitsPerWeight(), 8.5);
  EXPECT_DOUBLE_EQ(parseOk("q4_k").bitsPerWeight(), 4.5);
  EXPECT_DOUBLE_EQ(parseOk("uint4:g32:f16:zp").bitsPerWeight(), 4.75);
  EXPECT_DOUBLE_EQ(parseOk("nf4:g64:e4m3:dq=256").bitsPerWeight(),
                   4 + 8.0 / 64 + 32.0 / (64 * 256));
  EXPECT_DOUBLE_EQ(parseOk("asq:16:g256:f16").bitsPerWeight(),
                   4 + 16.0 * 16 / 256);

  std::vector<int64_t> shape{128, 256};
  auto b = sectionBytes(parseOk("uint4:g64:f16:zp"), shape);
  EXPECT_EQ(b[unsigned(Section::Codes)], 128u * 256 / 2);
  EXPECT_EQ(b[unsigned(Section::Scales)], 128u * 4 * 2);
  EXPECT_EQ(b[unsigned(Section::ZeroPoints)], 128u * 4);
  EXPECT_EQ(storageBytes(parseOk("q4_0"), shape), 128u * 8 * 18);
  auto o = sectionBytes(parseOk("int3:g32:outliers=2^-10"), shape);
  EXPECT_EQ(o[unsigned(Section::Codes)], (128u * 256 * 3 + 7) / 8);
  EXPECT_EQ(o[unsigned(Section::Outliers)], 32u * (4 + 2));
  auto k = sectionBytes(parseOk("kashin:2+2"), shape);
  EXPECT_EQ(k[unsigned(Section::Codes)], 2u * 128 * 256 / 4);
  EXPECT_EQ(k[unsigned(Section::Codebooks)], 8u + 128 * 8 * 4);
  EXPECT_DOUBLE_EQ(parseOk("int4:g128:f16").bitsPerWeight(shape), 4.125);
  EXPECT_EQ(storageBytes(parseOk("int4:g128:f16"), {0, 128}), 0u);
}

} // namespace
