//===- AllocateBits.cpp - qf-allocate-bits --------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Fisher-guided bit allocation. The solvers live in
// qforge/Numerics/Allocation.h; this pass gathers the weights, their Fisher
// values, variances or measured rate-distortion points, builds the decision
// units (qf.group) and writes the chosen qf.format on every weight.
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "qforge/Dialect/QF/Transforms/Passes.h"
#include "qforge/Numerics/Allocation.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"

#include "llvm/ADT/MapVector.h"

#include <cmath>
#include <map>

namespace qforge::qf {
#define GEN_PASS_DEF_QFALLOCATEBITS
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge::qf;
namespace num = qforge::num;

namespace {
struct Weight {
  Operation *op = nullptr;
  std::string name;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  double fisher = 1;
  double variance = 0;
  const float *data = nullptr;
  std::vector<float> storage;
  std::shared_ptr<const void> owner; ///< keeps an external file mapped
  std::vector<int> valid; ///< candidate indices that can encode the shape
};

struct AllocateBits
    : public qforge::qf::impl::QFAllocateBitsBase<AllocateBits> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &msg) {
      module.emitError("qf-allocate-bits: ") << msg;
      signalPassFailure();
    };
    if (!(avgBits > 0) || !std::isfinite(avgBits))
      return fail("avg-bits must be a positive number of bits per "
                  "parameter, got " +
                  std::to_string(avgBits.getValue()));
    if (minBits < 0 || maxBits < 0)
      return fail("min-bits and max-bits must be >= 0");
    if (minBits > maxBits)
      return fail("min-bits (" + std::to_string(minBits.getValue()) +
                  ") is larger than max-bits (" +
                  std::to_string(maxBits.getValue()) + ")");
    if (method != "closed-form" && method != "rd-exact")
      return fail("unknown method '" + method.getValue() +
                  "' (expected closed-form or rd-exact)");

    std::vector<std::string> specs(candidates.begin(), candidates.end());
    if (specs.empty())
      specs.assign(std::begin(kDefaultAllocationCandidates),
                   std::end(kDefaultAllocationCandidates));
    std::vector<num::FormatSpec> formats;
    for (const std::string &s : specs) {
      num::FormatSpec f;
      num::Status st = num::FormatSpec::parse(s, f);
      if (st.ok())
        st = f.verify();
      if (!st.ok())
        return fail("unknown format '" + s + "': " + st.message());
      if (f.bits >= minBits && f.bits <= maxBits)
        formats.push_back(f);
    }
    if (formats.empty())
      return fail("no candidate format has between " +
                  std::to_string(minBits.getValue()) + " and " +
                  std::to_string(maxBits.getValue()) + " bits");

    nameWeights(module);
    std::vector<Weight> free;
    double fixedBits = 0, totalParams = 0;
    for (Operation *op : collectWeights(module)) {
      RankedTensorType type = weightType(op);
      std::vector<int64_t> shape = toVector(type.getShape());
      if (auto f = op->getAttrOfType<FormatAttr>(kFormatAttr)) {
        fixedBits +=
            8.0 * static_cast<double>(f.getStorageBytes(type.getShape()));
        totalParams += static_cast<double>(type.getNumElements());
        continue;
      }
      Weight w;
      w.op = op;
      w.name = weightName(op);
      w.shape = shape;
      w.numel = type.getNumElements();
      w.fisher = weightFisher(op, 1.0);
      for (size_t k = 0; k < formats.size(); ++k)
        if (formats[k].verifyShape(shape).ok())
          w.valid.push_back(static_cast<int>(k));
      if (w.valid.empty()) {
        op->emitWarning("qf-allocate-bits: no candidate format can encode "
                        "weight '")
            << w.name << "' of shape [" << type.getShape()
            << "]; it stays in floating point (outside the budget)";
        continue;
      }
      std::string error;
      w.data = weightData(op, w.storage, w.owner, error);
      if (!error.empty()) {
        op->emitError("qf-allocate-bits: cannot read weight '")
            << w.name << "': " << error;
        return signalPassFailure();
      }
      if (!w.data) {
        op->emitRemark("qf-allocate-bits: the data of weight '")
            << w.name << "' is not available (elided or unsupported "
            << "element type); left untouched";
        continue;
      }
      totalParams += static_cast<double>(w.numel);
      free.push_back(std::move(w));
    }
    if (free.empty())
      return;

    double budget = avgBits * totalParams - fixedBits;
    if (budget < 0)
      return fail("impossible budget: the weights with a hand-set qf.format "
                  "alone need " +
                  std::to_string(fixedBits / totalParams) +
                  " bits per parameter, more than avg-bits = " +
                  std::to_string(avgBits.getValue()));

