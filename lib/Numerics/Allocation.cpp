//===- Allocation.cpp - Fisher-guided bit allocation ----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Allocation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

using namespace qforge::num;

static double log2FS(const AllocTensor &t) {
  double v = t.fisher * t.variance;
  return v > 0 ? std::log2(v) : -std::numeric_limits<double>::infinity();
}

double qforge::num::closedFormG(const std::vector<AllocTensor> &tensors) {
  double sumN = 0, sumLog = 0;
  for (const AllocTensor &t : tensors) {
    double l = log2FS(t);
    if (!std::isfinite(l))
      continue;
    sumN += static_cast<double>(t.numel);
    sumLog += static_cast<double>(t.numel) * l;
  }
  return sumN > 0 ? std::exp2(sumLog / sumN) : 1.0;
}

std::vector<double>
qforge::num::closedFormBits(const std::vector<AllocTensor> &tensors,
                            double avgBits) {
  double logG = std::log2(closedFormG(tensors));
  std::vector<double> bits;
  bits.reserve(tensors.size());
  for (const AllocTensor &t : tensors)
    bits.push_back(avgBits + 0.5 * (log2FS(t) - logG));
  return bits;
}

/// Water-filling with per-entry bounds: b_i = clamp(theta + h_i, lo_i, hi_i)
/// and sum n_i b_i = target (bisection on theta; the sum is monotone).
static std::vector<double> waterFill(const std::vector<double> &numel,
                                     const std::vector<double> &h,
                                     const std::vector<double> &lo,
                                     const std::vector<double> &hi,
                                     double target) {
  size_t n = numel.size();
  auto at = [&](double theta, std::vector<double> *out) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      double b = std::isfinite(h[i]) ? theta + h[i] : lo[i];
      b = std::min(std::max(b, lo[i]), hi[i]);
      total += numel[i] * b;
      if (out)
        (*out)[i] = b;
    }
    return total;
  };
  double minH = std::numeric_limits<double>::infinity(), maxH = -minH;
  double minLo = minH, maxHi = -minH;
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(h[i])) {
      minH = std::min(minH, h[i]);
      maxH = std::max(maxH, h[i]);
    }
    minLo = std::min(minLo, lo[i]);
    maxHi = std::max(maxHi, hi[i]);
  }
  std::vector<double> b(n, 0.0);
  if (!std::isfinite(minH)) { // every tensor is zero: all at lower bound
    at(0, &b);
    return b;
  }
  double tLo = minLo - maxH - 1, tHi = maxHi - minH + 1;
  for (int it = 0; it < 200; ++it) {
    double mid = 0.5 * (tLo + tHi);
    if (at(mid, nullptr) > target)
      tHi = mid;
    else
      tLo = mid;
  }
  at(tLo, &b);
  return b;
}

std::vector<double>
qforge::num::clampedClosedFormBits(const std::vector<AllocTensor> &tensors,
                                   double avgBits, double lo, double hi) {
  std::vector<double> numel, h;
  double sumN = 0;
  for (const AllocTensor &t : tensors) {
    numel.push_back(static_cast<double>(t.numel));
    h.push_back(0.5 * log2FS(t));
    sumN += static_cast<double>(t.numel);
  }
  std::vector<double> los(tensors.size(), lo), his(tensors.size(), hi);
  return waterFill(numel, h, los, his, avgBits * sumN);
}

void qforge::num::evaluateChoice(const std::vector<AllocUnit> &units,
                                 AllocResult &r) {
  r.totalBits = 0;
  r.distortion = 0;
  double sumN = 0;
  for (size_t j = 0; j < units.size(); ++j) {
    const RDPoint &p = units[j].options[r.choice[j]];
    r.totalBits += static_cast<double>(units[j].numel) * p.rate;
    r.distortion += p.distortion;
    sumN += static_cast<double>(units[j].numel);
  }
  r.bitsPerParam = sumN > 0 ? r.totalBits / sumN : 0;
}

static Status checkUnits(const std::vector<AllocUnit> &units,
                         double budgetBits) {
  if (!(budgetBits >= 0) || !std::isfinite(budgetBits))
    return Status::error("the budget must be a finite non-negative number");
  double minBits = 0;
  for (size_t j = 0; j < units.size(); ++j) {
    if (units[j].options.empty())
      return Status::error("unit " + std::to_string(j) + " has no options");
    double m = std::numeric_limits<double>::infinity();
    for (const RDPoint &p : units[j].options)
      m = std::min(m, p.rate);
    minBits += static_cast<double>(units[j].numel) * m;
  }
  // Tolerate floating-point noise of the caller's budget arithmetic.
  if (minBits > budgetBits * (1 + 1e-12) + 1e-9)
    return Status::error("impossible budget: the smallest options need " +
                         std::to_string(minBits) + " bits but the budget is " +
                         std::to_string(budgetBits));
  return Status::success();
}

