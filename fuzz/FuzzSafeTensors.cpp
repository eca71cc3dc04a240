//===- FuzzSafeTensors.cpp - Fuzz target: safetensors reader --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// SafeTensorsFile::parse on an in-memory image. On success every tensor's
// bytes must lie inside the image and match its dtype and shape; the bytes
// are read (so ASan sees any out-of-range view).
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/SafeTensors.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace qforge::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Copy into an exactly-sized heap buffer so reads past the end are caught.
  std::vector<uint8_t> image(data, data + size);
  SafeTensorsFile file;
  if (!SafeTensorsFile::parse(image.data(), image.size(), file).ok())
    return 0;
  const uint8_t *begin = image.data(), *end = image.data() + image.size();
  unsigned sum = 0;
  for (const SafeTensorsFile::Tensor &t : file.tensors()) {
    int64_t numel = 0;
    uint64_t want = 0;
    if (!checkedNumel(t.shape, numel).ok() ||
        !dtypeBytes(t.dtype, numel, want).ok() || want != t.nbytes() ||
        (t.nbytes() && (t.data < begin || t.data + t.nbytes() > end))) {
      std::fprintf(stderr,
                   "safetensors: accepted an inconsistent tensor '%s'\n",
                   t.name.c_str());
      std::abort();
    }
    for (uint64_t i = 0; i < t.nbytes(); ++i)
      sum += t.data[i];
    if (file.find(t.name) == nullptr)
      std::abort();
  }
  return static_cast<int>(sum & 0);
}
