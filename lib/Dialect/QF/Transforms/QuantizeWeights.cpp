//===- QuantizeWeights.cpp - qf-quantize-weights --------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Quantizes every weight that has a qf.format with qforge::num::quantize
// (in parallel over tensors; bit-identical for any thread count) and
// replaces it by qf.constant + qf.dequantize. The packed sections are
// embedded as dense_resource blobs, or written with
// qforge::io::QuantizedWeightWriter to `output-file` (safetensors or GGUF)
// that the qf.constants then reference with #qf.external.
//
//===----------------------------------------------------------------------===//

#include "WeightUtils.h"

#include "qforge/Dialect/QF/IR/ExternalWeights.h"
#include "qforge/Dialect/QF/Transforms/Passes.h"
#include "qforge/IO/Weights.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>

namespace qforge::qf {
#define GEN_PASS_DEF_QFQUANTIZEWEIGHTS
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge::qf;
namespace num = qforge::num;

static std::string blobKey(StringRef name, StringRef section) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  return key + "." + section.str();
}

namespace {
struct Task {
  Operation *op = nullptr;
  std::string name;
  num::FormatSpec format;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  const float *actSq = nullptr;
  std::vector<float> actSqStorage;
  num::QuantizedTensor result;
  double mse = 0, sqnr = 0, sse = 0;
  std::string error;
  bool readError = false; ///< the weight's data could not be read
};

/// Normalised spelling of a path, for comparisons.
static std::string normalizedPath(StringRef path) {
  llvm::SmallString<256> p(path);
  (void)llvm::sys::fs::make_absolute(p);
  llvm::sys::path::remove_dots(p, /*remove_dot_dot=*/true);
  return p.str().str();
}

struct QuantizeWeights
    : public qforge::qf::impl::QFQuantizeWeightsBase<QuantizeWeights> {
  using Base::Base;

  /// The output file replaces the whole file: no reference that stays in
  /// the IR (a weight this run does not replace, a constant written by an
  /// earlier run) may point to it.
  LogicalResult checkOutputNotReferenced(const std::vector<Task> &tasks) {
    ModuleOp module = getOperation();
    ExternalWeightResolver &resolver =
        ExternalWeightResolver::get(module.getContext());
    std::string out = normalizedPath(resolver.resolvePath(outputFile, module));
    llvm::DenseSet<Operation *> replaced;
    for (const Task &t : tasks)
      replaced.insert(t.op);
    WalkResult r = module.walk([&](Operation *op) {
      ExternalAttr ref;
      if (auto c = llvm::dyn_cast<ConstantOp>(op))
        ref = c.getExternalAttr();
      else if (auto e = llvm::dyn_cast<ExternalConstantOp>(op))
        ref = e.getValue();
      if (!ref || replaced.contains(op))
        return WalkResult::advance();
      std::string in = resolver.resolvePath(ref.getPath(), op);
      if (normalizedPath(in) != out && !llvm::sys::fs::equivalent(in, out))
        return WalkResult::advance();
      op->emitError("qf-quantize-weights: output-file '")
          << outputFile.getValue() << "' would replace '" << in
          << "', which this op still references";
      return WalkResult::interrupt();
    });
    return failure(r.wasInterrupted());
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    if (method != "rtn" && method != "search" && method != "asq" &&
        method != "kashin") {
      module.emitError("qf-quantize-weights: unknown method '")
          << method.getValue() << "' (expected rtn, search, asq or kashin)";
      return signalPassFailure();
    }
    if (!outputFile.empty()) {
      qforge::io::WeightFileKind kind;
      if (!qforge::io::weightFileKind(outputFile, kind).ok() ||
          (kind != qforge::io::WeightFileKind::SafeTensors &&
           kind != qforge::io::WeightFileKind::GGUF)) {
        emitError(module.getLoc(), "qf-quantize-weights: output-file '")
            << outputFile.getValue() << "' must end in .safetensors or .gguf";
        return signalPassFailure();
      }
    }
    nameWeights(module);
    std::vector<Task> tasks;
    for (Operation *op : collectWeights(module)) {
      auto fattr = op->getAttrOfType<FormatAttr>(kFormatAttr);
      if (!fattr)
        continue;
      Task t;
      t.op = op;
      t.name = weightName(op);
      t.format = fattr.getFormat();
      RankedTensorType type = weightType(op);
      t.shape = toVector(type.getShape());
      t.numel = type.getNumElements();
      if (num::Status s = applyQuantizeMethod(method, t.format); !s.ok()) {
        op->emitError("qf-quantize-weights: method '")
            << method.getValue() << "' cannot use format '" << fattr.getSpec()
            << "' of weight '" << t.name << "': " << s.message();
        return signalPassFailure();
      }
      if (num::Status s = t.format.verifyShape(t.shape); !s.ok()) {
        op->emitError("qf-quantize-weights: format '")
            << t.format.str() << "' cannot encode weight '" << t.name
            << "' of shape [" << type.getShape() << "]: " << s.message();
        return signalPassFailure();
      }
      if (auto act = op->getAttrOfType<DenseF32ArrayAttr>(kActSqAttr)) {
        if (static_cast<int64_t>(act.size()) == t.shape.back()) {
          t.actSqStorage.assign(act.asArrayRef().begin(),
                                act.asArrayRef().end());
          t.actSq = t.actSqStorage.data();
        }
      }
      tasks.push_back(std::move(t));
    }
    if (tasks.empty())
      return;
    if (!outputFile.empty() && failed(checkOutputNotReferenced(tasks)))
      return signalPassFailure();

    // Progress on stderr: requested, or stderr is a terminal.
    bool showProgress =
        progress || llvm::sys::Process::StandardErrIsDisplayed();
    int64_t totalBytes = 0;
    for (Task &t : tasks)
      totalBytes += t.numel * 4;
    std::atomic<int64_t> doneBytes{0};
    std::atomic<int64_t> doneTensors{0};
    std::mutex progressMutex;
    auto start = std::chrono::steady_clock::now();

    unsigned nThreads = threads == 0 ? num::defaultThreadCount() : threads;
    // Few tensors: parallelise inside each; many: across tensors.
    unsigned inner = tasks.size() >= nThreads ? 1 : nThreads;
    unsigned outer = tasks.size() >= nThreads ? nThreads : 1;
    num::parallelFor(
        static_cast<int64_t>(tasks.size()), 1, outer,
        [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            Task &t = tasks[i];
            std::vector<float> storage;
            std::shared_ptr<const void> owner;
            const float *data = weightData(t.op, storage, owner, t.error);
            if (!data) {
              t.readError = true;
              if (t.error.empty())
                t.error = "its data is not available (elided blob or "
                          "unsupported element type)";
              continue;
            }
            num::QuantizeOptions opts;
            opts.threads = inner;
            opts.actSq = t.actSq;
            num::Status s =
                num::quantize(data, t.shape, t.format, opts, t.result);
            std::vector<float> back;
            if (s.ok()) {
              back.resize(t.numel);
              s = num::dequantize(t.result, back.data(), inner);
            }
            if (!s.ok()) {
              t.error = s.message();
              continue;
            }
            num::ErrorMetrics m = num::errorMetrics(data, back.data(), t.numel);
            t.mse = m.mse;
            t.sqnr = m.sqnrDb;
            t.sse = m.mse * double(t.numel);
            int64_t bytes = doneBytes += t.numel * 4;
            int64_t n = ++doneTensors;
            if (showProgress) {
              std::lock_guard<std::mutex> lock(progressMutex);
              double secs = std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - start)
                                .count();
              double rate = secs > 0 ? bytes / secs : 0;
              double left = rate > 0 ? (totalBytes - bytes) / rate : 0;
              llvm::errs() << llvm::format(
                  "qf-quantize-weights: %lld/%zu tensors, %.1f MB/s, %.1f s "
                  "left\n",
                  static_cast<long long>(n), tasks.size(), rate / 1e6, left);
            }
          }
        });

