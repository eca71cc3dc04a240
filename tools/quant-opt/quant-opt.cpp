//===- quant-opt.cpp - The QForge optimizer driver ------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with every upstream dialect, extension and pass, plus QForge's qf
// dialect, passes and pipelines, and --qf-weights-dir (the directory that
// relative #qf.external paths resolve against).
//
//===----------------------------------------------------------------------===//

#include "qforge/Dialect/QF/IR/ExternalWeights.h"
#include "qforge/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"

static llvm::cl::opt<std::string> weightsDir(
    "qf-weights-dir",
    llvm::cl::desc("Directory that relative #qf.external paths (and "
                   "qf-quantize-weights output-file) resolve against; "
                   "default: the directory of the input file"),
    llvm::cl::value_desc("directory"), llvm::cl::init(""));

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  qforge::registerAllPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary and the NVPTX pipeline translate to LLVM IR.
  mlir::registerAllToLLVMIRTranslations(registry);
  qforge::registerAllDialects(registry);
  // Read when the qf dialect is loaded, after the command line is parsed.
  registry.addExtension(+[](mlir::MLIRContext *, qforge::qf::QFDialect *qf) {
    if (!weightsDir.empty())
      qf->getExternalWeights().setDirectory(weightsDir);
  });

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "QForge optimizer driver: quantized weight formats and "
                  "their kernels\n",
      registry));
}
