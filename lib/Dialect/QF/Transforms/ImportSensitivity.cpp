//===- ImportSensitivity.cpp - qf-import-sensitivity ----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Names every weight and attaches its mean diagonal Fisher (qf.fisher) and,
// when given, the activations' second moments (qf.act_sq) from a JSON
// sidecar: {"tensors": {"<name>": {"fisher": F, "act_sq": [...]}}}.
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "qforge/Dialect/QF/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace qforge::qf {
#define GEN_PASS_DEF_QFIMPORTSENSITIVITY
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge::qf;

namespace {
struct ImportSensitivity
    : public qforge::qf::impl::QFImportSensitivityBase<ImportSensitivity> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    if (!(defaultFisher >= 0)) {
      module.emitError("qf-import-sensitivity: default-fisher must be >= 0, "
                       "got ")
          << defaultFisher.getValue();
      return signalPassFailure();
    }
    nameWeights(module);

    std::optional<llvm::json::Value> json;
    const llvm::json::Object *tensors = nullptr;
    bool haveFile = false;
    if (!file.empty()) {
      auto buffer = llvm::MemoryBuffer::getFile(file);
      if (!buffer) {
        module.emitWarning("qf-import-sensitivity: cannot read sensitivity "
                           "file '")
            << file << "' (" << buffer.getError().message()
            << "); using the default F = " << defaultFisher.getValue()
            << " for every weight without qf.fisher";
      } else {
        llvm::Expected<llvm::json::Value> parsed =
            llvm::json::parse((*buffer)->getBuffer());
        if (!parsed) {
          std::string msg = llvm::toString(parsed.takeError());
          // llvm::json reports "[line:col, byte=N]: message".
          unsigned line = 0, col = 0;
          (void)sscanf(msg.c_str(), "[%u:%u", &line, &col);
          Location loc = FileLineColLoc::get(ctx, file, line, col);
          emitError(loc, "qf-import-sensitivity: malformed JSON in '")
              << file << "': " << msg;
          return signalPassFailure();
        }
        json = std::move(*parsed);
        const llvm::json::Object *root = json->getAsObject();
        tensors = root ? root->getObject("tensors") : nullptr;
        if (!tensors) {
          emitError(FileLineColLoc::get(ctx, file, 1, 1),
                    "qf-import-sensitivity: '")
              << file << "' has no \"tensors\" object";
          return signalPassFailure();
        }
        haveFile = true;
      }
    }

    Builder b(ctx);
    for (Operation *op : collectWeights(module)) {
      std::string name = weightName(op);
      const llvm::json::Object *entry =
          tensors ? tensors->getObject(name) : nullptr;
      if (!entry) {
        if (op->hasAttr(kFisherAttr))
          continue;
        if (haveFile)
          op->emitWarning("qf-import-sensitivity: no sensitivity for weight '")
              << name << "' in '" << file.getValue()
              << "'; using the default F = " << defaultFisher.getValue();
        op->setAttr(kFisherAttr, b.getF64FloatAttr(defaultFisher));
        continue;
      }
      std::optional<double> fisher = entry->getNumber("fisher");
      if (!fisher || !(*fisher >= 0) || !std::isfinite(*fisher)) {
        op->emitError("qf-import-sensitivity: weight '")
            << name << "' in '" << file.getValue()
            << "' needs a finite non-negative number \"fisher\"";
        return signalPassFailure();
      }
      op->setAttr(kFisherAttr, b.getF64FloatAttr(*fisher));
      if (const llvm::json::Array *act = entry->getArray("act_sq")) {
        RankedTensorType type = weightType(op);
        std::vector<float> values;
        for (const llvm::json::Value &v : *act) {
          std::optional<double> d = v.getAsNumber();
          if (!d || !(*d >= 0)) {
            op->emitError("qf-import-sensitivity: \"act_sq\" of '")
                << name << "' must hold non-negative numbers";
            return signalPassFailure();
          }
          values.push_back(static_cast<float>(*d));
        }
        int64_t last = type.getShape().back();
        if (static_cast<int64_t>(values.size()) != last) {
          op->emitError("qf-import-sensitivity: \"act_sq\" of '")
              << name << "' has " << values.size()
              << " values but the last dimension is " << last;
          return signalPassFailure();
        }
        op->setAttr(kActSqAttr, b.getDenseF32ArrayAttr(values));
      }
    }
  }
};
} // namespace
