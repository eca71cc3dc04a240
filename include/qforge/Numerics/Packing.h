//===- Packing.h - Bit-exact packing of element codes -----------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Plain code stream of docs/formats.md: code i (b bits, 1 <= b <= 8)
// occupies bits [i*b, (i+1)*b) of the stream, bit k of the stream is bit
// (k % 8) of byte k / 8 (LSB first), padded with zero bits to a whole byte.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_PACKING_H
#define QFORGE_NUMERICS_PACKING_H

#include <cstdint>

namespace qforge::num {

/// Bytes needed for n codes of b bits.
inline uint64_t packedBytes(uint64_t n, unsigned bits) {
  return (n * bits + 7) / 8;
}

/// Packs codes[0..n) (one per byte, only the low `bits` bits are used) into
/// the stream starting at code index `first` of `out`. `first` must be a
/// multiple of 8 (so that the bytes touched are disjoint from those of
/// other ranges starting at multiples of 8); the last partial byte of the
/// range is written whole (zero-padded) only when the range ends the stream.
void packCodes(const uint8_t *codes, uint64_t n, unsigned bits, uint8_t *out,
               uint64_t first = 0);
/// Unpacks n codes starting at code index `first` (any index).
void unpackCodes(const uint8_t *in, uint64_t first, uint64_t n, unsigned bits,
                 uint8_t *codes);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_PACKING_H
