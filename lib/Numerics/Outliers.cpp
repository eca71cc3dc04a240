//===- Outliers.cpp - Sparse outliers kept at high precision --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Outliers.h"
#include "qforge/Numerics/Scaling.h"

#include <algorithm>
#include <cmath>
#include <functional>

using namespace qforge::num;

std::vector<int64_t> qforge::num::selectOutliers(const float *x, int64_t numel,
                                                 int64_t count) {
  count = std::min(count, numel);
  if (count <= 0)
    return {};
  // The count-th largest magnitude is the threshold; take every element
  // above it, then the elements equal to it in index order.
  std::vector<float> mag(numel);
  for (int64_t i = 0; i < numel; ++i)
    mag[i] = std::fabs(x[i]);
  std::nth_element(mag.begin(), mag.begin() + (count - 1), mag.end(),
                   std::greater<float>());
  float thr = mag[count - 1];
  std::vector<int64_t> idx;
  idx.reserve(count);
  int64_t above = 0;
  for (int64_t i = 0; i < numel; ++i)
    above += std::fabs(x[i]) > thr;
  int64_t ties = count - above;
  for (int64_t i = 0; i < numel; ++i) {
    float a = std::fabs(x[i]);
    if (a > thr || (a == thr && ties-- > 0))
      idx.push_back(i);
  }
  return idx;
}

static unsigned indexBytes(int64_t numel) {
  return static_cast<uint64_t>(numel) > (uint64_t(1) << 32) ? 8 : 4;
}

void qforge::num::encodeOutliers(const float *x, int64_t numel,
                                 const std::vector<int64_t> &indices,
                                 ScaleType valueType,
                                 std::vector<uint8_t> &section) {
  unsigned ib = indexBytes(numel), vb = FormatSpec::scaleBits(valueType) / 8;
  section.assign(indices.size() * (ib + vb), 0);
  uint8_t *p = section.data();
  for (int64_t i : indices) {
    for (unsigned b = 0; b < ib; ++b)
      *p++ = static_cast<uint8_t>(static_cast<uint64_t>(i) >> (8 * b));
  }
  for (int64_t i : indices) {
    bool ovf;
    storeScaleBits(valueType, encodeScale(valueType, x[i], ovf), p);
    p += vb;
  }
}

Status qforge::num::decodeOutliers(const std::vector<uint8_t> &section,
                                   int64_t numel, int64_t count,
                                   ScaleType valueType,
                                   std::vector<int64_t> &indices,
                                   std::vector<float> &values) {
  unsigned ib = indexBytes(numel), vb = FormatSpec::scaleBits(valueType) / 8;
  if (section.size() != static_cast<uint64_t>(count) * (ib + vb))
    return Status::error("outlier section has the wrong size");
  indices.resize(count);
  values.resize(count);
  const uint8_t *p = section.data();
  for (int64_t k = 0; k < count; ++k) {
    uint64_t v = 0;
    for (unsigned b = 0; b < ib; ++b)
      v |= static_cast<uint64_t>(*p++) << (8 * b);
    if (v >= static_cast<uint64_t>(numel) ||
        (k > 0 && static_cast<int64_t>(v) <= indices[k - 1]))
      return Status::error("outlier index " + std::to_string(v) +
                           " is out of range or not increasing");
    indices[k] = static_cast<int64_t>(v);
  }
  for (int64_t k = 0; k < count; ++k) {
    values[k] = decodeScale(valueType, loadScaleBits(valueType, p));
    p += vb;
  }
  return Status::success();
}

const float *qforge::num::splitOutliers(const float *data, int64_t numel,
                                        const FormatSpec &f,
                                        std::vector<uint8_t> &section,
                                        std::vector<float> &work) {
  int64_t k = f.numOutliers(numel);
  if (k == 0)
    return data;
  std::vector<int64_t> idx = selectOutliers(data, numel, k);
  encodeOutliers(data, numel, idx, f.outlierType, section);
  work.assign(data, data + numel);
  for (int64_t i : idx)
    work[i] = 0.0f;
  return work.data();
}

Status qforge::num::patchOutliers(const std::vector<uint8_t> &section,
                                  int64_t numel, const FormatSpec &f,
                                  float *out) {
  int64_t k = f.numOutliers(numel);
  if (k == 0)
    return Status::success();
  std::vector<int64_t> idx;
  std::vector<float> vals;
  if (Status s = decodeOutliers(section, numel, k, f.outlierType, idx, vals);
      !s)
    return s;
  for (int64_t j = 0; j < k; ++j)
    out[idx[j]] = vals[j];
  return Status::success();
}
