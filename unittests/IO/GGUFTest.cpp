//===- GGUFTest.cpp - GGUF v3 reader/writer tests -------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/GGUF.h"
#include "qforge/IO/SafeTensors.h"
#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/Quantizer.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

using namespace qforge::io;
namespace num = qforge::num;

namespace {
std::string ggufError(const std::vector<uint8_t> &b) {
  GGUFFile f;
  Status s = GGUFFile::parse(b.data(), b.size(), f);
  return s.ok() ? "<ok>" : s.message();
}

void u32(std::string &s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(static_cast<char>(v >> (8 * i)));
}
void u64(std::string &s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s.push_back(static_cast<char>(v >> (8 * i)));
}

TEST(GGUFFile, HeaderBytesMatchSpecification) {
  float v[2] = {1.0f, -2.0f};
  std::vector<uint8_t> out;
  ASSERT_TRUE(
      serializeGGUF(
          {{"w", DType::F32, {2}, reinterpret_cast<const uint8_t *>(v), 8}},
          {{"general.architecture", GGUFValue::ofString("qf")}}, out)
          .ok());
  // Written out field by field from ggml's docs/gguf.md.
  std::string e("GGUF", 4);
  e += std::string("\x03\x00\x00\x00", 4);                 // version 3
  e += std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8); // tensor_count
  e += std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8); // kv_count
  e += std::string("\x14\x00\x00\x00\x00\x00\x00\x00", 8); // key length 20
  e += "general.architecture";
  e += std::string("\x08\x00\x00\x00", 4);                 // GGUF_TYPE_STRING
  e += std::string("\x02\x00\x00\x00\x00\x00\x00\x00", 8); // value length
  e += "qf";
  e += std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8); // name length
  e += "w";
  e += std::string("\x01\x00\x00\x00", 4);                 // n_dims
  e += std::string("\x02\x00\x00\x00\x00\x00\x00\x00", 8); // ne[0]
  e += std::string("\x00\x00\x00\x00", 4);                 // GGML_TYPE_F32
  e += std::string("\x00\x00\x00\x00\x00\x00\x00\x00", 8); // offset
  ASSERT_EQ(e.size(), 99u);
  e += std::string(128 - 99, '\0'); // pad to the 32-byte alignment
  e += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
  e += std::string(160 - 136, '\0');
  ASSERT_EQ(out.size(), e.size());
  EXPECT_EQ(0, std::memcmp(out.data(), e.data(), e.size()));
}

