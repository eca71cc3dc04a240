//===- main.cpp - A downstream tool linking the installed QForge ----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/InitAll.h"
#include "qforge/Numerics/Format.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

int main() {
  qforge::num::FormatSpec spec;
  if (!qforge::num::FormatSpec::parse("nf4:g64", spec))
    return 1;
  llvm::outs() << "spec " << spec.str() << " bpw " << spec.bitsPerWeight()
               << "\n";

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  qforge::registerAllDialects(registry);
  qforge::registerAllPasses();
  mlir::MLIRContext context(registry);
  // Print every diagnostic (remarks included) as a real tool would.
  mlir::ScopedDiagnosticHandler handler(&context, [](mlir::Diagnostic &d) {
    llvm::errs() << d.getLocation() << ": " << d.str() << "\n";
    return mlir::success();
  });
  const char *src = R"mlir(
    func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
      %q = quant.qcast %x : tensor<4x8xf32> to tensor<4x8x!quant.uniform<i8:f32, 0.5:3>>
      %y = quant.dcast %q : tensor<4x8x!quant.uniform<i8:f32, 0.5:3>> to tensor<4x8xf32>
      return %y : tensor<4x8xf32>
    })mlir";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(src, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  if (mlir::failed(mlir::parsePassPipeline("qf-from-quant", pm)) ||
      mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
