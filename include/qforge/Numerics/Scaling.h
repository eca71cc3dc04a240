//===- Scaling.h - Element grids and block scaling --------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The per-group half of the format library: the grid of values an element
// code can represent (integers, minifloats, table entries), the scale
// statistics (absmax, signmax, RMS, the 17-multiplier search), rounding of a
// scale to its storage type (f32/f16/bf16/e8m0/e4m3, optionally relative to
// a double-quantization super-scale) and the encoding of one group's
// elements with nearest or stochastic rounding. Quantizer.cpp applies these
// to whole tensors; docs/formats.md states the rules.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_SCALING_H
#define QFORGE_NUMERICS_SCALING_H

#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/Random.h"

#include <array>
#include <cstdint>
#include <vector>

namespace qforge::num {

//===--- Scale storage --------------------------------------------------===//

/// Raw bits of `v` in scale type `t` (RNE; f32 is a plain cast). Sets
/// `overflow` when v is beyond the type's finite range (the bits are then
/// those of the largest finite value of v's sign). e8m0 rounds to nearest
/// power of two (ties up); values below 2^-127 give 2^-127.
uint32_t encodeScale(ScaleType t, double v, bool &overflow);
/// The value of raw scale bits (f32 result; ScaleType::None gives 1).
float decodeScale(ScaleType t, uint32_t bits);
/// Little-endian store/load of `FormatSpec::scaleBits(t) / 8` bytes.
void storeScaleBits(ScaleType t, uint32_t bits, uint8_t *dst);
uint32_t loadScaleBits(ScaleType t, const uint8_t *src);
/// Largest finite and smallest positive value of a scale type.
double scaleTypeMax(ScaleType t);
double scaleTypeMinPositive(ScaleType t);
/// Whether the type can store negative values (all but e8m0 / none).
bool scaleTypeSigned(ScaleType t);

/// Learned codebooks (ASQ) are stored as `levels` values of the format's
/// scaleType per group, group after group, in the Codebooks section. These
/// helpers read and write group `g`'s codebook.
void storeCodebook(const FormatSpec &f, int64_t g, const double *values,
                   std::vector<uint8_t> &section);
void loadCodebook(const FormatSpec &f, int64_t g,
                  const std::vector<uint8_t> &section, float *values);
/// Byte offset and size of group g's codebook in the Codebooks section.
uint64_t codebookOffset(const FormatSpec &f, int64_t g);
uint64_t codebookBytes(const FormatSpec &f);

//===--- Element grids --------------------------------------------------===//

/// All finite values an Int, Float or Lut element code represents (without
/// zero point), sorted increasingly, with their codes.
class ElementGrid {
public:
  /// Builds the grid of a format (Int, Float or Lut kinds).
  explicit ElementGrid(const FormatSpec &f);

  /// Code of the grid value nearest to t; out-of-range values saturate to
  /// the extreme values; ties go to the even code (= round-half-to-even for
  /// integers and minifloats).
  uint8_t nearest(double t) const;
  /// Unbiased stochastic rounding between the two neighbours of t, with
  /// u uniform in [0, 1): the upper neighbour is chosen when u < (t - lo) /
  /// (hi - lo). Out-of-range values saturate.
  uint8_t stochastic(double t, double u) const;
  /// Value of a code (0 for codes without a finite value).
  float value(uint8_t code) const { return decodeTable[code]; }
  const std::array<float, 256> &table() const { return decodeTable; }

