//===- ASQ.h - Adaptive stochastic quantization solvers ---------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Adaptive stochastic quantization (ASQ): for a sorted vector x (optionally
// with per-coordinate weights lambda, the ADV objective) choose s values Q,
// containing min(x) and max(x), minimising the expected squared error of
// unbiased stochastic rounding
//
//   sum_i lambda_i (q_up(x_i) - x_i) (x_i - q_down(x_i)).
//
// Solvers (see docs/algorithms.md for complexities and measured speed):
//   ExactSMAWK     layered DP, one SMAWK pass per value, O(s d) time, an
//                  (s-3) x d uint32 argmin table (QUIVER's exact algorithm).
//   ExactLagrange  s-independent: Wilber's O(d) concave 1D/1D algorithm for
//                  the penalised problem inside a Lagrangian search on the
//                  penalty that hits exactly s values (with path splicing
//                  when no penalty gives exactly s), O(d) memory.
//   ExactPairwise  accelerated layered DP: the two-interval cost
//                  g(k,m,j) = C(k,m) + C(m,j) is unimodal in m with a
//                  monotone argmin, so the first and the last pair of values
//                  are placed by O(d) pointer sweeps: s-5 SMAWK passes
//                  (none for s <= 5).
//   Exact          picks the fastest exact solver for (d, s): pairwise for
//                  s <= 5, otherwise Lagrange started from the penalty that
//                  solves the same problem on 2048 candidates.
//   Grid           M equal-width bins with raw-data sums; exactly optimal
//                  among the M+1 grid points (ApproxQUIVER).
//   VMix           the min-max relaxation (greedy + bisection) picks
//                  max(10 s, 1000) candidates, then exact DP on them with
//                  full-data sums.
//   Refine         multigrid: uniform+quantile candidates, exact DP on them,
//                  then two rounds of exact DP on dense candidates around the
//                  chosen values; all sums from the full data.
//
// All solvers use compensated (double-double) prefix sums. Ties between
// equally good solutions are broken deterministically.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_ASQ_H
#define QFORGE_NUMERICS_ASQ_H

#include "qforge/Numerics/Support.h"

#include <cstdint>
#include <vector>

namespace qforge::num {

/// Interval costs over a sorted list of candidate points p_0 <= ... <= p_n-1
/// with (weighted) prefix sums of the data: cost(k, j) is the expected
/// squared error of the data in [p_k, p_j] rounded stochastically to p_k and
/// p_j. For the exact solvers the points are the data themselves.
class IntervalCost {
public:
  IntervalCost() = default;
  /// Points = the sorted data x (n values), optional weights w (n values).
  /// Keeps a pointer to x: x must outlive the cost object.
  IntervalCost(const double *x, const double *w, int64_t n) { assign(x, w, n); }
  /// Same as the constructor, reusing this object's storage.
  void assign(const double *x, const double *w, int64_t n);

  int64_t size() const { return n; }
  /// Value of point k (in the original coordinates, bit-exact).
  double point(int64_t k) const { return src[k]; }
  /// cost(k, j) for k <= j.
  double operator()(int64_t k, int64_t j) const {
    const Entry &a = pt[k], &b = pt[j];
    return (b.p + a.p) * (b.s1 - a.s1) - (b.s2 - a.s2) -
           b.p * a.p * (b.s0 - a.s0);
  }

