//===- GGUF.h - Byte-compatible GGUF (ggml) quantization blocks -*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Encoders and decoders for the ggml block types Q4_0, Q8_0, IQ4_NL and
// Q4_K, written from the published block definitions (ggml-common.h):
//
//   block_q4_0   (18 B / 32):  f16 d; u8 qs[16]  low nibble = element j,
//                              high nibble = element j + 16; x = (q - 8) d
//   block_q8_0   (34 B / 32):  f16 d; i8 qs[32]; x = q d
//   block_iq4_nl (18 B / 32):  f16 d; u8 qs[16] (nibble split as q4_0) of
//                              indices into kvalues_iq4nl; x = d kvalues[q]
//   block_q4_K   (144 B / 256): f16 d; f16 dmin; u8 scales[12] (6-bit scale
//                              and min of 8 sub-blocks of 32); u8 qs[128];
//                              x = d sc_j q - dmin m_j
//
// Q4_0 and Q8_0 encoders reproduce ggml's reference rounding; IQ4_NL and
// Q4_K use QForge's own scale search (any encoder produces valid blocks).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_GGUF_H
#define QFORGE_NUMERICS_GGUF_H

#include "qforge/Numerics/Format.h"

#include <cstdint>

namespace qforge::num {

/// Elements and bytes of one block of a GGUF layout (0 for Plain).
int64_t ggufBlockElements(Layout l);
int64_t ggufBlockBytes(Layout l);

/// Encodes one block (ggufBlockElements(l) floats) into `out`. Fails when
/// the block's scale does not fit f16 (|d| > 65504).
Status quantizeGGUFBlock(Layout l, const float *x, uint8_t *out);
/// Decodes one block.
void dequantizeGGUFBlock(Layout l, const uint8_t *in, float *y);

/// Whole rows: n elements (a multiple of the block) in block order.
Status quantizeGGUF(Layout l, const float *x, int64_t n, uint8_t *out,
                    unsigned threads = 0);
void dequantizeGGUF(Layout l, const uint8_t *in, int64_t n, float *y,
                    unsigned threads = 0);

/// Q4_K 6-bit scale/min packing of 8 sub-blocks (12 bytes).
void packQ4KScales(const uint8_t sc[8], const uint8_t mn[8], uint8_t out[12]);
void unpackQ4KScales(const uint8_t in[12], uint8_t sc[8], uint8_t mn[8]);

/// Extracts the element codes of GGUF blocks (4-bit indices or int8 bytes)
/// in element order, for entropy accounting.
void ggufCodes(Layout l, const uint8_t *in, int64_t n, uint8_t *codes);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_GGUF_H
