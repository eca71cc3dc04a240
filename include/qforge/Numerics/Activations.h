//===- Activations.h - Int8 activation blocks for integer dot products -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The activation quantization of the fused GEMV's `dot-precision=i8`
// (qf-lower-to-vector): activations become int8 codes in blocks of 32 with
// an f32 scale each, so that weights decoded to small integers meet them in
// integer dot products (x86 vpdpbusd). The generated kernels compute it with
// the same f32 operations in the same order; this is the reference.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_ACTIVATIONS_H
#define QFORGE_NUMERICS_ACTIVATIONS_H

#include <cstdint>
#include <optional>
#include <vector>

namespace qforge::num {

/// Elements per block of quantizeActivationsInt8.
constexpr int64_t kInt8ActivationBlock = 32;

/// Quantizes x[0, n) to int8 in blocks of kInt8ActivationBlock elements (the
/// last block may be shorter). Block b, of largest magnitude m, gets the
/// scale scales[b] = m / 127 and codes q_i = roundeven(x_i * (127 / m)),
/// each operation in f32 (|q_i| <= 127; x_i ~ scales[b] * q_i within half a
/// scale). A block of zeros gets scale 0 and codes 0; a block with a NaN or
/// infinite element gets scale NaN and codes 0, so that every dot product
/// over it is NaN.
void quantizeActivationsInt8(const float *x, int64_t n, int8_t *q,
                             float *scales);

/// How the integer dot products of `dot-precision=i8` read a format's codes.
/// vpdpbusd multiplies unsigned bytes by the signed activation codes, so
/// code c becomes the unsigned integer u(c) = w(c) / unit + offset, with
/// w(c) the value the kernel multiplies in place of the decoded value v(c)
/// (before the group scale) and `unit` a power of two, so that
///
///   sum_k w(c_k) x_k = unit * (sum_k u(c_k) x_k - offset * sum_k x_k)
///
/// exactly in integers. Narrow maps (`wide` false): every v(c) is an
/// integer multiple of unit = 2^-e (0 <= e <= 8) and u(c) <= 255, so
/// w(c) = v(c). Wide maps (only when asked for, for tables whose values
/// are not such integers: nf4, the CRD tables, user tables): u(c) has 16
/// bits (the kernel multiplies its high and low bytes separately) and
/// w(c) = unit * roundeven(v(c) / unit), unit the smallest power of two for
/// which every u(c) <= 65535, i.e. |w(c) - v(c)| <= unit / 2 (nf4: unit
/// 2^-14, at most 2^-15 per value).
struct Int8CodeMap {
  float unit = 1.0f;
  int64_t offset = 0;
  bool wide = false;
  /// u(c) for every code c.
  std::vector<uint16_t> u;
  /// w(c) = unit * (u(c) - offset), exact in f32.
  float value(size_t c) const {
    return unit * static_cast<float>(static_cast<int64_t>(u[c]) - offset);
  }
};

/// The Int8CodeMap of the decoded values `values` (indexed by code), or
/// nullopt when a value is not finite, when no narrow map exists and
/// `allowWide` is false, or when no wide map exists either (values
/// spanning more than 65535 units of 2^126, or a value that would round
/// beyond FLT_MAX).
std::optional<Int8CodeMap> int8CodeMap(const std::vector<float> &values,
                                       bool allowWide);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_ACTIVATIONS_H
