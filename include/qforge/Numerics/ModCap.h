//===- ModCap.h - Module capacity and oscillation-aware grouping -*- C++
//-*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Data-free module capacity (ModCap, Ma et al., "Solving Oscillation Problem
// in Post-Training Quantization Through a Theoretical Perspective", CVPR
// 2023). The reconstruction loss of block-wise PTQ oscillates across depth
// where the capacity of adjacent modules changes sharply; merging the
// modules across the largest capacity changes into one unit, optimised and
// quantized jointly, removes the oscillation.
//
//   ModCap(m) = sum over the layers l of m of params_l * bits_l * p(stride_l)
//
// Stride penalty p(s) (the released code does not contain it; our choice):
//   p(1) = 1,  p(s) = 1 / s  for s > 1 (the largest stride of the layer).
// A stride-s layer keeps 1/s^2 of the spatial positions of its input: its
// parameters see the same inputs but their output carries fewer samples, so
// its capacity to reproduce its input is reduced. Taking the full 1/s^2 would
// make every downsampling layer look like a capacity cliff and dominate the
// top-k; the geometric midpoint between "no penalty" (1) and "output-size
// proportional" (1/s^2) is 1/s, which marks a stride-2 layer as half the
// capacity of the same layer at stride 1.
//
// Differentials: d_m = |ModCap(m+1) - ModCap(m)| for adjacent modules in
// program order. The top-k differentials (ties: the earlier pair first) merge
// module m with m+1; merges chain (if d_m and d_{m+1} are both chosen,
// m, m+1 and m+2 form one unit). Pairs with a zero differential are never
// merged (no capacity change, nothing to smooth).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_MODCAP_H
#define QFORGE_NUMERICS_MODCAP_H

#include <cstdint>
#include <string>
#include <vector>

namespace qforge::num {

struct ModCapLayer {
  int64_t params = 0;
  double bits = 4.0;
  int64_t stride = 1;
};

struct ModCapModule {
  std::string name;
  std::vector<ModCapLayer> layers;
};

/// The documented stride penalty: 1 for stride <= 1, 1/s otherwise.
double modCapStridePenalty(int64_t stride);

/// Data-free capacity of one module.
double modCapCapacity(const ModCapModule &m);

struct ModCapResult {
  std::vector<double> capacity;     ///< per module
  std::vector<double> differential; ///< per adjacent pair (size n-1)
  std::vector<bool> merged;         ///< per pair: chosen among the top-k
  std::vector<int> unit;            ///< per module: unit index (0-based,
                                    ///< in program order)
  int numUnits = 0;
};

/// Capacities, differentials, top-k merge and units (chains allowed).
/// k larger than the number of pairs merges everything into one unit.
ModCapResult modCapGroup(const std::vector<ModCapModule> &modules, int64_t k);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_MODCAP_H
