//===- FuzzSensitivityJson.cpp - Fuzz target: sensitivity sidecar ---------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The sensitivity JSON sidecar through the real reader: the bytes are
// written to a temporary file and qf-import-sensitivity{file=...} runs on a
// fixed module with two named weights (fc1.weight 2x4, fc2.weight 4x2).
// Malformed or ill-typed JSON must give diagnostics; on success the
// imported attributes must satisfy the documented constraints.
//
//===----------------------------------------------------------------------===//

#include "MLIRFuzzSupport.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

using namespace mlir;

static const char kModule[] = R"mlir(
func.func @f() -> (tensor<2x4xf32>, tensor<4x2xf32>) {
  %a = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32> loc("fc1.weight")
  %b = arith.constant dense<[[1.0, -2.0], [3.0, -4.0], [5.0, -6.0], [7.0, -8.0]]> : tensor<4x2xf32> loc("fc2.weight")
  return %a, %b : tensor<2x4xf32>, tensor<4x2xf32>
}
)mlir";

static std::string tempPath() {
  static std::string path = [] {
    llvm::SmallString<128> p;
    int fd = -1;
    if (llvm::sys::fs::createTemporaryFile("qforge-fuzz-sensitivity", "json",
                                           fd, p)) {
      std::fprintf(stderr, "sensitivity-json: cannot create a temp file\n");
      std::abort();
    }
    ::close(fd);
    return std::string(p);
  }();
  return path;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  MLIRContext &ctx = qforge::fuzz::context();
  std::string path = tempPath();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      std::abort();
    os.write(reinterpret_cast<const char *>(data), size);
  }
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kModule, &ctx);
  if (!module)
    std::abort();
  PassManager pm(&ctx, ModuleOp::getOperationName());
  if (failed(parsePassPipeline("qf-import-sensitivity{file=" + path + "}", pm)))
    std::abort();
  if (std::getenv("QFORGE_FUZZ_VERBOSE")) {
    pm.printAsTextualPipeline(llvm::errs());
    llvm::errs() << "\n";
  }
  if (failed(pm.run(*module)))
    return 0;
  if (std::getenv("QFORGE_FUZZ_VERBOSE"))
    module->print(llvm::errs());
  // Documented constraints of what was imported.
  module->walk([](Operation *op) {
    if (auto f = op->getAttrOfType<FloatAttr>("qf.fisher")) {
      double v = f.getValueAsDouble();
      if (!(v >= 0) || !std::isfinite(v)) {
        std::fprintf(stderr, "sensitivity-json: imported fisher %g\n", v);
        std::abort();
      }
    }
    if (auto act = op->getAttrOfType<DenseF32ArrayAttr>("qf.act_sq")) {
      auto type = llvm::cast<RankedTensorType>(op->getResult(0).getType());
      if (static_cast<int64_t>(act.size()) != type.getShape().back())
        std::abort();
      for (float v : act.asArrayRef())
        if (!(v >= 0)) {
          std::fprintf(stderr, "sensitivity-json: imported act_sq %g\n", v);
          std::abort();
        }
    }
  });
  return 0;
}
