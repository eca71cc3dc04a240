//===- WeightsTest.cpp - External weights and quantized files tests -------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Weights.h"
#include "qforge/IO/GGUF.h"
#include "qforge/IO/Npy.h"
#include "qforge/IO/SafeTensors.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace qforge::io;
namespace num = qforge::num;

namespace {
std::vector<float> data(int64_t n) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = std::cos(0.11f * static_cast<float>(i)) * 0.3f;
  return v;
}

num::QuantizedTensor quantize(const std::vector<float> &x,
                              std::vector<int64_t> shape, const char *spec) {
  num::FormatSpec f;
  EXPECT_TRUE(num::FormatSpec::parse(spec, f).ok());
  num::QuantizedTensor q;
  Status s = num::quantize(x.data(), shape, f, {}, q);
  EXPECT_TRUE(s.ok()) << s.message();
  return q;
}

void expectSame(const num::QuantizedTensor &a, const num::QuantizedTensor &b) {
  EXPECT_EQ(a.format, b.format);
  EXPECT_EQ(a.shape, b.shape);
  for (unsigned i = 0; i < num::kNumSections; ++i)
    EXPECT_EQ(a.sections[i], b.sections[i]) << i;
}

TEST(Weights, QuantizedSafetensorsAndGGUFRoundTrip) {
  auto x = data(4 * 256);
  num::QuantizedTensor a = quantize(x, {4, 256}, "int4:g64:f16:outliers=2^-6");
  num::QuantizedTensor b = quantize(x, {4, 256}, "q4_k");
  std::string st = ::testing::TempDir() + "/qf_weights.safetensors";
  std::string gg = ::testing::TempDir() + "/qf_weights.gguf";
  QuantizedWeightWriter w;
  ASSERT_TRUE(w.addQuantized("a", a).ok());
  ASSERT_TRUE(w.addQuantized("b", b).ok());
  ASSERT_TRUE(w.addTensor({"f",
                           DType::F32,
                           {4, 256},
                           reinterpret_cast<const uint8_t *>(x.data()),
                           x.size() * 4})
                  .ok());
  ASSERT_TRUE(w.write(st, {{"producer", "qforge"}}).ok());
  num::QuantizedTensor back;
  Status s = readQuantized(st, "a", back);
  ASSERT_TRUE(s.ok()) << s.message();
  expectSame(a, back);
  ASSERT_TRUE(readQuantized(st, "b", back).ok());
  expectSame(b, back);
  // GGUF: q4_k as the ggml block type, the other format in the QForge
  // section convention (I8 tensors + string KV pairs).
  Status g = w.write(gg);
  ASSERT_TRUE(g.ok()) << g.message();
  {
    GGUFFile f;
    ASSERT_TRUE(GGUFFile::open(gg, f).ok());
    ASSERT_NE(f.find("b"), nullptr);
    EXPECT_EQ(f.find("b")->dtype, DType::Q4_K);
    EXPECT_EQ(f.find("b")->shape, (std::vector<int64_t>{4, 256}));
    EXPECT_EQ(f.find("a"), nullptr);
    ASSERT_NE(f.find("a.qf.codes"), nullptr);
    EXPECT_EQ(f.find("a.qf.codes")->dtype, DType::I8);
    ASSERT_NE(f.findMetadata("a.qf_format"), nullptr);
    EXPECT_EQ(f.findMetadata("a.qf_format")->s, a.format.str());
    EXPECT_EQ(f.findMetadata("a.qf_shape")->s, "[4,256]");
  }
  ASSERT_TRUE(readQuantized(gg, "a", back).ok());
  expectSame(a, back);
  ASSERT_TRUE(readQuantized(gg, "b", back).ok());
  expectSame(b, back);
  EXPECT_NE(readQuantized(st, "f", back).message().find("is not quantized"),
            std::string::npos);
  EXPECT_NE(readQuantized(gg, "f", back).message().find("is not quantized"),
            std::string::npos);
  EXPECT_NE(readQuantized(st, "zz", back).message().find("no quantized"),
            std::string::npos);

  // Lazy, cached resolution of (file, key) references.
  WeightStore store;
  EXPECT_EQ(store.numOpenFiles(), 0u);
  ExternalTensor t;
  ASSERT_TRUE(store.lookup(st, "f", t).ok());
  EXPECT_EQ(t.dtype, DType::F32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{4, 256}));
  EXPECT_EQ(0, std::memcmp(t.data, x.data(), t.nbytes));
  ASSERT_TRUE(store.lookup(st, "a.qf.codes", t).ok());
  ASSERT_TRUE(store.lookup(gg, "b", t).ok());
  EXPECT_EQ(t.dtype, DType::Q4_K);
  EXPECT_EQ(store.numOpenFiles(), 2u);
  EXPECT_NE(store.lookup(st, "nope", t).message().find("has no tensor 'nope'"),
            std::string::npos);
  EXPECT_NE(store.lookup("/tmp/x.bin", "a", t).message().find("extension"),
            std::string::npos);
  EXPECT_NE(
      store.lookup("/nonexistent/x.npz", "a", t).message().find("cannot open"),
      std::string::npos);
  ::unlink(st.c_str());
  ::unlink(gg.c_str());
}

