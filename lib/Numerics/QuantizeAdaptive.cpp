//===- QuantizeAdaptive.cpp - Learned (ASQ) and Kashin tensor codecs ------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Storage (docs/algorithms.md, docs/formats.md):
//
// Learned `asq:<s>:<granularity>[:f32|f16|bf16]`, b = ceil(log2 s):
//   Codes      one b-bit codebook index per element, row-major flat order,
//              LSB-first bit stream (element i at bits [i b, (i+1) b)),
//              zero-padded to a byte.
//   Codebooks  numGroups x s values, raw little-endian bits of the scale
//              type, nondecreasing within a group (the ASQ values, containing
//              the group's min and max as rounded to the scale type).
//   Outliers   with `:outliers=`, as for every format (Outliers.h): the
//              outliers are zeroed before the codebooks are fitted and
//              overwrite the decoded tensor.
//   bits/weight = b + s * scaleBits / groupSize (+ the outliers').
//
// Kashin `kashin:<bu>+<bv>[:dct|hadamard]` with vectors = the groups:
//   Codebooks  u64 LE seed of the sign vector, then per group 2^bu f32
//              u-centroids followed by 2^bv f32 v-centroids (joint
//              `kashin:<b>:joint`: 2^b pairs (u, v) of f32).
//   Codes      the u codes of all elements (bu bits each, flat order,
//              LSB-first, padded to a byte), then the v codes (bv bits each,
//              padded); joint: one b-bit code per element.
//   bits/weight = bu + bv + (2^bu + 2^bv) * 32 / groupSize + 64 / numel
//                 (joint: b + 2^b * 64 / groupSize + 64 / numel).
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/ASQ.h"
#include "qforge/Numerics/GroupGeometry.h"
#include "qforge/Numerics/Kashin.h"
#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Outliers.h"
#include "qforge/Numerics/Packing.h"
#include "qforge/Numerics/Quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace qforge::num;

namespace {

/// One code of an LSB-first code stream.
uint32_t getCode(const uint8_t *in, uint64_t index, unsigned bits) {
  uint8_t c = 0;
  unpackCodes(in, index, 1, bits, &c);
  return c;
}

/// Packs one code (< 2^8) per element into an LSB-first stream, in parallel
/// chunks that start on byte boundaries (2^16 codes of any width).
void packAll(const std::vector<uint32_t> &codes, unsigned bits, uint8_t *out,
             unsigned threads) {
  int64_t n = static_cast<int64_t>(codes.size());
  parallelFor(n, int64_t(1) << 16, threads, [&](int64_t lo, int64_t hi) {
    std::vector<uint8_t> chunk(codes.begin() + lo, codes.begin() + hi);
    packCodes(chunk.data(), chunk.size(), bits, out, lo);
  });
}

unsigned valueBytes(ScaleType t) { return FormatSpec::scaleBits(t) / 8; }

/// Rounds a codebook value to the scale type; false when out of range.
bool toScaleType(ScaleType t, double v, uint8_t *dst, double &stored) {
  float f = static_cast<float>(v);
  if (!std::isfinite(f))
    return false;
  switch (t) {
  case ScaleType::F16: {
    uint16_t h = floatToHalf(f);
    stored = halfToFloat(h);
    if (!std::isfinite(stored))
      return false;
    dst[0] = uint8_t(h);
    dst[1] = uint8_t(h >> 8);
    return true;
  }
  case ScaleType::BF16: {
    uint16_t h = floatToBF16(f);
    stored = bf16ToFloat(h);
    if (!std::isfinite(stored))
      return false;
    dst[0] = uint8_t(h);
    dst[1] = uint8_t(h >> 8);
    return true;
  }
  default: {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int k = 0; k < 4; ++k)
      dst[k] = uint8_t(u >> (8 * k));
    stored = f;
    return true;
  }
  }
}

