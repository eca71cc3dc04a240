//===- WeightUtils.h - Finding and naming weight constants ------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Shared by the quantization passes: what a weight is, its stable name, and
// access to its float data without copies where possible.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_LIB_DIALECT_QF_TRANSFORMS_WEIGHTUTILS_H
#define QFORGE_LIB_DIALECT_QF_TRANSFORMS_WEIGHTUTILS_H

#include "qforge/Numerics/Format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace qforge::qf {

/// Attribute names used by the quantization passes.
inline constexpr llvm::StringLiteral kNameAttr = "qf.name";
inline constexpr llvm::StringLiteral kFisherAttr = "qf.fisher";
inline constexpr llvm::StringLiteral kActSqAttr = "qf.act_sq";
inline constexpr llvm::StringLiteral kModuleAttr = "qf.module";
inline constexpr llvm::StringLiteral kGroupAttr = "qf.group";
inline constexpr llvm::StringLiteral kFormatAttr = "qf.format";
inline constexpr llvm::StringLiteral kAvgBitsAttr = "qf.avg_bits";
inline constexpr llvm::StringLiteral kMseAttr = "qf.mse";
inline constexpr llvm::StringLiteral kSqnrAttr = "qf.sqnr_db";
inline constexpr llvm::StringLiteral kSseAttr = "qf.sse";

/// A weight: an arith.constant of a statically shaped float tensor of rank
/// >= 1 that is not a splat (splats are fills, not parameters), or any
/// float tensor constant that carries `qf.name`; or a qf.external_constant
/// (a float tensor in a weight file) of rank >= 1.
bool isWeight(mlir::Operation *op);

/// The weights of a module in walk order.
std::vector<mlir::Operation *> collectWeights(mlir::ModuleOp module);

/// The float tensor type of a weight.
mlir::RankedTensorType weightType(mlir::Operation *weight);

/// The weight's stable name: `qf.name`, else a NameLoc in its location,
/// else the key of a qf.external_constant's reference, else empty.
std::string weightName(mlir::Operation *op);

/// Gives every weight a unique `qf.name` (see qf-import-sensitivity).
void nameWeights(mlir::ModuleOp module);

/// The weight's Fisher (qf.fisher), or `def` when absent.
double weightFisher(mlir::Operation *op, double def = 1.0);

/// A view of (or a copy into `storage` of) the weight's values as f32; an
/// external constant is read from its memory-mapped file (`owner` then
/// keeps the mapping alive while the view is used). Returns nullptr with
/// an empty `error` when the data is not available (elided blob) or the
/// element type is not supported, and nullptr with `error` set when an
/// external reference cannot be resolved (missing file or key, wrong dtype
/// or shape).
const float *weightData(mlir::Operation *weight, std::vector<float> &storage,
                        std::shared_ptr<const void> &owner, std::string &error);

/// The `dense_resource` attribute holding a weight's values, if any.
mlir::DenseResourceElementsAttr weightResource(mlir::Operation *weight);

/// Number of elements of a ranked tensor type.
int64_t numElements(mlir::Type type);

/// The candidate formats qf-allocate-bits uses when none are given.
constexpr unsigned kNumDefaultAllocationCandidates = 6;
extern const char *const
    kDefaultAllocationCandidates[kNumDefaultAllocationCandidates];

/// Applies a qf-quantize-weights method (rtn, search, asq, kashin) to a
/// format: `search` searches the scale, `asq` turns the format into a
/// learned codebook of 2^bits values with the same groups, `kashin` into a
/// Kashin code of the same bit budget. The result is canonical and verified.
qforge::num::Status applyQuantizeMethod(llvm::StringRef method,
                                        qforge::num::FormatSpec &f);

} // namespace qforge::qf

#endif // QFORGE_LIB_DIALECT_QF_TRANSFORMS_WEIGHTUTILS_H
