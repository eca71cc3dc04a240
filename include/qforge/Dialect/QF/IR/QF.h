//===- QF.h - The qf dialect ------------------------------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_IR_QF_H
#define QFORGE_DIALECT_QF_IR_QF_H

#include "qforge/IO/Weights.h"
#include "qforge/Numerics/Format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace qforge::qf {
class ExternalWeightResolver;
} // namespace qforge::qf

#include "qforge/Dialect/QF/IR/QFDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qforge/Dialect/QF/IR/QFAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "qforge/Dialect/QF/IR/QFTypes.h.inc"

#define GET_OP_CLASSES
#include "qforge/Dialect/QF/IR/QFOps.h.inc"

namespace qforge::qf {
/// Converts an MLIR shape to the Numerics representation.
inline std::vector<int64_t> toVector(llvm::ArrayRef<int64_t> shape) {
  return std::vector<int64_t>(shape.begin(), shape.end());
}
} // namespace qforge::qf

#endif // QFORGE_DIALECT_QF_IR_QF_H
