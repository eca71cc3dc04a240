//===- InitAll.cpp - Register every QForge dialect, pass and pipeline -----===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/InitAll.h"

#include "qforge/Conversion/Passes.h"
#include "qforge/Conversion/QFToGPU/QFToGPU.h"
#include "qforge/Conversion/QFToVector/QFToVector.h"
#include "qforge/Dialect/QF/IR/QF.h"
#include "qforge/Dialect/QF/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"

void qforge::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<qf::QFDialect>();
}

void qforge::registerAllPasses() {
  qf::registerQFPasses();
  registerQFConversionPasses();
  qf::registerQFQuantizePipeline();
  registerQFNVPTXPipeline();
  registerQFCPUPipeline();
  // Pipelines (qf-quantize-pipeline, qf-cpu-pipeline, qf-nvptx-pipeline)
  // register here too, one call each.
}
