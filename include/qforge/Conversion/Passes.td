//===- Passes.td - QForge conversion passes ----------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowerings of the qf dialect to code: QFToVector (CPU SIMD) and QFToGPU
// (NVVM/PTX). Each conversion adds its pass definitions below.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_CONVERSION_PASSES_TD
#define QFORGE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // QFORGE_CONVERSION_PASSES_TD
