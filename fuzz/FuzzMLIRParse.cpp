//===- FuzzMLIRParse.cpp - Fuzz target: qf dialect parsing ----------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses a module (with #qf.format, !qf.tensor and qf ops) and verifies it;
// a module that parses is printed, re-parsed and must verify again.
//
//===----------------------------------------------------------------------===//

#include "MLIRFuzzSupport.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384)
    return 0;
  MLIRContext &ctx = qforge::fuzz::context();
  // The MLIR lexer expects a NUL-terminated buffer (as MemoryBuffer gives
  // quant-opt); std::string provides the terminator.
  std::string buffer(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text(buffer);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
  if (!module)
    return 0;
  if (failed(verify(*module)))
    return 0;
  std::string printed;
  {
    llvm::raw_string_ostream os(printed);
    module->print(os);
  }
  OwningOpRef<ModuleOp> again = parseSourceString<ModuleOp>(printed, &ctx);
  if (!again || failed(verify(*again))) {
    std::fprintf(stderr,
                 "mlir-parse: printed module does not parse back:\n%s\n",
                 printed.c_str());
    std::abort();
  }
  return 0;
}
