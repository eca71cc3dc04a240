//===- FuzzNpy.cpp - Fuzz target: .npy reader -----------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// parseNpy on an in-memory image; on success the array's bytes lie inside
// the image and match its dtype and shape.
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Npy.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace qforge::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> image(data, data + size);
  NpyArray array;
  if (!parseNpy(image.data(), image.size(), array).ok())
    return 0;
  int64_t numel = 0;
  uint64_t want = 0;
  if (!checkedNumel(array.shape, numel).ok() ||
      !dtypeBytes(array.dtype, numel, want).ok() || want != array.nbytes ||
      (array.nbytes &&
       (array.data < image.data() ||
        array.data + array.nbytes > image.data() + image.size()))) {
    std::fprintf(stderr, "npy: accepted an inconsistent array\n");
    std::abort();
  }
  unsigned sum = 0;
  for (uint64_t i = 0; i < array.nbytes; ++i)
    sum += array.data[i];
  return static_cast<int>(sum & 0);
}
