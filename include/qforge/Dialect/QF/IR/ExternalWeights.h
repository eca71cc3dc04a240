//===- ExternalWeights.h - Resolving #qf.external references ----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The IR can keep weights in files: `qf.external_constant` (a float tensor)
// and `qf.constant` with external storage name a file and a key with
// `#qf.external<"path", "key">`. The verifier never opens a file; the
// passes and folders that need the data go through the context's
// ExternalWeightResolver (owned by the qf dialect), which resolves the path,
// opens and memory-maps each file once through qforge::io::WeightStore, and
// checks the stored tensor against the IR type.
//
// Relative paths: against the directory set with setDirectory()
// (`quant-opt --qf-weights-dir=DIR`, `qforge.compile(weights_dir=DIR)`),
// else against the directory of the file the IR was parsed from (the file
// location of the outermost op enclosing the user, i.e. the top-level
// module), else against the current directory.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_IR_EXTERNALWEIGHTS_H
#define QFORGE_DIALECT_QF_IR_EXTERNALWEIGHTS_H

#include "qforge/Dialect/QF/IR/QF.h"
#include "qforge/IO/Weights.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseSet.h"

#include <mutex>
#include <string>

namespace qforge::qf {

/// Resolves #qf.external references of one MLIRContext. Thread-safe (the
/// greedy rewriter folds in parallel). Resolved data stays valid while the
/// returned owner (or the resolver) lives, even if the file is replaced on
/// disk; a file that changed since it was mapped is mapped again.
class ExternalWeightResolver {
public:
  ExternalWeightResolver();
  ~ExternalWeightResolver();

  /// The resolver of `context` (loads the qf dialect).
  static ExternalWeightResolver &get(mlir::MLIRContext *context);

  /// The directory relative paths resolve against; empty = the directory
  /// of the IR's file (see the file comment).
  void setDirectory(llvm::StringRef directory);
  std::string getDirectory() const;

  /// The file `path` names for the op `user` (which locates the IR's file
  /// when no directory is set). Absolute paths are returned unchanged.
  std::string resolvePath(llvm::StringRef path, mlir::Operation *user) const;

  /// Resolves the float tensor `ref` for `user` and checks that it has the
  /// element type and shape of `type`. On failure `error` names the file,
  /// the key and the reason.
  mlir::LogicalResult lookupTensor(ExternalAttr ref, mlir::Operation *user,
                                   mlir::ShapedType type,
                                   io::ExternalTensor &out, std::string &error);

  /// Resolves the quantized tensor `ref` for `user` (QForge section
  /// convention or a GGUF block tensor) and checks that its format and
  /// shape are those of `type`.
  mlir::LogicalResult lookupQuantized(ExternalAttr ref, mlir::Operation *user,
                                      QuantizedTensorType type,
                                      io::ExternalQuantized &out,
                                      std::string &error);

  /// True the first time it is called for `ref`: lets folders warn once
  /// about a reference they cannot read instead of at every attempt.
  bool firstFailure(ExternalAttr ref);

private:
  mutable std::mutex mutex;
  io::WeightStore store;
  std::string directory;
  llvm::DenseSet<mlir::Attribute> reported;
};

/// A `dense_resource` attribute of `type` named `name` over `nbytes` bytes
/// at `data`, which `owner` keeps alive: no copy when `data` is aligned to
/// `alignment`, else a heap copy.
mlir::DenseResourceElementsAttr
makeExternalResourceAttr(mlir::ShapedType type, llvm::StringRef name,
                         const uint8_t *data, uint64_t nbytes,
                         std::shared_ptr<const void> owner, size_t alignment);

} // namespace qforge::qf

#endif // QFORGE_DIALECT_QF_IR_EXTERNALWEIGHTS_H
