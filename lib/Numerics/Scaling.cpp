//===- Scaling.cpp - Element grids and block scaling ----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Scaling.h"
#include "qforge/Numerics/MiniFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

using namespace qforge::num;

//===----------------------------------------------------------------------===//
// Scale storage
//===----------------------------------------------------------------------===//

static const FloatCodec *codecOf(ScaleType t) {
  switch (t) {
  case ScaleType::F16:
    return &codecF16();
  case ScaleType::BF16:
    return &codecBF16();
  case ScaleType::E8M0:
    return &codecE8M0();
  case ScaleType::E4M3:
    return &codecE4M3FN();
  default:
    return nullptr;
  }
}

double qforge::num::scaleTypeMax(ScaleType t) {
  if (t == ScaleType::F32)
    return std::numeric_limits<float>::max();
  if (t == ScaleType::None)
    return 1.0;
  return codecOf(t)->maxFinite();
}

double qforge::num::scaleTypeMinPositive(ScaleType t) {
  if (t == ScaleType::F32)
    return std::numeric_limits<float>::denorm_min();
  if (t == ScaleType::None)
    return 1.0;
  return codecOf(t)->minPositive();
}

bool qforge::num::scaleTypeSigned(ScaleType t) {
  return t != ScaleType::E8M0 && t != ScaleType::None;
}

uint32_t qforge::num::encodeScale(ScaleType t, double v, bool &overflow) {
  overflow = false;
  if (t == ScaleType::None)
    return 0;
  if (t == ScaleType::F32) {
    float f = static_cast<float>(v);
    if (std::isinf(f) && !std::isinf(v)) {
      overflow = true;
      f = std::copysign(std::numeric_limits<float>::max(), v);
    }
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  }
  const FloatCodec *c = codecOf(t);
  uint32_t bits = c->encode(v, false);
  if (std::isfinite(v) && !std::isfinite(c->decode(bits))) {
    overflow = true;
    bits = c->encode(v, true);
  }
  return bits;
}

namespace {
/// Decoded values of every code of the narrow scale types.
struct ScaleTables {
  std::array<float, 256> e8m0, e4m3;
  std::vector<float> f16;
  ScaleTables() : f16(65536) {
    for (unsigned c = 0; c < 256; ++c) {
      e8m0[c] = static_cast<float>(codecE8M0().decode(c));
      e4m3[c] = static_cast<float>(codecE4M3FN().decode(c));
    }
    for (unsigned c = 0; c < 65536; ++c)
      f16[c] = static_cast<float>(codecF16().decode(c));
  }
};
const ScaleTables &scaleTables() {
  static const ScaleTables t;
  return t;
}
} // namespace

