//===- ModCapGroup.cpp - qf-modcap-group ----------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Module discovery and data-free ModCap grouping. The capacity, differentials
// and merge rule live in qforge/Numerics/ModCap.h; this pass finds modules,
// layers and strides in the IR and writes qf.module / qf.group.
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "qforge/Dialect/QF/Transforms/Passes.h"
#include "qforge/Numerics/ModCap.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>

namespace qforge::qf {
#define GEN_PASS_DEF_QFMODCAPGROUP
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge::qf;

/// `layer3.1.conv2.weight` -> `layer3.1`: drop a parameter suffix, then the
/// layer component. Empty when nothing is left.
static std::string modulePrefix(StringRef name) {
  SmallVector<StringRef> parts;
  name.split(parts, '.');
  static const char *params[] = {"weight", "bias", "kernel", "w", "b"};
  if (parts.size() > 1 && llvm::is_contained(params, parts.back()))
    parts.pop_back();
  if (parts.size() < 2)
    return "";
  parts.pop_back();
  return llvm::join(parts, ".");
}

/// Largest stride of an op that consumes the weight (1 if none).
static int64_t strideOf(Operation *weight) {
  int64_t stride = 1;
  for (Operation *user : weight->getUsers()) {
    Attribute a = user->getAttr("strides");
    if (auto d = llvm::dyn_cast_or_null<DenseIntElementsAttr>(a)) {
      for (const APInt &v : d.getValues<APInt>())
        stride = std::max<int64_t>(stride, v.getSExtValue());
    } else if (auto arr = llvm::dyn_cast_or_null<DenseI64ArrayAttr>(a)) {
      for (int64_t v : arr.asArrayRef())
        stride = std::max(stride, v);
    }
  }
  return stride;
}

namespace {
struct ModCapGroup : public qforge::qf::impl::QFModCapGroupBase<ModCapGroup> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode != "data-free") {
      if (mode == "data-dependent")
        module.emitError("qf-modcap-group: mode=data-dependent needs the "
                         "reconstruction loss from calibration data, which "
                         "this pass does not take; use mode=data-free");
      else
        module.emitError("qf-modcap-group: unknown mode '")
            << mode.getValue() << "' (expected data-free)";
      return signalPassFailure();
    }
    if (topK < 0) {
      module.emitError("qf-modcap-group: top-k must be >= 0, got ")
          << topK.getValue();
      return signalPassFailure();
    }
    if (!(defaultBits > 0)) {
      module.emitError("qf-modcap-group: default-bits must be positive");
      return signalPassFailure();
    }
    nameWeights(module);
    std::vector<Operation *> weights = collectWeights(module);

