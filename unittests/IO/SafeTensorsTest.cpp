//===- SafeTensorsTest.cpp - safetensors reader/writer tests --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/SafeTensors.h"

#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

using namespace qforge::io;

namespace {
std::vector<uint8_t> image(const std::string &header,
                           const std::vector<uint8_t> &data) {
  std::vector<uint8_t> out;
  appendLE(out, header.size(), 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  SafeTensorsFile f;
  Status s = SafeTensorsFile::parse(bytes.data(), bytes.size(), f);
  return s.ok() ? std::string("<ok>") : s.message();
}

TEST(SafeTensors, HeaderBytesMatchSpecification) {
  float v[2] = {1.0f, 2.0f};
  TensorView t{"a", DType::F32, {2}, reinterpret_cast<const uint8_t *>(v), 8};
  std::vector<uint8_t> out;
  ASSERT_TRUE(serializeSafeTensors({t}, {}, out).ok());
  // 8-byte LE header length (56), the JSON header padded with two spaces to
  // a multiple of 8, then 1.0f and 2.0f little-endian.
  const char expected[] =
      "\x38\x00\x00\x00\x00\x00\x00\x00"
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  "
      "\x00\x00\x80\x3f\x00\x00\x00\x40";
  ASSERT_EQ(out.size(), sizeof(expected) - 1);
  EXPECT_EQ(0, std::memcmp(out.data(), expected, out.size()));
}

TEST(SafeTensors, RoundTripWithMetadataThroughFile) {
  std::vector<uint16_t> h(6);
  for (unsigned i = 0; i < 6; ++i)
    h[i] = static_cast<uint16_t>(0x3c00 + i);
  std::vector<int8_t> q = {-128, -1, 0, 1, 127};
  std::vector<TensorView> ts = {
      {"layer.0.w",
       DType::BF16,
       {2, 3},
       reinterpret_cast<const uint8_t *>(h.data()),
       12},
      {"q\"uote\\",
       DType::I8,
       {5},
       reinterpret_cast<const uint8_t *>(q.data()),
       5},
      {"empty", DType::F32, {0, 4}, nullptr, 0},
  };
  std::string path = ::testing::TempDir() + "/qf_st_roundtrip.safetensors";
  ASSERT_TRUE(
      writeSafeTensors(path, ts, {{"format", "pt"}, {"k", "v\n"}}).ok());
  SafeTensorsFile f;
  Status s = SafeTensorsFile::open(path, f);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.metadata().at("k"), "v\n");
  const auto *a = f.find("layer.0.w");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::BF16);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(0, std::memcmp(a->data, h.data(), 12));
  const auto *b = f.find("q\"uote\\");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(0, std::memcmp(b->data, q.data(), 5));
  EXPECT_EQ(f.find("empty")->nbytes(), 0u);
  ::unlink(path.c_str());
}

TEST(SafeTensors, WriterRejectsBadInput) {
  float v[2] = {0, 0};
  auto *p = reinterpret_cast<const uint8_t *>(v);
  std::vector<uint8_t> out;
  Status s = serializeSafeTensors({{"a", DType::F32, {3}, p, 8}}, {}, out);
  EXPECT_NE(s.message().find("needs 12 bytes"), std::string::npos);
  s = serializeSafeTensors(
      {{"a", DType::F32, {2}, p, 8}, {"a", DType::F32, {2}, p, 8}}, {}, out);
  EXPECT_NE(s.message().find("duplicate"), std::string::npos);
  s = serializeSafeTensors({{"a", DType::Q4_0, {32}, p, 18}}, {}, out);
  EXPECT_NE(s.message().find("cannot be stored"), std::string::npos);
}

TEST(SafeTensors, CorruptFiles) {
  std::vector<uint8_t> d8(8, 0);
  EXPECT_NE(parseError({1, 2, 3}).find("too small"), std::string::npos);
  // Header length beyond the file.
  std::vector<uint8_t> big;
  appendLE(big, 1000, 8);
  big.push_back('{');
  EXPECT_NE(parseError(big).find("exceeds the file size"), std::string::npos);
  std::vector<uint8_t> huge;
  appendLE(huge, UINT64_MAX, 8);
  EXPECT_NE(parseError(huge).find("100 MB"), std::string::npos);
  EXPECT_NE(parseError(image("[1]", {})).find("'{'"), std::string::npos);
  EXPECT_NE(parseError(image("{\"a\":}", {})).find("invalid JSON"),
            std::string::npos);
  EXPECT_NE(parseError(image("{\"a\":1,\"a\":2}", {})).find("duplicate"),
            std::string::npos);
  // Offsets beyond the buffer.
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})",
                d8))
          .find("outside"),
      std::string::npos);
  // Shape/dtype disagree with the offsets.
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                d8))
          .find("need 12 bytes"),
      std::string::npos);
  // Overlap and hole.
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                d8))
          .find("overlaps"),
      std::string::npos);
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                d8))
          .find("hole"),
      std::string::npos);
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                d8))
          .find("trailing"),
      std::string::npos);
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})",
                d8))
          .find("unsupported dtype"),
      std::string::npos);
  EXPECT_NE(
      parseError(
          image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})",
                d8))
          .find("non-negative"),
      std::string::npos);
  // Absurd shape: element count overflows before any allocation.
  EXPECT_NE(
      parseError(image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                       R"("data_offsets":[0,8]}})",
                       d8))
          .find("overflows"),
      std::string::npos);
  EXPECT_NE(
      parseError(image(R"({"__metadata__":{"a":1}})", {})).find("not a string"),
      std::string::npos);
  // Names must be UTF-8 (overlong '/', lone continuation byte).
  EXPECT_NE(parseError(image("{\"\xc0\xaf\":1}", {})).find("UTF-8"),
            std::string::npos);
  EXPECT_NE(parseError(image("{\"\x80\":1}", {})).find("UTF-8"),
            std::string::npos);
  // Deep nesting is refused, not recursed into.
  std::string deep(200, '[');
  EXPECT_NE(parseError(image("{\"a\":" + deep, {})).find("nesting"),
            std::string::npos);
  SafeTensorsFile f;
  EXPECT_NE(SafeTensorsFile::open("/nonexistent/x.safetensors", f)
                .message()
                .find("cannot open"),
            std::string::npos);
}

TEST(SafeTensors, JsonEscapesAndPaddingAccepted) {
  // A header written by another tool: whitespace, \u escapes, trailing
  // space padding.
  std::vector<uint8_t> d4 = {0, 0, 0x80, 0x3f};
  std::string h = "{ \"\\u00e9t\\u00E9\" : {\"dtype\": \"F32\", \"shape\": [1],"
                  " \"data_offsets\": [0, 4]} }    ";
  auto img = image(h, d4);
  SafeTensorsFile f;
  Status s = SafeTensorsFile::parse(img.data(), img.size(), f);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(f.tensors().size(), 1u);
  EXPECT_EQ(f.tensors()[0].name, "\xc3\xa9t\xc3\xa9");
  float x;
  std::memcpy(&x, f.tensors()[0].data, 4);
  EXPECT_EQ(x, 1.0f);
}
} // namespace
