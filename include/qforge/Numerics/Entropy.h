//===- Entropy.h - Variable-length accounting of codes ----------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Empirical entropy and Huffman code lengths of element codes, so that a
// quantized tensor reports both its fixed-length bits per weight and the
// bits per weight an entropy coder would reach (Orr et al.: uniform grid +
// entropy coding is ~0.47 bit better than the best fixed-length code on a
// Gaussian, asymptotically).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_ENTROPY_H
#define QFORGE_NUMERICS_ENTROPY_H

#include "qforge/Numerics/Quantizer.h"

#include <cstdint>
#include <vector>

namespace qforge::num {

/// Shannon entropy (bits/symbol) of a histogram.
double entropyBits(const std::vector<uint64_t> &histogram);
/// Huffman code lengths (0 for unused symbols; a single used symbol gets
/// length 1). Deterministic: ties are broken by symbol order.
std::vector<unsigned> huffmanLengths(const std::vector<uint64_t> &histogram);
/// Mean Huffman code length (bits/symbol) of a histogram.
double huffmanMeanBits(const std::vector<uint64_t> &histogram);

struct CodeStats {
  std::vector<uint64_t> histogram; ///< over 2^bits codes
  double entropy = 0;              ///< bits per code
  double huffman = 0;              ///< mean Huffman code length
  double fixedBitsPerWeight = 0;   ///< storage incl. scales etc.
  /// fixedBitsPerWeight with the codes replaced by their entropy / Huffman
  /// length (the other sections unchanged).
  double entropyBitsPerWeight = 0;
  double huffmanBitsPerWeight = 0;
};

/// Histogram and bit accounting of a quantized tensor's element codes
/// (Plain layouts of Int/Float/Lut/Learned formats and GGUF layouts).
Status codeStatistics(const QuantizedTensor &q, CodeStats &out);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_ENTROPY_H
