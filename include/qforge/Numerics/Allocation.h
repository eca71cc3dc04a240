//===- Allocation.h - Fisher-guided bit allocation --------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Bit allocation across the tensors of a model under a size budget (Orr,
// Ribar, Luschi, "Optimal Formats for Weight Quantisation", 2025).
//
// The objective is the predicted KL divergence of the quantized model,
//   KL ~= 1/2 sum_i Fbar_i ||delta theta_i||^2 = 1/2 sum_i n_i Fbar_i MSE_i,
// subject to sum_i n_i b_i <= B (b_i in bits per parameter, scales and other
// side data included).
//
// Two solvers:
//  * closed form: with the high-rate model MSE_i = sigma_i^2 2^{-2 b_i},
//      b_i = b_avg + 1/2 log2(Fbar_i sigma_i^2 / G),
//    G the element-weighted geometric mean of Fbar sigma^2. With bounds
//    [lo, hi] the exact constrained optimum of the same model is the
//    water-filling b_i = clamp(theta + 1/2 log2(Fbar_i sigma_i^2), lo, hi)
//    with theta found by bisection so that sum n_i b_i = B. Rounding to the
//    discrete options of each unit: take the largest option rate <= b_i
//    (never above the continuous budget), then spend the remaining budget
//    greedily on the upgrade with the largest model-distortion decrease per
//    bit that still fits ("budget repair"). Never above the budget.
//  * rd-exact: the multiple-choice knapsack on measured (rate, distortion)
//    points. A Lagrangian relaxation (bisection on lambda, each unit picks
//    argmin d + lambda n r) gives a feasible start; a greedy fill spends the
//    slack; then an exact dynamic programme over the budget in units of the
//    gcd of the integral option costs replaces it whenever the table is small
//    enough (it is for every model with integral bit costs and up to a few
//    thousand units). Never above the budget.
//
// A unit is a set of tensors allocated as one decision (a ModCap group).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_ALLOCATION_H
#define QFORGE_NUMERICS_ALLOCATION_H

#include "qforge/Numerics/Support.h"

#include <cstdint>
#include <vector>

namespace qforge::num {

/// One tensor of the closed-form model.
struct AllocTensor {
  int64_t numel = 0;
  double fisher = 1.0;   ///< mean diagonal Fisher Fbar
  double variance = 1.0; ///< sigma^2 of the weights (mean square)
};

/// The unclamped, unrounded closed form b_i = b_avg + 1/2 log2(F_i s_i^2/G)
/// (sum n_i b_i = b_avg sum n_i exactly). Tensors with F s^2 = 0 get -inf.
std::vector<double> closedFormBits(const std::vector<AllocTensor> &tensors,
                                   double avgBits);

/// The geometric mean G of the closed form (element-weighted).
double closedFormG(const std::vector<AllocTensor> &tensors);

/// Water-filling: b_i = clamp(theta + 1/2 log2(F_i s_i^2), lo, hi) with
/// sum n_i b_i = avgBits * sum n_i. Requires lo <= avgBits <= hi.
std::vector<double>
clampedClosedFormBits(const std::vector<AllocTensor> &tensors, double avgBits,
                      double lo, double hi);

/// An option of a decision unit: its rate in bits per parameter and its
/// distortion (the unit's contribution to the objective, e.g.
/// sum over its tensors of n F MSE).
struct RDPoint {
  double rate = 0;
  double distortion = 0;
};

/// A decision unit of the knapsack: `numel` parameters, options sorted or
/// not (the solver does not care). Option costs are numel * rate bits.
struct AllocUnit {
  int64_t numel = 0;
  std::vector<RDPoint> options;
};

struct AllocResult {
  std::vector<int> choice; ///< index into each unit's options
  double totalBits = 0;    ///< sum numel * rate
  double distortion = 0;   ///< sum of chosen distortions
  double bitsPerParam = 0; ///< totalBits / sum numel
  bool exact = false;      ///< solved by the exact dynamic programme
};

/// Total objective and rate of a given choice.
void evaluateChoice(const std::vector<AllocUnit> &units, AllocResult &r);

/// Rounds a continuous allocation `bits` (one value per unit) to the unit
/// options as the closed form documents (largest rate <= b_i, then greedy
/// repair with the options' distortions). Errors when even the smallest
/// options exceed the budget.
Status roundAllocation(const std::vector<AllocUnit> &units,
                       const std::vector<double> &bits, double budgetBits,
                       AllocResult &out);

/// Closed-form allocation over units: `model[i]` describes unit i by its
/// element count and its effective F s^2 (for a unit of several tensors:
/// sum n F s^2 / sum n, which makes the model exact for a shared rate).
/// Bounds are the option rates in [minBits, maxBits].
Status closedFormAllocate(const std::vector<AllocUnit> &units,
                          const std::vector<AllocTensor> &model, double avgBits,
                          AllocResult &out);

/// rd-exact: minimise sum distortion s.t. sum numel * rate <= budgetBits.
Status rdExactAllocate(const std::vector<AllocUnit> &units, double budgetBits,
                       AllocResult &out);

/// Predicted KL share of a tensor: 1/2 * Fbar * ||delta theta||^2.
inline double predictedKL(double fisher, double sumSquaredError) {
  return 0.5 * fisher * sumSquaredError;
}

} // namespace qforge::num

#endif // QFORGE_NUMERICS_ALLOCATION_H
