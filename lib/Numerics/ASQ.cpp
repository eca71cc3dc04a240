//===- ASQ.cpp - Adaptive stochastic quantization solvers -----------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The interval cost of stochastic rounding between two chosen points p_k and
// p_j (k <= j) is, with prefix sums S0 = sum w, S1 = sum w a, S2 = sum w a^2
// of the data a_i = x_i - shift strictly before each point,
//
//   C(k, j) = (a_j + a_k) (S1_j - S1_k) - (S2_j - S2_k) - a_j a_k (S0_j - S0_k)
//
// (endpoints cost nothing, so half-open sums suffice). C satisfies the
// quadrangle inequality C(a,c) + C(b,d) <= C(a,d) + C(b,c) for a<=b<=c<=d, so
// every DP layer min_k D[k] + C(k, j) has monotone argmins (SMAWK), and the
// penalised 1D/1D recurrence is a concave LWS problem (Wilber).
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/ASQ.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

using namespace qforge::num;

//===----------------------------------------------------------------------===//
// Compensated prefix sums
//===----------------------------------------------------------------------===//

namespace {
/// Double-double accumulator (Knuth's two-sum, error kept in `lo`).
struct DD {
  double hi = 0, lo = 0;
  void add(double v) {
    double s = hi + v;
    double bb = s - hi;
    double err = (hi - (s - bb)) + (v - bb);
    hi = s;
    lo += err;
  }
  /// Renormalised pair so that |lo| <= ulp(hi)/2.
  void norm(double &h, double &l) const {
    h = hi + lo;
    l = lo - (h - hi);
  }
};

/// Sums of a contiguous run of data (plain double with four lanes; the runs
/// are short relative to the total or added into a DD afterwards).
struct RunSums {
  double s0 = 0, s1 = 0, s2 = 0;
};

RunSums runSums(const double *x, const double *w, int64_t lo, int64_t hi,
                double shift) {
  RunSums r;
  if (!w) {
    double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    int64_t i = lo;
    for (; i + 2 <= hi; i += 2) {
      double u = x[i] - shift, v = x[i + 1] - shift;
      a0 += u;
      a1 += v;
      b0 += u * u;
      b1 += v * v;
    }
    for (; i < hi; ++i) {
      double u = x[i] - shift;
      a0 += u;
      b0 += u * u;
    }
    r.s0 = static_cast<double>(hi - lo);
    r.s1 = a0 + a1;
    r.s2 = b0 + b1;
    return r;
  }
  for (int64_t i = lo; i < hi; ++i) {
    double u = x[i] - shift;
    r.s0 += w[i];
    r.s1 += w[i] * u;
    r.s2 += w[i] * u * u;
  }
  return r;
}
} // namespace

void IntervalCost::assign(const double *x, const double *w, int64_t count) {
  n = std::max<int64_t>(count, 0);
  src = x;
  own.clear();
  pt.resize(n);
  if (n == 0)
    return;
  shift = x[n / 2];
  DD s0, s1, s2;
  double cnt = 0;
  for (int64_t i = 0; i < n; ++i) {
    Entry &e = pt[i];
    double a = x[i] - shift;
    e.p = a;
    e.s0 = w ? s0.hi + s0.lo : cnt;
    e.s1 = s1.hi + s1.lo;
    e.s2 = s2.hi + s2.lo;
    double wi = w ? w[i] : 1.0;
    if (w)
      s0.add(wi);
    cnt += 1.0; // exact for n < 2^53
    s1.add(wi * a);
    s2.add(wi * a * a);
  }
}

void IntervalCost::assignCandidates(const double *x, const double *w,
                                    int64_t count,
                                    const std::vector<double> &cand) {
  own = cand;
  src = own.data();
  n = static_cast<int64_t>(cand.size());
  pt.resize(n);
  shift = count > 0 ? x[count / 2] : 0.0;
  DD s0, s1, s2;
  int64_t prev = 0;
  for (int64_t m = 0; m < n; ++m) {
    double v = cand[m];
    int64_t pos = std::lower_bound(x + prev, x + count, v) - x;
    RunSums r = runSums(x, w, prev, pos, shift);
    s0.add(r.s0);
    s1.add(r.s1);
    s2.add(r.s2);
    prev = pos;
    Entry &e = pt[m];
    e.p = v - shift;
    e.s0 = s0.hi + s0.lo;
    e.s1 = s1.hi + s1.lo;
    e.s2 = s2.hi + s2.lo;
  }
}

IntervalCost IntervalCost::overCandidates(const double *x, const double *w,
                                          int64_t count,
                                          const std::vector<double> &cand) {
  IntervalCost c;
  c.assignCandidates(x, w, count, cand);
  return c;
}

