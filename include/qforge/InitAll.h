//===- InitAll.h - Register every QForge dialect, pass and pipeline -*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What a host compiler calls to get all of QForge: the qf dialect into its
// registry, and every qf-* pass and pipeline into the global pass registry.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_INITALL_H
#define QFORGE_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace qforge {
/// Adds the qf dialect (and the dialects its passes create) to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Registers every qf-* pass and pass pipeline.
void registerAllPasses();
} // namespace qforge

#endif // QFORGE_INITALL_H
