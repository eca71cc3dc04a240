//===- MLIRFuzzSupport.h - Shared setup of the MLIR fuzz targets -*- C++
//-*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// One MLIRContext per process with the dialects the qf pipelines use, and a
// diagnostic handler that swallows every diagnostic (bad input must produce
// diagnostics, never a crash; the fuzz targets only check the latter).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_FUZZ_MLIRFUZZSUPPORT_H
#define QFORGE_FUZZ_MLIRFUZZSUPPORT_H

#include "qforge/Dialect/QF/IR/QF.h"
#include "qforge/Dialect/QF/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace qforge::fuzz {

/// The process-wide context: qf, func, arith, tensor, linalg and quant
/// loaded, single-threaded (the fuzzer runs one input at a time), every
/// diagnostic swallowed unless QFORGE_FUZZ_VERBOSE is set. Pass registration
/// happens once as well.
inline mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registry.insert<qf::QFDialect, mlir::func::FuncDialect,
                    mlir::arith::ArithDialect, mlir::tensor::TensorDialect,
                    mlir::linalg::LinalgDialect, mlir::quant::QuantDialect>();
    auto *c =
        new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    c->loadAllAvailableDialects();
    // QFORGE_FUZZ_VERBOSE=1 prints the diagnostics (to debug a harness).
    static const bool verbose = std::getenv("QFORGE_FUZZ_VERBOSE") != nullptr;
    c->getDiagEngine().registerHandler([](mlir::Diagnostic &d) {
      if (verbose)
        llvm::errs() << d.getLocation() << ": " << d << "\n";
      return mlir::success();
    });
    qf::registerQFPasses();
    qf::registerQFQuantizePipeline();
    return c;
  }();
  return *ctx;
}

} // namespace qforge::fuzz

#endif // QFORGE_FUZZ_MLIRFUZZSUPPORT_H