float qforge::num::decodeScale(ScaleType t, uint32_t bits) {
  switch (t) {
  case ScaleType::None:
    return 1.0f;
  case ScaleType::F32: {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case ScaleType::BF16:
    return bf16ToFloat(static_cast<uint16_t>(bits));
  case ScaleType::F16:
    return scaleTables().f16[bits & 0xFFFF];
  case ScaleType::E8M0:
    return scaleTables().e8m0[bits & 0xFF];
  case ScaleType::E4M3:
    return scaleTables().e4m3[bits & 0xFF];
  }
  return 1.0f;
}

void qforge::num::storeScaleBits(ScaleType t, uint32_t bits, uint8_t *dst) {
  unsigned n = FormatSpec::scaleBits(t) / 8;
  for (unsigned i = 0; i < n; ++i)
    dst[i] = static_cast<uint8_t>(bits >> (8 * i));
}

uint32_t qforge::num::loadScaleBits(ScaleType t, const uint8_t *src) {
  unsigned n = FormatSpec::scaleBits(t) / 8;
  uint32_t bits = 0;
  for (unsigned i = 0; i < n; ++i)
    bits |= static_cast<uint32_t>(src[i]) << (8 * i);
  return bits;
}

uint64_t qforge::num::codebookBytes(const FormatSpec &f) {
  return static_cast<uint64_t>(f.levels) *
         (FormatSpec::scaleBits(f.scaleType) / 8);
}

uint64_t qforge::num::codebookOffset(const FormatSpec &f, int64_t g) {
  return static_cast<uint64_t>(g) * codebookBytes(f);
}

void qforge::num::storeCodebook(const FormatSpec &f, int64_t g,
                                const double *values,
                                std::vector<uint8_t> &section) {
  unsigned sb = FormatSpec::scaleBits(f.scaleType) / 8;
  uint64_t off = codebookOffset(f, g);
  if (section.size() < off + codebookBytes(f))
    section.resize(off + codebookBytes(f));
  for (unsigned i = 0; i < f.levels; ++i) {
    bool ovf;
    storeScaleBits(f.scaleType, encodeScale(f.scaleType, values[i], ovf),
                   section.data() + off + i * sb);
  }
}

void qforge::num::loadCodebook(const FormatSpec &f, int64_t g,
                               const std::vector<uint8_t> &section,
                               float *values) {
  unsigned sb = FormatSpec::scaleBits(f.scaleType) / 8;
  uint64_t off = codebookOffset(f, g);
  for (unsigned i = 0; i < f.levels; ++i)
    values[i] = decodeScale(
        f.scaleType, loadScaleBits(f.scaleType, section.data() + off + i * sb));
}

//===----------------------------------------------------------------------===//
// Element grids
//===----------------------------------------------------------------------===//

ElementGrid::ElementGrid(const FormatSpec &f) : nbits(f.bits) {
  std::vector<std::pair<double, unsigned>> vc;
  unsigned ncodes = 1u << f.bits;
  switch (f.kind) {
  case ElementKind::Int: {
    isInt = true;
    int b = static_cast<int>(f.bits);
    if (f.intKind == IntKind::Unsigned) {
      intLo = 0;
      intHi = (1 << b) - 1;
    } else {
      intLo = f.intKind == IntKind::Signed ? -(1 << (b - 1))
                                           : -((1 << (b - 1)) - 1);
      intHi = (1 << (b - 1)) - 1;
    }
    intMask = static_cast<uint8_t>(ncodes - 1);
    for (int v = intLo; v <= intHi; ++v)
      vc.push_back({double(v), static_cast<unsigned>(v) & intMask});
    break;
  }
  case ElementKind::Float: {
    const FloatCodec &c = miniFloatCodec(f.miniFloat);
    unsigned signBit = 1u << (c.totalBits() - 1);
    for (unsigned code = 0; code < ncodes; ++code) {
      double v = c.decode(code);
      if (!std::isfinite(v) || (v == 0 && (code & signBit)))
        continue; // NaN, inf, -0
      vc.push_back({v, code});
    }
    break;
  }
  case ElementKind::Lut: {
    std::vector<double> t = f.tableValues();
    for (unsigned i = 0; i < t.size(); ++i)
      vc.push_back({t[i], i});
    break;
  }
  default:
    vc.push_back({0.0, 0});
    break;
  }
  std::sort(vc.begin(), vc.end());
  for (auto &p : vc) {
    values.push_back(p.first);
    codes.push_back(static_cast<uint8_t>(p.second));
    decodeTable[p.second] = static_cast<float>(p.first);
  }
  for (size_t i = 0; i + 1 < values.size(); ++i)
    mids.push_back(0.5 * (values[i] + values[i + 1]));
  padded = 1;
  while (padded < values.size())
    padded *= 2;
  pmids = mids;
  pmids.resize(std::max<size_t>(padded - 1, 1),
               std::numeric_limits<double>::infinity());
  double lo = values.front(), hi = values.back();
  if (isInt && f.intKind == IntKind::Unsigned)
    symRange = hi;
  else
    symRange = std::min(-lo, hi);
  if (!(symRange > 0))
    symRange = std::max(std::fabs(lo), std::fabs(hi));
  signExtreme = -lo >= hi ? lo : hi;
}

uint8_t ElementGrid::nearest(double t) const {
  if (isInt) {
    double r =
        std::nearbyint(std::min<double>(std::max<double>(t, intLo), intHi));
    return static_cast<uint8_t>(static_cast<int>(r) & intMask);
  }
  // k = number of midpoints < t (branch-free search over the padded
  // midpoints); mids[k] is then the first midpoint >= t.
  size_t k = 0;
  for (size_t step = padded / 2; step >= 1; step /= 2)
    k += pmids[k + step - 1] < t ? step : 0;
  if (k < mids.size() && mids[k] == t && (codes[k] & 1))
    return codes[k + 1];
  return codes[k];
}

uint8_t ElementGrid::stochastic(double t, double u) const {
  if (!(t > values.front()))
    return codes.front();
  if (!(t < values.back()))
    return codes.back();
  size_t k = std::upper_bound(values.begin(), values.end(), t) - values.begin();
  double lo = values[k - 1], hi = values[k];
  return u < (t - lo) / (hi - lo) ? codes[k] : codes[k - 1];
}

//===----------------------------------------------------------------------===//
// Group quantization
//===----------------------------------------------------------------------===//

const std::array<double, 17> &qforge::num::searchMultipliers() {
  static const std::array<double, 17> m = [] {
    std::array<double, 17> a{};
    for (int k = 0; k < 17; ++k)
      a[k] = std::exp2((k - 8) / 4.0);
    return a;
  }();
  return m;
}

GroupQuantizer::GroupQuantizer(const FormatSpec &spec)
    : f(spec), g(spec), zp(spec.zeroPoint) {
  if (zp)
    qmax = (1 << spec.bits) - 1;
}

void GroupStats::add(const float *x, int64_t count) {
  float amaxF = static_cast<float>(amax);
  float lo32 = static_cast<float>(lo), hi32 = static_cast<float>(hi);
  double ss = 0;
  for (int64_t i = 0; i < count; ++i) {
    float v = x[i], a = std::fabs(v);
    if (a > std::fabs(signedMax))
      signedMax = v;
    amaxF = std::max(amaxF, a);
    lo32 = std::min(lo32, v);
    hi32 = std::max(hi32, v);
    ss += static_cast<double>(v) * v;
  }
  amax = amaxF;
  lo = lo32;
  hi = hi32;
  sumSq += ss;
  n += count;
}

void GroupStats::merge(const GroupStats &later) {
  if (std::fabs(later.signedMax) > std::fabs(signedMax))
    signedMax = later.signedMax;
  amax = std::max(amax, later.amax);
  lo = std::min(lo, later.lo);
  hi = std::max(hi, later.hi);
  sumSq += later.sumSq;
  n += later.n;
}

double GroupQuantizer::baseScale(const float *x, int64_t n) const {
  GroupStats s;
  s.add(x, n);
  return baseScale(s);
}

double GroupQuantizer::baseScale(const GroupStats &st) const {
  if (zp)
    return (st.hi - st.lo) / qmax;
  switch (f.scaleStat) {
  case ScaleStat::RMS:
    return st.n ? std::sqrt(st.sumSq / st.n) : 0.0;
  case ScaleStat::SignMax: {
    double s = st.signedMax / g.signMaxExtreme();
    if (!scaleTypeSigned(f.scaleType))
      s = std::fabs(s);
    return s;
  }
  case ScaleStat::AbsMax:
  case ScaleStat::Search:
    return st.amax / g.absMaxRange();
  }
  return 0;
}

float GroupQuantizer::superScale(double maxBase) const {
  maxBase = std::fabs(maxBase);
  if (f.scaleType == ScaleType::E8M0)
    return static_cast<float>(maxBase);
  return static_cast<float>(maxBase / scaleTypeMax(f.scaleType));
}

bool GroupQuantizer::roundScale(double ideal, bool hasSuper, float super,
                                uint32_t &bits, float &decoded) const {
  ScaleType t = f.scaleType;
  if (t == ScaleType::None) {
    bits = 0;
    decoded = 1.0f;
    return true;
  }
  double v = ideal;
  if (hasSuper)
    v = super > 0 ? ideal / super : 0.0;
  bool overflow = false;
  if (t == ScaleType::E8M0) {
    // Power-of-two scales follow the OCP MX rule: 2^(floor(log2(s*M)) -
    // floor(log2(M))), so that the block absmax lands in the top binade of
    // the element code (values above its range saturate).
    v = std::fabs(v);
    if (v == 0) {
      bits = 0;
    } else {
      double M = g.absMaxRange();
      int eM, eV;
      std::frexp(M, &eM);
      std::frexp(v * M, &eV);
      int p = (eV - 1) - (eM - 1);
      if (p > 127)
        return false;
      bits = static_cast<uint32_t>(std::max(p, -127) + 127);
    }
  } else {
    bits = encodeScale(t, v, overflow);
    if (overflow || !std::isfinite(v))
      return false;
    if (v != 0 && decodeScale(t, bits) == 0) {
      // Below the type's resolution: the smallest value of v's sign.
      bits =
          encodeScale(t, std::copysign(scaleTypeMinPositive(t), v), overflow);
    }
  }
  float d = decodeScale(t, bits);
  decoded = hasSuper ? super * d : d;
  return std::isfinite(decoded);
}

int GroupQuantizer::zeroPointFor(double lo, float scale) const {
  if (scale == 0)
    return 0;
  double z = std::nearbyint(-lo / scale);
  return static_cast<int>(std::min<double>(std::max<double>(z, 0), qmax));
}

void GroupQuantizer::encode(const float *x, int64_t n, const GroupScale &s,
                            Rng *rng, uint8_t *codes) const {
  if (s.scale == 0) {
    uint8_t c = zp ? static_cast<uint8_t>(s.zeroPoint) : g.nearest(0.0);
    std::fill(codes, codes + n, c);
    return;
  }
  double inv = 1.0 / static_cast<double>(s.scale);
  int e2;
  bool exactInv = std::frexp(inv, &e2) == 0.5; // 2^k: multiplying is exact
  auto ratio = [&](float v) {
    return exactInv ? v * inv : static_cast<double>(v) / s.scale;
  };
  if (zp) {
    // Near FLT_MAX the codes farthest from the zero point may decode
    // (scale * (code - zp), f32) beyond the f32 range: use only the codes
    // [cLo, cHi] that decode to finite values (the code zp decodes to 0).
    int cLo = 0, cHi = qmax;
    if (std::fabs(static_cast<double>(s.scale)) *
            std::max(s.zeroPoint, qmax - s.zeroPoint) >
        std::numeric_limits<float>::max()) {
      while (cLo < s.zeroPoint &&
             !std::isfinite(decode(static_cast<uint8_t>(cLo), s)))
        ++cLo;
      while (cHi > s.zeroPoint &&
             !std::isfinite(decode(static_cast<uint8_t>(cHi), s)))
        --cHi;
    }
    for (int64_t i = 0; i < n; ++i) {
      double t = ratio(x[i]);
      double c =
          rng ? std::floor(t) + (rng->uniform() < t - std::floor(t) ? 1.0 : 0.0)
              : std::nearbyint(t);
      c += s.zeroPoint;
      codes[i] =
          static_cast<uint8_t>(std::min<double>(std::max<double>(c, cLo), cHi));
    }
    return;
  }
  // Near FLT_MAX the extreme codes of a saturating grid (e.g. -128 of int8)
  // may decode beyond the f32 range: restrict t to the codes that decode to
  // finite values.
  double tlo = -std::numeric_limits<double>::infinity(), thi = -tlo;
  if (std::fabs(s.scale) *
          std::max(std::fabs(g.minValue()), std::fabs(g.maxValue())) >
      std::numeric_limits<float>::max()) {
    const std::vector<double> &v = g.sortedValues();
    auto finite = [&](double val) {
      return std::isfinite(s.scale * static_cast<float>(val));
    };
    for (size_t i = 0; i < v.size(); ++i)
      if (finite(v[i])) {
        tlo = v[i];
        break;
      }
    for (size_t i = v.size(); i-- > 0;)
      if (finite(v[i])) {
        thi = v[i];
        break;
      }
  }
  auto clampT = [&](double t) { return std::min(std::max(t, tlo), thi); };
  if (rng) {
    for (int64_t i = 0; i < n; ++i)
      codes[i] = g.stochastic(clampT(ratio(x[i])), rng->uniform());
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    codes[i] = g.nearest(clampT(ratio(x[i])));
}

double GroupQuantizer::sqError(const float *x, const float *w, int64_t n,
                               const GroupScale &s) const {
  double err = 0;
  uint8_t buf[256];
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    int64_t m = std::min<int64_t>(256, n - i0);
    encode(x + i0, m, s, nullptr, buf);
    for (int64_t i = 0; i < m; ++i) {
      double d = static_cast<double>(x[i0 + i]) - decode(buf[i], s);
      err += (w ? w[i0 + i] : 1.0) * d * d;
    }
  }
  return err;
}

static std::string fmtDouble(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

Status GroupQuantizer::candidates(const GroupStats &st, bool hasSuper,
                                  float super, int64_t group,
                                  std::vector<GroupScale> &out) const {
  out.clear();
  double base = baseScale(st);
  double lo = st.lo;
  auto overflowError = [&](double s) {
    return Status::error(
        "group " + std::to_string(group) + ": scale " + fmtDouble(s) +
        " does not fit scale type '" + FormatSpec::scaleTypeName(f.scaleType) +
        "' (largest " + fmtDouble(scaleTypeMax(f.scaleType)) +
        (hasSuper ? " relative to the super-scale" : "") +
        "); use a wider scale type (f32, bf16) or double quantization");
  };
  if (f.scaleStat != ScaleStat::Search || base == 0 ||
      f.scaleType == ScaleType::None) {
    GroupScale s;
    if (!roundScale(base, hasSuper, super, s.bits, s.scale))
      return overflowError(base);
    if (zp)
      s.zeroPoint = zeroPointFor(lo, s.scale);
    out.push_back(s);
    return Status::success();
  }
  // 17 log-spaced multipliers of the absmax scale, multiplier 1 first.
  const auto &mult = searchMultipliers();
  float lastScale = std::numeric_limits<float>::quiet_NaN();
  for (int j = 0; j < 17; ++j) {
    int k = j == 0 ? 8 : (j <= 8 ? j - 1 : j);
    GroupScale c;
    if (!roundScale(base * mult[k], hasSuper, super, c.bits, c.scale))
      continue;
    if (c.scale == lastScale)
      continue;
    lastScale = c.scale;
    if (zp) {
      // Shrink (or widen) the range about its centre.
      double mid = lo + 0.5 * base * qmax;
      c.zeroPoint = zeroPointFor(mid - 0.5 * base * mult[k] * qmax, c.scale);
    }
    out.push_back(c);
  }
  if (out.empty())
    return overflowError(base);
  return Status::success();
}

size_t GroupQuantizer::pickCandidate(const std::vector<double> &errors) {
  size_t best = 0;
  for (size_t i = 1; i < errors.size(); ++i)
    if (errors[i] < errors[best])
      best = i;
  return best;
}

Status GroupQuantizer::quantize(const float *x, const float *w, int64_t n,
                                bool hasSuper, float super, bool stochastic,
                                uint64_t seed, int64_t group, uint8_t *codes,
                                GroupScale &out) const {
  const int64_t K = Rng::kChunk;
  GroupStats st;
  for (int64_t c0 = 0; c0 < n; c0 += K) {
    GroupStats part;
    part.add(x + c0, std::min(K, n - c0));
    st.merge(part);
  }
  std::vector<GroupScale> cands;
  if (Status s = candidates(st, hasSuper, super, group, cands); !s)
    return s;
  size_t pick = 0;
  if (cands.size() > 1) {
    std::vector<double> err(cands.size(), 0.0);
    for (size_t i = 0; i < cands.size(); ++i)
      for (int64_t c0 = 0; c0 < n; c0 += K)
        err[i] += sqError(x + c0, w ? w + c0 : nullptr, std::min(K, n - c0),
                          cands[i]);
    pick = pickCandidate(err);
  }
  for (int64_t c0 = 0, c = 0; c0 < n; c0 += K, ++c) {
    Rng rng = Rng::chunkStream(seed, static_cast<uint64_t>(group),
                               static_cast<uint64_t>(c));
    encode(x + c0, std::min(K, n - c0), cands[pick],
           stochastic ? &rng : nullptr, codes + c0);
  }
  out = cands[pick];
  return Status::success();
}