double fromScaleType(ScaleType t, const uint8_t *src) {
  switch (t) {
  case ScaleType::F16:
    return halfToFloat(uint16_t(src[0] | (src[1] << 8)));
  case ScaleType::BF16:
    return bf16ToFloat(uint16_t(src[0] | (src[1] << 8)));
  default: {
    uint32_t u = uint32_t(src[0]) | (uint32_t(src[1]) << 8) |
                 (uint32_t(src[2]) << 16) | (uint32_t(src[3]) << 24);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  }
}

void putF32(uint8_t *dst, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  for (int k = 0; k < 4; ++k)
    dst[k] = uint8_t(u >> (8 * k));
}

float getF32(const uint8_t *src) {
  uint32_t u = uint32_t(src[0]) | (uint32_t(src[1]) << 8) |
               (uint32_t(src[2]) << 16) | (uint32_t(src[3]) << 24);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

//===----------------------------------------------------------------------===//
// Learned (ASQ)
//===----------------------------------------------------------------------===//

Status quantizeLearned(const float *data, const std::vector<int64_t> &shape,
                       const FormatSpec &f, const QuantizeOptions &opt,
                       QuantizedTensor &out) {
  GroupGeometry G(f, shape);
  unsigned s = f.levels, bits = f.bits;
  unsigned vb = valueBytes(f.scaleType);
  int64_t lastDim = shape.empty() ? 1 : shape.back();
  auto sizes = sectionBytes(f, shape);
  auto &codebooks = out.section(Section::Codebooks);
  codebooks.assign(sizes[static_cast<unsigned>(Section::Codebooks)], 0);
  std::vector<uint32_t> codes(G.numel, 0);
  std::vector<std::string> errors(G.groups);
  int64_t grain =
      std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(G.size, 1));
  parallelFor(G.groups, grain, opt.threads, [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> order(G.size);
    std::vector<double> x(G.size), w;
    std::vector<double> raw(G.size), rawW;
    for (int64_t gid = lo; gid < hi; ++gid) {
      bool weighted = opt.importance || opt.actSq;
      for (int64_t j = 0; j < G.size; ++j)
        raw[j] = data[G.flat(gid, j)];
      if (weighted) {
        rawW.resize(G.size);
        for (int64_t j = 0; j < G.size; ++j) {
          int64_t idx = G.flat(gid, j);
          rawW[j] = opt.importance ? double(opt.importance[idx])
                                   : double(opt.actSq[idx % lastDim]);
          if (!(rawW[j] >= 0) || !std::isfinite(rawW[j])) {
            errors[gid] = "ASQ weights must be finite and non-negative";
            break;
          }
        }
        if (!errors[gid].empty())
          continue;
      }
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return raw[a] < raw[b]; });
      for (int64_t j = 0; j < G.size; ++j)
        x[j] = raw[order[j]];
      if (weighted) {
        w.resize(G.size);
        for (int64_t j = 0; j < G.size; ++j)
          w[j] = rawW[order[j]];
      }
      ASQOptions ao;
      ASQResult res;
      Status st =
          solveASQ(x.data(), weighted ? w.data() : nullptr, G.size, s, ao, res);
      if (!st.ok()) {
        errors[gid] = st.message();
        continue;
      }
      // Store the codebook in the scale type; round against stored values.
      std::vector<double> cb(s);
      uint8_t *dst = codebooks.data() + uint64_t(gid) * s * vb;
      bool ok = true;
      for (unsigned k = 0; k < s && ok; ++k)
        ok = toScaleType(f.scaleType, res.values[k], dst + k * vb, cb[k]);
      if (!ok) {
        errors[gid] = "ASQ codebook value beyond the range of " +
                      std::string(FormatSpec::scaleTypeName(f.scaleType));
        continue;
      }
      for (int64_t j = 0; j < G.size; ++j) {
        int64_t idx = G.flat(gid, j);
        double v = data[idx];
        uint32_t c =
            opt.rounding == Rounding::Stochastic
                ? roundStochastic(cb.data(), s, v,
                                  counterUniform(opt.seed, uint64_t(gid), j))
                : roundNearest(cb.data(), s, v);
        codes[idx] = c;
      }
    }
  });
  for (int64_t gid = 0; gid < G.groups; ++gid)
    if (!errors[gid].empty())
      return Status::error("group " + std::to_string(gid) + ": " + errors[gid]);
  auto &csec = out.section(Section::Codes);
  csec.assign(sizes[static_cast<unsigned>(Section::Codes)], 0);
  // Parallel chunks must start on byte boundaries: bits * 2^16 is a
  // multiple of 8, so chunks of 2^16 elements do.
  packAll(codes, bits, csec.data(), opt.threads);
  return Status::success();
}