/// Greedy repair: while the budget allows, take the upgrade (to a higher
/// rate option of one unit) with the largest decrease of `dist` per extra bit.
/// Ties are broken by the lowest unit index, then option index.
static void greedyFill(const std::vector<AllocUnit> &units,
                       const std::vector<std::vector<double>> &dist,
                       double budgetBits, std::vector<int> &choice) {
  double used = 0;
  for (size_t j = 0; j < units.size(); ++j)
    used +=
        static_cast<double>(units[j].numel) * units[j].options[choice[j]].rate;
  while (true) {
    double bestGain = 0;
    int bestUnit = -1, bestOpt = -1;
    for (size_t j = 0; j < units.size(); ++j) {
      const RDPoint &cur = units[j].options[choice[j]];
      double n = static_cast<double>(units[j].numel);
      for (size_t k = 0; k < units[j].options.size(); ++k) {
        const RDPoint &o = units[j].options[k];
        double extra = n * (o.rate - cur.rate);
        double dd = dist[j][choice[j]] - dist[j][k];
        if (extra <= 0 || dd <= 0 || used + extra > budgetBits)
          continue;
        double gain = dd / extra;
        if (gain > bestGain) {
          bestGain = gain;
          bestUnit = static_cast<int>(j);
          bestOpt = static_cast<int>(k);
        }
      }
    }
    if (bestUnit < 0)
      return;
    const AllocUnit &u = units[bestUnit];
    used += static_cast<double>(u.numel) *
            (u.options[bestOpt].rate - u.options[choice[bestUnit]].rate);
    choice[bestUnit] = bestOpt;
  }
}

static std::vector<std::vector<double>>
optionDistortions(const std::vector<AllocUnit> &units) {
  std::vector<std::vector<double>> d(units.size());
  for (size_t j = 0; j < units.size(); ++j)
    for (const RDPoint &p : units[j].options)
      d[j].push_back(p.distortion);
  return d;
}

Status qforge::num::roundAllocation(const std::vector<AllocUnit> &units,
                                    const std::vector<double> &bits,
                                    double budgetBits, AllocResult &out) {
  if (Status s = checkUnits(units, budgetBits); !s.ok())
    return s;
  out.choice.assign(units.size(), 0);
  for (size_t j = 0; j < units.size(); ++j) {
    // Largest rate <= b_j; the smallest option if none is.
    int best = -1, smallest = 0;
    const auto &opts = units[j].options;
    for (size_t k = 0; k < opts.size(); ++k) {
      if (opts[k].rate < opts[smallest].rate)
        smallest = static_cast<int>(k);
      if (opts[k].rate <= bits[j] + 1e-12 &&
          (best < 0 || opts[k].rate > opts[best].rate))
        best = static_cast<int>(k);
    }
    out.choice[j] = best < 0 ? smallest : best;
  }
  // If the smallest-option fallback overshot, step the largest units down
  // (cannot happen when `bits` respects the options' lower bounds).
  evaluateChoice(units, out);
  std::vector<std::vector<double>> dist = optionDistortions(units);
  greedyFill(units, dist, budgetBits, out.choice);
  evaluateChoice(units, out);
  out.exact = false;
  return Status::success();
}

Status qforge::num::closedFormAllocate(const std::vector<AllocUnit> &units,
                                       const std::vector<AllocTensor> &model,
                                       double avgBits, AllocResult &out) {
  if (model.size() != units.size())
    return Status::error("closed form: one model entry per unit expected");
  double sumN = 0;
  for (const AllocUnit &u : units)
    sumN += static_cast<double>(u.numel);
  double budget = avgBits * sumN;
  if (Status s = checkUnits(units, budget); !s.ok())
    return s;
  std::vector<double> numel, h, lo, hi;
  for (size_t j = 0; j < units.size(); ++j) {
    numel.push_back(static_cast<double>(units[j].numel));
    h.push_back(0.5 * log2FS(model[j]));
    double l = std::numeric_limits<double>::infinity(), u = -l;
    for (const RDPoint &p : units[j].options) {
      l = std::min(l, p.rate);
      u = std::max(u, p.rate);
    }
    lo.push_back(l);
    hi.push_back(u);
  }
  std::vector<double> bits = waterFill(numel, h, lo, hi, budget);
  // Rounding and repair use the model distortion n F s^2 2^{-2 rate}.
  std::vector<AllocUnit> modelUnits = units;
  for (size_t j = 0; j < units.size(); ++j)
    for (RDPoint &p : modelUnits[j].options)
      p.distortion = numel[j] * model[j].fisher * model[j].variance *
                     std::exp2(-2 * p.rate);
  if (Status s = roundAllocation(modelUnits, bits, budget, out); !s.ok())
    return s;
  evaluateChoice(units, out); // report the caller's distortions
  return Status::success();
}