TEST(GGUFFile, MetadataAndShapesRoundTrip) {
  std::vector<uint16_t> h(2 * 3 * 4);
  for (size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<uint16_t>(i * 7);
  std::vector<std::pair<std::string, GGUFValue>> md = {
      {"general.alignment", GGUFValue::ofU32(64)},
      {"general.name", GGUFValue::ofString("tiny")},
      {"x.f", GGUFValue::ofF32(0.5f)},
      {"x.b", GGUFValue::ofBool(true)},
      {"x.i", GGUFValue::ofI32(-7)},
      {"x.u64", GGUFValue::ofU64(1ull << 40)},
      {"x.arr",
       GGUFValue::ofArray(GGUFValue::String, {GGUFValue::ofString("a"),
                                              GGUFValue::ofString("bc")})},
  };
  std::string path = ::testing::TempDir() + "/qf_gguf_roundtrip.gguf";
  ASSERT_TRUE(writeGGUF(path,
                        {{"t",
                          DType::BF16,
                          {2, 3, 4},
                          reinterpret_cast<const uint8_t *>(h.data()),
                          48},
                         {"u",
                          DType::F16,
                          {4},
                          reinterpret_cast<const uint8_t *>(h.data()),
                          8}},
                        md)
                  .ok());
  GGUFFile f;
  Status s = GGUFFile::open(path, f);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(f.alignment(), 64u);
  ASSERT_EQ(f.metadata().size(), md.size());
  EXPECT_EQ(f.findMetadata("general.name")->s, "tiny");
  EXPECT_EQ(f.findMetadata("x.f")->f, 0.5);
  EXPECT_EQ(f.findMetadata("x.b")->u, 1u);
  EXPECT_EQ(f.findMetadata("x.i")->i, -7);
  EXPECT_EQ(f.findMetadata("x.u64")->u, 1ull << 40);
  ASSERT_EQ(f.findMetadata("x.arr")->array.size(), 2u);
  EXPECT_EQ(f.findMetadata("x.arr")->array[1].s, "bc");
  const auto *t = f.find("t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(t->dtype, DType::BF16);
  EXPECT_EQ(0, std::memcmp(t->data, h.data(), 48));
  EXPECT_EQ(f.find("u")->offset, 64u);
  ::unlink(path.c_str());
}

// f32 safetensors -> quantize -> GGUF -> read back: the packed blocks are
// bit-identical to the format library's Codes section, and decode the same.
TEST(GGUFFile, SafetensorsQuantizeGGUFRoundTrip) {
  const int64_t rows = 4, cols = 512;
  std::vector<float> w(rows * cols);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.37f * static_cast<float>(i)) *
           (1.0f + static_cast<float>(i % 17));
  std::vector<uint8_t> st;
  ASSERT_TRUE(
      serializeSafeTensors({{"w",
                             DType::F32,
                             {rows, cols},
                             reinterpret_cast<const uint8_t *>(w.data()),
                             w.size() * 4}},
                           {}, st)
          .ok());
  SafeTensorsFile sf;
  ASSERT_TRUE(SafeTensorsFile::parse(st.data(), st.size(), sf).ok());
  const auto *src = sf.find("w");
  ASSERT_NE(src, nullptr);
  std::vector<float> x(rows * cols);
  std::memcpy(x.data(), src->data, x.size() * 4);

  struct Case {
    const char *spec;
    DType dtype;
  } cases[] = {{"q4_0", DType::Q4_0},
               {"q8_0", DType::Q8_0},
               {"iq4_nl", DType::IQ4_NL},
               {"q4_k", DType::Q4_K}};
  std::vector<num::QuantizedTensor> qs(4);
  std::vector<TensorView> views;
  for (int c = 0; c < 4; ++c) {
    num::FormatSpec spec;
    ASSERT_TRUE(num::FormatSpec::parse(cases[c].spec, spec).ok());
    Status s = num::quantize(x.data(), {rows, cols}, spec, {}, qs[c]);
    ASSERT_TRUE(s.ok()) << cases[c].spec << ": " << s.message();
    const auto &codes = qs[c].section(num::Section::Codes);
    views.push_back({std::string("w.") + cases[c].spec,
                     cases[c].dtype,
                     {rows, cols},
                     codes.data(),
                     codes.size()});
  }
  std::vector<uint8_t> g;
  ASSERT_TRUE(serializeGGUF(views, {}, g).ok());
  GGUFFile gf;
  Status s = GGUFFile::parse(g.data(), g.size(), gf);
  ASSERT_TRUE(s.ok()) << s.message();
  for (int c = 0; c < 4; ++c) {
    const auto *t = gf.find(std::string("w.") + cases[c].spec);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, cases[c].dtype);
    EXPECT_EQ(t->shape, (std::vector<int64_t>{rows, cols}));
    const auto &codes = qs[c].section(num::Section::Codes);
    ASSERT_EQ(t->nbytes, codes.size());
    EXPECT_EQ(0, std::memcmp(t->data, codes.data(), codes.size()))
        << cases[c].spec;
    std::vector<float> a(rows * cols), b(rows * cols);
    ASSERT_TRUE(num::dequantize(qs[c], a.data()).ok());
    num::Layout l = qs[c].format.layout;
    num::dequantizeGGUF(l, t->data, rows * cols, b.data(), 1);
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
  }
}

TEST(GGUFFile, WriterRejectsBadInput) {
  uint8_t buf[64] = {0};
  std::vector<uint8_t> out;
  EXPECT_NE(serializeGGUF({{"a", DType::Q4_0, {2, 16}, buf, 18}}, {}, out)
                .message()
                .find("not a multiple"),
            std::string::npos);
  EXPECT_NE(serializeGGUF({{"a", DType::F32, {1, 1, 1, 1, 1}, buf, 4}}, {}, out)
                .message()
                .find("1 to 4"),
            std::string::npos);
  EXPECT_NE(serializeGGUF({{"a", DType::U32, {1}, buf, 4}}, {}, out)
                .message()
                .find("no GGUF type"),
            std::string::npos);
  EXPECT_NE(
      serializeGGUF({}, {{"general.alignment", GGUFValue::ofU32(24)}}, out)
          .message()
          .find("power of two"),
      std::string::npos);
  EXPECT_NE(serializeGGUF({{"a", DType::F32, {2}, buf, 4}}, {}, out)
                .message()
                .find("needs 8 bytes"),
            std::string::npos);
}

