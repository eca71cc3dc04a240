//===- FuzzNpz.cpp - Fuzz target: .npz (zip) reader -----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// NpyFile::parseNpz on an in-memory zip image; on success every member's
// array lies inside the image and matches its dtype and shape.
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Npy.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace qforge::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> image(data, data + size);
  NpyFile file;
  if (!NpyFile::parseNpz(image.data(), image.size(), file).ok())
    return 0;
  unsigned sum = 0;
  for (const auto &entry : file.arrays()) {
    const NpyArray &array = entry.second;
    int64_t numel = 0;
    uint64_t want = 0;
    if (!checkedNumel(array.shape, numel).ok() ||
        !dtypeBytes(array.dtype, numel, want).ok() || want != array.nbytes ||
        (array.nbytes &&
         (array.data < image.data() ||
          array.data + array.nbytes > image.data() + image.size()))) {
      std::fprintf(stderr, "npz: accepted an inconsistent member '%s'\n",
                   entry.first.c_str());
      std::abort();
    }
    for (uint64_t i = 0; i < array.nbytes; ++i)
      sum += array.data[i];
    if (file.find(entry.first) == nullptr)
      std::abort();
  }
  return static_cast<int>(sum & 0);
}
