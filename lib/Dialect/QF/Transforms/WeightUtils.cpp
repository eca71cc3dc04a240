//===- WeightUtils.cpp - Finding and naming weight constants --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace mlir;

namespace qforge::qf {

int64_t numElements(Type type) {
  auto t = llvm::dyn_cast<RankedTensorType>(type);
  return t && t.hasStaticShape() ? t.getNumElements() : -1;
}

bool isWeight(arith::ConstantOp op) {
  auto type = llvm::dyn_cast<RankedTensorType>(op.getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 1 ||
      !llvm::isa<FloatType>(type.getElementType()))
    return false;
  if (op->hasAttr(kNameAttr))
    return true;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(op.getValue()))
    return !dense.isSplat();
  return llvm::isa<DenseResourceElementsAttr>(op.getValue());
}

std::vector<arith::ConstantOp> collectWeights(ModuleOp module) {
  std::vector<arith::ConstantOp> out;
  module.walk([&](arith::ConstantOp op) {
    if (isWeight(op))
      out.push_back(op);
  });
  return out;
}

static std::string nameFromLoc(Location loc) {
  if (auto n = llvm::dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = llvm::dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      if (std::string s = nameFromLoc(l); !s.empty())
        return s;
  return "";
}

std::string weightName(Operation *op) {
  if (auto s = op->getAttrOfType<StringAttr>(kNameAttr))
    return s.str();
  return nameFromLoc(op->getLoc());
}

void nameWeights(ModuleOp module) {
  llvm::StringMap<unsigned> seen;
  unsigned index = 0;
  for (arith::ConstantOp op : collectWeights(module)) {
    std::string name = weightName(op);
    if (name.empty())
      name = "w" + std::to_string(index);
    ++index;
    unsigned &count = seen[name];
    std::string unique = name;
    if (count > 0)
      unique = name + "#" + std::to_string(count);
    ++count;
    op->setAttr(kNameAttr, StringAttr::get(op.getContext(), unique));
  }
}

double weightFisher(Operation *op, double def) {
  if (auto f = op->getAttrOfType<FloatAttr>(kFisherAttr))
    return f.getValueAsDouble();
  return def;
}

static float halfBitsToFloat(uint16_t bits, const llvm::fltSemantics &sem) {
  llvm::APFloat v(sem, llvm::APInt(16, bits));
  bool lost;
  v.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return v.convertToFloat();
}

const float *weightData(arith::ConstantOp op, std::vector<float> &storage) {
  auto type = llvm::cast<RankedTensorType>(op.getType());
  Type elt = type.getElementType();
  int64_t n = type.getNumElements();
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(op.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return nullptr;
    ArrayRef<char> data = blob->getData();
    unsigned width = elt.getIntOrFloatBitWidth();
    if (static_cast<int64_t>(data.size()) != n * (width / 8))
      return nullptr;
    if (elt.isF32()) {
      if (reinterpret_cast<uintptr_t>(data.data()) % alignof(float) == 0)
        return reinterpret_cast<const float *>(data.data());
      storage.resize(n);
      std::memcpy(storage.data(), data.data(), n * sizeof(float));
      return storage.data();
    }
    storage.resize(n);
    if (elt.isF64()) {
      for (int64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, data.data() + 8 * i, 8);
        storage[i] = static_cast<float>(d);
      }
      return storage.data();
    }
    if (elt.isF16() || elt.isBF16()) {
      const llvm::fltSemantics &sem =
          llvm::cast<FloatType>(elt).getFloatSemantics();
      for (int64_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, data.data() + 2 * i, 2);
        storage[i] = halfBitsToFloat(b, sem);
      }
      return storage.data();
    }
    return nullptr;
  }
  auto dense = llvm::dyn_cast<DenseElementsAttr>(op.getValue());
  if (!dense)
    return nullptr;
  if (elt.isF32() && !dense.isSplat()) {
    ArrayRef<char> raw = dense.getRawData();
    if (static_cast<int64_t>(raw.size()) == n * 4) {
      storage.resize(n);
      std::memcpy(storage.data(), raw.data(), n * sizeof(float));
      return storage.data();
    }
  }
  storage.clear();
  storage.reserve(n);
  for (llvm::APFloat v : dense.getValues<llvm::APFloat>()) {
    bool lost;
    v.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
              &lost);
    storage.push_back(v.convertToFloat());
  }
  return storage.data();
}

const char *const kDefaultAllocationCandidates[kNumDefaultAllocationCandidates] =
    {"int2:g64:f16", "int3:g64:f16", "int4:g64:f16",
     "int5:g64:f16", "int6:g64:f16", "int8:g64:f16"};

/// Applies the quantization method to the format chosen by the allocation.
qforge::num::Status applyQuantizeMethod(llvm::StringRef method, qforge::num::FormatSpec &f) {
  if (method == "rtn")
    return qforge::num::Status::success();
  if (method == "search") {
    if (f.kind == qforge::num::ElementKind::Learned ||
        f.kind == qforge::num::ElementKind::Kashin || f.layout != qforge::num::Layout::Plain)
      return qforge::num::Status::success(); // no scale search for these
    f.scaleStat = qforge::num::ScaleStat::Search;
  } else if (method == "asq") {
    if (f.kind != qforge::num::ElementKind::Learned) {
      f.kind = qforge::num::ElementKind::Learned;
      f.levels = 1u << f.bits;
      f.scaleStat = qforge::num::ScaleStat::AbsMax;
      f.zeroPoint = false;
    }
  } else if (method == "kashin") {
    if (f.kind != qforge::num::ElementKind::Kashin) {
      unsigned b = f.bits;
      f.kind = qforge::num::ElementKind::Kashin;
      f.kashinBitsU = b - b / 2;
      f.kashinBitsV = b / 2;
      f.zeroPoint = false;
      // Kashin codes carry their own per-group centroids: no scales.
      f.scaleType = qforge::num::ScaleType::F32;
      f.scaleStat = qforge::num::ScaleStat::AbsMax;
      f.doubleQuant = false;
      f.doubleQuantGroup = 0;
    }
  } else {
    return qforge::num::Status::error("unknown method '" + method.str() +
                              "' (expected rtn, search, asq or kashin)");
  }
  // Normalise through the textual form so the attribute is canonical.
  qforge::num::FormatSpec parsed;
  if (qforge::num::Status s = qforge::num::FormatSpec::parse(f.str(), parsed); !s.ok())
    return s;
  f = parsed;
  return f.verify();
}

} // namespace qforge::qf
