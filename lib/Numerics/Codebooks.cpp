//===- Codebooks.cpp - Fixed and optimal scalar codebooks -----------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Codebooks.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <tuple>

using namespace qforge::num;

//===----------------------------------------------------------------------===//
// Densities
//===----------------------------------------------------------------------===//

double qforge::num::distributionPdf(Distribution d, double nu, double x) {
  switch (d) {
  case Distribution::Normal:
    return std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
  case Distribution::Laplace: {
    double b = 1.0 / std::sqrt(2.0);
    return std::exp(-std::fabs(x) / b) / (2 * b);
  }
  case Distribution::StudentT: {
    double k = nu > 2 ? std::sqrt(nu / (nu - 2)) : 1.0; // x = t / k
    double t = x * k;
    double logc = std::lgamma((nu + 1) / 2) - std::lgamma(nu / 2) -
                  0.5 * std::log(nu * M_PI);
    return k * std::exp(logc - (nu + 1) / 2 * std::log1p(t * t / nu));
  }
  }
  return 0;
}

namespace {
/// Cumulative integrals of a density p and of x p, x^2 p and p^(1/3) on a
/// grid of cells [e_k, e_{k+1}], with linear interpolation inside a cell.
class CumTable {
public:
  /// Uniform grid on [lo, hi].
  static CumTable uniform(const std::function<double(double)> &pdf, double lo,
                          double hi, int n) {
    std::vector<double> edges(n + 1);
    for (int k = 0; k <= n; ++k)
      edges[k] = lo + (hi - lo) * k / n;
    return CumTable(pdf, std::move(edges));
  }
  /// Grid x = c tan(theta), dense near 0 and reaching far into the tails.
  static CumTable tangent(const std::function<double(double)> &pdf, double c,
                          int n) {
    std::vector<double> edges(n + 1);
    double lim = M_PI / 2 * (1 - 1.0 / n);
    for (int k = 0; k <= n; ++k)
      edges[k] = c * std::tan(-lim + 2 * lim * k / n);
    return CumTable(pdf, std::move(edges));
  }

  CumTable(const std::function<double(double)> &pdf, std::vector<double> e)
      : edges(std::move(e)) {
    size_t n = edges.size() - 1;
    for (auto *v : {&P, &M1, &M2, &L})
      v->assign(n + 1, 0.0);
    for (size_t k = 0; k < n; ++k) {
      double a = edges[k], b = edges[k + 1], w = b - a;
      // Simpson's rule on each cell.
      double m = 0.5 * (a + b);
      double pa = pdf(a), pm = pdf(m), pb = pdf(b);
      auto simpson = [&](double fa, double fm, double fb) {
        return w / 6 * (fa + 4 * fm + fb);
      };
      P[k + 1] = P[k] + simpson(pa, pm, pb);
      M1[k + 1] = M1[k] + simpson(a * pa, m * pm, b * pb);
      M2[k + 1] = M2[k] + simpson(a * a * pa, m * m * pm, b * b * pb);
      L[k + 1] = L[k] + simpson(std::cbrt(pa), std::cbrt(pm), std::cbrt(pb));
    }
    // Normalise p to a probability density on the grid.
    double z = P[n];
    for (size_t k = 0; k <= n; ++k) {
      P[k] /= z;
      M1[k] /= z;
      M2[k] /= z;
    }
  }

  /// Interpolated value of a cumulative array at x.
  double at(const std::vector<double> &c, double x) const {
    if (x <= edges.front())
      return c.front();
    if (x >= edges.back())
      return c.back();
    size_t k = std::upper_bound(edges.begin(), edges.end(), x) - edges.begin();
    double a = edges[k - 1], b = edges[k];
    double f = (x - a) / (b - a);
    return c[k - 1] + f * (c[k] - c[k - 1]);
  }
  /// x such that the cumulative array c reaches the value v.
  double inverse(const std::vector<double> &c, double v) const {
    if (v <= c.front())
      return edges.front();
    if (v >= c.back())
      return edges.back();
    size_t k = std::upper_bound(c.begin(), c.end(), v) - c.begin();
    double a = c[k - 1], b = c[k];
    double f = b > a ? (v - a) / (b - a) : 0.5;
    return edges[k - 1] + f * (edges[k] - edges[k - 1]);
  }
  double lo() const { return edges.front(); }
  double hi() const { return edges.back(); }

