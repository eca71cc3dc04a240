//===- FuzzSpecParser.cpp - Fuzz target: format spec parser ---------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// FormatSpec::parse on arbitrary text. Invariants on success: str() parses
// back to an equal spec with the same text, verify() passes, and the size
// queries on a few shapes neither crash nor overflow silently.
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Format.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace qforge::num;

[[noreturn]] static void fail(const char *what, const std::string &spec) {
  std::fprintf(stderr, "spec-parser invariant violated: %s for '%s'\n", what,
               spec.c_str());
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  FormatSpec spec;
  if (!FormatSpec::parse(text, spec).ok())
    return 0;
  std::string printed = spec.str();
  if (!spec.verify().ok())
    fail("parsed spec fails verify()", printed);
  FormatSpec again;
  Status st = FormatSpec::parse(printed, again);
  if (!st.ok())
    fail(("str() does not parse back: " + st.message()).c_str(), printed);
  if (again != spec)
    fail("parse(str()) differs from the parsed spec", printed);
  if (again.str() != printed)
    fail("str() is not a fixed point", printed);

  (void)spec.bitsPerWeight();
  static const std::vector<std::vector<int64_t>> shapes = {
      {1}, {32}, {256}, {4, 64}, {3, 5, 7}, {256, 256}, {1, 4096, 2}};
  for (const auto &shape : shapes) {
    if (!spec.verifyShape(shape).ok())
      continue;
    int64_t groups = spec.numGroups(shape);
    int64_t groupSize = spec.groupSize(shape);
    if (groups <= 0 || groupSize <= 0)
      fail("non-positive group count or size for a valid shape", printed);
    auto bytes = sectionBytes(spec, shape);
    uint64_t total = 0;
    for (uint64_t b : bytes)
      total += b;
    if (total != storageBytes(spec, shape))
      fail("storageBytes differs from the sum of sectionBytes", printed);
    (void)spec.bitsPerWeight(shape);
  }
  return 0;
}
