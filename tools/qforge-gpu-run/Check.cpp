//===- Check.cpp - Comparing GPU results with the CPU reference -----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Check.h"

#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Random.h"

#include <cmath>
#include <cstring>
#include <sstream>

using namespace qforge;
using namespace qforge::gpurun;

bool gpurun::parseDType(const std::string &s, DType &out) {
  if (s == "f32")
    out = DType::F32;
  else if (s == "f16")
    out = DType::F16;
  else if (s == "bf16")
    out = DType::BF16;
  else
    return false;
  return true;
}

const char *gpurun::dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  }
  return "?";
}

unsigned gpurun::dtypeBytes(DType t) { return t == DType::F32 ? 4 : 2; }

uint32_t gpurun::toBits(float x, DType t) {
  switch (t) {
  case DType::F32: {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
  }
  case DType::F16:
    return num::floatToHalf(x);
  case DType::BF16:
    return num::floatToBF16(x);
  }
  return 0;
}

float gpurun::fromBits(uint32_t bits, DType t) {
  switch (t) {
  case DType::F32: {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case DType::F16:
    return num::halfToFloat(static_cast<uint16_t>(bits));
  case DType::BF16:
    return num::bf16ToFloat(static_cast<uint16_t>(bits));
  }
  return 0;
}

static uint32_t loadBits(const uint8_t *p, unsigned bytes) {
  uint32_t u = 0;
  for (unsigned i = 0; i < bytes; ++i)
    u |= static_cast<uint32_t>(p[i]) << (8 * i);
  return u;
}

std::vector<uint8_t> gpurun::encode(const float *x, int64_t n, DType t) {
  unsigned eb = dtypeBytes(t);
  std::vector<uint8_t> out(static_cast<size_t>(n) * eb);
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u = toBits(x[i], t);
    for (unsigned j = 0; j < eb; ++j)
      out[i * eb + j] = static_cast<uint8_t>(u >> (8 * j));
  }
  return out;
}

std::vector<float> gpurun::decode(const std::vector<uint8_t> &bytes, DType t) {
  unsigned eb = dtypeBytes(t);
  std::vector<float> out(bytes.size() / eb);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = fromBits(loadBits(bytes.data() + i * eb, eb), t);
  return out;
}

CheckResult gpurun::checkDequant(const float *reference,
                                 const std::vector<uint8_t> &got, int64_t n,
                                 DType outType) {
  CheckResult r;
  unsigned eb = dtypeBytes(outType);
  if (got.size() != static_cast<size_t>(n) * eb) {
    r.ok = false;
    r.message = "output has the wrong size";
    return r;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint32_t want = toBits(reference[i], outType);
    uint32_t have = loadBits(got.data() + i * eb, eb);
    // NaN codes (never produced from finite data) compare as NaN.
    bool bothNaN = std::isnan(fromBits(want, outType)) &&
                   std::isnan(fromBits(have, outType));
    if (want != have && !bothNaN) {
      if (r.mismatches++ == 0) {
        r.firstBad = i;
        std::ostringstream os;
        os << "element " << i << ": expected " << fromBits(want, outType)
           << " (0x" << std::hex << want << "), got " << fromBits(have, outType)
           << " (0x" << have << ")";
        r.message = os.str();
      }
    }
  }
  r.ok = r.mismatches == 0;
  if (r.ok)
    r.message = "bit-exact";
  return r;
}

void gpurun::referenceGemv(const float *x, const float *w, int64_t m, int64_t n,
                           int64_t k, std::vector<double> &y,
                           std::vector<double> &bound) {
  y.assign(static_cast<size_t>(m * n), 0.0);
  bound.assign(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0, b = 0;
      const float *xr = x + i * k, *wr = w + j * k;
      for (int64_t t = 0; t < k; ++t) {
        double p = static_cast<double>(xr[t]) * wr[t];
        s += p;
        b += std::fabs(p);
      }
      y[i * n + j] = s;
      bound[i * n + j] = b;
    }
}

CheckResult gpurun::checkGemv(const std::vector<double> &y,
                              const std::vector<double> &bound,
                              const std::vector<uint8_t> &got, DType lhsType,
                              DType outType) {
  CheckResult r;
  std::vector<float> g = decode(got, outType);
  if (g.size() != y.size()) {
    r.ok = false;
    r.message = "output has the wrong size";
    return r;
  }
  double tol = (lhsType == DType::F32 && outType == DType::F32) ? 1e-5 : 1e-3;
  // Half an ulp of the output type, relative.
  double halfUlp = outType == DType::F32   ? std::ldexp(1.0, -24)
                   : outType == DType::F16 ? std::ldexp(1.0, -11)
                                           : std::ldexp(1.0, -8);
  for (size_t i = 0; i < y.size(); ++i) {
    double allowed = tol * bound[i] + halfUlp * std::fabs(y[i]);
    double err = std::fabs(static_cast<double>(g[i]) - y[i]);
    double rel = allowed > 0 ? err / allowed : (err > 0 ? INFINITY : 0);
    if (rel > r.worst)
      r.worst = rel;
    if (!(err <= allowed)) {
      if (r.mismatches++ == 0) {
        r.firstBad = static_cast<int64_t>(i);
        std::ostringstream os;
        os << "element " << i << ": expected " << y[i] << ", got " << g[i]
           << " (allowed error " << allowed << ")";
        r.message = os.str();
      }
    }
  }
  r.ok = r.mismatches == 0;
  if (r.ok) {
    std::ostringstream os;
    os << "within tolerance (tol " << tol << ", worst " << r.worst
       << " of the bound)";
    r.message = os.str();
  }
  return r;
}

std::string gpurun::selfTestChecks() {
  std::vector<float> ref = num::normalSamples(4096, 7);
  for (DType t : {DType::F32, DType::F16, DType::BF16}) {
    std::vector<uint8_t> exact = encode(ref.data(), 4096, t);
    if (!checkDequant(ref.data(), exact, 4096, t).ok)
      return std::string("exact ") + dtypeName(t) + " result rejected";
    std::vector<uint8_t> off = exact;
    off[dtypeBytes(t) * 100] ^= 1; // one ulp off at element 100
    CheckResult r = checkDequant(ref.data(), off, 4096, t);
    if (r.ok || r.firstBad != 100 || r.mismatches != 1)
      return std::string("one-ulp error in ") + dtypeName(t) +
             " not detected at element 100";
  }
  // GEMV: 3 x 5 rows of 256.
  int64_t m = 3, n = 5, k = 256;
  std::vector<float> x = num::normalSamples(m * k, 11);
  std::vector<float> w = num::normalSamples(n * k, 12);
  std::vector<double> y, bound;
  referenceGemv(x.data(), w.data(), m, n, k, y, bound);
  for (DType t : {DType::F32, DType::F16, DType::BF16}) {
    std::vector<float> yf(y.begin(), y.end());
    std::vector<uint8_t> good = encode(yf.data(), m * n, t);
    if (!checkGemv(y, bound, good, t, t).ok)
      return std::string("correctly rounded ") + dtypeName(t) +
             " GEMV rejected";
    double tol = t == DType::F32 ? 1e-5 : 1e-3;
    std::vector<float> bad = yf;
    bad[7] =
        static_cast<float>(y[7] + 4 * tol * bound[7] + std::fabs(y[7]) * 0.01);
    CheckResult r = checkGemv(y, bound, encode(bad.data(), m * n, t), t, t);
    if (r.ok || r.firstBad != 7)
      return std::string("out-of-tolerance ") + dtypeName(t) + " GEMV accepted";
  }
  return "";
}