Status dequantizeLearned(const QuantizedTensor &q, float *out,
                         unsigned threads) {
  const FormatSpec &f = q.format;
  GroupGeometry G(f, q.shape);
  unsigned s = f.levels, vb = valueBytes(f.scaleType);
  const uint8_t *codes = q.section(Section::Codes).data();
  const uint8_t *cbs = q.section(Section::Codebooks).data();
  int64_t grain =
      std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(G.size, 1));
  parallelFor(G.groups, grain, threads, [&](int64_t lo, int64_t hi) {
    std::vector<float> cb(s);
    for (int64_t gid = lo; gid < hi; ++gid) {
      for (unsigned k = 0; k < s; ++k)
        cb[k] = static_cast<float>(
            fromScaleType(f.scaleType, cbs + (uint64_t(gid) * s + k) * vb));
      for (int64_t j = 0; j < G.size; ++j) {
        int64_t idx = G.flat(gid, j);
        uint32_t c = getCode(codes, uint64_t(idx), f.bits);
        out[idx] = cb[std::min<uint32_t>(c, s - 1)];
      }
    }
  });
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Kashin
//===----------------------------------------------------------------------===//

Status quantizeKashin(const float *data, const std::vector<int64_t> &shape,
                      const FormatSpec &f, const QuantizeOptions &opt,
                      QuantizedTensor &out) {
  GroupGeometry G(f, shape);
  bool joint = f.kashinJoint;
  unsigned bu = f.kashinBitsU, bv = joint ? 0 : f.kashinBitsV;
  int64_t ku = int64_t(1) << bu, kv = joint ? 0 : int64_t(1) << bv;
  int64_t perGroup = joint ? 2 * ku : ku + kv; // floats
  RandomizedTransform P(G.size, f.kashinTransform, opt.seed);
  if (!P.ok())
    return Status::error("Kashin: Hadamard vectors need a power-of-two "
                         "length, got " +
                         std::to_string(G.size));
  auto sizes = sectionBytes(f, shape);
  auto &cbs = out.section(Section::Codebooks);
  cbs.assign(sizes[static_cast<unsigned>(Section::Codebooks)], 0);
  for (int k = 0; k < 8; ++k)
    cbs[k] = uint8_t(opt.seed >> (8 * k));
  std::vector<uint32_t> codesU(G.numel, 0), codesV(joint ? 0 : G.numel, 0);
  std::vector<std::string> errors(G.groups);
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(G.size, 1));
  parallelFor(G.groups, grain, opt.threads, [&](int64_t lo, int64_t hi) {
    std::vector<double> x(G.size);
    KashinOptions ko;
    for (int64_t gid = lo; gid < hi; ++gid) {
      for (int64_t j = 0; j < G.size; ++j)
        x[j] = data[G.flat(gid, j)];
      KashinCode code;
      Status st = kashinQuantizeVector(x.data(), P, bu, bv, joint, ko, code);
      if (!st.ok()) {
        errors[gid] = st.message();
        continue;
      }
      uint8_t *dst = cbs.data() + 8 + uint64_t(gid) * perGroup * 4;
      if (joint) {
        for (int64_t k = 0; k < ku; ++k) {
          putF32(dst + 8 * k, code.cu[k]);
          putF32(dst + 8 * k + 4, code.cv[k]);
        }
      } else {
        for (int64_t k = 0; k < ku; ++k)
          putF32(dst + 4 * k, code.cu[k]);
        for (int64_t k = 0; k < kv; ++k)
          putF32(dst + 4 * (ku + k), code.cv[k]);
      }
      for (int64_t j = 0; j < G.size; ++j) {
        int64_t idx = G.flat(gid, j);
        codesU[idx] = code.codesU[j];
        if (!joint)
          codesV[idx] = code.codesV[j];
      }
    }
  });
  for (int64_t gid = 0; gid < G.groups; ++gid)
    if (!errors[gid].empty())
      return Status::error("vector " + std::to_string(gid) + ": " +
                           errors[gid] + "; the tensor is left unquantized");
  auto &csec = out.section(Section::Codes);
  csec.assign(sizes[static_cast<unsigned>(Section::Codes)], 0);
  packAll(codesU, bu, csec.data(), opt.threads);
  if (!joint)
    packAll(codesV, bv, csec.data() + (uint64_t(G.numel) * bu + 7) / 8,
            opt.threads);
  return Status::success();
}

