//===- ExternalWeights.cpp - Resolving #qf.external references ------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Dialect/QF/IR/ExternalWeights.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace qforge;
using namespace qforge::qf;

ExternalWeightResolver::ExternalWeightResolver() = default;
ExternalWeightResolver::~ExternalWeightResolver() = default;

ExternalWeightResolver &ExternalWeightResolver::get(MLIRContext *context) {
  return context->getOrLoadDialect<QFDialect>()->getExternalWeights();
}

void ExternalWeightResolver::setDirectory(StringRef dir) {
  std::lock_guard<std::mutex> lock(mutex);
  directory = dir.str();
}

std::string ExternalWeightResolver::getDirectory() const {
  std::lock_guard<std::mutex> lock(mutex);
  return directory;
}

/// The directory of the first file location in `loc` ("" if none, or for
/// buffers without a directory such as <stdin>).
static std::string directoryOf(Location loc) {
  std::string dir;
  loc->walk([&](Location l) {
    if (auto f = llvm::dyn_cast<FileLineColLoc>(l)) {
      dir = llvm::sys::path::parent_path(f.getFilename().getValue()).str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return dir;
}

std::string ExternalWeightResolver::resolvePath(StringRef path,
                                                Operation *user) const {
  if (path.empty() || llvm::sys::path::is_absolute(path))
    return path.str();
  std::string dir = getDirectory();
  if (dir.empty() && user) {
    Operation *top = user;
    while (Operation *parent = top->getParentOp())
      top = parent;
    dir = directoryOf(top->getLoc());
  }
  if (dir.empty())
    return path.str();
  llvm::SmallString<256> full(dir);
  llvm::sys::path::append(full, path);
  return full.str().str();
}

/// The file dtype that holds elements of `type` (false if none).
static bool dtypeOf(Type type, io::DType &out) {
  if (type.isF32())
    out = io::DType::F32;
  else if (type.isF16())
    out = io::DType::F16;
  else if (type.isBF16())
    out = io::DType::BF16;
  else if (type.isF64())
    out = io::DType::F64;
  else
    return false;
  return true;
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

static std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

LogicalResult ExternalWeightResolver::lookupTensor(ExternalAttr ref,
                                                   Operation *user,
                                                   ShapedType type,
                                                   io::ExternalTensor &out,
                                                   std::string &error) {
  std::string path = resolvePath(ref.getPath(), user);
  std::string key = ref.getKey().str();
  io::DType want;
  if (!dtypeOf(type.getElementType(), want)) {
    error = "element type " + typeString(type.getElementType()) +
            " cannot be read from a weight file (f32, f16, bf16, f64)";
    return failure();
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (num::Status s = store.lookup(path, key, out); !s) {
      error = s.message();
      return failure();
    }
  }
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  if (out.dtype != want || out.shape != shape) {
    error = "'" + path + "': tensor '" + key + "' is " +
            io::dtypeName(out.dtype) + " " + shapeString(out.shape) + ", but " +
            typeString(type) + " needs " + io::dtypeName(want) + " " +
            shapeString(shape);
    return failure();
  }
  uint64_t bytes = 0;
  if (num::Status s = io::dtypeBytes(want, type.getNumElements(), bytes);
      !s || bytes != out.nbytes) {
    error = "'" + path + "': tensor '" + key + "' holds " +
            std::to_string(out.nbytes) + " bytes, but " + typeString(type) +
            " needs " + std::to_string(bytes);
    return failure();
  }
  return success();
}

LogicalResult ExternalWeightResolver::lookupQuantized(
    ExternalAttr ref, Operation *user, QuantizedTensorType type,
    io::ExternalQuantized &out, std::string &error) {
  std::string path = resolvePath(ref.getPath(), user);
  std::string key = ref.getKey().str();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (num::Status s = store.lookupQuantized(path, key, out); !s) {
      error = s.message();
      return failure();
    }
  }
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  if (out.format.str() != type.getFormat().getSpec() || out.shape != shape) {
    error = "'" + path + "': quantized tensor '" + key + "' is " +
            out.format.str() + " " + shapeString(out.shape) + ", but " +
            typeString(type) + " needs " + type.getFormat().getSpec().str() +
            " " + shapeString(shape);
    return failure();
  }
  return success();
}

bool ExternalWeightResolver::firstFailure(ExternalAttr ref) {
  std::lock_guard<std::mutex> lock(mutex);
  return reported.insert(ref).second;
}

DenseResourceElementsAttr qforge::qf::makeExternalResourceAttr(
    ShapedType type, StringRef name, const uint8_t *data, uint64_t nbytes,
    std::shared_ptr<const void> owner, size_t alignment) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty())
    key = "external";
  ArrayRef<char> bytes(reinterpret_cast<const char *>(data), nbytes);
  if (!data || llvm::isAddrAligned(llvm::Align(alignment), data)) {
    // The blob points into the mapping and keeps it alive.
    AsmResourceBlob blob(
        bytes, alignment, [owner = std::move(owner)](void *, size_t, size_t) {},
        /*dataIsMutable=*/false);
    return DenseResourceElementsAttr::get(type, key, std::move(blob));
  }
  return DenseResourceElementsAttr::get(
      type, key,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignment));
}
