//===- Codebooks.h - Fixed and optimal scalar codebooks ---------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Scalar codebooks ("tables") for Lut formats and the tools to design them:
//  * uniform grids, QLoRA NF4, llama.cpp IQ4_NL;
//  * cube-root-density (CRD) tables after Orr, Ribar, Luschi, "Optimal
//    Formats for Weight Quantisation" (arXiv 2505.12988): the point density
//    of an optimal fixed-length quantizer is proportional to p^(1/3);
//  * Lloyd-Max (optimal fixed-length) quantizers of a sample or a density.
// All tables are sorted increasingly; the code of a value is its index.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_CODEBOOKS_H
#define QFORGE_NUMERICS_CODEBOOKS_H

#include "qforge/Numerics/Format.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace qforge::num {

/// Data distributions with closed-form densities (unit variance; for
/// Student-t with nu <= 2, where the variance is infinite, the unscaled t).
enum class Distribution : uint8_t { Normal, Laplace, StudentT };

/// Probability density of the unit-variance distribution at x.
double distributionPdf(Distribution d, double nu, double x);

/// `levels` equally spaced values from lo to hi inclusive.
std::vector<double> uniformTable(unsigned levels, double lo, double hi);
/// The 16 QLoRA NormalFloat4 values (exactly as in bitsandbytes).
std::vector<double> nf4Table();
/// llama.cpp kvalues_iq4nl (int8) and the same divided by 127.
const int8_t *iq4nlKValues();
std::vector<double> iq4nlTable();

/// Block size for which absmax CRD tables of per-tensor or per-channel
/// formats (no block size) are designed.
constexpr int64_t kDefaultAbsMaxDesignBlock = 4096;

/// Cube-root-density table with 2^bits entries.
///  * RMS: for unit-variance data; the cell boundaries are the quantiles
///    i/2^b of the density p^(1/3) and each value is the centroid (the
///    conditional mean under p) of its cell.
///  * AbsMax: for data divided by its block absmax, block size `blockSize`.
///    The block absmax is modelled by its median alpha_B (P(max|x| <=
///    alpha_B) = 1/2 for B samples); the table is the quantiles i/(2^b-1) of
///    p(alpha_B u)^(1/3) truncated to u in [-1, 1], so it starts at -1 and
///    ends at +1.
std::vector<double> crdTable(Distribution d, double nu, unsigned bits,
                             TableScaling scaling, int64_t blockSize);

/// Median of the absmax of `blockSize` iid unit-variance samples.
double medianBlockAbsMax(Distribution d, double nu, int64_t blockSize);

struct LloydMaxResult {
  std::vector<double> values; ///< increasing
  double mse = 0;             ///< mean squared error of the final quantizer
  int iterations = 0;
};

/// Lloyd-Max quantizer with `levels` values for the empirical distribution of
/// `x` (n values; optional non-negative weights). Deterministic: initialised
/// at the sample quantiles, iterated until no value moves by more than
/// `tol` (relative to the data range) or `maxIter`.
LloydMaxResult lloydMaxSample(const float *x, int64_t n, unsigned levels,
                              const float *weights = nullptr, int maxIter = 200,
                              double tol = 1e-9);

/// Lloyd-Max quantizer for a density on [lo, hi] (integrated numerically on
/// `gridPoints` nodes).
LloydMaxResult lloydMaxDensity(const std::function<double(double)> &pdf,
                               unsigned levels, double lo, double hi,
                               int gridPoints = 1 << 17, int maxIter = 20000,
                               double tol = 1e-12);

/// Mean squared error of nearest-value quantization of a density with a
/// table (numerical integration over [lo, hi]).
double tableMseForDensity(const std::function<double(double)> &pdf,
                          const std::vector<double> &table, double lo,
                          double hi, int gridPoints = 1 << 17);

/// Index of the table value nearest to x (ties: the even index).
unsigned nearestIndex(const std::vector<double> &table, double x);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_CODEBOOKS_H