TEST(GGUFFile, CorruptFiles) {
  EXPECT_NE(ggufError({'G', 'G'}).find("truncated"), std::string::npos);
  EXPECT_NE(ggufError({'G', 'G', 'M', 'L', 3, 0, 0, 0}).find("bad magic"),
            std::string::npos);
  std::string h("GGUF", 4);
  u32(h, 2);
  u64(h, 0);
  u64(h, 0);
  std::vector<uint8_t> v2(h.begin(), h.end());
  EXPECT_NE(ggufError(v2).find("version 2"), std::string::npos);

  auto header = [](uint64_t nt, uint64_t nkv) {
    std::string s("GGUF", 4);
    u32(s, 3);
    u64(s, nt);
    u64(s, nkv);
    return s;
  };
  auto bytes = [](const std::string &s) {
    return std::vector<uint8_t>(s.begin(), s.end());
  };
  // Absurd counts are refused before anything is allocated.
  EXPECT_NE(ggufError(bytes(header(1ull << 60, 0))).find("tensor count"),
            std::string::npos);
  EXPECT_NE(ggufError(bytes(header(0, 1ull << 60))).find("metadata count"),
            std::string::npos);
  // A string longer than the file.
  std::string s = header(0, 1);
  u64(s, 1ull << 50);
  s += std::string(16, 'k');
  EXPECT_NE(ggufError(bytes(s)).find("truncated"), std::string::npos);
  // An array claiming 2^40 elements.
  s = header(0, 1);
  u64(s, 1);
  s += "k";
  u32(s, GGUFValue::Array);
  u32(s, GGUFValue::UInt32);
  u64(s, 1ull << 40);
  s += std::string(16, '\0');
  EXPECT_NE(ggufError(bytes(s)).find("exceeds the file size"),
            std::string::npos);
  // Keys must be UTF-8.
  s = header(0, 1);
  u64(s, 1);
  s += "\xff";
  u32(s, GGUFValue::UInt8);
  s += std::string(16, '\0');
  EXPECT_NE(ggufError(bytes(s)).find("UTF-8"), std::string::npos);
  // Bad value type.
  s = header(0, 1);
  u64(s, 1);
  s += "k";
  u32(s, 99);
  s += std::string(16, '\0');
  EXPECT_NE(ggufError(bytes(s)).find("invalid metadata value type"),
            std::string::npos);

  auto tensor = [&](uint32_t nd, std::vector<uint64_t> ne, uint32_t type,
                    uint64_t off, uint64_t dataBytes, int ntensors = 1) {
    std::string t = header(ntensors, 0);
    for (int i = 0; i < ntensors; ++i) {
      u64(t, 1);
      t.push_back(static_cast<char>('a' + i));
      u32(t, nd);
      for (uint64_t d : ne)
        u64(t, d);
      u32(t, type);
      u64(t, off);
    }
    while (t.size() % 32)
      t.push_back('\0');
    t += std::string(dataBytes, '\0');
    return bytes(t);
  };
  EXPECT_EQ(ggufError(tensor(1, {8}, 0, 0, 32)), "<ok>");
  EXPECT_NE(ggufError(tensor(5, {1, 1, 1, 1, 1}, 0, 0, 32)).find("rank 5"),
            std::string::npos);
  EXPECT_NE(ggufError(tensor(1, {0}, 0, 0, 32)).find("invalid dimension"),
            std::string::npos);
  EXPECT_NE(ggufError(tensor(1, {8}, 3, 0, 32)).find("unsupported ggml type"),
            std::string::npos);
  EXPECT_NE(ggufError(tensor(1, {16}, 2, 0, 32)).find("not a multiple"),
            std::string::npos);
  EXPECT_NE(ggufError(tensor(1, {8}, 0, 0, 16)).find("outside"),
            std::string::npos);
  EXPECT_NE(ggufError(tensor(1, {8}, 0, 4, 64)).find("alignment"),
            std::string::npos);
  EXPECT_NE(
      ggufError(tensor(2, {1ull << 40, 1ull << 40}, 0, 0, 32)).find("overflow"),
      std::string::npos);
  EXPECT_NE(ggufError(tensor(1, {8}, 0, 0, 64, 2)).find("overlaps"),
            std::string::npos);
  GGUFFile f;
  EXPECT_NE(GGUFFile::open("/nonexistent.gguf", f).message().find("cannot"),
            std::string::npos);
}
} // namespace
