//===- FuzzGGUF.cpp - Fuzz target: GGUF reader ----------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// GGUFFile::parse on an in-memory image (crafted GGUF headers are a known
// source of heap overflows in other parsers). On success every tensor's
// bytes lie inside the image and match its type and shape.
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/GGUF.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace qforge::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> image(data, data + size);
  GGUFFile file;
  if (!GGUFFile::parse(image.data(), image.size(), file).ok())
    return 0;
  const uint8_t *begin = image.data(), *end = image.data() + image.size();
  unsigned sum = 0;
  for (const GGUFFile::Tensor &t : file.tensors()) {
    int64_t numel = 0;
    uint64_t want = 0;
    if (!checkedNumel(t.shape, numel).ok() ||
        !dtypeBytes(t.dtype, numel, want).ok() || want != t.nbytes ||
        (t.nbytes && (t.data < begin || t.data + t.nbytes > end))) {
      std::fprintf(stderr, "gguf: accepted an inconsistent tensor '%s'\n",
                   t.name.c_str());
      std::abort();
    }
    for (uint64_t i = 0; i < t.nbytes; ++i)
      sum += t.data[i];
    if (file.find(t.name) == nullptr)
      std::abort();
  }
  for (const auto &kv : file.metadata())
    if (file.findMetadata(kv.first) == nullptr)
      std::abort();
  return static_cast<int>(sum & 0);
}