/// Exact multiple-choice knapsack by dynamic programming over the budget in
/// units of the gcd of the integral option costs. Returns false when the
/// costs are not integral or the table would be too large.
static bool exactDP(const std::vector<AllocUnit> &units, double budgetBits,
                    std::vector<int> &choice) {
  size_t J = units.size();
  std::vector<std::vector<int64_t>> cost(J);
  std::vector<int64_t> minCost(J);
  int64_t base = 0, g = 0;
  for (size_t j = 0; j < J; ++j) {
    int64_t m = std::numeric_limits<int64_t>::max();
    for (const RDPoint &p : units[j].options) {
      double c = static_cast<double>(units[j].numel) * p.rate;
      if (!(c < 9e15))
        return false;
      double r = std::nearbyint(c);
      if (std::fabs(c - r) > 1e-6 * std::max(1.0, r))
        return false;
      cost[j].push_back(static_cast<int64_t>(r));
      m = std::min(m, static_cast<int64_t>(r));
    }
    minCost[j] = m;
    base += m;
    for (int64_t c : cost[j])
      g = std::gcd(g, c - m);
  }
  double slackD = std::floor(budgetBits + 1e-6) - static_cast<double>(base);
  if (slackD < 0)
    return false;
  if (g == 0) { // every unit has a single cost: pick the best distortion
    choice.assign(J, 0);
    for (size_t j = 0; j < J; ++j)
      for (size_t k = 0; k < units[j].options.size(); ++k)
        if (units[j].options[k].distortion <
            units[j].options[choice[j]].distortion)
          choice[j] = static_cast<int>(k);
    return true;
  }
  double cellsD = std::floor(slackD / static_cast<double>(g)) + 1;
  size_t K = 0;
  for (const AllocUnit &u : units)
    K = std::max(K, u.options.size());
  if (cellsD > 4e6 || cellsD * static_cast<double>(J) > 6e7 ||
      cellsD * static_cast<double>(J * K) > 4e8 || K > 255)
    return false;
  size_t S = static_cast<size_t>(cellsD);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> f(S, 0.0), next(S);
  std::vector<uint8_t> pick(J * S);
  for (size_t j = 0; j < J; ++j) {
    std::fill(next.begin(), next.end(), inf);
    for (size_t k = 0; k < units[j].options.size(); ++k) {
      size_t w = static_cast<size_t>((cost[j][k] - minCost[j]) / g);
      double d = units[j].options[k].distortion;
      for (size_t s = w; s < S; ++s) {
        double v = f[s - w] + d;
        if (v < next[s]) {
          next[s] = v;
          pick[j * S + s] = static_cast<uint8_t>(k);
        }
      }
    }
    f.swap(next);
  }
  choice.assign(J, 0);
  size_t s = S - 1;
  for (size_t j = J; j-- > 0;) {
    int k = pick[j * S + s];
    choice[j] = k;
    s -= static_cast<size_t>((cost[j][k] - minCost[j]) / g);
  }
  return true;
}

Status qforge::num::rdExactAllocate(const std::vector<AllocUnit> &units,
                                    double budgetBits, AllocResult &out) {
  if (Status s = checkUnits(units, budgetBits); !s.ok())
    return s;
  size_t J = units.size();
  // Lagrangian relaxation: the smallest lambda whose choice fits.
  auto choose = [&](double lambda, std::vector<int> &c) {
    double total = 0;
    c.assign(J, 0);
    for (size_t j = 0; j < J; ++j) {
      double n = static_cast<double>(units[j].numel);
      double best = std::numeric_limits<double>::infinity();
      for (size_t k = 0; k < units[j].options.size(); ++k) {
        const RDPoint &p = units[j].options[k];
        double v = p.distortion + lambda * n * p.rate;
        const RDPoint &cur = units[j].options[c[j]];
        if (v < best || (v == best && p.rate < cur.rate)) {
          best = v;
          c[j] = static_cast<int>(k);
        }
      }
      total += n * units[j].options[c[j]].rate;
    }
    return total;
  };
  std::vector<int> c;
  double hi = 1.0;
  for (int it = 0; it < 400 && choose(hi, c) > budgetBits; ++it)
    hi *= 4;
  std::vector<int> feasible;
  if (choose(hi, feasible) > budgetBits) {
    // Degenerate (equal-distortion) options: start from the smallest rates.
    feasible.assign(J, 0);
    for (size_t j = 0; j < J; ++j)
      for (size_t k = 0; k < units[j].options.size(); ++k)
        if (units[j].options[k].rate < units[j].options[feasible[j]].rate)
          feasible[j] = static_cast<int>(k);
  }
  double lo = 0;
  for (int it = 0; it < 100; ++it) {
    double mid = 0.5 * (lo + hi);
    if (choose(mid, c) <= budgetBits) {
      hi = mid;
      feasible = c;
    } else {
      lo = mid;
    }
  }
  std::vector<std::vector<double>> dist = optionDistortions(units);
  greedyFill(units, dist, budgetBits, feasible);
  out.choice = feasible;
  out.exact = false;
  evaluateChoice(units, out);
  // Exact repair: the dynamic programme, kept only if it is no worse.
  std::vector<int> dp;
  if (exactDP(units, budgetBits, dp)) {
    AllocResult r;
    r.choice = dp;
    evaluateChoice(units, r);
    if (r.totalBits <= budgetBits + 1e-6 && r.distortion <= out.distortion) {
      out = r;
    }
    out.exact = true;
  }
  return Status::success();
}
