//===- FuzzQuantOptPipeline.cpp - Fuzz target: qf-quantize-pipeline -------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// quant-opt's path on a small module: parse -> verify ->
// qf-quantize-pipeline{avg-bits=4} (single-threaded). Failures must be
// diagnostics; a successful run must leave a module that verifies.
//
//===----------------------------------------------------------------------===//

#include "MLIRFuzzSupport.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Small modules only: the quantizer's cost grows with the weight sizes,
  // and the fuzzer's 1 s per-input limit is for the parser paths.
  if (size > 8192)
    return 0;
  MLIRContext &ctx = qforge::fuzz::context();
  // The MLIR lexer expects a NUL-terminated buffer (as MemoryBuffer gives
  // quant-opt); std::string provides the terminator.
  std::string buffer(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text(buffer);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
  if (!module || failed(verify(*module)))
    return 0;
  // Keep the weights small so that one input stays well under a second.
  bool tooBig = false;
  module->walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      if (auto shaped = llvm::dyn_cast<ShapedType>(t))
        if (shaped.hasStaticShape() && shaped.getNumElements() > (1 << 16))
          tooBig = true;
  });
  if (tooBig)
    return 0;
  PassManager pm(&ctx, ModuleOp::getOperationName());
  if (failed(parsePassPipeline("qf-quantize-pipeline{avg-bits=4 threads=1}",
                               pm))) {
    std::fprintf(stderr, "quant-opt-pipeline: the pipeline does not parse\n");
    std::abort();
  }
  if (failed(pm.run(*module)))
    return 0;
  if (std::getenv("QFORGE_FUZZ_VERBOSE"))
    module->print(llvm::errs());
  if (failed(verify(*module))) {
    std::fprintf(stderr,
                 "quant-opt-pipeline: pipeline output fails to verify\n");
    std::abort();
  }
  return 0;
}
