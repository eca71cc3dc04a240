//===- Quantizer.h - Quantize and dequantize whole tensors ------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The entry points every user of the format library calls: quantize a float
// tensor into a QuantizedTensor (the packed sections of docs/formats.md) and
// decode it back. The passes, qforge-bench, the Python extension and the
// code generators' reference checks all go through these functions.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_QUANTIZER_H
#define QFORGE_NUMERICS_QUANTIZER_H

#include "qforge/Numerics/Format.h"

#include <array>
#include <cstdint>
#include <vector>

namespace qforge::num {

/// A quantized tensor: its format, logical shape and the bytes of each
/// storage section (see Section and docs/formats.md for the layout).
struct QuantizedTensor {
  FormatSpec format;
  std::vector<int64_t> shape;
  std::array<std::vector<uint8_t>, kNumSections> sections;

  std::vector<uint8_t> &section(Section s) {
    return sections[static_cast<unsigned>(s)];
  }
  const std::vector<uint8_t> &section(Section s) const {
    return sections[static_cast<unsigned>(s)];
  }
  uint64_t totalBytes() const;
  /// Checks that every section has the size sectionBytes() demands.
  Status verify() const;
};

enum class Rounding : uint8_t { Nearest, Stochastic };

struct QuantizeOptions {
  Rounding rounding = Rounding::Nearest;
  uint64_t seed = 0; ///< seed of the stochastic rounding / randomised parts
  /// Optional per-element importance (same size as the tensor), used by the
  /// `search` scale statistic and as the ADV weights of learned formats.
  const float *importance = nullptr;
  /// Optional per-input-channel second moments E[x_k^2] of the activations
  /// (length = size of the last dimension): the ADV weights lambda of ASQ.
  const float *actSq = nullptr;
  unsigned threads = 0; ///< 0 = all hardware threads; output never depends on it
};

/// Quantizes `data` (row-major, `shape`) into `out`. Errors (with a message)
/// for shapes the format cannot encode, NaN/Inf inputs where the format has
/// no defined outcome for them, and values beyond the scale type's range.
Status quantize(const float *data, const std::vector<int64_t> &shape,
                const FormatSpec &format, const QuantizeOptions &options,
                QuantizedTensor &out);

/// Decodes `q` into `out` (numel floats, row-major). Bit-exact reference
/// decoder: the generated kernels must reproduce it exactly.
Status dequantize(const QuantizedTensor &q, float *out, unsigned threads = 0);

/// Learned (ASQ) and Kashin formats are implemented with the adaptive
/// quantizers (ASQ.h, Kashin.h); quantize()/dequantize() dispatch here.
Status quantizeAdaptive(const float *data, const std::vector<int64_t> &shape,
                        const FormatSpec &format,
                        const QuantizeOptions &options, QuantizedTensor &out);
Status dequantizeAdaptive(const QuantizedTensor &q, float *out,
                          unsigned threads);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_QUANTIZER_H
