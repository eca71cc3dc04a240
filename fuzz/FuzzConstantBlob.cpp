//===- FuzzConstantBlob.cpp - Fuzz target: quantized blob decoding --------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What qf.constant folding does with its dense_resource sections: build a
// num::QuantizedTensor from untrusted bytes and dequantize it. Input layout:
//   byte 0      index into a list of formats covering every family
//   byte 1      shape selector
//   byte 2      section-size mode: bit k set = section k gets the size the
//               fuzz data leaves for it instead of the expected size
//   bytes 3..   section contents, in section order
// dequantize must return an error or succeed; with well-sized sections of
// finite scales it must succeed.
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/Quantizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace qforge::num;

static const char *const kSpecs[] = {
    "int8",
    "int4:g32",
    "sint4:g64:f16",
    "uint4:g32:zp",
    "uint3:ch@0:bf16:zp",
    "int2:g16:e8m0",
    "e2m1:g32:e8m0",
    "mxfp4",
    "mxfp6",
    "mxfp8e5m2",
    "nvfp4",
    "e3m2:g16:f16",
    "nf4:g64",
    "iq4nl:g32:f16",
    "crd-normal:3:g32",
    "crd-laplace:4:g64:rms",
    "crd-t5:4:g32",
    "lut2[-1,-0.25,0.25,1]:g16",
    "int4:g32:e4m3:dq=4",
    "int4:g32:f16:dq=tensor",
    "int4:g32:outliers=0.01",
    "int8:g64:outliers=0.05/f32",
    "int4:g16:e4m3:outliers=0.02/f16:dq=2",
    "q4_0",
    "q8_0",
    "iq4_nl",
    "q4_k",
    "asq:16:g64",
    "asq:4:ch",
    "kashin:2+2",
    "kashin:2+2:hadamard",
    "int4:g32@0",
    "e4m3:ch@1:e4m3",
};
constexpr unsigned kNumSpecs = sizeof(kSpecs) / sizeof(kSpecs[0]);

static const std::vector<int64_t> kShapes[] = {
    {64},  {256},   {2, 256},   {4, 64},  {64, 4},   {1, 32}, {3, 96}, {0, 64},
    {512}, {8, 32}, {2, 2, 64}, {32, 32}, {16, 256}, {7},     {1},     {33}};
constexpr unsigned kNumShapes = sizeof(kShapes) / sizeof(kShapes[0]);

static std::vector<FormatSpec> parseSpecs() {
  std::vector<FormatSpec> specs;
  for (const char *text : kSpecs) {
    FormatSpec spec;
    if (FormatSpec::parse(text, spec).ok())
      specs.push_back(spec);
    else {
      std::fprintf(stderr, "constant-blob: format '%s' does not parse\n", text);
      std::abort();
    }
  }
  return specs;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::vector<FormatSpec> specs = parseSpecs();
  if (size < 3 || specs.empty() || size > (1u << 20))
    return 0;
  QuantizedTensor q;
  q.format = specs[data[0] % specs.size()];
  q.shape = kShapes[data[1] % kNumShapes];
  unsigned freeSizes = data[2];
  const uint8_t *p = data + 3;
  size_t left = size - 3;

  bool shapeOk = q.format.verifyShape(q.shape).ok();
  std::array<uint64_t, kNumSections> expected{};
  if (shapeOk)
    expected = sectionBytes(q.format, q.shape);
  bool wellSized = shapeOk;
  for (unsigned s = 0; s < kNumSections; ++s) {
    uint64_t want = expected[s];
    if (freeSizes & (1u << s)) {
      // The next two bytes (if any) give the section's size, capped by the
      // data left: wrong sizes must be diagnosed.
      uint64_t claimed = 0;
      if (left >= 2) {
        claimed = p[0] | (uint64_t(p[1]) << 8);
        p += 2;
        left -= 2;
      }
      want = claimed;
    }
    std::vector<uint8_t> &sec = q.sections[s];
    sec.assign(want, 0);
    size_t take = std::min<uint64_t>(want, left);
    if (take)
      std::memcpy(sec.data(), p, take);
    p += take;
    left -= take;
    if (want != expected[s])
      wellSized = false;
  }

  int64_t numel = 1;
  for (int64_t d : q.shape)
    numel *= d;
  std::vector<float> out(static_cast<size_t>(numel));
  Status st = dequantize(q, out.data(), /*threads=*/1);
  if (!shapeOk && st.ok()) {
    std::fprintf(stderr, "constant-blob: dequantize accepted a shape that "
                         "verifyShape rejects\n");
    std::abort();
  }
  (void)wellSized;
  return 0;
}