    // Count references to each float resource so that a blob used only by
    // the replaced weight can be released.
    llvm::StringMap<unsigned> resourceUses;
    module.walk([&](arith::ConstantOp op) {
      if (auto r = llvm::dyn_cast<DenseResourceElementsAttr>(op.getValue()))
        ++resourceUses[r.getRawHandle().getKey()];
    });

    bool failed = false;
    for (Task &t : tasks) {
      if (t.error.empty())
        continue;
      if (t.readError)
        t.op->emitError("qf-quantize-weights: cannot read weight '")
            << t.name << "': " << t.error;
      else
        t.op->emitError("qf-quantize-weights: cannot quantize weight '")
            << t.name << "' as '" << t.format.str() << "': " << t.error;
      failed = true;
    }
    // With output-file, every tensor goes to one file (nothing is written
    // when a tensor failed).
    if (!outputFile.empty()) {
      if (failed)
        return signalPassFailure();
      qforge::io::QuantizedWeightWriter writer;
      for (Task &t : tasks)
        if (num::Status s = writer.addQuantized(t.name, t.result); !s.ok()) {
          t.op->emitError("qf-quantize-weights: ") << s.message();
          return signalPassFailure();
        }
      std::string path =
          ExternalWeightResolver::get(ctx).resolvePath(outputFile, module);
      if (num::Status s = writer.write(path); !s.ok()) {
        // Located at the module, without printing it (it may be large).
        emitError(module.getLoc(),
                  "qf-quantize-weights: cannot write output-file '")
            << path << "': " << s.message();
        return signalPassFailure();
      }
    }

