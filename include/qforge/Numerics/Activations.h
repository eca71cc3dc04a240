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

} // namespace qforge::num

#endif // QFORGE_NUMERICS_ACTIVATIONS_H
