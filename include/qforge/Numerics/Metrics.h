//===- Metrics.h - Quantization error metrics -------------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Error metrics between a reference x and its reconstruction y (n values,
// accumulated in double):
//   MSE       = mean (x - y)^2
//   relRMSE   = sqrt(sum (x - y)^2 / sum x^2)
//   SQNR (dB) = 10 log10(sum x^2 / sum (x - y)^2)   (+inf when exact)
//   vNMSE     = sum (x - y)^2 / sum x^2   (vector-normalised MSE, QUIVER)
//   wMSE      = sum w (x - y)^2 / sum w  (importance-weighted)
// When sum x^2 is 0: relRMSE and vNMSE are 0 if y == x, +inf otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_METRICS_H
#define QFORGE_NUMERICS_METRICS_H

#include <cstdint>

namespace qforge::num {

struct ErrorMetrics {
  double mse = 0, relRmse = 0, sqnrDb = 0, vnmse = 0, weightedMse = 0;
  double maxAbsError = 0;
};

double mse(const float *x, const float *y, int64_t n);
double relativeRmse(const float *x, const float *y, int64_t n);
double sqnrDb(const float *x, const float *y, int64_t n);
double vnmse(const float *x, const float *y, int64_t n);
double weightedMse(const float *x, const float *y, const float *w, int64_t n);
/// All metrics at once (weightedMse uses w when given, else equals mse).
ErrorMetrics errorMetrics(const float *x, const float *y, int64_t n,
                          const float *w = nullptr);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_METRICS_H
