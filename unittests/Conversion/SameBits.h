//===- SameBits.h - Bit-exact float comparison for the tests ---*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_UNITTESTS_CONVERSION_SAMEBITS_H
#define QFORGE_UNITTESTS_CONVERSION_SAMEBITS_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace qforge::test {

/// Whether a generated kernel's value equals the reference bit for bit
/// (any NaN matches any NaN: the payload is not part of the contract).
inline bool sameBits(float a, float b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

} // namespace qforge::test

#endif // QFORGE_UNITTESTS_CONVERSION_SAMEBITS_H