Status dequantizeKashin(const QuantizedTensor &q, float *out,
                        unsigned threads) {
  const FormatSpec &f = q.format;
  GroupGeometry G(f, q.shape);
  bool joint = f.kashinJoint;
  unsigned bu = f.kashinBitsU, bv = joint ? 0 : f.kashinBitsV;
  int64_t ku = int64_t(1) << bu, kv = joint ? 0 : int64_t(1) << bv;
  int64_t perGroup = joint ? 2 * ku : ku + kv;
  const uint8_t *cbs = q.section(Section::Codebooks).data();
  uint64_t seed = 0;
  for (int k = 0; k < 8; ++k)
    seed |= uint64_t(cbs[k]) << (8 * k);
  RandomizedTransform P(G.size, f.kashinTransform, seed);
  if (!P.ok())
    return Status::error("Kashin: invalid vector length for the transform");
  const uint8_t *codes = q.section(Section::Codes).data();
  const uint8_t *codesV = codes + (uint64_t(G.numel) * bu + 7) / 8;
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(G.size, 1));
  parallelFor(G.groups, grain, threads, [&](int64_t lo, int64_t hi) {
    KashinCode code;
    std::vector<float> xr(G.size);
    for (int64_t gid = lo; gid < hi; ++gid) {
      const uint8_t *src = cbs + 8 + uint64_t(gid) * perGroup * 4;
      code.cu.resize(ku);
      code.cv.resize(joint ? ku : kv);
      if (joint) {
        for (int64_t k = 0; k < ku; ++k) {
          code.cu[k] = getF32(src + 8 * k);
          code.cv[k] = getF32(src + 8 * k + 4);
        }
      } else {
        for (int64_t k = 0; k < ku; ++k)
          code.cu[k] = getF32(src + 4 * k);
        for (int64_t k = 0; k < kv; ++k)
          code.cv[k] = getF32(src + 4 * (ku + k));
      }
      code.codesU.resize(G.size);
      code.codesV.resize(joint ? 0 : G.size);
      for (int64_t j = 0; j < G.size; ++j) {
        uint64_t idx = uint64_t(G.flat(gid, j));
        code.codesU[j] = getCode(codes, idx, bu);
        if (!joint)
          code.codesV[j] = getCode(codesV, idx, bv);
      }
      kashinReconstruct(code, P, joint, xr.data());
      for (int64_t j = 0; j < G.size; ++j)
        out[G.flat(gid, j)] = xr[j];
    }
  });
  return Status::success();
}

} // namespace

Status qforge::num::quantizeAdaptive(const float *data,
                                     const std::vector<int64_t> &shape,
                                     const FormatSpec &format,
                                     const QuantizeOptions &options,
                                     QuantizedTensor &out) {
  if (Status s = format.verify(); !s)
    return s;
  if (Status s = format.verifyShape(shape); !s)
    return s;
  int64_t numel = checkedNumElements(shape);
  out.format = format;
  out.shape = shape;
  for (auto &sec : out.sections)
    sec.clear();
  if (numel <= 0)
    return Status::success();
  for (int64_t i = 0; i < numel; ++i)
    if (!std::isfinite(data[i]))
      return Status::error("input element " + std::to_string(i) +
                           " is not finite");
  // Sparse outliers (learned formats; FormatSpec::verify rejects them for
  // Kashin codes): stored exactly, zeroed before the codebooks are fitted,
  // as quantizePlain does.
  std::vector<float> work;
  const float *x =
      splitOutliers(data, numel, format, out.section(Section::Outliers), work);
  Status st;
  if (format.kind == ElementKind::Learned)
    st = quantizeLearned(x, shape, format, options, out);
  else if (format.kind == ElementKind::Kashin)
    st = quantizeKashin(x, shape, format, options, out);
  else
    st = Status::error("format '" + format.str() +
                       "' is not a learned or Kashin format");
  if (!st.ok())
    for (auto &sec : out.sections)
      sec.clear();
  return st;
}

Status qforge::num::dequantizeAdaptive(const QuantizedTensor &q, float *out,
                                       unsigned threads) {
  if (Status s = q.verify(); !s)
    return s;
  int64_t numel = checkedNumElements(q.shape);
  if (numel <= 0)
    return Status::success();
  Status st;
  if (q.format.kind == ElementKind::Learned)
    st = dequantizeLearned(q, out, threads);
  else if (q.format.kind == ElementKind::Kashin)
    st = dequantizeKashin(q, out, threads);
  else
    return Status::error("format '" + q.format.str() +
                         "' is not a learned or Kashin format");
  if (!st)
    return st;
  return patchOutliers(q.section(Section::Outliers), numel, q.format, out);
}
