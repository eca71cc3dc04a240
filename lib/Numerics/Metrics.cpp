//===- Metrics.cpp - Quantization error metrics ---------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Metrics.h"

#include <cmath>
#include <limits>

using namespace qforge::num;

ErrorMetrics qforge::num::errorMetrics(const float *x, const float *y,
                                       int64_t n, const float *w) {
  ErrorMetrics m;
  double se = 0, sx = 0, swe = 0, sw = 0, mx = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = static_cast<double>(x[i]) - y[i];
    se += d * d;
    sx += static_cast<double>(x[i]) * x[i];
    mx = std::fmax(mx, std::fabs(d));
    if (w) {
      swe += w[i] * d * d;
      sw += w[i];
    }
  }
  double inf = std::numeric_limits<double>::infinity();
  m.mse = n ? se / n : 0;
  m.vnmse = sx > 0 ? se / sx : (se == 0 ? 0 : inf);
  m.relRmse = std::sqrt(m.vnmse);
  m.sqnrDb = se == 0 ? inf : (sx > 0 ? 10 * std::log10(sx / se) : -inf);
  m.weightedMse = w ? (sw > 0 ? swe / sw : 0) : m.mse;
  m.maxAbsError = mx;
  return m;
}

double qforge::num::mse(const float *x, const float *y, int64_t n) {
  return errorMetrics(x, y, n).mse;
}
double qforge::num::relativeRmse(const float *x, const float *y, int64_t n) {
  return errorMetrics(x, y, n).relRmse;
}
double qforge::num::sqnrDb(const float *x, const float *y, int64_t n) {
  return errorMetrics(x, y, n).sqnrDb;
}
double qforge::num::vnmse(const float *x, const float *y, int64_t n) {
  return errorMetrics(x, y, n).vnmse;
}
double qforge::num::weightedMse(const float *x, const float *y, const float *w,
                                int64_t n) {
  return errorMetrics(x, y, n, w).weightedMse;
}
