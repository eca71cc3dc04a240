//===- Packing.cpp - Bit-exact packing of element codes -------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Packing.h"

#include <cstring>

using namespace qforge::num;

void qforge::num::packCodes(const uint8_t *codes, uint64_t n, unsigned bits,
                            uint8_t *out, uint64_t first) {
  uint8_t *dst = out + first * bits / 8;
  uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
  if (bits == 8) {
    std::memcpy(dst, codes, n);
    return;
  }
  uint64_t i = 0;
  if (bits == 4) {
    for (; i + 2 <= n; i += 2)
      *dst++ = static_cast<uint8_t>((codes[i] & 0xF) | (codes[i + 1] << 4));
    if (i < n)
      *dst = static_cast<uint8_t>(codes[i] & 0xF);
    return;
  }
  if (bits == 2) {
    for (; i + 4 <= n; i += 4)
      *dst++ = static_cast<uint8_t>((codes[i] & 3) | (codes[i + 1] & 3) << 2 |
                                    (codes[i + 2] & 3) << 4 |
                                    (codes[i + 3] & 3) << 6);
  }
  // Generic: 8 codes make `bits` whole bytes.
  uint64_t acc = 0;
  unsigned have = 0;
  for (; i < n; ++i) {
    acc |= static_cast<uint64_t>(codes[i] & mask) << have;
    have += bits;
    while (have >= 8) {
      *dst++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      have -= 8;
    }
  }
  if (have)
    *dst = static_cast<uint8_t>(acc);
}

void qforge::num::unpackCodes(const uint8_t *in, uint64_t first, uint64_t n,
                              unsigned bits, uint8_t *codes) {
  if (bits == 8) {
    std::memcpy(codes, in + first, n);
    return;
  }
  uint64_t i = 0;
  if (bits == 4 && first % 2 == 0) {
    const uint8_t *src = in + first / 2;
    for (; i + 2 <= n; i += 2) {
      uint8_t b = *src++;
      codes[i] = b & 0xF;
      codes[i + 1] = b >> 4;
    }
    if (i < n)
      codes[i] = *src & 0xF;
    return;
  }
  uint32_t mask = (1u << bits) - 1;
  if (first % 8 == 0) {
    // Eight codes occupy exactly `bits` bytes: extract them from one 64-bit
    // little-endian word.
    const uint8_t *src = in + first / 8 * bits;
    for (; i + 8 <= n; i += 8, src += bits) {
      uint64_t w = 0;
      for (unsigned b = 0; b < bits; ++b)
        w |= static_cast<uint64_t>(src[b]) << (8 * b);
      for (unsigned k = 0; k < 8; ++k)
        codes[i + k] = static_cast<uint8_t>((w >> (k * bits)) & mask);
    }
  }
  for (; i < n; ++i) {
    uint64_t bit = (first + i) * bits;
    const uint8_t *p = in + bit / 8;
    unsigned sh = bit % 8;
    uint32_t v = p[0] >> sh;
    if (sh + bits > 8)
      v |= static_cast<uint32_t>(p[1]) << (8 - sh);
    codes[i] = static_cast<uint8_t>(v & mask);
  }
}
