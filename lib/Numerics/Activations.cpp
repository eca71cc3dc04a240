//===- Activations.cpp - Int8 activation blocks ---------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Activations.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace qforge::num;

void qforge::num::quantizeActivationsInt8(const float *x, int64_t n, int8_t *q,
                                          float *scales) {
  for (int64_t b = 0; b * kInt8ActivationBlock < n; ++b) {
    int64_t lo = b * kInt8ActivationBlock;
    int64_t hi = std::min(n, lo + kInt8ActivationBlock);
    float m = 0.0f;
    bool finite = true;
    for (int64_t i = lo; i < hi; ++i) {
      finite = finite && std::isfinite(x[i]);
      m = std::max(m, std::fabs(x[i]));
    }
    bool ok = finite && m > 0.0f;
    scales[b] = finite ? m / 127.0f : std::numeric_limits<float>::quiet_NaN();
    float inv = ok ? 127.0f / m : 0.0f;
    for (int64_t i = lo; i < hi; ++i)
      q[i] = ok ? static_cast<int8_t>(std::nearbyint(x[i] * inv)) : 0;
  }
}