    // Decision units: one per qf.group, else one per weight.
    llvm::MapVector<std::string, std::vector<size_t>,
                    std::map<std::string, unsigned>>
        unitMembers;
    for (size_t i = 0; i < free.size(); ++i) {
      std::string key = "\x01" + free[i].name;
      if (auto g = free[i].op->getAttrOfType<StringAttr>(kGroupAttr))
        key = g.str();
      unitMembers[key].push_back(i);
    }
    // Options of a unit: candidates valid for all its members.
    std::vector<std::vector<int>> unitFormats;
    for (auto &[key, members] : unitMembers) {
      std::vector<int> common;
      for (size_t k = 0; k < formats.size(); ++k) {
        bool ok = true;
        for (size_t m : members)
          ok &= llvm::is_contained(free[m].valid, static_cast<int>(k));
        if (ok)
          common.push_back(static_cast<int>(k));
      }
      if (common.empty())
        return fail("no candidate format can encode every weight of group '" +
                    key + "'");
      unitFormats.push_back(common);
    }

    unsigned nThreads = threads;
    // Variances (mean squares), one task per weight: deterministic.
    num::parallelFor(static_cast<int64_t>(free.size()), 1, nThreads,
                     [&](int64_t b, int64_t e) {
                       for (int64_t i = b; i < e; ++i) {
                         double s = 0;
                         for (int64_t j = 0; j < free[i].numel; ++j)
                           s += double(free[i].data[j]) * free[i].data[j];
                         free[i].variance = s / double(free[i].numel);
                       }
                     });

    // Measured distortion n F MSE per (weight, candidate) for rd-exact.
    std::vector<std::vector<double>> dist(
        free.size(), std::vector<double>(formats.size(), 0));
    if (method == "rd-exact") {
      std::vector<std::pair<size_t, int>> tasks;
      for (size_t i = 0; i < free.size(); ++i)
        for (int k : free[i].valid)
          tasks.push_back({i, k});
      std::vector<std::string> errors(tasks.size());
      num::parallelFor(static_cast<int64_t>(tasks.size()), 1, nThreads,
                       [&](int64_t b, int64_t e) {
                         for (int64_t t = b; t < e; ++t) {
                           auto [i, k] = tasks[t];
                           Weight &w = free[i];
                           num::QuantizeOptions opts;
                           opts.threads = 1;
                           num::QuantizedTensor q;
                           num::Status st = num::quantize(w.data, w.shape,
                                                          formats[k], opts, q);
                           std::vector<float> back(w.numel);
                           if (st.ok())
                             st = num::dequantize(q, back.data(), 1);
                           if (!st.ok()) {
                             errors[t] = st.message();
                             continue;
                           }
                           dist[i][k] = double(w.numel) * w.fisher *
                                        num::mse(w.data, back.data(), w.numel);
                         }
                       });
      for (size_t t = 0; t < tasks.size(); ++t)
        if (!errors[t].empty())
          return fail("cannot quantize weight '" + free[tasks[t].first].name +
                      "' as '" + specs[tasks[t].second] + "': " + errors[t]);
    }

    std::vector<num::AllocUnit> units;
    std::vector<num::AllocTensor> model;
    size_t u = 0;
    for (auto &[key, members] : unitMembers) {
      num::AllocUnit unit;
      double fs = 0;
      for (size_t m : members) {
        unit.numel += free[m].numel;
        fs += double(free[m].numel) * free[m].fisher * free[m].variance;
      }
      for (int k : unitFormats[u]) {
        double bits = 0, d = 0;
        for (size_t m : members) {
          bits += 8.0 * double(num::storageBytes(formats[k], free[m].shape));
          d += dist[m][k];
        }
        unit.options.push_back({bits / double(unit.numel), d});
      }
      model.push_back({unit.numel, 1.0, fs / double(unit.numel)});
      units.push_back(std::move(unit));
      ++u;
    }

    num::AllocResult result;
    num::Status st = method == "rd-exact"
                         ? num::rdExactAllocate(units, budget, result)
                         : [&] {
                             double unitParams = 0;
                             for (auto &x : units)
                               unitParams += double(x.numel);
                             return num::closedFormAllocate(
                                 units, model, budget / unitParams, result);
                           }();
    if (!st.ok())
      return fail(st.message() +
                  " (avg-bits = " + std::to_string(avgBits.getValue()) + ")");

    MLIRContext *ctx = module.getContext();
    u = 0;
    for (auto &[key, members] : unitMembers) {
      const num::FormatSpec &f = formats[unitFormats[u][result.choice[u]]];
      for (size_t m : members)
        free[m].op->setAttr(kFormatAttr, FormatAttr::get(ctx, f));
      ++u;
    }
    module->setAttr(kAvgBitsAttr, Builder(ctx).getF64FloatAttr(avgBits));
  }
};
} // namespace
