//===- WeightsTest.cpp - External weights and quantized files tests -------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Weights.h"
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
  // GGUF holds only the GGUF layouts.
  Status g = w.write(gg);
  EXPECT_NE(g.message().find("has no GGUF type"), std::string::npos);
  QuantizedWeightWriter w2;
  ASSERT_TRUE(w2.addQuantized("b", b).ok());
  ASSERT_TRUE(w2.write(gg).ok());
  ASSERT_TRUE(readQuantized(gg, "b", back).ok());
  expectSame(b, back);
  EXPECT_NE(readQuantized(st, "f", back).message().find("no quantized"),
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
} // namespace
