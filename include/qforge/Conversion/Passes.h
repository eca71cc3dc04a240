//===- Passes.h - QForge conversion passes ----------------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_CONVERSION_PASSES_H
#define QFORGE_CONVERSION_PASSES_H

#include "qforge/Dialect/QF/IR/QF.h"

#include "mlir/Pass/Pass.h"

namespace qforge {

#define GEN_PASS_DECL
#include "qforge/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qforge/Conversion/Passes.h.inc"

} // namespace qforge

#endif // QFORGE_CONVERSION_PASSES_H