    Type i8 = IntegerType::get(ctx, 8);
    for (Task &t : tasks) {
      if (!t.error.empty())
        continue;
      OpBuilder b(t.op);
      RankedTensorType floatType = weightType(t.op);
      auto qType = QuantizedTensorType::get(ctx, floatType.getShape(),
                                            floatType.getElementType(),
                                            FormatAttr::get(ctx, t.format));
      SmallVector<NamedAttribute> attrs;
      if (!outputFile.empty())
        attrs.push_back(b.getNamedAttr(
            "external", ExternalAttr::get(ctx, outputFile, t.name, qType)));
      for (unsigned s = 0; s < num::kNumSections && outputFile.empty(); ++s) {
        auto section = static_cast<num::Section>(s);
        std::vector<uint8_t> &bytes = t.result.section(section);
        if (bytes.empty())
          continue;
        auto type =
            RankedTensorType::get({static_cast<int64_t>(bytes.size())}, i8);
        AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<uint8_t>(bytes));
        std::vector<uint8_t>().swap(bytes);
        StringRef secName = ConstantOp::getSectionAttrName(section);
        attrs.push_back(b.getNamedAttr(
            secName, DenseI8ResourceElementsAttr::get(
                         type, blobKey(t.name, secName), std::move(blob))));
      }
      for (NamedAttribute a : t.op->getDiscardableAttrs())
        if (a.getName() != kFormatAttr)
          attrs.push_back(a);
      attrs.push_back(b.getNamedAttr(kMseAttr, b.getF64FloatAttr(t.mse)));
      attrs.push_back(b.getNamedAttr(
          kSqnrAttr,
          b.getF64FloatAttr(std::isfinite(t.sqnr) ? t.sqnr : 999.0)));
      attrs.push_back(b.getNamedAttr(kSseAttr, b.getF64FloatAttr(t.sse)));
      auto c = ConstantOp::create(b, t.op->getLoc(), TypeRange{qType},
                                  ValueRange{}, attrs);
      auto d =
          DequantizeOp::create(b, t.op->getLoc(), floatType, c.getResult());
      t.op->getResult(0).replaceAllUsesWith(d.getResult());
      DenseResourceElementsAttr res = weightResource(t.op);
      t.op->erase();
      t.result = num::QuantizedTensor();
      if (res && resourceUses.lookup(res.getRawHandle().getKey()) == 1)
        if (auto *entry = res.getRawHandle().getResource())
          entry->setBlob(AsmResourceBlob());
    }
    if (failed)
      signalPassFailure();
  }
};
} // namespace