    // Program order of every op; a weight's position on the data path is
    // that of its first consumer (its own if it has none).
    llvm::DenseMap<Operation *, int64_t> walkOrder;
    int64_t counter = 0;
    module.walk([&](Operation *op) { walkOrder[op] = counter++; });
    auto firstUser = [&](Operation *w) -> Operation * {
      Operation *user = nullptr;
      for (Operation *u : w->getUsers())
        if (!user || walkOrder.lookup(u) < walkOrder.lookup(user))
          user = u;
      return user;
    };
    auto position = [&](Operation *w) {
      Operation *u = firstUser(w);
      return walkOrder.lookup(u ? u : w);
    };
    // Fallback modules are named op<N>, N the rank of the consuming op in
    // program order among the consumers of unnamed-module weights.
    std::vector<std::string> moduleOf(weights.size());
    std::vector<Operation *> fallbackUsers;
    for (auto [i, w] : llvm::enumerate(weights)) {
      if (auto a = w->getAttrOfType<StringAttr>(kModuleAttr))
        moduleOf[i] = a.str();
      if (moduleOf[i].empty())
        moduleOf[i] = modulePrefix(weightName(w));
      if (moduleOf[i].empty()) {
        if (Operation *u = firstUser(w))
          fallbackUsers.push_back(u);
        else
          moduleOf[i] = weightName(w);
      }
    }
    llvm::sort(fallbackUsers, [&](Operation *a, Operation *b) {
      return walkOrder.lookup(a) < walkOrder.lookup(b);
    });
    fallbackUsers.erase(std::unique(fallbackUsers.begin(), fallbackUsers.end()),
                        fallbackUsers.end());
    for (auto [i, w] : llvm::enumerate(weights))
      if (moduleOf[i].empty()) {
        Operation *u = firstUser(w);
        auto it = llvm::find(fallbackUsers, u);
        moduleOf[i] = "op" + std::to_string(it - fallbackUsers.begin());
      }
    // Modules ordered by the position of their first weight on the data
    // path (stable: ties keep the order of the weights).
    std::vector<size_t> order(weights.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::map<std::string, int64_t> modulePos;
    for (auto [i, w] : llvm::enumerate(weights)) {
      int64_t p = position(w);
      auto [it, inserted] = modulePos.try_emplace(moduleOf[i], p);
      if (!inserted)
        it->second = std::min(it->second, p);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return modulePos[moduleOf[a]] < modulePos[moduleOf[b]];
    });
    llvm::MapVector<std::string, std::vector<Operation *>,
                    std::map<std::string, unsigned>>
        modules;
    for (size_t i : order)
      modules[moduleOf[i]].push_back(weights[i]);

    std::vector<qforge::num::ModCapModule> mods;
    for (auto &[name, ws] : modules) {
      qforge::num::ModCapModule mod;
      mod.name = name;
      for (Operation *w : ws) {
        qforge::num::ModCapLayer l;
        RankedTensorType type = weightType(w);
        l.params = type.getNumElements();
        l.bits = defaultBits;
        if (auto f = w->getAttrOfType<FormatAttr>(kFormatAttr))
          l.bits = f.getBitsPerWeight(type.getShape());
        l.stride = strideOf(w);
        mod.layers.push_back(l);
      }
      mods.push_back(std::move(mod));
    }
    qforge::num::ModCapResult r = qforge::num::modCapGroup(mods, topK);

    // Unit names and sizes.
    std::vector<std::string> unitFirst(r.numUnits), unitLast(r.numUnits);
    std::vector<int> unitSize(r.numUnits, 0);
    for (size_t i = 0; i < mods.size(); ++i) {
      int u = r.unit[i];
      if (unitSize[u]++ == 0)
        unitFirst[u] = mods[i].name;
      unitLast[u] = mods[i].name;
    }
    MLIRContext *ctx = module.getContext();
    size_t i = 0;
    for (auto &[name, ws] : modules) {
      int u = r.unit[i++];
      for (Operation *w : ws) {
        w->setAttr(kModuleAttr, StringAttr::get(ctx, name));
        if (unitSize[u] > 1)
          w->setAttr(kGroupAttr,
                     StringAttr::get(ctx, unitFirst[u] + "+" + unitLast[u]));
      }
    }

    if (report) {
      llvm::raw_ostream &os = llvm::errs();
      os << "qf-modcap-group: data-free ModCap, top-k = " << topK.getValue()
         << ", " << mods.size() << " modules, " << r.numUnits << " units\n";
      os << llvm::format("%-24s %6s %12s %14s %14s %6s\n", "module", "layers",
                         "params", "capacity", "diff-to-next", "unit");
      for (size_t j = 0; j < mods.size(); ++j) {
        int64_t params = 0;
        for (auto &l : mods[j].layers)
          params += l.params;
        std::string diff = "-";
        if (j + 1 < mods.size())
          diff = llvm::formatv("{0:F1}{1}", r.differential[j],
                               r.merged[j] ? "*" : "")
                     .str();
        os << llvm::format("%-24s %6zu %12lld %14.1f %14s %6d\n",
                           mods[j].name.c_str(), mods[j].layers.size(),
                           static_cast<long long>(params), r.capacity[j],
                           diff.c_str(), r.unit[j]);
      }
    }
  }
};
} // namespace
