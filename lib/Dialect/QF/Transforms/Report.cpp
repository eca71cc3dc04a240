//===- Report.cpp - qf-report ---------------------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Per quantized weight: name, shape, format, bits per weight (fixed-length
// storage and entropy-coded codes), MSE, SQNR, Fisher and the predicted KL
// share 1/2 F ||delta theta||^2; totals and the budget. JSON and/or a table.
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "qforge/Dialect/QF/Transforms/Passes.h"
#include "qforge/Numerics/Allocation.h"
#include "qforge/Numerics/Entropy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace qforge::qf {
#define GEN_PASS_DEF_QFREPORT
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge::qf;
namespace num = qforge::num;

namespace {
struct Row {
  std::string name, shape, format;
  int64_t numel = 0;
  double fixedBpw = 0, entropyBpw = 0, mse = 0, sqnr = 0, fisher = 1, kl = 0;
  bool haveEntropy = false, haveError = false;
};

static double attrOr(Operation *op, StringRef name, double def, bool *found) {
  if (auto f = op->getAttrOfType<FloatAttr>(name)) {
    if (found)
      *found = true;
    return f.getValueAsDouble();
  }
  return def;
}

struct Report : public qforge::qf::impl::QFReportBase<Report> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::vector<Row> rows;
    bool readFailed = false;
    module.walk([&](ConstantOp op) {
      auto qType = llvm::cast<QuantizedTensorType>(op.getType());
      Row r;
      r.name = weightName(op);
      if (r.name.empty())
        r.name = "qconst" + std::to_string(rows.size());
      for (auto [i, d] : llvm::enumerate(qType.getShape()))
        r.shape += (i ? "x" : "") + std::to_string(d);
      r.format = qType.getFormat().getSpec().str();
      r.numel = qType.getNumElements();
      r.fixedBpw = 8.0 * double(qType.getStorageBytes()) / double(r.numel);
      // The entropy needs the codes: inline, or read from the weight file
      // of external storage (an elided blob just has no entropy figure).
      num::QuantizedTensor q;
      std::string error;
      bool ok = succeeded(op.readData(q, error));
      if (!ok && op.getExternalAttr()) {
        op.emitError("qf-report: cannot read ")
            << op.getExternalAttr() << ": " << error;
        readFailed = true;
      }
      num::CodeStats stats;
      if (ok && num::codeStatistics(q, stats).ok()) {
        r.entropyBpw = stats.entropyBitsPerWeight;
        r.haveEntropy = true;
      }
      r.fisher = attrOr(op, kFisherAttr, 1.0, nullptr);
      bool found = false;
      r.mse = attrOr(op, kMseAttr, 0, &found);
      r.sqnr = attrOr(op, kSqnrAttr, 0, nullptr);
      double sse = attrOr(op, kSseAttr, r.mse * double(r.numel), nullptr);
      r.haveError = found;
      r.kl = num::predictedKL(r.fisher, sse);
      rows.push_back(r);
    });
    if (readFailed)
      return signalPassFailure();
    int64_t floatParams = 0;
    for (Operation *w : collectWeights(module))
      floatParams += weightType(w).getNumElements();

    double params = 0, bits = 0, ebits = 0, kl = 0;
    for (const Row &r : rows) {
      params += double(r.numel);
      bits += r.fixedBpw * double(r.numel);
      ebits += (r.haveEntropy ? r.entropyBpw : r.fixedBpw) * double(r.numel);
      kl += r.kl;
    }
    std::optional<double> budget;
    if (auto b = module->getAttrOfType<FloatAttr>(kAvgBitsAttr))
      budget = b.getValueAsDouble();

    if (!file.empty()) {
      std::error_code ec;
      std::unique_ptr<llvm::raw_fd_ostream> fileOs;
      llvm::raw_ostream *os = &llvm::outs();
      if (file != "-") {
        fileOs = std::make_unique<llvm::raw_fd_ostream>(file, ec);
        if (ec) {
          module.emitError("qf-report: cannot write '")
              << file.getValue() << "': " << ec.message();
          return signalPassFailure();
        }
        os = fileOs.get();
      }
      llvm::json::OStream j(*os, 2);
      j.object([&] {
        j.attributeArray("tensors", [&] {
          for (const Row &r : rows)
            j.object([&] {
              j.attribute("name", r.name);
              j.attribute("shape", r.shape);
              j.attribute("format", r.format);
              j.attribute("params", r.numel);
              j.attribute("bits_per_weight", r.fixedBpw);
              if (r.haveEntropy)
                j.attribute("entropy_bits_per_weight", r.entropyBpw);
              else
                j.attribute("entropy_bits_per_weight", nullptr);
              if (r.haveError) {
                j.attribute("mse", r.mse);
                j.attribute("sqnr_db", r.sqnr);
                j.attribute("predicted_kl", r.kl);
              } else {
                j.attribute("mse", nullptr);
                j.attribute("sqnr_db", nullptr);
                j.attribute("predicted_kl", nullptr);
              }
              j.attribute("fisher", r.fisher);
            });
        });
        j.attributeObject("totals", [&] {
          j.attribute("tensors", static_cast<int64_t>(rows.size()));
          j.attribute("params", static_cast<int64_t>(params));
          j.attribute("float_params", floatParams);
          j.attribute("bits_per_weight", params > 0 ? bits / params : 0.0);
          j.attribute("entropy_bits_per_weight",
                      params > 0 ? ebits / params : 0.0);
          j.attribute("storage_bytes", static_cast<int64_t>(bits / 8));
          j.attribute("predicted_kl", kl);
          if (budget)
            j.attribute("budget_bits_per_weight", *budget);
          else
            j.attribute("budget_bits_per_weight", nullptr);
        });
      });
      *os << "\n";
      os->flush();
    }

    if (table) {
      llvm::raw_ostream &os = llvm::errs();
      os << llvm::format("%-28s %-12s %-18s %7s %7s %11s %8s %10s %11s\n",
                         "tensor", "shape", "format", "bits", "H-bits", "MSE",
                         "SQNR-dB", "Fisher", "pred-KL");
      for (const Row &r : rows) {
        std::string h =
            r.haveEntropy ? llvm::formatv("{0:F3}", r.entropyBpw).str() : "-";
        os << llvm::format("%-28s %-12s %-18s %7.3f %7s %11.4e %8.2f "
                           "%10.4g %11.4e\n",
                           r.name.c_str(), r.shape.c_str(), r.format.c_str(),
                           r.fixedBpw, h.c_str(), r.mse, r.sqnr, r.fisher,
                           r.kl);
      }
      os << llvm::format("total: %zu tensors, %.0f params, %.3f bits/param "
                         "(entropy-coded %.3f), predicted KL %.4e",
                         rows.size(), params, params > 0 ? bits / params : 0.0,
                         params > 0 ? ebits / params : 0.0, kl);
      if (budget)
        os << llvm::format(", budget %.3f bits/param", *budget);
      if (floatParams)
        os << ", " << floatParams << " params left in float";
      os << "\n";
    }
  }
};
} // namespace
