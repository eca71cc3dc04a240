//===- GGUF.cpp - Byte-compatible GGUF (ggml) quantization blocks ---------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/Codebooks.h"
#include "qforge/Numerics/MiniFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace qforge::num;

int64_t qforge::num::ggufBlockElements(Layout l) {
  switch (l) {
  case Layout::Q4_0:
  case Layout::Q8_0:
  case Layout::IQ4_NL:
    return 32;
  case Layout::Q4_K:
    return 256;
  case Layout::Plain:
    return 0;
  }
  return 0;
}

int64_t qforge::num::ggufBlockBytes(Layout l) {
  switch (l) {
  case Layout::Q4_0:
  case Layout::IQ4_NL:
    return 18;
  case Layout::Q8_0:
    return 34;
  case Layout::Q4_K:
    return 144;
  case Layout::Plain:
    return 0;
  }
  return 0;
}

static void putHalf(uint8_t *p, uint16_t h) {
  p[0] = static_cast<uint8_t>(h);
  p[1] = static_cast<uint8_t>(h >> 8);
}
static float getHalf(const uint8_t *p) {
  return halfToFloat(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

/// f16 bits of d; false when d is beyond the f16 range.
static bool halfOf(float d, uint16_t &h) {
  h = floatToHalf(d);
  return std::isfinite(halfToFloat(h));
}

static Status scaleError(const char *what, float d) {
  return Status::error(std::string(what) + " block scale " + std::to_string(d) +
                       " exceeds the f16 range (largest 65504)");
}

/// nearbyint(v) clamped to [lo, hi]; NaN gives lo. The clamp comes before
/// the conversion: converting inf, NaN or a value beyond int to an integer is
/// undefined behaviour (a scale near or below FLT_MIN gives such ratios).
static inline int nearestInt(float v, int lo, int hi) {
  if (!(v > lo))
    return lo;
  if (!(v < hi))
    return hi;
  return static_cast<int>(std::nearbyint(v));
}

/// Writes a block that decodes to exact zeros: d = +0 and every code the
/// code of 0 (`zeroCode` in each byte of the code bytes).
static void zeroBlock(uint8_t *out, int codeBytes, uint8_t zeroCode) {
  putHalf(out, 0);
  std::memset(out + 2, zeroCode, codeBytes);
}

/// Midpoints between consecutive kvalues_iq4nl entries (15, padded to 16).
static const float kIQ4Mids[16] = {
    -115.5f, -93.5f, -74.0f, -57.0f, -42.0f, -28.5f, -16.0f, -4.5f,
    7.0f,    19.0f,  31.5f,  45.5f,  61.0f,  79.0f,  101.0f, INFINITY};

/// Index of the kvalues_iq4nl entry nearest to v (ties to the lower one):
/// the number of midpoints below v, by a branch-free binary search.
static inline int nearestIQ4(float v) {
  int k = 0;
  k += kIQ4Mids[k + 7] < v ? 8 : 0;
  k += kIQ4Mids[k + 3] < v ? 4 : 0;
  k += kIQ4Mids[k + 1] < v ? 2 : 0;
  k += kIQ4Mids[k] < v ? 1 : 0;
  return k;
}

static Status quantizeQ4_0(const float *x, uint8_t *out) {
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  float d = max / -8;
  float id = d != 0 ? 1.0f / d : 0.0f;
  uint16_t h;
  if (!halfOf(d, h))
    return scaleError("q4_0", d);
  // 1/d overflows for |d| < 2^-128 (d is then 0 in f16): an all-zero
  // block, where ggml's reference would convert inf or NaN to an integer.
  if (!std::isfinite(id)) {
    zeroBlock(out, 16, 0x88);
    return Status::success();
  }
  putHalf(out, h);
  for (int j = 0; j < 16; ++j) {
    float x0 = x[j] * id, x1 = x[16 + j] * id;
    int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x0 + 8.5f)));
    int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x1 + 8.5f)));
    out[2 + j] = static_cast<uint8_t>(q0 | (q1 << 4));
  }
  return Status::success();
}