  /// Builds the cost over a subset of candidate values `cand` (sorted,
  /// cand[0] = min, cand.back() = max) with sums taken over all the data
  /// (sorted x, optional weights). Data equal to a candidate count on the
  /// candidate's right side (they cost nothing either way).
  static IntervalCost overCandidates(const double *x, const double *w,
                                     int64_t n,
                                     const std::vector<double> &cand);
  /// Same, reusing this object's storage.
  void assignCandidates(const double *x, const double *w, int64_t n,
                        const std::vector<double> &cand);

private:
  /// Prefix sums of the data strictly before the point, accumulated in
  /// double-double (compensated) and rounded once to double: an interval
  /// sum is then exact to about one ulp of the prefix magnitude, however
  /// long the vector.
  struct Entry {
    double p;  ///< point minus shift
    double s0; ///< sum of weights (count when unweighted)
    double s1; ///< sum of w * (x - shift)
    double s2; ///< sum of w * (x - shift)^2
  };
  std::vector<Entry> pt;
  std::vector<double> own; ///< candidate values (when not pointing at data)
  const double *src = nullptr;
  int64_t n = 0;
  double shift = 0;
};

enum class ASQSolver : uint8_t {
  Exact,
  ExactSMAWK,
  ExactPairwise,
  ExactLagrange,
  Grid,
  VMix,
  Refine,
};
const char *asqSolverName(ASQSolver s);

struct ASQOptions {
  ASQSolver solver = ASQSolver::Exact;
  int64_t gridBins = 1000;   ///< M for ASQSolver::Grid
  int64_t vmixFactor = 10;   ///< VMix candidates = max(vmixFactor * s,
  int64_t vmixMin = 1000;    ///<                      vmixMin)
  int64_t refineBins = 2048; ///< first-stage candidates for Refine
  int64_t refineWindow = 32; ///< dense candidates per value in later stages
  int refineRounds = 2;      ///< dense stages after the first
};

struct ASQResult {
  std::vector<double>
      values;               ///< s values, nondecreasing, min and max first/last
  double cost = 0;          ///< objective sum_i w_i (q_up-x_i)(x_i-q_down)
  int lambdaIterations = 0; ///< ExactLagrange: penalised solves run
  bool spliced = false;     ///< ExactLagrange: path splicing was needed
};

/// Solves ASQ on sorted `x` (d values, finite) with optional weights `w`
/// (d values >= 0, nullptr = all ones) for s >= 2 values. When x has at most
/// s distinct values the result is those values (padded by repeating the
/// maximum) with cost 0.
Status solveASQ(const double *x, const double *w, int64_t d, unsigned s,
                const ASQOptions &opts, ASQResult &out);

/// The exact layered DP over any IntervalCost: returns the indices of the s
/// chosen points (first = 0, last = n-1; may repeat when n < s) and the cost.
/// `pairwise` places the first two and the last two values by monotone
/// sweeps over the two-interval cost (two fewer SMAWK passes).
double solveIntervalDP(const IntervalCost &c, unsigned s,
                       std::vector<int64_t> &idx, bool pairwise = false);
/// Exact s-point optimum by Wilber + Lagrangian search over any IntervalCost.
/// `lambdaHint` (> 0) is a first penalty to try; `lambdaOut` receives the
/// penalty of the returned path.
double solveIntervalLagrange(const IntervalCost &c, unsigned s,
                             std::vector<int64_t> &idx,
                             int *iterations = nullptr, bool *spliced = nullptr,
                             double lambdaHint = 0,
                             double *lambdaOut = nullptr);

/// Objective of `values` (sorted) on sorted x with optional weights.
double asqCost(const double *x, const double *w, int64_t d,
               const std::vector<double> &values);
/// vNMSE = asqCost / sum_i w_i x_i^2 (0 when x is all zero).
double asqVNMSE(const double *x, const double *w, int64_t d,
                const std::vector<double> &values);

/// MDV (worst case): minimise max_i (q_up - x_i)(x_i - q_down) over s values.
/// Greedy oracle: true if budget v is achievable with s values; fills values.
bool mdvFeasible(const double *x, int64_t d, unsigned s, double v,
                 std::vector<double> *values = nullptr);
struct MDVResult {
  std::vector<double> values;
  double maxVariance = 0; ///< achieved max_i variance, <= (1+eps) optimum
  int oracleCalls = 0;
};
/// (1+eps) geometric search over the budget with the greedy oracle.
Status solveMDV(const double *x, int64_t d, unsigned s, double eps,
                MDVResult &out);
/// max_i (q_up - x_i)(x_i - q_down) for sorted values.
double mdvMaxVariance(const double *x, int64_t d,
                      const std::vector<double> &values);

/// Index of the largest value <= x (clamped to [0, n-2] when n >= 2), so
/// that values[i] <= x <= values[i+1] for x inside the range.
int64_t lowerCell(const double *values, int64_t n, double x);
/// Nearest value's index (ties to the lower value).
uint32_t roundNearest(const double *values, int64_t n, double x);
/// Unbiased stochastic rounding: returns the upper neighbour's index with
/// probability (x - lo) / (hi - lo) using uniform u in [0, 1).
uint32_t roundStochastic(const double *values, int64_t n, double x, double u);
/// Counter-based uniform in [0, 1) from (seed, stream, counter): the same
/// triple gives the same number on every thread and platform.
double counterUniform(uint64_t seed, uint64_t stream, uint64_t counter);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_ASQ_H
