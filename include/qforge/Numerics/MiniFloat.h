//===- MiniFloat.h - OCP minifloat, half and scale encodings ----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Bit-exact encoders and decoders for the small floating-point formats of the
// OCP Microscaling (MX) v1.0 and OCP 8-bit floating point (FP8) specifications
// (e2m1, e3m2, e2m3, e4m3fn, e5m2, e8m0) and for IEEE half and bfloat16, which
// QForge uses as element codes, scale types and outlier storage.
//
// Rules (checked exhaustively against llvm::APFloat in the unit tests):
//  * Rounding is round-to-nearest, ties-to-even (for e8m0, which has no
//    mantissa, a tie between 2^e and 2^(e+1) rounds up, as APFloat does).
//  * Overflow: with `saturate` the result is the largest finite value of
//    the sign of the input (the OCP "saturating" conversion; also used for
//    +-inf inputs). Without it: +-inf where the format has infinities (e5m2,
//    f16, bf16), NaN where it has NaN but no infinities (e4m3fn, e8m0), and
//    the largest finite value for the finite-only formats (e2m1, e3m2, e2m3).
//  * NaN inputs give the canonical NaN with the input's sign where the format
//    has NaN; finite-only formats have no NaN: NaN encodes as +0 (callers
//    that care reject NaN before encoding).
//  * -0 keeps its sign. e8m0 is unsigned and has no zero: values below
//    2^-127 (including 0 and negative inputs) encode to 0x00 = 2^-127.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_MINIFLOAT_H
#define QFORGE_NUMERICS_MINIFLOAT_H

#include "qforge/Numerics/Format.h"

#include <cstdint>

namespace qforge::num {

/// A binary floating-point format of at most 16 bits.
struct FloatCodec {
  const char *name;
  unsigned expBits, manBits;
  int bias;
  bool hasSign;
  bool hasInf;     ///< IEEE-style: max exponent field, zero mantissa
  bool ieeeNaN;    ///< max exponent field with nonzero mantissa is NaN
  bool allOnesNaN; ///< only the all-ones pattern (per sign) is NaN (e4m3fn,
                   ///< e8m0)
  bool hasZero;    ///< false only for e8m0

  unsigned totalBits() const { return (hasSign ? 1 : 0) + expBits + manBits; }
  unsigned numCodes() const { return 1u << totalBits(); }
  /// Decodes a code to its exact value (NaN for NaN codes).
  double decode(uint32_t code) const;
  /// Encodes with round-to-nearest-even (see the rules above).
  uint32_t encode(double x, bool saturate) const;
  /// Largest finite value.
  double maxFinite() const;
  /// Smallest positive value (subnormal where the format has them).
  double minPositive() const;
  bool isNaNCode(uint32_t code) const;
  /// Exponent of the largest finite value (floor(log2(maxFinite()))).
  int maxExponent() const;
};

const FloatCodec &codecE2M1();
const FloatCodec &codecE3M2();
const FloatCodec &codecE2M3();
const FloatCodec &codecE4M3FN();
const FloatCodec &codecE5M2();
const FloatCodec &codecE8M0();
const FloatCodec &codecF16();
const FloatCodec &codecBF16();
const FloatCodec &miniFloatCodec(MiniFloatKind k);

/// IEEE half / bfloat16 conversions from and to float (RNE, IEEE overflow
/// to infinity, NaN preserved as quiet NaN).
uint16_t floatToHalf(float x);
float halfToFloat(uint16_t h);
uint16_t floatToBF16(float x);
float bf16ToFloat(uint16_t h);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_MINIFLOAT_H