TEST(Weights, NpzLookupAndCorruptQuantizedMetadata) {
  float v[4] = {1, 2, 3, 4};
  std::string npz = ::testing::TempDir() + "/qf_weights.npz";
  ASSERT_TRUE(
      writeNpz(
          npz,
          {{"w", DType::F32, {2, 2}, reinterpret_cast<const uint8_t *>(v), 16}})
          .ok());
  WeightStore store;
  ExternalTensor t;
  ASSERT_TRUE(store.lookup(npz, "w", t).ok());
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
  ::unlink(npz.c_str());

  // Metadata that names a format whose sections do not match.
  std::string st = ::testing::TempDir() + "/qf_bad_quant.safetensors";
  uint8_t codes[3] = {0, 0, 0};
  ASSERT_TRUE(
      writeSafeTensors(st, {{"w.qf.codes", DType::U8, {3}, codes, 3}},
                       {{"w.qf_format", "q8_0"}, {"w.qf_shape", "[1,32]"}})
          .ok());
  num::QuantizedTensor q;
  EXPECT_FALSE(readQuantized(st, "w", q).ok());
  ASSERT_TRUE(
      writeSafeTensors(st, {{"w.qf.codes", DType::U8, {3}, codes, 3}},
                       {{"w.qf_format", "q8_0"}, {"w.qf_shape", "[1,-32]"}})
          .ok());
  EXPECT_NE(readQuantized(st, "w", q).message().find("bad dimension"),
            std::string::npos);
  ::unlink(st.c_str());
}
// lookupQuantized resolves sections in place and checks them against the
// format stored in the file.
TEST(Weights, LookupQuantizedInPlaceAndSectionChecks) {
  auto x = data(2 * 64);
  num::QuantizedTensor a = quantize(x, {2, 64}, "int4:g32:f16");
  std::string st = ::testing::TempDir() + "/qf_lookup_q.safetensors";
  QuantizedWeightWriter w;
  ASSERT_TRUE(w.addQuantized("a", a).ok());
  ASSERT_TRUE(w.write(st).ok());
  WeightStore store;
  ExternalQuantized e;
  Status s = store.lookupQuantized(st, "a", e);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(e.format, a.format);
  EXPECT_EQ(e.shape, a.shape);
  for (unsigned i = 0; i < num::kNumSections; ++i) {
    ASSERT_EQ(e.nbytes[i], a.sections[i].size()) << i;
    if (e.nbytes[i]) {
      EXPECT_EQ(0, std::memcmp(e.data[i], a.sections[i].data(), e.nbytes[i]));
    }
  }
  EXPECT_NE(e.owner, nullptr);

  // A scales section of the wrong size, a missing section, an extra one.
  uint8_t bytes[64] = {0};
  auto expectError = [&](std::vector<TensorView> views, const char *what) {
    ASSERT_TRUE(writeSafeTensors(
                    st, views,
                    {{"a.qf_format", "int4:g32:f16"}, {"a.qf_shape", "[2,64]"}})
                    .ok());
    Status r = store.lookupQuantized(st, "a", e);
    EXPECT_NE(r.message().find(what), std::string::npos) << r.message();
  };
  expectError({{"a.qf.codes", DType::U8, {64}, bytes, 64},
               {"a.qf.scales", DType::U8, {6}, bytes, 6}},
              "section 'scales' has 6 bytes but format 'int4:g32:f16' needs 8");
  expectError({{"a.qf.codes", DType::U8, {64}, bytes, 64}},
              "missing section 'scales'");
  expectError({{"a.qf.codes", DType::U8, {64}, bytes, 64},
               {"a.qf.scales", DType::U8, {8}, bytes, 8},
               {"a.qf.outliers", DType::U8, {8}, bytes, 8}},
              "unexpected section 'outliers'");
  expectError({{"a.qf.codes", DType::F32, {16}, bytes, 64},
               {"a.qf.scales", DType::U8, {8}, bytes, 8}},
              "must be U8");
  ::unlink(st.c_str());
}

// A file replaced on disk is mapped again; data resolved from the old
// mapping stays readable through its owner.
TEST(Weights, ReplacedFileIsMappedAgain) {
  float v1[4] = {1, 2, 3, 4}, v2[4] = {5, 6, 7, 8};
  std::string st = ::testing::TempDir() + "/qf_replaced.safetensors";
  auto write = [&](const float *v) {
    ASSERT_TRUE(
        writeSafeTensors(
            st,
            {{"w", DType::F32, {4}, reinterpret_cast<const uint8_t *>(v), 16}},
            {})
            .ok());
  };
  write(v1);
  WeightStore store;
  ExternalTensor t1, t2;
  ASSERT_TRUE(store.lookup(st, "w", t1).ok());
  ASSERT_TRUE(store.lookup(st, "w", t2).ok());
  EXPECT_EQ(store.numOpenFiles(), 1u);
  EXPECT_EQ(t1.data, t2.data);
  write(v2); // a new inode (written to a temporary file and renamed)
  ASSERT_TRUE(store.lookup(st, "w", t2).ok());
  EXPECT_EQ(store.numOpenFiles(), 2u);
  EXPECT_EQ(0, std::memcmp(t2.data, v2, 16));
  EXPECT_EQ(0, std::memcmp(t1.data, v1, 16)); // old mapping still alive
  ::unlink(st.c_str());
  EXPECT_NE(store.lookup(st, "w", t2).message().find("cannot open"),
            std::string::npos);
}
} // namespace
