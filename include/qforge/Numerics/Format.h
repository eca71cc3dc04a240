//===- Format.h - Quantization format descriptors and specs -----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// FormatSpec describes how the elements of a weight tensor are encoded: the
// element code, the block structure, the scales, zero points, codebooks,
// sparse outliers and the packing layout. It is the single source of truth
// behind `#qf.format`, the command-line spec strings and the Python API.
//
// The compact textual spec (see docs/formats.md for the full grammar):
//
//   spec     := preset | element (':' modifier)*
//   element  := 'int'B | 'uint'B | 'sint'B            (B in 2..8)
//                (int = signed two's complement, sint = symmetric)
//             | 'e2m1' | 'e3m2' | 'e2m3' | 'e4m3' | 'e5m2'
//             | 'nf4' | 'lut' ':' B | 'lut' B '[' v (',' v)* ']'
//             | 'crd-normal' | 'crd-laplace' | 'crd-t'NU   then ':' B
//             | 'asq' ':' S | 'kashin' ':' BU '+' BV
//   modifier := 'g'N ['@'AXIS] | 'ch'['@'AXIS] | 'tensor' | 'row'
//             | 'f32' | 'f16' | 'bf16' | 'e8m0' | 'e4m3' | 'noscale'
//             | 'absmax' | 'signmax' | 'rms' | 'search'
//             | 'zp' | 'dq=' (N | 'tensor') | 'outliers=' FRACTION ['/' T]
//             | 'rms-table' | 'absmax-table' | 'dct' | 'hadamard' | 'joint'
//             | 'layout=' ('plain' | 'q4_0' | 'q8_0' | 'iq4_nl' | 'q4_k')
//   preset   := 'mxfp4' | 'mxfp6' | 'mxfp6e3m2' | 'mxfp8' | 'mxfp8e5m2'
//             | 'nvfp4' | 'q4_0' | 'q8_0' | 'iq4_nl' | 'q4_k'
//   FRACTION := '2^-'K | decimal
//
// Printing is canonical: a spec equal to a preset prints as the preset name,
// otherwise every field that differs from its default is printed in a fixed
// order, so parse(print(s)) == s and print(parse(t)) is the normal form of t.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_FORMAT_H
#define QFORGE_NUMERICS_FORMAT_H

#include "qforge/Numerics/Support.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qforge::num {

/// What kind of element code a format uses.
enum class ElementKind : uint8_t {
  Int,     ///< integer codes (signed, unsigned or symmetric)
  Float,   ///< OCP minifloat codes
  Lut,     ///< fixed lookup table (NF4, CRD, IQ4_NL, inline values)
  Learned, ///< learned codebook per block/row/tensor (ASQ)
  Kashin,  ///< two-factor Kashin code x = u + P^T v
};

enum class IntKind : uint8_t {
  Signed,    ///< two's complement [-2^(b-1), 2^(b-1)-1]
  Unsigned,  ///< [0, 2^b - 1] (with a zero point for asymmetric ranges)
  Symmetric, ///< [-(2^(b-1)-1), 2^(b-1)-1]; the most negative code unused
};

enum class MiniFloatKind : uint8_t { E2M1, E3M2, E2M3, E4M3FN, E5M2 };

/// The fixed tables a `Lut` format can name.
enum class TableKind : uint8_t {
  Inline,     ///< values given in the spec
  NF4,        ///< QLoRA NormalFloat4 (normal quantiles, exact 0)
  IQ4NL,      ///< llama.cpp IQ4_NL non-linear table (divided by 127)
  CRDNormal,  ///< cube-root density of N(0,1)
  CRDLaplace, ///< cube-root density of Laplace(0,1)
  CRDStudentT ///< cube-root density of Student-t(nu)
};

/// Whether a CRD table is designed for RMS-scaled blocks (unbounded support,
/// scale = RMS) or for absmax-scaled blocks (truncated to [-1, 1], contains
/// +-1, depends on the block size).
enum class TableScaling : uint8_t { RMS, AbsMax };

enum class ScaleType : uint8_t { None, F32, F16, BF16, E8M0, E4M3 };

enum class ScaleStat : uint8_t { AbsMax, SignMax, RMS, Search };

/// Which elements share one scale (and, for learned formats, one codebook).
enum class Granularity : uint8_t {
  Tensor,  ///< one scale for the whole tensor
  Channel, ///< one scale per index along `axis` (all other dims reduced)
  Block,   ///< 1-D blocks of `blockSize` consecutive elements along `axis`
};

enum class KashinTransform : uint8_t { DCT, Hadamard };

enum class Layout : uint8_t { Plain, Q4_0, Q8_0, IQ4_NL, Q4_K };

/// A complete description of a quantization format.
struct FormatSpec {
  ElementKind kind = ElementKind::Int;
  /// Bits per element code (for Learned: ceil(log2(levels)); for Kashin:
  /// kashinBitsU + kashinBitsV).
  unsigned bits = 8;
  IntKind intKind = IntKind::Signed;
  MiniFloatKind miniFloat = MiniFloatKind::E4M3FN;

