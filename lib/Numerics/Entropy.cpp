//===- Entropy.cpp - Variable-length accounting of codes ------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Entropy.h"
#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/Packing.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>

using namespace qforge::num;

double qforge::num::entropyBits(const std::vector<uint64_t> &h) {
  double total = 0;
  for (uint64_t c : h)
    total += static_cast<double>(c);
  if (total == 0)
    return 0;
  double e = 0;
  for (uint64_t c : h)
    if (c) {
      double p = c / total;
      e -= p * std::log2(p);
    }
  return e;
}

std::vector<unsigned>
qforge::num::huffmanLengths(const std::vector<uint64_t> &h) {
  size_t n = h.size();
  std::vector<unsigned> len(n, 0);
  // Nodes: leaves 0..n-1, internal nodes appended; (weight, order, id).
  using Item = std::tuple<uint64_t, uint64_t, size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> pq;
  std::vector<size_t> parent;
  for (size_t i = 0; i < n; ++i) {
    parent.push_back(SIZE_MAX);
    if (h[i])
      pq.push({h[i], i, i});
  }
  if (pq.empty())
    return len;
  if (pq.size() == 1) {
    len[std::get<2>(pq.top())] = 1;
    return len;
  }
  uint64_t order = n;
  while (pq.size() > 1) {
    Item a = pq.top();
    pq.pop();
    Item b = pq.top();
    pq.pop();
    size_t id = parent.size();
    parent.push_back(SIZE_MAX);
    parent[std::get<2>(a)] = id;
    parent[std::get<2>(b)] = id;
    pq.push({std::get<0>(a) + std::get<0>(b), order++, id});
  }
  for (size_t i = 0; i < n; ++i) {
    if (!h[i])
      continue;
    unsigned d = 0;
    for (size_t p = i; parent[p] != SIZE_MAX; p = parent[p])
      ++d;
    len[i] = d;
  }
  return len;
}

double qforge::num::huffmanMeanBits(const std::vector<uint64_t> &h) {
  std::vector<unsigned> len = huffmanLengths(h);
  double total = 0, bits = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    total += static_cast<double>(h[i]);
    bits += static_cast<double>(h[i]) * len[i];
  }
  return total > 0 ? bits / total : 0;
}

Status qforge::num::codeStatistics(const QuantizedTensor &q, CodeStats &out) {
  int64_t numel = checkedNumElements(q.shape);
  if (numel < 0)
    return Status::error("invalid shape");
  const FormatSpec &f = q.format;
  std::vector<uint8_t> codes(static_cast<size_t>(numel));
  unsigned bits;
  const std::vector<uint8_t> &c = q.section(Section::Codes);
  if (f.layout != Layout::Plain) {
    bits = f.layout == Layout::Q8_0 ? 8 : 4;
    ggufCodes(f.layout, c.data(), numel, codes.data());
  } else if (f.kind == ElementKind::Kashin) {
    return Status::error("code statistics are not defined for Kashin codes");
  } else {
    bits = f.bits;
    if (c.size() < packedBytes(numel, bits))
      return Status::error("codes section is too small");
    unpackCodes(c.data(), 0, numel, bits, codes.data());
  }
  out.histogram.assign(size_t(1) << bits, 0);
  for (uint8_t v : codes)
    ++out.histogram[v];
  out.entropy = entropyBits(out.histogram);
  out.huffman = huffmanMeanBits(out.histogram);
  double n = numel > 0 ? static_cast<double>(numel) : 1.0;
  out.fixedBitsPerWeight = 8.0 * q.totalBytes() / n;
  double other = out.fixedBitsPerWeight - 8.0 * c.size() / n;
  if (f.layout != Layout::Plain) {
    // GGUF blocks carry their scales inside the code section.
    other = out.fixedBitsPerWeight - bits;
  }
  out.entropyBitsPerWeight = other + out.entropy;
  out.huffmanBitsPerWeight = other + out.huffman;
  return Status::success();
}