const char *qforge::num::asqSolverName(ASQSolver s) {
  switch (s) {
  case ASQSolver::Exact:
    return "exact";
  case ASQSolver::ExactSMAWK:
    return "exact-smawk";
  case ASQSolver::ExactPairwise:
    return "exact-pairwise";
  case ASQSolver::ExactLagrange:
    return "exact-lagrange";
  case ASQSolver::Grid:
    return "grid";
  case ASQSolver::VMix:
    return "vmix";
  case ASQSolver::Refine:
    return "refine";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// SMAWK
//===----------------------------------------------------------------------===//

namespace {
/// Row minima of a totally monotone matrix (leftmost argmins nondecreasing
/// down the rows). Rows are the arithmetic progression r0 + i*rs, columns an
/// increasing list. Results go to amin[row], vmin[row].
template <class F> class Smawk {
public:
  Smawk(const F &f, int64_t *amin, double *vmin)
      : f(f), amin(amin), vmin(vmin) {}

  void run(int64_t r0, int64_t nr, const int64_t *cols, int64_t nc) {
    if (nr <= 0)
      return;
    if (static_cast<int64_t>(work.size()) < 2 * nr + 64)
      work.resize(2 * nr + 64);
    // Page faults are expensive: the scratch stack is reused per thread.
    rec(r0, 1, nr, cols, nc, 0);
  }

private:
  void rec(int64_t r0, int64_t rs, int64_t nr, const int64_t *cols, int64_t nc,
           int64_t top) {
    if (nr == 0)
      return;
    // REDUCE: keep at most nr columns that may hold a row minimum.
    int64_t *st = work.data() + top;
    int64_t len = 0;
    for (int64_t ci = 0; ci < nc; ++ci) {
      int64_t c = cols[ci];
      while (len > 0) {
        int64_t row = r0 + (len - 1) * rs;
        if (f(row, st[len - 1]) <= f(row, c))
          break;
        --len;
      }
      if (len < nr)
        st[len++] = c;
    }
    // Odd rows recursively.
    rec(r0 + rs, rs * 2, nr / 2, st, len, top + len);
    // INTERPOLATE the even rows between the minima of their neighbours.
    int64_t pos = 0;
    for (int64_t i = 0; i < nr; i += 2) {
      int64_t row = r0 + i * rs;
      int64_t endCol = (i + 1 < nr) ? amin[r0 + (i + 1) * rs] : st[len - 1];
      int64_t best = st[pos];
      double bv = f(row, best);
      while (st[pos] < endCol) {
        ++pos;
        double v = f(row, st[pos]);
        if (v < bv) {
          bv = v;
          best = st[pos];
        }
      }
      amin[row] = best;
      vmin[row] = bv;
    }
  }

  const F &f;
  int64_t *amin;
  double *vmin;
  static thread_local std::vector<int64_t> work;
};
template <class F> thread_local std::vector<int64_t> Smawk<F>::work;

/// Per-thread scratch reused across calls (fresh pages cost more than the
/// solvers' arithmetic on the machines we target).
struct Scratch {
  std::vector<double> d0, d1, d2;
  std::vector<int64_t> i0, i1, i2, i3, cols;
  std::vector<uint32_t> arg;
  IntervalCost cost;
  const int64_t *iota(int64_t n) {
    int64_t old = static_cast<int64_t>(cols.size());
    if (old < n) {
      cols.resize(n);
      for (int64_t i = old; i < n; ++i)
        cols[i] = i;
    }
    return cols.data();
  }
};
Scratch &scratch() {
  static thread_local Scratch s;
  return s;
}
template <class T> void grow(std::vector<T> &v, size_t n) {
  if (v.size() < n)
    v.resize(n);
}

/// Value standing in for +infinity above the diagonal: large, finite and
/// growing with the distance so that the matrix stays totally monotone.
inline double aboveDiagonal(int64_t k, int64_t j) {
  return 1e200 + static_cast<double>(k - j) * 1e190;
}
} // namespace

//===----------------------------------------------------------------------===//
// Exact layered DP
//===----------------------------------------------------------------------===//

static double pathCost(const IntervalCost &c, const std::vector<int64_t> &idx) {
  double t = 0;
  for (size_t i = 1; i < idx.size(); ++i)
    t += c(idx[i - 1], idx[i]);
  return t;
}

double qforge::num::solveIntervalDP(const IntervalCost &c, unsigned s,
                                    std::vector<int64_t> &idx, bool pairwise) {
  int64_t n = c.size();
  idx.clear();
  if (n <= 0)
    return 0;
  if (n == 1 || s < 2) {
    idx.assign(std::max(s, 1u), 0);
    return 0;
  }
  if (s == 2) {
    idx = {0, n - 1};
    return c(0, n - 1);
  }
  if (s == 3)
    pairwise = false;
  // D[t][j]: best cost covering points 0..j with t values, the last at j
  // (a value may repeat: k == j is allowed at cost 0). Plain: D[3..s-1] by
  // SMAWK, then one scan for the value before n-1. Pairwise: D[3] and the
  // last two values by monotone sweeps over the two-interval cost
  //   g(k, m, j) = C(k, m) + C(m, j),
  // which is unimodal in m (it samples the convex piecewise-linear cost of
  // one free value between x_k and x_j at the data) with an argmin that is
  // nondecreasing in k and j, so a pointer finds it in amortised O(1).
  unsigned lastLayer = pairwise ? s - 2 : s - 1;
  Scratch &sc = scratch();
  unsigned layers = lastLayer >= 3 ? lastLayer - 2 : 0; // D[3..lastLayer]
  grow(sc.d0, n);
  grow(sc.d1, n);
  grow(sc.i0, n);
  grow(sc.arg, static_cast<size_t>(std::max(layers, 1u)) * n);
  double *dOld = sc.d0.data(), *dNew = sc.d1.data();
  int64_t *amin = sc.i0.data();
  uint32_t *arg = sc.arg.data();
  const int64_t *cols = sc.iota(n);
  auto g = [&c](int64_t k, int64_t m, int64_t j) { return c(k, m) + c(m, j); };
  for (int64_t j = 0; j < n; ++j)
    dOld[j] = c(0, j);
  unsigned t = 3;
  if (pairwise && lastLayer >= 3) {
    int64_t m = 0;
    for (int64_t j = 0; j < n; ++j) {
      double cur = g(0, m, j);
      while (m + 1 <= j) {
        // Equal values give equal costs: step over duplicates without
        // comparing (rounding noise must not stop the pointer there).
        double nx = g(0, m + 1, j);
        if (nx > cur && c.point(m + 1) != c.point(m))
          break;
        cur = nx;
        ++m;
      }
      dNew[j] = cur;
      arg[j] = static_cast<uint32_t>(m);
    }
    std::swap(dOld, dNew);
    t = 4;
  }
  for (; t <= lastLayer; ++t) {
    const double *dp = dOld;
    auto f = [&c, dp](int64_t j, int64_t k) {
      return k <= j ? dp[k] + c(k, j) : aboveDiagonal(k, j);
    };
    Smawk<decltype(f)> sm(f, amin, dNew);
    sm.run(0, n, cols, n);
    uint32_t *a = arg + static_cast<size_t>(t - 3) * n;
    for (int64_t j = 0; j < n; ++j)
      a[j] = static_cast<uint32_t>(amin[j]);
    std::swap(dOld, dNew);
  }
  int64_t bestK = 0, bestM = n - 1;
  double best = std::numeric_limits<double>::infinity();
  if (pairwise) {
    // Last two values: k (end of D[s-2]) and m between k and n-1.
    int64_t m = 0;
    for (int64_t k = 0; k < n; ++k) {
      m = std::max(m, k);
      double cur = g(k, m, n - 1);
      while (m + 1 <= n - 1) {
        double nx = g(k, m + 1, n - 1);
        if (nx > cur && c.point(m + 1) != c.point(m))
          break;
        cur = nx;
        ++m;
      }
      double v = dOld[k] + cur;
      if (v < best) {
        best = v;
        bestK = k;
        bestM = m;
      }
    }
  } else {
    for (int64_t k = 0; k < n; ++k) {
      double v = dOld[k] + c(k, n - 1);
      if (v < best) {
        best = v;
        bestK = k;
      }
    }
  }
  idx.assign(s, 0);
  idx[s - 1] = n - 1;
  int64_t cur = bestK;
  int top; // the D layer that ends at bestK
  if (pairwise) {
    idx[s - 2] = bestM;
    idx[s - 3] = bestK;
    top = static_cast<int>(s) - 2;
  } else {
    idx[s - 2] = bestK;
    top = static_cast<int>(s) - 1;
  }
  for (int tt = top; tt >= 3; --tt) {
    cur = arg[static_cast<size_t>(tt - 3) * n + cur];
    idx[tt - 2] = cur;
  }
  idx[0] = 0;
  // Do not keep a very large argmin table alive in the thread's scratch.
  if (sc.arg.size() > (size_t(1) << 26)) {
    sc.arg.clear();
    sc.arg.shrink_to_fit();
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Wilber's algorithm for the penalised problem + Lagrangian search
//===----------------------------------------------------------------------===//

namespace {
/// F[j] = min_{k<j} F[k] + C(k,j) + lambda, F[0] = 0 (Wilber 1988: SMAWK on
/// blocks whose width doubles while the tentative values stay correct).
class PenalisedSolver {
public:
  explicit PenalisedSolver(const IntervalCost &c) : c(c), n(c.size()) {
    Scratch &sc = scratch();
    grow(sc.d0, n);
    grow(sc.d1, n);
    grow(sc.d2, n);
    grow(sc.i0, n);
    grow(sc.i1, n);
    grow(sc.i2, n);
    grow(sc.i3, n);
    F = sc.d0.data();
    G = sc.d1.data();
    H = sc.d2.data();
    parent = sc.i0.data();
    cnt = sc.i1.data();
    argG = sc.i2.data();
    argH = sc.i3.data();
    cols = sc.iota(n);
  }

  /// Returns the number of edges of the optimal path (leftmost argmins).
  int64_t solve(double lambda) {
    F[0] = 0;
    cnt[0] = 0;
    parent[0] = 0;
    if (n == 1)
      return 0;
    const double *Fp = F;
    const IntervalCost &cc = c;
    auto fG = [&cc, Fp, lambda](int64_t j, int64_t k) {
      return Fp[k] + cc(k, j) + lambda;
    };
    auto fH = [&cc, Fp, lambda](int64_t j, int64_t k) {
      return k < j ? Fp[k] + cc(k, j) + lambda : aboveDiagonal(k, j);
    };
    Smawk<decltype(fG)> smG(fG, argG, G);
    Smawk<decltype(fH)> smH(fH, argH, H);
    int64_t cc0 = 0, r = 0;
    while (cc0 < n - 1) {
      int64_t p = std::min(2 * cc0 - r + 1, n - 1);
      // Columns cc0+1..p against the final rows r..cc0.
      smG.run(cc0 + 1, p - cc0, cols + r, cc0 - r + 1);
      for (int64_t j = cc0 + 1; j <= p; ++j)
        F[j] = G[j];
      // Columns cc0+2..p against the tentative rows cc0+1..p-1.
      int64_t j0 = -1;
      if (p >= cc0 + 2) {
        smH.run(cc0 + 2, p - cc0 - 1, cols + cc0 + 1, p - cc0 - 1);
        for (int64_t j = cc0 + 2; j <= p; ++j)
          if (H[j] < G[j]) {
            j0 = j;
            break;
          }
      }
      int64_t last = j0 < 0 ? p : j0;
      for (int64_t j = cc0 + 1; j <= last; ++j) {
        int64_t a = (j == j0) ? argH[j] : argG[j];
        if (j == j0)
          F[j] = H[j];
        parent[j] = a;
        cnt[j] = cnt[a] + 1;
      }
      if (j0 < 0) {
        cc0 = p;
      } else {
        r = cc0 + 1;
        cc0 = j0;
      }
    }
    return cnt[n - 1];
  }

  void path(std::vector<int64_t> &out) const {
    out.clear();
    for (int64_t j = n - 1; j > 0; j = parent[j])
      out.push_back(j);
    out.push_back(0);
    std::reverse(out.begin(), out.end());
  }
  double value() const { return F[n - 1]; }

private:
  const IntervalCost &c;
  int64_t n;
  double *F, *G, *H;
  int64_t *parent, *cnt, *argG, *argH;
  const int64_t *cols;
};

/// Combines an optimal path with fewer edges (a) and one with more edges (b)
/// for the same penalty into one with exactly `target` edges: find a b-edge
/// nested in an a-edge at the right offset and exchange the crossing pair
/// (quadrangle inequality keeps the sum optimal).
std::vector<int64_t> splicePaths(const std::vector<int64_t> &a,
                                 const std::vector<int64_t> &b,
                                 int64_t target) {
  int64_t A = static_cast<int64_t>(a.size()) - 1;
  int64_t B = static_cast<int64_t>(b.size()) - 1;
  assert(A < target && target < B);
  int64_t want = target - A + 1;
  int64_t i = 0;
  for (int64_t j = 0; j < B; ++j) {
    while (i + 1 < A && a[i + 1] <= b[j])
      ++i;
    if (j - i == want) {
      int64_t jp = j - 1;
      int64_t ip = i; // b[jp], b[j] both inside a-edge i
      std::vector<int64_t> y(b.begin(), b.begin() + jp + 1);
      y.insert(y.end(), a.begin() + ip + 1, a.end());
      return y;
    }
  }
  return b; // unreachable for valid inputs
}
} // namespace

double qforge::num::solveIntervalLagrange(const IntervalCost &c, unsigned s,
                                          std::vector<int64_t> &idx,
                                          int *iterations, bool *spliced,
                                          double lambdaHint,
                                          double *lambdaOut) {
  int64_t n = c.size();
  if (iterations)
    *iterations = 0;
  if (spliced)
    *spliced = false;
  if (n <= static_cast<int64_t>(s) || s <= 2)
    return solveIntervalDP(c, s, idx);
  int64_t target = s - 1;
  PenalisedSolver ps(c);
  double total = c(0, n - 1);
  if (!(total > 0)) {
    idx.assign(s, n - 1);
    idx[0] = 0;
    return 0;
  }
  // OPT(t) ~ K / t^2 with K ~ 4 OPT(2): marginal gain at t ~ 8 OPT(2) / t^3.
  double lambda =
      lambdaHint > 0 ? lambdaHint : 8.0 * total / (double(s) * s * s);
  double lo = 0, hi = 0; // lo: count > target, hi: count < target
  int64_t cntLo = 0, cntHi = 0;
  std::vector<int64_t> pathLo, pathHi;
  int sameSide = 0, lastSide = 0;
  for (int it = 0; it < 400; ++it) {
    int64_t k = ps.solve(lambda);
    if (iterations)
      ++*iterations;
    if (k == target) {
      ps.path(idx);
      if (lambdaOut)
        *lambdaOut = lambda;
      return pathCost(c, idx);
    }
    int side = k > target ? -1 : 1;
    sameSide = side == lastSide ? sameSide + 1 : 0;
    lastSide = side;
    if (k > target) {
      lo = lambda;
      cntLo = k;
      ps.path(pathLo);
    } else {
      hi = lambda;
      cntHi = k;
      ps.path(pathHi);
    }
    if (lo > 0 && hi > 0) {
      if (lambdaOut)
        *lambdaOut = std::sqrt(lo * hi);
      if (hi - lo <= 1e-13 * hi || it > 300) {
        idx = splicePaths(pathHi, pathLo, target);
        if (spliced)
          *spliced = true;
        return pathCost(c, idx);
      }
      double next;
      if (sameSide >= 2 || cntHi <= 0) {
        next = std::sqrt(lo * hi);
      } else {
        double t = (std::log(double(target)) - std::log(double(cntLo))) /
                   (std::log(double(cntHi)) - std::log(double(cntLo)));
        next = std::exp(std::log(lo) + t * (std::log(hi) - std::log(lo)));
      }
      if (!(next > lo && next < hi))
        next = 0.5 * (lo + hi);
      if (!(next > lo && next < hi)) { // adjacent doubles
        idx = splicePaths(pathHi, pathLo, target);
        if (spliced)
          *spliced = true;
        return pathCost(c, idx);
      }
      lambda = next;
    } else {
      double ratio = std::pow(double(std::max<int64_t>(k, 1)) / target, 3.0);
      ratio = std::min(64.0, std::max(1.0 / 64.0, ratio));
      if (k == 0)
        ratio = 1.0 / 64.0;
      if (ratio == 1.0)
        ratio = side < 0 ? 2.0 : 0.5;
      lambda *= ratio;
      if (!(lambda > 0))
        lambda = std::numeric_limits<double>::min();
    }
  }
  return solveIntervalDP(c, s, idx);
}

//===----------------------------------------------------------------------===//
// VMix: min-max relaxation
//===----------------------------------------------------------------------===//

namespace {
/// Largest j >= k with C(k, j) <= T (C is nondecreasing in j).
int64_t reach(const IntervalCost &c, int64_t k, double T) {
  int64_t n = c.size();
  int64_t step = 1, good = k;
  while (good + step < n && c(k, good + step) <= T) {
    good += step;
    step *= 2;
  }
  int64_t bad = std::min(good + step, n); // exclusive bound (or n)
  while (bad - good > 1) {
    int64_t mid = good + (bad - good) / 2;
    if (c(k, mid) <= T)
      good = mid;
    else
      bad = mid;
  }
  return good;
}

/// Greedy cover with max interval cost T; returns the number of intervals
/// (or limit+1 when more are needed) and the points in `pts`.
int64_t greedyCover(const IntervalCost &c, double T, int64_t limit,
                    std::vector<int64_t> *pts) {
  int64_t n = c.size();
  int64_t k = 0, cnt = 0;
  if (pts) {
    pts->clear();
    pts->push_back(0);
  }
  while (k < n - 1) {
    int64_t j = reach(c, k, T);
    if (j == k)
      j = k + 1; // zero-width progress (T below any single-step cost)
    ++cnt;
    if (cnt > limit)
      return cnt;
    k = j;
    if (pts)
      pts->push_back(k);
  }
  return cnt;
}

std::vector<int64_t> vmixCandidates(const IntervalCost &c, int64_t m) {
  int64_t n = c.size();
  std::vector<int64_t> pts;
  if (m >= n) {
    pts.resize(n);
    std::iota(pts.begin(), pts.end(), 0);
    return pts;
  }
  double hi = c(0, n - 1), lo = 0;
  for (int it = 0; it < 60 && hi > lo * (1 + 1e-9); ++it) {
    double mid = lo > 0 ? std::sqrt(lo * hi) : hi * 1e-12;
    if (lo == 0 && it > 0)
      mid = hi / 1024;
    if (greedyCover(c, mid, m - 1, nullptr) <= m - 1)
      hi = mid;
    else
      lo = mid;
  }
  greedyCover(c, hi, n, &pts);
  return pts;
}

IntervalCost subsetCost(const double *x, const double *w, int64_t d,
                        const std::vector<double> &vals) {
  return IntervalCost::overCandidates(x, w, d, vals);
}

void dedupeSorted(std::vector<double> &v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

double solveOn(const IntervalCost &c, unsigned s, std::vector<double> &values) {
  std::vector<int64_t> idx;
  double cost = (s > 5 && c.size() > 8 * int64_t(s))
                    ? solveIntervalLagrange(c, s, idx)
                    : solveIntervalDP(c, s, idx);
  values.resize(idx.size());
  for (size_t i = 0; i < idx.size(); ++i)
    values[i] = c.point(idx[i]);
  return cost;
}
} // namespace

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

Status qforge::num::solveASQ(const double *x, const double *w, int64_t d,
                             unsigned s, const ASQOptions &opts,
                             ASQResult &out) {
  out = ASQResult();
  if (d <= 0)
    return Status::error("ASQ: empty input");
  if (s < 2)
    return Status::error("ASQ: need at least 2 values");
  // Few distinct values: they are the (zero-cost) answer.
  {
    std::vector<double> distinct;
    distinct.push_back(x[0]);
    for (int64_t i = 1; i < d && distinct.size() <= s; ++i) {
      if (x[i] < x[i - 1])
        return Status::error("ASQ: input is not sorted");
      if (x[i] != distinct.back())
        distinct.push_back(x[i]);
    }
    if (distinct.size() <= s) {
      out.values = distinct;
      out.values.resize(s, distinct.back());
      out.cost = 0;
      return Status::success();
    }
  }
  ASQSolver solver = opts.solver;
  if (solver == ASQSolver::Exact)
    solver = s <= 5 ? ASQSolver::ExactPairwise : ASQSolver::ExactLagrange;
  std::vector<int64_t> idx;
  switch (solver) {
  case ASQSolver::Exact:
  case ASQSolver::ExactSMAWK:
  case ASQSolver::ExactPairwise:
  case ASQSolver::ExactLagrange: {
    double hint = 0;
    if (solver == ASQSolver::ExactLagrange && d > 64 * int64_t(s)) {
      // The penalty that gives s values on 2048 uniform + quantile
      // candidates with full-data sums is a close first guess for the full
      // problem.
      int64_t M = 1024;
      std::vector<double> grid;
      grid.reserve(2 * M + 2);
      for (int64_t m = 0; m <= M; ++m) {
        grid.push_back(m == M ? x[d - 1]
                              : x[0] + (x[d - 1] - x[0]) * (double(m) / M));
        grid.push_back(x[(d - 1) * m / M]);
      }
      dedupeSorted(grid);
      IntervalCost g = IntervalCost::overCandidates(x, w, d, grid);
      std::vector<int64_t> gi;
      solveIntervalLagrange(g, s, gi, nullptr, nullptr, 0, &hint);
    }
    IntervalCost &c = scratch().cost;
    c.assign(x, w, d);
    if (solver == ASQSolver::ExactLagrange)
      out.cost = solveIntervalLagrange(c, s, idx, &out.lambdaIterations,
                                       &out.spliced, hint);
    else
      out.cost = solveIntervalDP(c, s, idx, solver == ASQSolver::ExactPairwise);
    out.values.resize(idx.size());
    for (size_t i = 0; i < idx.size(); ++i)
      out.values[i] = c.point(idx[i]);
    break;
  }
  case ASQSolver::Grid: {
    int64_t M = std::max<int64_t>(opts.gridBins, 1);
    std::vector<double> grid(M + 1);
    double a = x[0], b = x[d - 1];
    for (int64_t m = 0; m <= M; ++m)
      grid[m] = m == M ? b : a + (b - a) * (double(m) / double(M));
    dedupeSorted(grid);
    out.cost = solveOn(subsetCost(x, w, d, grid), s, out.values);
    break;
  }
  case ASQSolver::VMix: {
    IntervalCost &full = scratch().cost;
    full.assign(x, w, d);
    int64_t m = std::max<int64_t>(std::max<int64_t>(opts.vmixFactor, 1) * s,
                                  opts.vmixMin);
    std::vector<int64_t> cand = vmixCandidates(full, m);
    std::vector<double> vals(cand.size());
    for (size_t i = 0; i < cand.size(); ++i)
      vals[i] = x[cand[i]];
    dedupeSorted(vals);
    out.cost = solveOn(subsetCost(x, w, d, vals), s, out.values);
    break;
  }
  case ASQSolver::Refine: {
    int64_t M = std::max<int64_t>(opts.refineBins, 4);
    std::vector<double> cand;
    cand.reserve(M + 2);
    double a = x[0], b = x[d - 1];
    for (int64_t m = 0; m <= M / 2; ++m)
      cand.push_back(a + (b - a) * (double(m) / double(M / 2)));
    for (int64_t m = 0; m <= M / 2; ++m)
      cand.push_back(x[std::min<int64_t>(d - 1, (d - 1) * m / (M / 2))]);
    cand.push_back(b);
    dedupeSorted(cand);
    std::vector<double> vals;
    out.cost = solveOn(subsetCost(x, w, d, cand), s, vals);
    int64_t K = std::max<int64_t>(opts.refineWindow, 2);
    for (int round = 0; round < opts.refineRounds; ++round) {
      std::vector<double> next = vals;
      for (size_t t = 1; t + 1 < vals.size(); ++t) {
        // The candidates around the chosen value bound the window.
        auto it = std::lower_bound(cand.begin(), cand.end(), vals[t]);
        double left = it == cand.begin() ? a : *(it - 1);
        double right = (it + 1) < cand.end() ? *(it + 1) : b;
        int64_t i0 = std::lower_bound(x, x + d, left) - x;
        int64_t i1 = std::upper_bound(x, x + d, right) - x;
        int64_t span = i1 - i0;
        if (span <= 0)
          continue;
        int64_t cntK = std::min(K, span);
        for (int64_t q = 0; q < cntK; ++q)
          next.push_back(
              x[i0 + (span - 1) * q / std::max<int64_t>(cntK - 1, 1)]);
      }
      next.push_back(a);
      next.push_back(b);
      dedupeSorted(next);
      cand = next;
      out.cost = solveOn(subsetCost(x, w, d, cand), s, vals);
    }
    out.values = vals;
    break;
  }
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Evaluation and rounding
//===----------------------------------------------------------------------===//

double qforge::num::asqCost(const double *x, const double *w, int64_t d,
                            const std::vector<double> &values) {
  if (values.empty())
    return 0;
  double sum = 0, comp = 0;
  size_t c = 0;
  for (int64_t i = 0; i < d; ++i) {
    double v = x[i];
    while (c + 2 < values.size() && values[c + 1] <= v)
      ++c;
    double lo = values[c], hi = values[std::min(c + 1, values.size() - 1)];
    double t = (hi - v) * (v - lo);
    if (t < 0)
      t = 0;
    if (w)
      t *= w[i];
    double y = sum + t; // Neumaier
    comp += std::fabs(sum) >= std::fabs(t) ? (sum - y) + t : (t - y) + sum;
    sum = y;
  }
  return sum + comp;
}

double qforge::num::asqVNMSE(const double *x, const double *w, int64_t d,
                             const std::vector<double> &values) {
  double den = 0;
  for (int64_t i = 0; i < d; ++i)
    den += (w ? w[i] : 1.0) * x[i] * x[i];
  return den > 0 ? asqCost(x, w, d, values) / den : 0.0;
}

int64_t qforge::num::lowerCell(const double *values, int64_t n, double x) {
  if (n < 2)
    return 0;
  int64_t i = std::upper_bound(values, values + n, x) - values - 1;
  return std::min<int64_t>(std::max<int64_t>(i, 0), n - 2);
}

uint32_t qforge::num::roundNearest(const double *values, int64_t n, double x) {
  if (n < 2)
    return 0;
  int64_t i = lowerCell(values, n, x);
  return static_cast<uint32_t>((x - values[i] <= values[i + 1] - x) ? i
                                                                    : i + 1);
}

uint32_t qforge::num::roundStochastic(const double *values, int64_t n, double x,
                                      double u) {
  if (n < 2)
    return 0;
  int64_t i = lowerCell(values, n, x);
  double lo = values[i], hi = values[i + 1];
  if (x <= lo)
    return static_cast<uint32_t>(i);
  if (x >= hi)
    return static_cast<uint32_t>(i + 1);
  double p = (x - lo) / (hi - lo);
  return static_cast<uint32_t>(u < p ? i + 1 : i);
}

double qforge::num::counterUniform(uint64_t seed, uint64_t stream,
                                   uint64_t counter) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t z = mix(seed ^ mix(stream ^ mix(counter)));
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

//===----------------------------------------------------------------------===//
// MDV
//===----------------------------------------------------------------------===//

bool qforge::num::mdvFeasible(const double *x, int64_t d, unsigned s, double v,
                              std::vector<double> *values) {
  if (values)
    values->clear();
  if (d <= 0)
    return true;
  double q = x[0], last = x[d - 1];
  if (values)
    values->push_back(q);
  unsigned used = 1;
  double root = std::sqrt(std::max(v, 0.0));
  while (q < last) {
    // First data point strictly above q.
    const double *first = std::upper_bound(x, x + d, q);
    double w0 = *first;
    double next;
    if (!(v > 0)) {
      next = w0; // only data points themselves have zero variance
    } else {
      // g(w) = w + v / (w - q) is convex with its minimum at q + sqrt(v):
      // the binding data point is a neighbour of q + sqrt(v).
      double c = q + root;
      const double *r = std::lower_bound(first, x + d, c);
      next = std::numeric_limits<double>::infinity();
      if (r < x + d)
        next = std::min(next, *r + v / (*r - q));
      if (r > first)
        next = std::min(next, *(r - 1) + v / (*(r - 1) - q));
      if (next < w0)
        next = w0; // never needed, guards rounding
    }
    q = std::min(next, last);
    ++used;
    if (values)
      values->push_back(q);
    if (used > s)
      return false;
  }
  if (values)
    values->resize(s, last);
  return true;
}

double qforge::num::mdvMaxVariance(const double *x, int64_t d,
                                   const std::vector<double> &values) {
  double m = 0;
  size_t c = 0;
  for (int64_t i = 0; i < d; ++i) {
    double v = x[i];
    while (c + 2 < values.size() && values[c + 1] <= v)
      ++c;
    double lo = values[c], hi = values[std::min(c + 1, values.size() - 1)];
    m = std::max(m, (hi - v) * (v - lo));
  }
  return m;
}

Status qforge::num::solveMDV(const double *x, int64_t d, unsigned s, double eps,
                             MDVResult &out) {
  out = MDVResult();
  if (d <= 0 || s < 2)
    return Status::error("MDV: need data and at least 2 values");
  if (!(eps > 0))
    return Status::error("MDV: eps must be positive");
  for (int64_t i = 1; i < d; ++i)
    if (x[i] < x[i - 1])
      return Status::error("MDV: input is not sorted");
  ++out.oracleCalls;
  if (mdvFeasible(x, d, s, 0.0, &out.values)) {
    out.maxVariance = 0;
    return Status::success();
  }
  double range = x[d - 1] - x[0];
  double hiV = 0.25 * range * range; // two values always suffice
  // Grid hiV / (1+eps)^k, k in [0, K]: the optimum is > 0, and budgets far
  // below the smallest gap^2 behave like 0 (infeasible).
  double minGap = range;
  for (int64_t i = 1; i < d; ++i)
    if (x[i] > x[i - 1])
      minGap = std::min(minGap, x[i] - x[i - 1]);
  double loV = 1e-6 * 0.25 * minGap * minGap;
  int64_t K =
      static_cast<int64_t>(std::ceil(std::log(hiV / loV) / std::log1p(eps))) +
      1;
  auto budget = [&](int64_t k) { return hiV / std::pow(1 + eps, double(k)); };
  // Largest feasible k (smallest feasible budget): feasibility is monotone.
  int64_t good = 0, bad = K + 1;
  ++out.oracleCalls;
  if (mdvFeasible(x, d, s, budget(K), nullptr))
    good = K, bad = K + 1;
  while (bad - good > 1) {
    int64_t mid = good + (bad - good) / 2;
    ++out.oracleCalls;
    if (mdvFeasible(x, d, s, budget(mid), nullptr))
      good = mid;
    else
      bad = mid;
  }
  ++out.oracleCalls;
  mdvFeasible(x, d, s, budget(good), &out.values);
  out.maxVariance = mdvMaxVariance(x, d, out.values);
  return Status::success();
}