  /// The largest magnitude M such that [-M, M] is representable (for
  /// unsigned codes: the largest value): absmax scales divide by it.
  double absMaxRange() const { return symRange; }
  /// The extreme value of largest magnitude (the negative one on a tie):
  /// signmax scales map the block's signed maximum onto it.
  double signMaxExtreme() const { return signExtreme; }
  double minValue() const { return values.front(); }
  double maxValue() const { return values.back(); }
  unsigned bits() const { return nbits; }
  bool isInteger() const { return isInt; }
  const std::vector<double> &sortedValues() const { return values; }

private:
  std::vector<double> values, mids, pmids;
  size_t padded = 1;
  std::vector<uint8_t> codes;
  std::array<float, 256> decodeTable{};
  double symRange = 1, signExtreme = -1;
  unsigned nbits = 0;
  bool isInt = false;
  int intLo = 0, intHi = 0;
  uint8_t intMask = 0;
};

//===--- Block scaling --------------------------------------------------===//

/// The 17 log-spaced multipliers 2^((k - 8) / 4), k = 0..16, in [1/4, 4].
const std::array<double, 17> &searchMultipliers();

/// Scale parameters of one group, as stored.
struct GroupScale {
  uint32_t bits = 0; ///< raw bits of scaleType (relative to super-scale)
  float scale = 0;   ///< decoded scale used by the decoder
  int zeroPoint = 0; ///< code-domain zero point (zp formats)
};

/// Statistics of (part of) a group; partial statistics of consecutive
/// chunks merge in order, so the result does not depend on the chunking's
/// schedule.
struct GroupStats {
  double amax = 0, lo = 0, hi = 0, sumSq = 0; ///< lo <= 0 <= hi
  float signedMax = 0; ///< first element of largest magnitude
  int64_t n = 0;
  void add(const float *x, int64_t count);
  void merge(const GroupStats &later);
};

/// Quantizes groups of an Int, Float or Lut format.
class GroupQuantizer {
public:
  explicit GroupQuantizer(const FormatSpec &f);
  const ElementGrid &grid() const { return g; }

  /// The unrounded scale the statistic asks for (for `search`: the absmax
  /// scale the multipliers apply to; for zero-point formats (max-min)/qmax).
  /// Used for super-scales of double quantization.
  double baseScale(const GroupStats &s) const;
  double baseScale(const float *x, int64_t n) const;
  /// The rounded scale, or for `search` the candidate scales in the order
  /// they are tried (multiplier 1 first, then 1/4 ... 4; candidates that do
  /// not fit the scale type or repeat the previous one are left out).
  /// Fails when no candidate fits the scale type.
  Status candidates(const GroupStats &s, bool hasSuper, float super,
                    int64_t group, std::vector<GroupScale> &out) const;
  /// Squared error sum w (x - decode(encode(x)))^2 with nearest rounding.
  double sqError(const float *x, const float *w, int64_t n,
                 const GroupScale &s) const;
  /// Codes of n elements (one per byte) for a chosen scale; rng = nullptr
  /// for nearest rounding.
  void encode(const float *x, int64_t n, const GroupScale &s, Rng *rng,
              uint8_t *codes) const;
  /// The f32 super-scale for a double-quantization group whose base scales
  /// have largest magnitude `maxBase`.
  float superScale(double maxBase) const;

  /// Chooses and rounds the scale of group `group` (x: n values; w:
  /// optional importance) and writes its codes (one per byte): statistics,
  /// candidates, squared errors summed per chunk of Rng::kChunk elements in
  /// order, first minimum. `super` is the decoded super-scale when
  /// `hasSuper`. Stochastic rounding draws chunk c of the group from
  /// Rng::chunkStream(seed, group, c).
  Status quantize(const float *x, const float *w, int64_t n, bool hasSuper,
                  float super, bool stochastic, uint64_t seed, int64_t group,
                  uint8_t *codes, GroupScale &out) const;
  /// Picks the first minimum of `errors` (one per candidate).
  static size_t pickCandidate(const std::vector<double> &errors);

  /// Decoded value of a code in a group: scale * value (f32 multiply).
  float decode(uint8_t code, const GroupScale &s) const {
    return zp ? s.scale *
                    static_cast<float>(static_cast<int>(code) - s.zeroPoint)
              : s.scale * g.value(code);
  }

private:
  /// Rounds an ideal scale to storage; false if it does not fit.
  bool roundScale(double ideal, bool hasSuper, float super, uint32_t &bits,
                  float &decoded) const;
  int zeroPointFor(double lo, float scale) const;

  FormatSpec f;
  ElementGrid g;
  bool zp;
  int qmax = 0; ///< for zero-point formats: 2^bits - 1
};

} // namespace qforge::num

#endif // QFORGE_NUMERICS_SCALING_H
