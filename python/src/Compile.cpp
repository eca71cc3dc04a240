//===- Compile.cpp - Run QForge pipelines in-process ----------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Compile.h"

#include "qforge/Dialect/QF/IR/ExternalWeights.h"
#include "qforge/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

bool qforge::python::compileMLIR(const std::string &source,
                                 const std::string &bufferName,
                                 const std::string &pipeline, bool verifyEach,
                                 const std::string &weightsDir,
                                 std::string &output,
                                 std::string &diagnostics) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    mlir::registerAllPasses();
    qforge::registerAllPasses();
  });
  DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  qforge::registerAllDialects(registry);
  MLIRContext context(registry);
  if (!weightsDir.empty())
    qforge::qf::ExternalWeightResolver::get(&context).setDirectory(weightsDir);

  llvm::raw_string_ostream diag(diagnostics);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, bufferName), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diag);

  // Like mlir-opt: top-level ops other than a module are wrapped in one.
  OwningOpRef<ModuleOp> op =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!op)
    return false;

  llvm::StringRef text(pipeline);
  text = text.trim();
  std::string anchor = ModuleOp::getOperationName().str();
  PassManager pm(&context, anchor, OpPassManager::Nesting::Implicit);
  pm.enableVerifier(verifyEach);
  // An anchored pipeline "builtin.module(a,b)" runs a,b on the top-level op.
  if (text.starts_with(anchor + "(") && text.ends_with(")"))
    text = text.drop_front(anchor.size() + 1).drop_back();
  if (!text.empty() && failed(parsePassPipeline(text, pm, diag)))
    return false;
  if (failed(pm.run(*op)))
    return false;
  llvm::raw_string_ostream out(output);
  op->print(out);
  out << "\n";
  return true;
}
