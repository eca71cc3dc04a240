//===- Pipeline.cpp - qf-quantize-pipeline --------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// qf-quantize-pipeline: qf-import-sensitivity -> qf-modcap-group ->
// qf-allocate-bits -> qf-quantize-weights -> qf-fuse-dequant-matmul
// (-> qf-report when report= or table= is given).
//
//===----------------------------------------------------------------------===//

#include "qforge/Dialect/QF/Transforms/Passes.h"

#include "WeightUtils.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
namespace num = qforge::num;

namespace {
struct QuantizePipelineOptions
    : public PassPipelineOptions<QuantizePipelineOptions> {
  Option<double> avgBits{*this, "avg-bits",
                         llvm::cl::desc("Budget in bits per parameter"),
                         llvm::cl::init(4.0)};
  Option<std::string> sensitivity{*this, "sensitivity",
                                  llvm::cl::desc("JSON sensitivity sidecar"),
                                  llvm::cl::init("")};
  Option<int64_t> topK{*this, "top-k",
                       llvm::cl::desc("ModCap: differentials to merge"),
                       llvm::cl::init(0)};
  Option<bool> modcapReport{*this, "modcap-report",
                            llvm::cl::desc("Print the ModCap table"),
                            llvm::cl::init(false)};
  Option<std::string> method{*this, "method",
                             llvm::cl::desc("closed-form | rd-exact"),
                             llvm::cl::init("closed-form")};
  ListOption<std::string> candidates{*this, "candidates",
                                     llvm::cl::desc("Candidate formats")};
  Option<double> minBits{*this, "min-bits", llvm::cl::init(0.0),
                         llvm::cl::desc("Smallest code width")};
  Option<double> maxBits{*this, "max-bits", llvm::cl::init(16.0),
                         llvm::cl::desc("Largest code width")};
  Option<std::string> quantizeMethod{
      *this, "quantize-method", llvm::cl::desc("rtn | search | asq | kashin"),
      llvm::cl::init("rtn")};
  Option<unsigned> threads{
      *this, "threads", llvm::cl::desc("Threads (0 = all)"), llvm::cl::init(0)};
  Option<bool> progress{*this, "progress", llvm::cl::desc("Show progress"),
                        llvm::cl::init(false)};
  Option<std::string> report{*this, "report",
                             llvm::cl::desc("Write the JSON report here"),
                             llvm::cl::init("")};
  Option<bool> table{*this, "table",
                     llvm::cl::desc("Print the report table on stderr"),
                     llvm::cl::init(false)};
  Option<std::string> outputFile{
      *this, "output-file",
      llvm::cl::desc("Write the packed weights to this .safetensors or "
                     ".gguf file (qf-quantize-weights output-file)"),
      llvm::cl::init("")};
};
} // namespace

void qforge::qf::registerQFQuantizePipeline() {
  PassPipelineRegistration<QuantizePipelineOptions>(
      "qf-quantize-pipeline",
      "Sensitivities, ModCap grouping, Fisher bit allocation, weight "
      "quantization, dequant-matmul fusion (and the report)",
      [](OpPassManager &pm, const QuantizePipelineOptions &o) {
        QFImportSensitivityOptions is;
        is.file = o.sensitivity;
        pm.addPass(createQFImportSensitivity(is));
        QFModCapGroupOptions mc;
        mc.topK = o.topK;
        mc.report = o.modcapReport;
        // A bad budget is diagnosed by qf-allocate-bits.
        mc.defaultBits = o.avgBits > 0 ? double(o.avgBits) : 4.0;
        pm.addPass(createQFModCapGroup(mc));
        QFAllocateBitsOptions ab;
        ab.avgBits = o.avgBits;
        ab.method = o.method;
        ab.candidates.assign(o.candidates.begin(), o.candidates.end());
        // Learned and Kashin codes carry codebooks: allocate over the
        // formats the quantizer will really write, so that the budget counts
        // their storage. Specs that do not parse are left for
        // qf-allocate-bits to diagnose.
        std::string qm = o.quantizeMethod;
        if (qm == "asq" || qm == "kashin") {
          std::vector<std::string> specs(ab.candidates.begin(),
                                         ab.candidates.end());
          if (specs.empty())
            specs.assign(std::begin(kDefaultAllocationCandidates),
                         std::end(kDefaultAllocationCandidates));
          std::vector<std::string> mapped;
          for (const std::string &spec : specs) {
            num::FormatSpec f;
            if (num::FormatSpec::parse(spec, f).ok() &&
                applyQuantizeMethod(qm, f).ok())
              mapped.push_back(f.str());
            else
              mapped.push_back(spec);
          }
          ab.candidates.assign(mapped.begin(), mapped.end());
        }
        ab.minBits = o.minBits;
        ab.maxBits = o.maxBits;
        ab.threads = o.threads;
        pm.addPass(createQFAllocateBits(ab));
        QFQuantizeWeightsOptions qw;
        qw.method = o.quantizeMethod;
        qw.threads = o.threads;
        qw.progress = o.progress;
        qw.outputFile = o.outputFile;
        pm.addPass(createQFQuantizeWeights(qw));
        pm.addPass(createQFFuseDequantMatmul());
        if (!o.report.empty() || o.table) {
          QFReportOptions r;
          r.file = o.report;
          r.table = o.table;
          pm.addPass(createQFReport(r));
        }
      });
}
