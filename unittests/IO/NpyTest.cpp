//===- NpyTest.cpp - .npy/.npz reader/writer tests ------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Npy.h"

#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

using namespace qforge::io;

namespace {
std::vector<uint8_t> npyImage(const std::string &dict, unsigned major,
                              const std::vector<uint8_t> &data) {
  std::vector<uint8_t> out = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  appendLE(out, dict.size(), major == 1 ? 2 : 4);
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string npyError(const std::vector<uint8_t> &b) {
  NpyArray a;
  Status s = parseNpy(b.data(), b.size(), a);
  return s.ok() ? "<ok>" : s.message();
}

TEST(Npy, HeaderBytesMatchNumpyFormat) {
  float v[2] = {1.0f, 2.0f};
  std::vector<uint8_t> out;
  ASSERT_TRUE(serializeNpy(DType::F32, {2},
                           reinterpret_cast<const uint8_t *>(v), 8, out)
                  .ok());
  // Version 1.0, header length 118 (0x76) so that data starts at byte 128.
  std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                         "{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (2,), }" +
                         std::string(60, ' ') + "\n" +
                         std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  ASSERT_EQ(out.size(), expected.size());
  EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), out.size()));
}

TEST(Npy, ShapesAndVersions) {
  std::vector<uint8_t> out;
  double d[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(serializeNpy(DType::F64, {2, 3},
                           reinterpret_cast<const uint8_t *>(d), 48, out)
                  .ok());
  NpyArray a;
  ASSERT_TRUE(parseNpy(out.data(), out.size(), a).ok());
  EXPECT_EQ(a.dtype, DType::F64);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(0, std::memcmp(a.data, d, 48));
  // Scalar shape ().
  ASSERT_TRUE(
      serializeNpy(DType::F64, {}, reinterpret_cast<const uint8_t *>(d), 8, out)
          .ok());
  ASSERT_TRUE(parseNpy(out.data(), out.size(), a).ok());
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ((out.size() - 8) % 64, 0u);
  // Version 2.0 header with '|u1' and a double-quoted key.
  auto v2 = npyImage("{\"descr\": '|u1', 'fortran_order': False, "
                     "'shape': (3,)}\n",
                     2, {7, 8, 9});
  ASSERT_EQ(npyError(v2), "<ok>");
  ASSERT_TRUE(parseNpy(v2.data(), v2.size(), a).ok());
  EXPECT_EQ(a.dtype, DType::U8);
  EXPECT_EQ(a.data[2], 9);
  // '<i1' is accepted as i8.
  auto i1 = npyImage("{'descr': '<i1', 'fortran_order': False, 'shape': (1,)}",
                     1, {0xff});
  EXPECT_EQ(npyError(i1), "<ok>");
}

TEST(Npy, CorruptFiles) {
  EXPECT_NE(npyError({1, 2, 3}).find("bad magic"), std::string::npos);
  auto badVer = npyImage("{}", 1, {});
  badVer[6] = 9;
  EXPECT_NE(npyError(badVer).find("version 9"), std::string::npos);
  auto longHdr = npyImage("{}", 1, {});
  longHdr[8] = 0xff;
  EXPECT_NE(npyError(longHdr).find("exceeds the file size"), std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '>f4', 'fortran_order': False, "
                              "'shape': (1,)}",
                              1, {0, 0, 0, 0}))
                .find("big-endian"),
            std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '<c8', 'fortran_order': False, "
                              "'shape': (1,)}",
                              1, {}))
                .find("unsupported npy dtype"),
            std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '<f4', 'fortran_order': True, "
                              "'shape': (2, 2)}",
                              1, std::vector<uint8_t>(16)))
                .find("Fortran"),
            std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (4,)}",
                              1, std::vector<uint8_t>(8)))
                .find("needs 16 bytes"),
            std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (99999999999, 99999999999)}",
                              1, {}))
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '<f4', 'shape': (1,)}", 1, {}))
                .find("needs descr"),
            std::string::npos);
  EXPECT_NE(npyError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (-1,)}",
                              1, {}))
                .find("non-negative"),
            std::string::npos);
}

TEST(Npz, RoundTripAndFile) {
  float a[3] = {1, 2, 3};
  int8_t b[2] = {-1, 1};
  std::vector<TensorView> ts = {
      {"w", DType::F32, {3}, reinterpret_cast<const uint8_t *>(a), 12},
      {"b", DType::I8, {1, 2}, reinterpret_cast<const uint8_t *>(b), 2}};
  std::string path = ::testing::TempDir() + "/qf_npz_roundtrip.npz";
  ASSERT_TRUE(writeNpz(path, ts).ok());
  NpyFile f;
  Status s = NpyFile::openNpz(path, f);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(f.arrays().size(), 2u);
  EXPECT_EQ(f.arrays()[0].first, "w");
  const NpyArray *w = f.find("w"), *bb = f.find("b");
  ASSERT_TRUE(w && bb);
  EXPECT_EQ(0, std::memcmp(w->data, a, 12));
  EXPECT_EQ(bb->shape, (std::vector<int64_t>{1, 2}));
  ::unlink(path.c_str());
}

TEST(Npz, CorruptArchives) {
  float a[3] = {1, 2, 3};
  std::vector<uint8_t> z;
  ASSERT_TRUE(
      serializeNpz(
          {{"w", DType::F32, {3}, reinterpret_cast<const uint8_t *>(a), 12}}, z)
          .ok());
  NpyFile f;
  auto err = [&](std::vector<uint8_t> b) {
    Status s = NpyFile::parseNpz(b.data(), b.size(), f);
    return s.ok() ? std::string("<ok>") : s.message();
  };
  ASSERT_EQ(err(z), "<ok>");
  // Local header is at 0; central directory entry follows the data.
  uint64_t cd = z.size() - 22 - (46 + 5);
  ASSERT_EQ(readLE(z.data() + cd, 4), 0x02014b50u);
  auto deflated = z;
  deflated[cd + 10] = 8; // compression method = deflate
  EXPECT_NE(err(deflated).find("compressed npz not supported"),
            std::string::npos);
  auto crc = z;
  crc[30 + 5 + 130] ^= 1; // flip a data byte
  EXPECT_NE(err(crc).find("CRC-32"), std::string::npos);
  auto count = z;
  count[z.size() - 22 + 10] = 0xfe; // absurd entry count
  EXPECT_NE(err(count).find("exceeds the central directory"),
            std::string::npos);
  auto off = z;
  off[z.size() - 22 + 16] = 0xff; // central directory beyond the file
  off[z.size() - 22 + 17] = 0xff;
  EXPECT_NE(err(off).find("outside the file"), std::string::npos);
  auto size = z;
  size[cd + 20] = 0xff; // compressed size
  size[cd + 24] = 0xff; // plain size
  size[cd + 25] = 0xff;
  size[cd + 21] = 0xff;
  EXPECT_NE(err(size).find("past the file end"), std::string::npos);
  EXPECT_NE(err({1, 2, 3}).find("too small"), std::string::npos);
  EXPECT_NE(err(std::vector<uint8_t>(40, 0)).find("no end of central"),
            std::string::npos);
}
} // namespace
