//===- Outliers.h - Sparse outliers kept at high precision ------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Outliers section: the n = FormatSpec::numOutliers(numel) elements of
// largest magnitude (ties: the lower index) are stored exactly in the
// outlier type with their flat indices; the dense code quantizes them as 0.
// Layout: n indices (u32 LE, or u64 LE when numel > 2^32) in increasing
// order, then n values (raw LE bits of bf16, f16 or f32).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_OUTLIERS_H
#define QFORGE_NUMERICS_OUTLIERS_H

#include "qforge/Numerics/Format.h"

#include <cstdint>
#include <vector>

namespace qforge::num {

/// Indices (increasing) of the `count` elements of largest |x|.
std::vector<int64_t> selectOutliers(const float *x, int64_t numel,
                                    int64_t count);

/// Writes the Outliers section for the given indices.
void encodeOutliers(const float *x, int64_t numel,
                    const std::vector<int64_t> &indices, ScaleType valueType,
                    std::vector<uint8_t> &section);

/// Reads the Outliers section (numel and count as for encodeOutliers).
/// Fails on indices that are out of range or not increasing.
Status decodeOutliers(const std::vector<uint8_t> &section, int64_t numel,
                      int64_t count, ScaleType valueType,
                      std::vector<int64_t> &indices,
                      std::vector<float> &values);

/// The outlier step of every quantizer: when `f` keeps n > 0 outliers of the
/// `numel` elements of `data`, selects them (selectOutliers), writes the
/// Outliers section into `section` (encodeOutliers) and returns `work`, a
/// copy of `data` with the outliers set to 0, for the dense code to
/// quantize. Without outliers returns `data` and leaves both vectors alone.
const float *splitOutliers(const float *data, int64_t numel,
                           const FormatSpec &f, std::vector<uint8_t> &section,
                           std::vector<float> &work);

/// The outlier step of every dequantizer: overwrites the dense decode `out`
/// (`numel` elements) with the outliers of `section` (decodeOutliers); a
/// no-op when `f` keeps none.
Status patchOutliers(const std::vector<uint8_t> &section, int64_t numel,
                     const FormatSpec &f, float *out);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_OUTLIERS_H
