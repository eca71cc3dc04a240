//===- Passes.h - qf transformation passes ----------------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_TRANSFORMS_PASSES_H
#define QFORGE_DIALECT_QF_TRANSFORMS_PASSES_H

#include "qforge/Dialect/QF/IR/QF.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Pass/Pass.h"

namespace qforge::qf {

#define GEN_PASS_DECL
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"

/// Registers `qf-quantize-pipeline` (import sensitivities, ModCap grouping,
/// bit allocation, weight quantization, fusion, report).
void registerQFQuantizePipeline();

} // namespace qforge::qf

#endif // QFORGE_DIALECT_QF_TRANSFORMS_PASSES_H
