//===- Transforms.h - FFT, DCT and Walsh-Hadamard transforms ----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Fast orthogonal transforms written for the project (no FFTW): a complex
// FFT of any length (iterative radix-2 for powers of two, Bluestein's chirp-z
// through a power-of-two FFT otherwise), the orthonormal DCT-II / DCT-III of
// any length via one complex FFT of the same length (Makhoul's reordering),
// the fast Walsh-Hadamard transform, and the sign-randomised orthogonal
// transforms P used by Kashin quantization:
//
//   DCT:      P z = IDCT(eps . DCT(z))          (P is symmetric: P^T = P)
//   Hadamard: P z = H (eps . z) / sqrt(N),  P^T z = eps . (H z) / sqrt(N)
//
// with eps a +-1 vector derived from a 64-bit seed.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_TRANSFORMS_H
#define QFORGE_NUMERICS_TRANSFORMS_H

#include "qforge/Numerics/Format.h"

#include <complex>
#include <cstdint>
#include <memory>
#include <vector>

namespace qforge::num {

/// A complex DFT of a fixed length n >= 1:
///   forward: X_k = sum_j x_j e^{-2 pi i jk/n};  inverse: the conjugate sign,
///   unnormalised (inverse(forward(x)) = n x).
class FFTPlan {
public:
  explicit FFTPlan(int64_t n);
  ~FFTPlan();
  FFTPlan(FFTPlan &&) noexcept;
  FFTPlan &operator=(FFTPlan &&) noexcept;
  int64_t size() const { return n; }
  void forward(std::complex<double> *data) const;
  void inverse(std::complex<double> *data) const;
  /// Whether the length is a power of two (radix-2 passes; otherwise
  /// Bluestein's chirp-z through a power-of-two plan).
  bool isPowerOfTwo() const { return pow2; }
  /// The twiddle factors e^{-2 pi i k / n}, k < n/2, of the radix-2 passes
  /// (empty for other lengths), exposed so that code generators reproduce
  /// the transform bit for bit.
  const std::vector<std::complex<double>> &twiddles() const { return twiddle; }
  /// Bluestein (other lengths): the chirp e^{-pi i k^2 / n}, k < n, the
  /// forward FFT of its conjugate (length m, a power of two >= 2n - 1) and
  /// the plan of length m; empty / null for powers of two.
  const std::vector<std::complex<double>> &bluesteinChirp() const {
    return chirp;
  }
  const std::vector<std::complex<double>> &bluesteinKernel() const {
    return kernel;
  }
  const FFTPlan *bluesteinPlan() const { return inner.get(); }

private:
  void radix2(std::complex<double> *data, bool inverse) const;
  void bluestein(std::complex<double> *data, bool inverse) const;
  int64_t n = 0;
  bool pow2 = true;
  std::vector<std::complex<double>> twiddle; ///< e^{-2 pi i k / n}, k < n/2
  std::vector<uint32_t> bitrev;
  // Bluestein.
  std::unique_ptr<FFTPlan> inner;
  std::vector<std::complex<double>> chirp;  ///< e^{-pi i k^2 / n}
  std::vector<std::complex<double>> kernel; ///< FFT of the conjugate chirp
};

/// Orthonormal DCT-II (forward) and its inverse DCT-III of any length n.
class DCTPlan {
public:
  explicit DCTPlan(int64_t n);
  int64_t size() const { return n; }
  void forward(const double *in, double *out) const;
  void inverse(const double *in, double *out) const;
  /// The complex FFT of length n both directions use.
  const FFTPlan &fftPlan() const { return fft; }
  /// The rotations e^{-i pi k / (2n)}, k < n (see forward/inverse).
  const std::vector<std::complex<double>> &rotations() const { return rot; }

private:
  int64_t n;
  FFTPlan fft;
  std::vector<std::complex<double>> rot; ///< e^{-i pi k / (2n)}
};

/// In-place unnormalised Walsh-Hadamard transform (n a power of two).
void fwht(double *x, int64_t n);

/// O(n^2) references for the tests.
void naiveDFT(const std::complex<double> *in, std::complex<double> *out,
              int64_t n, bool inverse);
void naiveDCT(const double *in, double *out, int64_t n);  ///< orthonormal II
void naiveIDCT(const double *in, double *out, int64_t n); ///< orthonormal III

/// The +-1 sign vector of length n derived from `seed`.
std::vector<double> randomSigns(int64_t n, uint64_t seed);

/// Sign-randomised orthogonal transform P of length n (const methods are
/// thread-safe).
class RandomizedTransform {
public:
  /// Errors (via ok()) when kind is Hadamard and n is not a power of two.
  RandomizedTransform(int64_t n, KashinTransform kind, uint64_t seed);
  bool ok() const { return valid; }
  int64_t size() const { return n; }
  /// out = P in (in and out may alias).
  void apply(const double *in, double *out) const;
  /// out = P^T in (in and out may alias).
  void applyT(const double *in, double *out) const;

private:
  int64_t n;
  KashinTransform kind;
  bool valid = true;
  std::vector<double> eps;
  std::unique_ptr<DCTPlan> dct;
};

} // namespace qforge::num

#endif // QFORGE_NUMERICS_TRANSFORMS_H
