//===- WeightUtils.cpp - Finding and naming weight constants --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "qforge/Dialect/QF/IR/QF.h"

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

bool isWeight(Operation *op) {
  if (auto ext = llvm::dyn_cast<ExternalConstantOp>(op))
    return ext.getType().getRank() >= 1;
  auto cst = llvm::dyn_cast<arith::ConstantOp>(op);
  if (!cst)
    return false;
  auto type = llvm::dyn_cast<RankedTensorType>(cst.getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 1 ||
      !llvm::isa<FloatType>(type.getElementType()))
    return false;
  if (op->hasAttr(kNameAttr))
    return true;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(cst.getValue()))
    return !dense.isSplat();
  return llvm::isa<DenseResourceElementsAttr>(cst.getValue());
}

std::vector<Operation *> collectWeights(ModuleOp module) {
  std::vector<Operation *> out;
  module.walk([&](Operation *op) {
    if (isWeight(op))
      out.push_back(op);
  });
  return out;
}

RankedTensorType weightType(Operation *weight) {
  return llvm::cast<RankedTensorType>(weight->getResult(0).getType());
}

DenseResourceElementsAttr weightResource(Operation *weight) {
  if (auto cst = llvm::dyn_cast<arith::ConstantOp>(weight))
    return llvm::dyn_cast<DenseResourceElementsAttr>(cst.getValue());
  return {};
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
  if (std::string s = nameFromLoc(op->getLoc()); !s.empty())
    return s;
  if (auto ext = llvm::dyn_cast<ExternalConstantOp>(op))
    return ext.getValue().getKey().str();
  return "";
}

void nameWeights(ModuleOp module) {
  llvm::StringMap<unsigned> seen;
  unsigned index = 0;
  for (Operation *op : collectWeights(module)) {
    std::string name = weightName(op);
    if (name.empty())
      name = "w" + std::to_string(index);
    ++index;
    unsigned &count = seen[name];
    std::string unique = name;
    if (count > 0)
      unique = name + "#" + std::to_string(count);
    ++count;
    op->setAttr(kNameAttr, StringAttr::get(op->getContext(), unique));
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

/// The values of `n` elements of type `elt` stored little-endian at `data`
/// (`size` bytes) as f32: a view when they are aligned f32, else converted
/// into `storage`. nullptr for a size mismatch or an unsupported type.
static const float *floatView(const char *data, size_t size, Type elt,
                              int64_t n, std::vector<float> &storage) {
  if (!elt.isIntOrFloat())
    return nullptr;
  unsigned width = elt.getIntOrFloatBitWidth();
  if (static_cast<int64_t>(size) != n * (width / 8))
    return nullptr;
  if (elt.isF32()) {
    if (reinterpret_cast<uintptr_t>(data) % alignof(float) == 0)
      return reinterpret_cast<const float *>(data);
    storage.resize(n);
    std::memcpy(storage.data(), data, n * sizeof(float));
    return storage.data();
  }
  if (elt.isF64()) {
    storage.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, data + 8 * i, 8);
      storage[i] = static_cast<float>(d);
    }
    return storage.data();
  }
  if (elt.isF16() || elt.isBF16()) {
    storage.resize(n);
    const llvm::fltSemantics &sem =
        llvm::cast<FloatType>(elt).getFloatSemantics();
    for (int64_t i = 0; i < n; ++i) {
      uint16_t b;
      std::memcpy(&b, data + 2 * i, 2);
      storage[i] = halfBitsToFloat(b, sem);
    }
    return storage.data();
  }
  return nullptr;
}

const float *weightData(Operation *weight, std::vector<float> &storage,
                        std::shared_ptr<const void> &owner,
                        std::string &error) {
  error.clear();
  RankedTensorType type = weightType(weight);
  Type elt = type.getElementType();
  int64_t n = type.getNumElements();
  if (auto ext = llvm::dyn_cast<ExternalConstantOp>(weight)) {
    io::ExternalTensor t;
    if (failed(ext.resolve(t, error)))
      return nullptr;
    owner = t.owner;
    return floatView(reinterpret_cast<const char *>(t.data), t.nbytes, elt, n,
                     storage);
  }
  auto op = llvm::cast<arith::ConstantOp>(weight);
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(op.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return nullptr;
    ArrayRef<char> data = blob->getData();
    return floatView(data.data(), data.size(), elt, n, storage);
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
