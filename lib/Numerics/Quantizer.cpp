//===- Quantizer.cpp - Quantize and dequantize whole tensors --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tensor-level driver of the format library: group geometry, non-finite
// input checks, sparse outliers, double quantization, the parallel loops
// and the section layout of docs/formats.md. The per-group numerics live in
// Scaling.cpp, packing in Packing.cpp, GGUF blocks in GGUF.cpp.
//
// Determinism: every parallel loop writes disjoint outputs per chunk and
// chunk boundaries depend only on the sizes (parallelFor), stochastic
// rounding draws from a stream per group derived from (seed, group index),
// so the result is bit-identical for every thread count.
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/GroupGeometry.h"
#include "qforge/Numerics/Outliers.h"
#include "qforge/Numerics/Packing.h"
#include "qforge/Numerics/Random.h"
#include "qforge/Numerics/Scaling.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace qforge::num;

uint64_t QuantizedTensor::totalBytes() const {
  uint64_t t = 0;
  for (auto &s : sections)
    t += s.size();
  return t;
}

Status QuantizedTensor::verify() const {
  if (Status s = format.verify(); !s)
    return s;
  if (Status s = format.verifyShape(shape); !s)
    return s;
  auto want = sectionBytes(format, shape);
  for (unsigned i = 0; i < kNumSections; ++i)
    if (sections[i].size() != want[i])
      return Status::error(
          std::string("section '") + sectionName(static_cast<Section>(i)) +
          "' has " + std::to_string(sections[i].size()) +
          " bytes, the format needs " + std::to_string(want[i]));
  return Status::success();
}