  std::vector<double> edges, P, M1, M2, L;
};

/// MSE of a table with cell boundaries at the midpoints.
double tableMse(const CumTable &ct, const std::vector<double> &t) {
  double mse = 0;
  double a = ct.lo();
  for (size_t i = 0; i < t.size(); ++i) {
    double b = i + 1 < t.size() ? 0.5 * (t[i] + t[i + 1]) : ct.hi();
    double p = ct.at(ct.P, b) - ct.at(ct.P, a);
    double m1 = ct.at(ct.M1, b) - ct.at(ct.M1, a);
    double m2 = ct.at(ct.M2, b) - ct.at(ct.M2, a);
    mse += m2 - 2 * t[i] * m1 + t[i] * t[i] * p;
    a = b;
  }
  return mse;
}
} // namespace

//===----------------------------------------------------------------------===//
// Fixed tables
//===----------------------------------------------------------------------===//

std::vector<double> qforge::num::uniformTable(unsigned levels, double lo,
                                              double hi) {
  std::vector<double> t(levels);
  for (unsigned i = 0; i < levels; ++i)
    t[i] = levels == 1 ? lo : lo + (hi - lo) * i / (levels - 1);
  return t;
}

std::vector<double> qforge::num::nf4Table() {
  return {-1.0,
          -0.6961928009986877,
          -0.5250730514526367,
          -0.39491748809814453,
          -0.28444138169288635,
          -0.18477343022823334,
          -0.09105003625154495,
          0.0,
          0.07958029955625534,
          0.16093020141124725,
          0.24611230194568634,
          0.33791524171829224,
          0.44070982933044434,
          0.5626170039176941,
          0.7229568362236023,
          1.0};
}

static const int8_t kIQ4NL[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                  1,    13,   25,  38,  53,  69,  89,  113};

const int8_t *qforge::num::iq4nlKValues() { return kIQ4NL; }

std::vector<double> qforge::num::iq4nlTable() {
  std::vector<double> t(16);
  for (int i = 0; i < 16; ++i)
    t[i] = kIQ4NL[i] / 127.0;
  return t;
}

//===----------------------------------------------------------------------===//
// Cube-root density tables
//===----------------------------------------------------------------------===//

double qforge::num::medianBlockAbsMax(Distribution d, double nu,
                                      int64_t blockSize) {
  auto pdf = [&](double x) { return distributionPdf(d, nu, x); };
  CumTable ct = CumTable::tangent(pdf, 1.0, 1 << 15);
  // P(|X| <= a)^B = 1/2  <=>  F(a) = (1 + 0.5^(1/B)) / 2 by symmetry.
  double B = static_cast<double>(std::max<int64_t>(blockSize, 1));
  double target = 0.5 * (1 + std::pow(0.5, 1.0 / B));
  return ct.inverse(ct.P, target);
}

static std::vector<double> computeCrdTable(Distribution d, double nu,
                                           unsigned bits, TableScaling scaling,
                                           int64_t blockSize);

std::vector<double> qforge::num::crdTable(Distribution d, double nu,
                                          unsigned bits, TableScaling scaling,
                                          int64_t blockSize) {
  // Tables take milliseconds to integrate: memoise them (formats name few).
  if (scaling == TableScaling::RMS)
    blockSize = 0;
  else if (blockSize <= 0)
    blockSize = kDefaultAbsMaxDesignBlock;
  if (d != Distribution::StudentT)
    nu = 0;
  using Key = std::tuple<int, double, unsigned, int, int64_t>;
  static std::mutex mu;
  static std::map<Key, std::vector<double>> cache;
  Key key{static_cast<int>(d), nu, bits, static_cast<int>(scaling), blockSize};
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end())
      return it->second;
  }
  std::vector<double> t = computeCrdTable(d, nu, bits, scaling, blockSize);
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() > 4096)
    cache.clear();
  cache.emplace(key, t);
  return t;
}

