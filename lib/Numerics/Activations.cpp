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

std::optional<Int8CodeMap>
qforge::num::int8CodeMap(const std::vector<float> &values, bool allowWide) {
  if (values.empty())
    return std::nullopt;
  for (float v : values)
    if (!std::isfinite(v))
      return std::nullopt;
  // The codes' values divided by 2^-e, rounded (roundeven, exact in f64);
  // nullopt when they span more than `span`.
  auto scaled = [&](int e, bool exact,
                    int64_t span) -> std::optional<std::vector<int64_t>> {
    std::vector<int64_t> q;
    for (float v : values) {
      double y = std::ldexp(static_cast<double>(v), e);
      double r = std::nearbyint(y);
      if ((exact && r != y) || std::fabs(r) > double(span))
        return std::nullopt;
      q.push_back(static_cast<int64_t>(r));
    }
    auto [lo, hi] = std::minmax_element(q.begin(), q.end());
    if (*hi - *lo > span)
      return std::nullopt;
    return q;
  };
  auto make = [&](int e, const std::vector<int64_t> &q, bool wide) {
    Int8CodeMap m;
    m.unit = std::ldexp(1.0f, -e);
    m.offset = -*std::min_element(q.begin(), q.end());
    m.wide = wide;
    for (int64_t v : q)
      m.u.push_back(static_cast<uint16_t>(v + m.offset));
    return m;
  };
  for (int e = 0; e <= 8; ++e)
    if (std::optional<std::vector<int64_t>> q = scaled(e, true, 255))
      return make(e, *q, false);
  if (!allowWide)
    return std::nullopt;
  // The smallest unit whose rounded values fit 16 bits.
  for (int e = 126; e >= -126; --e)
    if (std::optional<std::vector<int64_t>> q = scaled(e, false, 65535)) {
      Int8CodeMap m = make(e, *q, true);
      // Values near FLT_MAX may round to a multiple of the unit beyond it
      // (a larger unit only rounds further).
      for (size_t c = 0; c < m.u.size(); ++c)
        if (!std::isfinite(m.value(c)))
          return std::nullopt;
      return m;
    }
  return std::nullopt;
}