namespace {

/// Collects the first error of a parallel loop (by chunk order).
struct ErrorSlot {
  std::vector<Status> perChunk;
  ErrorSlot(int64_t n, int64_t grain)
      : perChunk(static_cast<size_t>(n <= 0 ? 0 : (n + grain - 1) / grain)) {}
  Status first() const {
    for (auto &s : perChunk)
      if (!s)
        return s;
    return Status::success();
  }
};

/// Grain (in groups) so that a chunk holds about 16K elements.
int64_t groupGrain(int64_t groupSize) {
  return std::max<int64_t>(1, (int64_t(1) << 14) /
                                  std::max<int64_t>(1, groupSize));
}

Status checkFinite(const float *data, int64_t numel, unsigned threads) {
  const int64_t grain = int64_t(1) << 16;
  std::vector<int64_t> bad(static_cast<size_t>((numel + grain - 1) / grain),
                           -1);
  parallelFor(numel, grain, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      if (!std::isfinite(data[i])) {
        bad[lo / grain] = i;
        return;
      }
  });
  for (int64_t b : bad)
    if (b >= 0)
      return Status::error(
          "element " + std::to_string(b) + " is " +
          (std::isnan(data[b]) ? "NaN" : (data[b] > 0 ? "+inf" : "-inf")) +
          ": quantized formats encode finite weights only");
  return Status::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Quantize
//===----------------------------------------------------------------------===//

static Status quantizePlain(const float *data,
                            const std::vector<int64_t> &shape,
                            const FormatSpec &f, const QuantizeOptions &opt,
                            QuantizedTensor &out) {
  GroupGeometry geo(f, shape);
  int64_t numel = geo.numel;
  unsigned threads = opt.threads;
  GroupQuantizer gq(f);
  auto sizes = sectionBytes(f, shape);

  // Sparse outliers: stored exactly, quantized as 0.
  std::vector<float> work;
  const float *x =
      splitOutliers(data, numel, f, out.section(Section::Outliers), work);

  const bool contiguous = geo.contiguous();
  auto gather = [&](const float *src, int64_t gid,
                    std::vector<float> &buf) -> const float * {
    if (!src)
      return nullptr;
    if (contiguous)
      return src + geo.base(gid);
    buf.resize(geo.size);
    for (int64_t j = 0; j < geo.size; ++j)
      buf[j] = src[geo.flat(gid, j)];
    return buf.data();
  };

  // Double quantization: super-scales from the base scales.
  std::vector<float> supers;
  int64_t dqGroup = 0;
  if (f.doubleQuant) {
    dqGroup = f.doubleQuantGroup == 0 ? geo.groups : f.doubleQuantGroup;
    std::vector<double> base(geo.groups);
    int64_t grain = groupGrain(geo.size);
    parallelFor(geo.groups, grain, threads, [&](int64_t lo, int64_t hi) {
      std::vector<float> buf;
      for (int64_t gid = lo; gid < hi; ++gid)
        base[gid] = gq.baseScale(gather(x, gid, buf), geo.size);
    });
    int64_t nsup = (geo.groups + dqGroup - 1) / dqGroup;
    supers.resize(nsup);
    auto &sec = out.section(Section::SuperScales);
    sec.assign(sizes[static_cast<unsigned>(Section::SuperScales)], 0);
    for (int64_t s = 0; s < nsup; ++s) {
      double m = 0;
      for (int64_t gid = s * dqGroup;
           gid < std::min(geo.groups, (s + 1) * dqGroup); ++gid)
        m = std::max(m, std::fabs(base[gid]));
      float sup = gq.superScale(m);
      if (!std::isfinite(sup))
        return Status::error("super-scale overflows f32");
      supers[s] = sup;
      uint32_t u;
      std::memcpy(&u, &sup, 4);
      storeScaleBits(ScaleType::F32, u, sec.data() + 4 * s);
    }
  }

  std::vector<uint8_t> codes(numel);
  std::vector<GroupScale> scales(geo.groups);
  const bool stochastic = opt.rounding == Rounding::Stochastic;
  const int64_t K = Rng::kChunk;
  if (geo.size > K) {
    // Large groups (per tensor, per channel, huge blocks): one group at a
    // time, parallel over its chunks of K elements. Statistics and errors
    // are combined in chunk order, and chunk c draws from
    // Rng::chunkStream(seed, group, c), exactly as GroupQuantizer::quantize
    // does sequentially.
    std::vector<float> xb, wb;
    std::vector<uint8_t> cb;
    const int64_t n = geo.size, nch = (n + K - 1) / K;
    auto len = [&](int64_t c) { return std::min(K, n - c * K); };
    for (int64_t gid = 0; gid < geo.groups; ++gid) {
      const float *xg = x + geo.base(gid);
      const float *wg =
          opt.importance ? opt.importance + geo.base(gid) : nullptr;
      if (!contiguous) {
        xb.resize(n);
        if (opt.importance)
          wb.resize(n);
        parallelFor(n, K, threads, [&](int64_t lo, int64_t hi) {
          for (int64_t j = lo; j < hi; ++j) {
            int64_t idx = geo.flat(gid, j);
            xb[j] = x[idx];
            if (opt.importance)
              wb[j] = opt.importance[idx];
          }
        });
        xg = xb.data();
        wg = opt.importance ? wb.data() : nullptr;
      }
      std::vector<GroupStats> part(nch);
      parallelFor(nch, 1, threads, [&](int64_t lo, int64_t hi) {
        for (int64_t c = lo; c < hi; ++c)
          part[c].add(xg + c * K, len(c));
      });
      GroupStats st;
      for (const GroupStats &p : part)
        st.merge(p);
      bool hasSuper = f.doubleQuant;
      float sup = hasSuper ? supers[gid / dqGroup] : 0.0f;
      std::vector<GroupScale> cands;
      if (Status s = gq.candidates(st, hasSuper, sup, gid, cands); !s)
        return s;
      size_t pick = 0;
      if (cands.size() > 1) {
        size_t nc = cands.size();
        std::vector<double> err(nc * nch);
        parallelFor(nch, 1, threads, [&](int64_t lo, int64_t hi) {
          for (int64_t c = lo; c < hi; ++c)
            for (size_t i = 0; i < nc; ++i)
              err[i * nch + c] = gq.sqError(
                  xg + c * K, wg ? wg + c * K : nullptr, len(c), cands[i]);
        });
        std::vector<double> total(nc, 0.0);
        for (size_t i = 0; i < nc; ++i)
          for (int64_t c = 0; c < nch; ++c)
            total[i] += err[i * nch + c];
        pick = GroupQuantizer::pickCandidate(total);
      }
      uint8_t *cg = codes.data() + geo.base(gid);
      if (!contiguous) {
        cb.resize(n);
        cg = cb.data();
      }
      parallelFor(nch, 1, threads, [&](int64_t lo, int64_t hi) {
        for (int64_t c = lo; c < hi; ++c) {
          Rng rng = Rng::chunkStream(opt.seed, static_cast<uint64_t>(gid),
                                     static_cast<uint64_t>(c));
          gq.encode(xg + c * K, len(c), cands[pick],
                    stochastic ? &rng : nullptr, cg + c * K);
        }
      });
      if (!contiguous)
        parallelFor(n, K, threads, [&](int64_t lo, int64_t hi) {
          for (int64_t j = lo; j < hi; ++j)
            codes[geo.flat(gid, j)] = cb[j];
        });
      scales[gid] = cands[pick];
    }
  } else {
    int64_t grain = groupGrain(geo.size);
    ErrorSlot errs(geo.groups, grain);
    parallelFor(geo.groups, grain, threads, [&](int64_t lo, int64_t hi) {
      std::vector<float> xb, wb;
      std::vector<uint8_t> cb(contiguous ? 0 : geo.size);
      for (int64_t gid = lo; gid < hi; ++gid) {
        const float *xg = gather(x, gid, xb);
        const float *wg = gather(opt.importance, gid, wb);
        uint8_t *cg = contiguous ? codes.data() + geo.base(gid) : cb.data();
        bool hasSuper = f.doubleQuant;
        float sup = hasSuper ? supers[gid / dqGroup] : 0.0f;
        Status s = gq.quantize(xg, wg, geo.size, hasSuper, sup, stochastic,
                               opt.seed, gid, cg, scales[gid]);
        if (!s) {
          errs.perChunk[lo / grain] = s;
          return;
        }
        if (!contiguous)
          for (int64_t j = 0; j < geo.size; ++j)
            codes[geo.flat(gid, j)] = cb[j];
      }
    });
    if (Status s = errs.first(); !s)
      return s;
  }

  // Scales and zero points.
  auto &ssec = out.section(Section::Scales);
  ssec.assign(sizes[static_cast<unsigned>(Section::Scales)], 0);
  unsigned sb = FormatSpec::scaleBits(f.scaleType) / 8;
  if (sb)
    for (int64_t gid = 0; gid < geo.groups; ++gid)
      storeScaleBits(f.scaleType, scales[gid].bits, ssec.data() + gid * sb);
  if (f.zeroPoint) {
    auto &zsec = out.section(Section::ZeroPoints);
    zsec.resize(geo.groups);
    for (int64_t gid = 0; gid < geo.groups; ++gid)
      zsec[gid] = static_cast<uint8_t>(scales[gid].zeroPoint);
  }

  // Pack the codes (chunks of a multiple of 8 codes touch disjoint bytes).
  auto &csec = out.section(Section::Codes);
  csec.assign(sizes[static_cast<unsigned>(Section::Codes)], 0);
  parallelFor(numel, int64_t(1) << 16, threads, [&](int64_t lo, int64_t hi) {
    packCodes(codes.data() + lo, hi - lo, f.bits, csec.data(), lo);
  });
  return Status::success();
}

Status qforge::num::quantize(const float *data,
                             const std::vector<int64_t> &shape,
                             const FormatSpec &format,
                             const QuantizeOptions &options,
                             QuantizedTensor &out) {
  out = QuantizedTensor();
  if (Status s = format.verify(); !s)
    return s;
  if (Status s = format.verifyShape(shape); !s)
    return s;
  int64_t numel = checkedNumElements(shape);
  out.format = format;
  out.shape = shape;
  if (numel == 0)
    return Status::success(); // every section is empty
  if (!data)
    return Status::error("no input data");
  if (Status s = checkFinite(data, numel, options.threads); !s)
    return s;
  if (format.kind == ElementKind::Learned || format.kind == ElementKind::Kashin)
    return quantizeAdaptive(data, shape, format, options, out);
  Status s;
  if (format.layout != Layout::Plain) {
    if (options.rounding == Rounding::Stochastic)
      return Status::error("stochastic rounding is not available for GGUF "
                           "layouts (their encoders are fixed)");
    auto &c = out.section(Section::Codes);
    c.assign(sectionBytes(format, shape)[0], 0);
    s = quantizeGGUF(format.layout, data, numel, c.data(), options.threads);
  } else {
    s = quantizePlain(data, shape, format, options, out);
  }
  if (!s) {
    // Never leave partial sections behind.
    FormatSpec keep = out.format;
    out = QuantizedTensor();
    out.format = keep;
    out.shape = shape;
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Dequantize
//===----------------------------------------------------------------------===//

Status qforge::num::dequantize(const QuantizedTensor &q, float *out,
                               unsigned threads) {
  if (Status s = q.verify(); !s)
    return s;
  const FormatSpec &f = q.format;
  int64_t numel = checkedNumElements(q.shape);
  if (numel == 0)
    return Status::success();
  if (f.kind == ElementKind::Learned || f.kind == ElementKind::Kashin)
    return dequantizeAdaptive(q, out, threads);
  if (f.layout != Layout::Plain) {
    dequantizeGGUF(f.layout, q.section(Section::Codes).data(), numel, out,
                   threads);
    return Status::success();
  }
  GroupGeometry geo(f, q.shape);
  ElementGrid grid(f);
  const std::array<float, 256> &lut = grid.table();

  // Decoded scales (f32; with double quantization super * stored, one f32
  // multiply) and zero points.
  std::vector<float> scale(geo.groups, 1.0f);
  std::vector<int> zp(geo.groups, 0);
  unsigned sb = FormatSpec::scaleBits(f.scaleType) / 8;
  const uint8_t *ssec = q.section(Section::Scales).data();
  const uint8_t *sup = q.section(Section::SuperScales).data();
  const uint8_t *zsec = q.section(Section::ZeroPoints).data();
  int64_t dqGroup = f.doubleQuantGroup == 0 ? geo.groups : f.doubleQuantGroup;
  parallelFor(
      geo.groups, int64_t(1) << 14, threads, [&](int64_t lo, int64_t hi) {
        for (int64_t gid = lo; gid < hi; ++gid) {
          float s =
              sb ? decodeScale(f.scaleType,
                               loadScaleBits(f.scaleType, ssec + gid * sb))
                 : 1.0f;
          if (f.doubleQuant) {
            uint32_t u =
                loadScaleBits(ScaleType::F32, sup + 4 * (gid / dqGroup));
            float super;
            std::memcpy(&super, &u, 4);
            s = super * s;
          }
          scale[gid] = s;
          if (f.zeroPoint)
            zp[gid] = zsec[gid];
        }
      });

  const uint8_t *codes = q.section(Section::Codes).data();
  const unsigned bits = f.bits;
  const bool blockRows = geo.gran == Granularity::Block && geo.inner == 1;
  const int64_t g = geo.g;
  // 4-bit codes: one table lookup per byte gives both values.
  std::vector<std::array<float, 2>> pairs;
  const bool fused4 = blockRows && bits == 4 && g % 2 == 0 && !f.zeroPoint;
  if (fused4) {
    pairs.resize(256);
    for (unsigned b = 0; b < 256; ++b)
      pairs[b] = {lut[b & 15], lut[b >> 4]};
  }
  parallelFor(numel, int64_t(1) << 16, threads, [&](int64_t lo, int64_t hi) {
    if (fused4) {
      // lo and every group start are even: walk the bytes.
      for (int64_t i = lo; i < hi;) {
        int64_t gid = i / g;
        int64_t end = std::min<int64_t>(hi, (gid + 1) * g);
        float s = scale[gid];
        const uint8_t *src = codes + i / 2;
        float *o = out + i;
        for (int64_t j = 0, m = (end - i) / 2; j < m; ++j) {
          const std::array<float, 2> &p = pairs[src[j]];
          o[2 * j] = s * p[0];
          o[2 * j + 1] = s * p[1];
        }
        i = end;
      }
      return;
    }
    uint8_t buf[4096];
    for (int64_t c0 = lo; c0 < hi; c0 += 4096) {
      int64_t m = std::min<int64_t>(4096, hi - c0);
      unpackCodes(codes, c0, m, bits, buf);
      float *o = out + c0;
      if (blockRows) {
        int64_t i = 0;
        while (i < m) {
          int64_t gid = (c0 + i) / g;
          int64_t end = std::min<int64_t>(m, (gid + 1) * g - c0);
          float s = scale[gid];
          if (f.zeroPoint) {
            int z = zp[gid];
            for (; i < end; ++i)
              o[i] = s * static_cast<float>(int(buf[i]) - z);
          } else {
            for (; i < end; ++i)
              o[i] = s * lut[buf[i]];
          }
        }
      } else if (f.zeroPoint) {
        for (int64_t i = 0; i < m; ++i) {
          int64_t gid = geo.groupOf(c0 + i);
          o[i] = scale[gid] * static_cast<float>(int(buf[i]) - zp[gid]);
        }
      } else {
        for (int64_t i = 0; i < m; ++i)
          o[i] = scale[geo.groupOf(c0 + i)] * lut[buf[i]];
      }
    }
  });

  return patchOutliers(q.section(Section::Outliers), numel, f, out);
}