static std::vector<double> computeCrdTable(Distribution d, double nu,
                                           unsigned bits, TableScaling scaling,
                                           int64_t blockSize) {
  unsigned n = 1u << bits;
  std::vector<double> t(n);
  if (scaling == TableScaling::RMS) {
    auto pdf = [&](double x) { return distributionPdf(d, nu, x); };
    CumTable ct = CumTable::tangent(pdf, 1.0, 1 << 16);
    double total = ct.L.back();
    std::vector<double> edges(n + 1);
    edges[0] = ct.lo();
    edges[n] = ct.hi();
    for (unsigned i = 1; i < n; ++i)
      edges[i] = ct.inverse(ct.L, total * i / n);
    for (unsigned i = 0; i < n; ++i) {
      double p = ct.at(ct.P, edges[i + 1]) - ct.at(ct.P, edges[i]);
      double m = ct.at(ct.M1, edges[i + 1]) - ct.at(ct.M1, edges[i]);
      t[i] = p > 0 ? m / p : 0.5 * (edges[i] + edges[i + 1]);
    }
  } else {
    if (blockSize <= 0)
      blockSize = kDefaultAbsMaxDesignBlock;
    double alpha = medianBlockAbsMax(d, nu, blockSize);
    auto pdf = [&](double u) { return distributionPdf(d, nu, alpha * u); };
    CumTable ct = CumTable::uniform(pdf, -1.0, 1.0, 1 << 14);
    double total = ct.L.back();
    t[0] = -1.0;
    t[n - 1] = 1.0;
    for (unsigned i = 1; i + 1 < n; ++i)
      t[i] = ct.inverse(ct.L, total * i / (n - 1));
  }
  // Exact symmetry (the construction is symmetric up to rounding).
  for (unsigned i = 0; i < n / 2; ++i) {
    double v = 0.5 * (t[n - 1 - i] - t[i]);
    t[i] = -v;
    t[n - 1 - i] = v;
  }
  return t;
}