static Status quantizeQ8_0(const float *x, uint8_t *out) {
  float amax = 0;
  for (int j = 0; j < 32; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  float d = amax / 127;
  float id = d != 0 ? 1.0f / d : 0.0f;
  uint16_t h;
  if (!halfOf(d, h))
    return scaleError("q8_0", d);
  if (!std::isfinite(id)) { // |d| < 2^-128, 0 in f16: see quantizeQ4_0
    zeroBlock(out, 32, 0);
    return Status::success();
  }
  putHalf(out, h);
  for (int j = 0; j < 32; ++j)
    out[2 + j] =
        static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
  return Status::success();
}

static Status quantizeIQ4NL(const float *x, uint8_t *out) {
  const int8_t *k = iq4nlKValues();
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  int idx[32];
  if (amax == 0) {
    zeroBlock(out, 16, 0x88);
    return Status::success();
  }
  // Try 15 inverse scales around max -> kvalues[0]; for each, fit d by least
  // squares to the chosen indices and keep the smallest squared error.
  float bestD = max / k[0];
  double bestErr = INFINITY;
  for (int t = -7; t <= 7; ++t) {
    float id = (t + k[0]) / max;
    double sqx = 0, sq2 = 0;
    for (int j = 0; j < 32; ++j) {
      int q = k[nearestIQ4(x[j] * id)];
      sqx += double(x[j]) * q;
      sq2 += double(q) * q;
    }
    if (sq2 <= 0)
      continue;
    // With the least-squares d the error is sum x^2 - sqx^2 / sq2: keep
    // the largest sqx^2 / sq2.
    float d = static_cast<float>(sqx / sq2);
    double err = -sqx * sqx / sq2;
    if (!std::isfinite(d) || d == 0)
      continue;
    if (err < bestErr) {
      bestErr = err;
      bestD = d;
    }
  }
  uint16_t h;
  if (!halfOf(bestD, h))
    return scaleError("iq4_nl", bestD);
  putHalf(out, h);
  float dh = halfToFloat(h);
  for (int j = 0; j < 32; ++j)
    idx[j] = dh != 0 ? nearestIQ4(x[j] / dh) : 8;
  for (int j = 0; j < 16; ++j)
    out[2 + j] = static_cast<uint8_t>(idx[j] | (idx[j + 16] << 4));
  return Status::success();
}

void qforge::num::packQ4KScales(const uint8_t sc[8], const uint8_t mn[8],
                                uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 8; ++j) {
    uint8_t ls = sc[j] & 63, lm = mn[j] & 63;
    if (j < 4) {
      out[j] |= ls;
      out[j + 4] |= lm;
    } else {
      out[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      out[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      out[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
}

void qforge::num::unpackQ4KScales(const uint8_t q[12], uint8_t sc[8],
                                  uint8_t mn[8]) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = q[j] & 63;
      mn[j] = q[j + 4] & 63;
    } else {
      sc[j] = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
      mn[j] = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
  }
}

/// Best (scale, min) of a sub-block of 32 for x ~ s q - m, q in [0, 15],
/// m >= 0: range shrinking search with a least-squares refit.
static void fitSubBlock(const float *x, float &scale, float &mn) {
  float lo = 0, hi = 0;
  for (int i = 0; i < 32; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  scale = (hi - lo) / 15;
  mn = -lo;
  if (scale == 0)
    return;
  auto err = [&](float s, float m) {
    double e = 0;
    for (int i = 0; i < 32; ++i) {
      int q = nearestInt((x[i] + m) / s, 0, 15);
      double d = x[i] - (s * q - m);
      e += d * d;
    }
    return e;
  };
  double best = err(scale, mn);
  for (int t = 1; t <= 8; ++t) {
    float shrink = 1.0f - 0.025f * t;
    float s = (hi - lo) * shrink / 15;
    float m = -(lo + (hi - lo) * (1 - shrink) / 2);
    if (m < 0)
      m = 0;
    // Least-squares refit of (s, m) to the assignment.
    double n = 32, sq = 0, sq2 = 0, sx = 0, sqx = 0;
    for (int i = 0; i < 32; ++i) {
      int q = nearestInt((x[i] + m) / s, 0, 15);
      sq += q;
      sq2 += double(q) * q;
      sx += x[i];
      sqx += double(q) * x[i];
    }
    double det = n * sq2 - sq * sq;
    if (det > 0) {
      double s2 = (n * sqx - sq * sx) / det;
      double m2 = (sq * sqx - sq2 * sx) / det; // x = s q - m => m = -intercept
      if (s2 > 0 && m2 >= 0) {
        if (err(float(s2), float(m2)) < err(s, m)) {
          s = float(s2);
          m = float(m2);
        }
      }
    }
    double e = err(s, m);
    if (e < best) {
      best = e;
      scale = s;
      mn = m;
    }
  }
}

static Status quantizeQ4K(const float *x, uint8_t *out) {
  float scales[8], mins[8];
  float maxScale = 0, maxMin = 0;
  for (int j = 0; j < 8; ++j) {
    fitSubBlock(x + 32 * j, scales[j], mins[j]);
    maxScale = std::max(maxScale, scales[j]);
    maxMin = std::max(maxMin, mins[j]);
  }
  uint8_t L[8], M[8];
  float invS = maxScale > 0 ? 63.f / maxScale : 0.f;
  float invM = maxMin > 0 ? 63.f / maxMin : 0.f;
  for (int j = 0; j < 8; ++j) {
    L[j] = static_cast<uint8_t>(nearestInt(invS * scales[j], 0, 63));
    M[j] = static_cast<uint8_t>(nearestInt(invM * mins[j], 0, 63));
  }
  uint16_t hd, hm;
  if (!halfOf(maxScale / 63.f, hd))
    return scaleError("q4_k", maxScale / 63.f);
  if (!halfOf(maxMin / 63.f, hm))
    return scaleError("q4_k", maxMin / 63.f);
  putHalf(out, hd);
  putHalf(out + 2, hm);
  packQ4KScales(L, M, out + 4);
  float d = halfToFloat(hd), dmin = halfToFloat(hm);
  uint8_t q[256];
  for (int j = 0; j < 8; ++j) {
    float dd = d * L[j], dm = dmin * M[j];
    for (int i = 0; i < 32; ++i) {
      int v = dd != 0 ? nearestInt((x[32 * j + i] + dm) / dd, 0, 15) : 0;
      q[32 * j + i] = static_cast<uint8_t>(v);
    }
  }
  uint8_t *qs = out + 16;
  for (int p = 0; p < 4; ++p)
    for (int l = 0; l < 32; ++l)
      qs[32 * p + l] =
          static_cast<uint8_t>(q[64 * p + l] | (q[64 * p + 32 + l] << 4));
  return Status::success();
}

Status qforge::num::quantizeGGUFBlock(Layout l, const float *x, uint8_t *out) {
  switch (l) {
  case Layout::Q4_0:
    return quantizeQ4_0(x, out);
  case Layout::Q8_0:
    return quantizeQ8_0(x, out);
  case Layout::IQ4_NL:
    return quantizeIQ4NL(x, out);
  case Layout::Q4_K:
    return quantizeQ4K(x, out);
  case Layout::Plain:
    break;
  }
  return Status::error("not a GGUF layout");
}

void qforge::num::dequantizeGGUFBlock(Layout l, const uint8_t *in, float *y) {
  switch (l) {
  case Layout::Q4_0: {
    float d = getHalf(in);
    for (int j = 0; j < 16; ++j) {
      y[j] = ((in[2 + j] & 0xF) - 8) * d;
      y[j + 16] = ((in[2 + j] >> 4) - 8) * d;
    }
    return;
  }
  case Layout::Q8_0: {
    float d = getHalf(in);
    for (int j = 0; j < 32; ++j)
      y[j] = static_cast<int8_t>(in[2 + j]) * d;
    return;
  }
  case Layout::IQ4_NL: {
    const int8_t *k = iq4nlKValues();
    float d = getHalf(in);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * k[in[2 + j] & 0xF];
      y[j + 16] = d * k[in[2 + j] >> 4];
    }
    return;
  }
  case Layout::Q4_K: {
    float d = getHalf(in), dmin = getHalf(in + 2);
    uint8_t sc[8], mn[8];
    unpackQ4KScales(in + 4, sc, mn);
    const uint8_t *qs = in + 16;
    for (int p = 0; p < 4; ++p) {
      float d1 = d * sc[2 * p], m1 = dmin * mn[2 * p];
      float d2 = d * sc[2 * p + 1], m2 = dmin * mn[2 * p + 1];
      for (int l = 0; l < 32; ++l)
        y[64 * p + l] = d1 * (qs[32 * p + l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l)
        y[64 * p + 32 + l] = d2 * (qs[32 * p + l] >> 4) - m2;
    }
    return;
  }
  case Layout::Plain:
    return;
  }
}

Status qforge::num::quantizeGGUF(Layout l, const float *x, int64_t n,
                                 uint8_t *out, unsigned threads) {
  int64_t be = ggufBlockElements(l), bb = ggufBlockBytes(l);
  if (be == 0 || n % be)
    return Status::error("GGUF rows must be a multiple of the block size");
  int64_t nb = n / be;
  std::vector<Status> errs(static_cast<size_t>((nb + 255) / 256));
  parallelFor(nb, 256, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      Status s = quantizeGGUFBlock(l, x + b * be, out + b * bb);
      if (!s && errs[lo / 256].ok())
        errs[lo / 256] =
            Status::error("block " + std::to_string(b) + ": " + s.message());
    }
  });
  for (auto &s : errs)
    if (!s)
      return s;
  return Status::success();
}

void qforge::num::dequantizeGGUF(Layout l, const uint8_t *in, int64_t n,
                                 float *y, unsigned threads) {
  int64_t be = ggufBlockElements(l), bb = ggufBlockBytes(l);
  if (be == 0)
    return;
  parallelFor(n / be, 1024, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      dequantizeGGUFBlock(l, in + b * bb, y + b * be);
  });
}

void qforge::num::ggufCodes(Layout l, const uint8_t *in, int64_t n,
                            uint8_t *codes) {
  int64_t be = ggufBlockElements(l), bb = ggufBlockBytes(l);
  for (int64_t b = 0; b < n / be; ++b) {
    const uint8_t *blk = in + b * bb;
    uint8_t *c = codes + b * be;
    switch (l) {
    case Layout::Q4_0:
    case Layout::IQ4_NL:
      for (int j = 0; j < 16; ++j) {
        c[j] = blk[2 + j] & 0xF;
        c[j + 16] = blk[2 + j] >> 4;
      }
      break;
    case Layout::Q8_0:
      std::memcpy(c, blk + 2, 32);
      break;
    case Layout::Q4_K:
      for (int p = 0; p < 4; ++p)
        for (int i = 0; i < 32; ++i) {
          c[64 * p + i] = blk[16 + 32 * p + i] & 0xF;
          c[64 * p + 32 + i] = blk[16 + 32 * p + i] >> 4;
        }
      break;
    case Layout::Plain:
      break;
    }
  }
}
