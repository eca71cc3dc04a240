//===- Compile.h - Run QForge pipelines in-process --------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The MLIR side of qforge.compile(), compiled with LLVM's flags (no
// exceptions) in its own library so that the pybind11 translation unit,
// which needs exceptions and RTTI, includes no MLIR header.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_PYTHON_COMPILE_H
#define QFORGE_PYTHON_COMPILE_H

#include <string>

namespace qforge::python {

/// Parses `source` (named `bufferName` in diagnostics), runs `pipeline` on
/// it and prints the result into `output`. The pipeline is either anchored
/// ("builtin.module(qf-from-quant,canonicalize)") or a list of passes nested
/// under the top-level op ("qf-from-quant,func.func(cse)"). Returns false
/// with every diagnostic (file:line:col: error: ...) in `diagnostics`.
/// A non-empty `weightsDir` is the directory relative #qf.external paths
/// resolve against (default: the directory of `bufferName`, else the
/// current directory).
bool compileMLIR(const std::string &source, const std::string &bufferName,
                 const std::string &pipeline, bool verifyEach,
                 const std::string &weightsDir, std::string &output,
                 std::string &diagnostics);

} // namespace qforge::python

#endif // QFORGE_PYTHON_COMPILE_H