std::vector<double> FormatSpec::tableValues() const {
  if (kind != ElementKind::Lut)
    return {};
  switch (table) {
  case TableKind::Inline:
    return inlineTable;
  case TableKind::NF4:
    return nf4Table();
  case TableKind::IQ4NL:
    return iq4nlTable();
  case TableKind::CRDNormal:
    return crdTable(Distribution::Normal, 0, bits, tableScaling,
                    granularity == Granularity::Block ? blockSize : 0);
  case TableKind::CRDLaplace:
    return crdTable(Distribution::Laplace, 0, bits, tableScaling,
                    granularity == Granularity::Block ? blockSize : 0);
  case TableKind::CRDStudentT:
    return crdTable(Distribution::StudentT, studentNu, bits, tableScaling,
                    granularity == Granularity::Block ? blockSize : 0);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Lloyd-Max
//===----------------------------------------------------------------------===//

unsigned qforge::num::nearestIndex(const std::vector<double> &t, double x) {
  size_t n = t.size();
  size_t k = std::lower_bound(t.begin(), t.end(), x) - t.begin();
  if (k == 0)
    return 0;
  if (k == n)
    return static_cast<unsigned>(n - 1);
  double dl = x - t[k - 1], dh = t[k] - x;
  if (dl < dh)
    return static_cast<unsigned>(k - 1);
  if (dh < dl)
    return static_cast<unsigned>(k);
  return static_cast<unsigned>((k - 1) % 2 == 0 ? k - 1 : k);
}

LloydMaxResult qforge::num::lloydMaxSample(const float *x, int64_t n,
                                           unsigned levels,
                                           const float *weights, int maxIter,
                                           double tol) {
  LloydMaxResult r;
  if (n <= 0 || levels == 0)
    return r;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return x[a] < x[b]; });
  std::vector<double> xs(n), S0(n + 1, 0), S1(n + 1, 0), S2(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) {
    double v = x[order[i]], w = weights ? weights[order[i]] : 1.0;
    xs[i] = v;
    S0[i + 1] = S0[i] + w;
    S1[i + 1] = S1[i] + w * v;
    S2[i + 1] = S2[i] + w * v * v;
  }
  double range = std::max(xs.back() - xs.front(), 1e-300);
  std::vector<double> t(levels);
  for (unsigned i = 0; i < levels; ++i)
    t[i] = xs[std::min<int64_t>(n - 1,
                                static_cast<int64_t>((i + 0.5) * n / levels))];
  std::vector<int64_t> cut(levels + 1);
  auto cells = [&] {
    cut[0] = 0;
    cut[levels] = n;
    for (unsigned i = 1; i < levels; ++i) {
      double b = 0.5 * (t[i - 1] + t[i]);
      cut[i] = std::lower_bound(xs.begin(), xs.end(), b) - xs.begin();
    }
  };
  int it = 0;
  for (; it < maxIter; ++it) {
    cells();
    double move = 0;
    for (unsigned i = 0; i < levels; ++i) {
      double w = S0[cut[i + 1]] - S0[cut[i]];
      if (w <= 0)
        continue; // empty cell: keep the value
      double c = (S1[cut[i + 1]] - S1[cut[i]]) / w;
      move = std::max(move, std::fabs(c - t[i]));
      t[i] = c;
    }
    std::sort(t.begin(), t.end());
    if (move <= tol * range)
      break;
  }
  cells();
  double err = 0;
  for (unsigned i = 0; i < levels; ++i) {
    int64_t a = cut[i], b = cut[i + 1];
    err += (S2[b] - S2[a]) - 2 * t[i] * (S1[b] - S1[a]) +
           t[i] * t[i] * (S0[b] - S0[a]);
  }
  r.values = t;
  r.mse = err / S0[n];
  r.iterations = it;
  return r;
}

LloydMaxResult
qforge::num::lloydMaxDensity(const std::function<double(double)> &pdf,
                             unsigned levels, double lo, double hi,
                             int gridPoints, int maxIter, double tol) {
  LloydMaxResult r;
  CumTable ct = CumTable::uniform(pdf, lo, hi, gridPoints);
  std::vector<double> t(levels), b(levels + 1);
  for (unsigned i = 0; i < levels; ++i)
    t[i] = ct.inverse(ct.P, (i + 0.5) / levels);
  int it = 0;
  for (; it < maxIter; ++it) {
    b[0] = lo;
    b[levels] = hi;
    for (unsigned i = 1; i < levels; ++i)
      b[i] = 0.5 * (t[i - 1] + t[i]);
    double move = 0;
    for (unsigned i = 0; i < levels; ++i) {
      double p = ct.at(ct.P, b[i + 1]) - ct.at(ct.P, b[i]);
      if (p <= 0)
        continue;
      double c = (ct.at(ct.M1, b[i + 1]) - ct.at(ct.M1, b[i])) / p;
      move = std::max(move, std::fabs(c - t[i]));
      t[i] = c;
    }
    if (move <= tol * (hi - lo))
      break;
  }
  r.values = t;
  r.mse = tableMse(ct, t);
  r.iterations = it;
  return r;
}

double qforge::num::tableMseForDensity(const std::function<double(double)> &pdf,
                                       const std::vector<double> &table,
                                       double lo, double hi, int gridPoints) {
  CumTable ct = CumTable::uniform(pdf, lo, hi, gridPoints);
  return tableMse(ct, table);
}
