//===- Kashin.h - Kashin (overdetermined basis) quantization ----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Kashin quantization (Merkulov et al., arXiv 2404.09737): split a vector
// x = u + P^T v with P an orthogonal sign-randomised transform so that both
// factors have small l-infinity norm, then quantize each factor with a few
// centroids. The greedy decomposition compares l1 norms:
//
//   r = x; while ||r||_2 > tol ||x||_2:
//     if ||r||_1 >= ||P r||_1:  c = ||r||_1/N;   u += c sign(r);   r -= c
//     sign(r) else:                     c = ||Pr||_1/N;  v += c sign(Pr);  r -=
//     c P^T sign(Pr)
//
// Each step removes ||.||_1^2/N of ||r||_2^2, so the residual decays
// geometrically (about 0.6 per step in norm on Gaussian data) and
// ||u||_inf, ||v||_inf <= sum of the step sizes = O(||x||_2 / sqrt(N)).
// Vectors that do not reach the tolerance within the iteration cap are
// reported as not converged; the caller then leaves the tensor unquantized.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_KASHIN_H
#define QFORGE_NUMERICS_KASHIN_H

#include "qforge/Numerics/Transforms.h"

#include <cstdint>
#include <vector>

namespace qforge::num {

struct KashinOptions {
  double tol = 1e-3;       ///< stop when ||r||_2 <= tol ||x||_2
  int maxIterations = 200; ///< greedy steps before giving up
  int kmeansIterations = 10;
};

struct KashinDecomposition {
  std::vector<double> u, v;
  std::vector<double> uSteps, vSteps; ///< step sizes c in order, per factor
  std::vector<double> residuals;      ///< ||r||_2 / ||x||_2 after each step
  int iterations = 0;
  bool converged = false;
};

/// Vector form: x (length P.size()) = u + P^T v. Returns an error (with the
/// decomposition still filled) when it does not converge.
Status kashinDecompose(const double *x, const RandomizedTransform &P,
                       const KashinOptions &opts, KashinDecomposition &out);

/// Two-sided matrix form: X (rows x cols, row-major) = U + Pr^T V Pc, i.e.
/// the transform is T(R) = Pr R Pc^T with Pr of length rows, Pc of length
/// cols. u and v are rows x cols.
Status kashinDecomposeMatrix(const double *X, int64_t rows, int64_t cols,
                             const RandomizedTransform &Pr,
                             const RandomizedTransform &Pc,
                             const KashinOptions &opts,
                             KashinDecomposition &out);

/// 2^bits initial centroids: all sign combinations of +-c_1 +- ... +- c_bits
/// from the first step sizes (missing steps continue the last ratio),
/// sorted increasing.
std::vector<double> kashinInitialCentroids(const std::vector<double> &steps,
                                           unsigned bits);
/// Lloyd iterations in 1-D; centroids stay sorted; codes are the nearest
/// centroid after rounding the centroids to f32 (saturated to +-FLT_MAX, so
/// a stored centroid is always finite).
void kmeans1D(const double *f, int64_t n, std::vector<double> &centroids,
              int iters, uint32_t *codes);
/// Lloyd iterations on the pairs (u_i, v_i) with 2-D centroids (cu, cv).
void kmeans2D(const double *u, const double *v, int64_t n,
              std::vector<double> &cu, std::vector<double> &cv, int iters,
              uint32_t *codes);

/// A quantized Kashin vector: f32 centroids and one code per element per
/// factor. Joint codes: (cu[k], cv[k]) are the 2-D centroids, codesV empty.
struct KashinCode {
  std::vector<float> cu, cv;
  std::vector<uint32_t> codesU, codesV;
  int iterations = 0;
};

/// Decomposes and quantizes one vector: bu+bv bits, or joint 2-D codes of
/// bu bits when `joint`.
Status kashinQuantizeVector(const double *x, const RandomizedTransform &P,
                            unsigned bu, unsigned bv, bool joint,
                            const KashinOptions &opts, KashinCode &out);
/// x_hat = u_hat + P^T v_hat.
void kashinReconstruct(const KashinCode &c, const RandomizedTransform &P,
                       bool joint, double *out);
/// The decoded f32 values of the format: x_hat rounded to f32 and saturated
/// to +-FLT_MAX (near FLT_MAX the quantization error may carry x_hat beyond
/// the f32 range; the input is finite, so saturating never increases the
/// error). Bit-identical to static_cast<float>(x_hat) inside the range.
void kashinReconstruct(const KashinCode &c, const RandomizedTransform &P,
                       bool joint, float *out);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_KASHIN_H
