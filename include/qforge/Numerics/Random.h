//===- Random.h - Seeded, reproducible random streams -----------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Counter-free, platform-independent random streams. Every randomised
// algorithm derives one stream per unit of parallel work from (seed, index),
// so results never depend on the thread count or the schedule. The
// generator is xoshiro256** seeded through splitmix64; the samplers use only
// IEEE arithmetic and libm functions with correctly specified inputs.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_RANDOM_H
#define QFORGE_NUMERICS_RANDOM_H

#include <cstdint>
#include <vector>

namespace qforge::num {

/// One step of splitmix64 (also a good 64-bit mixing function).
uint64_t splitMix64(uint64_t &state);
/// Mixes a seed and a stream index into a 64-bit stream seed.
uint64_t mixSeed(uint64_t seed, uint64_t index);

/// xoshiro256** with helpers for the distributions QForge needs.
class Rng {
public:
  explicit Rng(uint64_t seed = 0);
  /// The stream for unit of work `index` of a computation seeded by `seed`.
  static Rng stream(uint64_t seed, uint64_t index) {
    return Rng(mixSeed(seed, index));
  }
  /// The stream of chunk `chunk` (of kChunk elements) of group `group`:
  /// chunk 0 is stream(seed, group), so small groups use one stream.
  static constexpr int64_t kChunk = int64_t(1) << 16;
  static Rng chunkStream(uint64_t seed, uint64_t group, uint64_t chunk) {
    return chunk == 0 ? stream(seed, group)
                      : stream(mixSeed(seed, group), chunk);
  }
  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Uniform in [0, 1) with 24 random bits (fast path for rounding).
  float uniformFloat();
  /// Standard normal (Marsaglia polar method).
  double normal();
  /// Gamma(shape, 1) (Marsaglia-Tsang).
  double gamma(double shape);
  /// Student-t with nu degrees of freedom (unscaled: variance nu/(nu-2)).
  double studentT(double nu);
  /// Laplace with unit variance.
  double laplace();

private:
  uint64_t s[4];
  bool haveSpare = false;
  double spare = 0;
};

/// Convenience: `n` samples of N(0,1), of unit-variance Student-t(nu) or of
/// unit-variance Laplace, from seed.
std::vector<float> normalSamples(int64_t n, uint64_t seed);
std::vector<float> studentTSamples(int64_t n, double nu, uint64_t seed,
                                   bool unitVariance = true);
std::vector<float> laplaceSamples(int64_t n, uint64_t seed);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_RANDOM_H
