//===- CPUPipelineTest.cpp - qf-cpu-pipeline without a pass registry ------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A compiler that links QForge builds the CPU pipeline from C++ without
// registering any pass (upstream or ours): buildQFCPUPipeline must not
// depend on the pass registry.
//
//===----------------------------------------------------------------------===//

#include "qforge/Conversion/QFToVector/QFToVector.h"
#include "qforge/InitAll.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "gtest/gtest.h"

namespace {

TEST(CPUPipeline, BuildsWithoutRegisteredPasses) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  qforge::registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  const char *src = R"mlir(
    func.func @gemv(%x: tensor<1x64xf32>,
                    %w: !qf.tensor<4x64xf32, #qf.format<"q4_0">>)
        -> tensor<1x4xf32> {
      %y = qf.matmul %x, %w {transpose_weight}
          : tensor<1x64xf32>, !qf.tensor<4x64xf32, #qf.format<"q4_0">>
          -> tensor<1x4xf32>
      return %y : tensor<1x4xf32>
    })mlir";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  ASSERT_TRUE(module);
  mlir::PassManager pm(&ctx);
  qforge::QFCPUPipelineOptions options;
  options.target = "avx512";
  qforge::buildQFCPUPipeline(pm, options);
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
  // Everything is in the LLVM dialect now, with the C interface wrapper.
  bool onlyLLVM = true;
  module->walk([&](mlir::Operation *op) {
    if (!llvm::isa<mlir::ModuleOp>(op) &&
        op->getDialect()->getNamespace() != "llvm")
      onlyLLVM = false;
  });
  EXPECT_TRUE(onlyLLVM);
  EXPECT_TRUE(module->lookupSymbol<mlir::LLVM::LLVMFuncOp>("_mlir_ciface_gemv"));
}

} // namespace