  // Lut formats.
  TableKind table = TableKind::Inline;
  TableScaling tableScaling = TableScaling::AbsMax;
  double studentNu = 5.0;
  std::vector<double> inlineTable; ///< only for TableKind::Inline

  // Learned (ASQ) formats: number of values per codebook.
  unsigned levels = 0;

  // Kashin formats.
  unsigned kashinBitsU = 0, kashinBitsV = 0;
  /// Joint 2-D code: one code of kashinBitsU bits per (u_i, v_i) pair with
  /// 2^kashinBitsU two-dimensional centroids (kashinBitsV is 0).
  bool kashinJoint = false;
  KashinTransform kashinTransform = KashinTransform::DCT;

  // Blocking. `axis` is the dimension blocks run along (or the channel
  // dimension); negative values count from the end.
  Granularity granularity = Granularity::Tensor;
  int64_t blockSize = 0;
  int axis = -1;

  ScaleType scaleType = ScaleType::F32;
  ScaleStat scaleStat = ScaleStat::AbsMax;
  bool zeroPoint = false;

  /// Double quantization of the scales: when on, the first-level scales are
  /// stored as `scaleType` *relative to* one f32 super-scale per
  /// `doubleQuantGroup` consecutive scales (0 = one for the whole tensor), as
  /// NVFP4 (e4m3 scales, f32 tensor scale) and QLoRA NF4 do.
  bool doubleQuant = false;
  int64_t doubleQuantGroup = 0;

  /// Sparse outliers: fraction of elements (by |x|) kept exactly, 0 = off.
  double outlierFraction = 0.0;
  ScaleType outlierType = ScaleType::BF16;

  Layout layout = Layout::Plain;

  //===--- Queries ------------------------------------------------------===//

  /// Parses a textual spec. On failure returns an error naming the
  /// offending token.
  static Status parse(std::string_view text, FormatSpec &out);
  /// Canonical textual form; parse(str()) reproduces *this.
  std::string str() const;
  /// Checks internal consistency (bit widths, scale types allowed for the
  /// element code, table sizes and ordering, layout constraints).
  Status verify() const;
  /// Checks that the format can encode a tensor of this shape (block divides
  /// the dimension, axis in range, layout-specific constraints).
  Status verifyShape(const std::vector<int64_t> &shape) const;

  /// Bits per weight including scales, zero points, codebooks, super-scales
  /// and outliers, amortised with the nominal group size. For per-channel
  /// or per-tensor formats the overhead is taken as 0 (see storageBytes for
  /// exact figures for a shape).
  double bitsPerWeight() const;
  /// Exact bits per weight for a shape (storageBytes * 8 / numel).
  double bitsPerWeight(const std::vector<int64_t> &shape) const;

  /// Number of elements that share one scale for a given shape.
  int64_t groupSize(const std::vector<int64_t> &shape) const;
  /// Number of scale groups for a given shape.
  int64_t numGroups(const std::vector<int64_t> &shape) const;
  /// Number of sparse outliers kept for a tensor of `numel` elements.
  int64_t numOutliers(int64_t numel) const;
  /// The resolved (non-negative) axis for a tensor of rank `rank`.
  int resolvedAxis(size_t rank) const;
  /// Values of the fixed table (Lut formats) in increasing order; empty
  /// for other kinds. For CRD absmax tables depends on the block size.
  std::vector<double> tableValues() const;
  /// Bits of one stored scale value (0 for ScaleType::None).
  static unsigned scaleBits(ScaleType t);
  static const char *scaleTypeName(ScaleType t);

  bool operator==(const FormatSpec &o) const;
  bool operator!=(const FormatSpec &o) const { return !(*this == o); }
};

/// The sections of a quantized tensor's storage, in the order they are
/// stored by qf.constant and described in docs/formats.md.
enum class Section : uint8_t {
  Codes,       ///< packed element codes (or whole GGUF blocks)
  Scales,      ///< per-group scales, raw little-endian bits of scaleType
  ZeroPoints,  ///< per-group zero points, one byte each
  Codebooks,   ///< learned codebooks / Kashin centroids and seeds
  SuperScales, ///< f32 second-level scales (double quantization)
  Outliers,    ///< outlier indices (u32, or u64 if numel > 2^32) + values
};
constexpr unsigned kNumSections = 6;
const char *sectionName(Section s);

/// Byte sizes of each section for a tensor of the given shape.
std::array<uint64_t, kNumSections>
sectionBytes(const FormatSpec &spec, const std::vector<int64_t> &shape);
/// Total storage in bytes (sum of sectionBytes).
uint64_t storageBytes(const FormatSpec &spec,
                      const std::vector<int64_t> &shape);

/// Product of the dims, or -1 if it overflows int64 or a dim is negative.
int64_t checkedNumElements(const std::vector<int64_t> &shape);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_FORMAT_H
