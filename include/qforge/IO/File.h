//===- File.h - Mapped weight files and element types -----------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Shared pieces of the weight-file readers and writers (safetensors, GGUF,
// npy/npz): a read-only memory-mapped file, the element types the formats
// store, and a non-owning view of one tensor's bytes. The IO library is pure
// C++17 plus POSIX mmap: no LLVM or MLIR, so that the passes, the tools and
// the Python extension can all use it.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_IO_FILE_H
#define QFORGE_IO_FILE_H

#include "qforge/Numerics/Support.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qforge::io {

using num::Status;

/// Element types of stored tensors. The GGUF block types (Q4_0, Q8_0,
/// IQ4_NL, Q4_K) hold whole ggml blocks; every other type is one element.
enum class DType : uint8_t {
  F64,
  F32,
  F16,
  BF16,
  I64,
  I32,
  I16,
  I8,
  U64,
  U32,
  U16,
  U8,
  Bool,
  F8E4M3,
  F8E5M2,
  Q4_0,
  Q8_0,
  IQ4_NL,
  Q4_K,
};

/// Short lower-case name ("f32", "bf16", "q4_0", ...).
const char *dtypeName(DType t);
/// Parses dtypeName's output.
bool parseDType(const std::string &name, DType &out);
/// Bytes of one element (0 for the GGUF block types).
unsigned dtypeSize(DType t);
/// True for Q4_0, Q8_0, IQ4_NL and Q4_K.
bool isBlockType(DType t);
/// Elements and bytes of one block (1 and dtypeSize for element types).
int64_t dtypeBlockElements(DType t);
int64_t dtypeBlockBytes(DType t);
/// Bytes of a tensor of `numel` elements; errors when numel is not a
/// multiple of the block or the size overflows.
Status dtypeBytes(DType t, int64_t numel, uint64_t &bytes);

/// Product of the dims; errors for negative dims or overflow of int64.
Status checkedNumel(const std::vector<int64_t> &shape, int64_t &numel);

/// A read-only memory-mapped file (an empty file maps to size 0).
class MappedFile {
public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// Maps `path`; errors name the path and the system error.
  static Status open(const std::string &path, std::shared_ptr<MappedFile> &out);
  const uint8_t *data() const { return base; }
  uint64_t size() const { return length; }
  const std::string &path() const { return filePath; }

private:
  const uint8_t *base = nullptr;
  uint64_t length = 0;
  std::string filePath;
};

/// A non-owning view of one tensor to be written: name, element type,
/// row-major shape and the raw little-endian bytes.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  uint64_t nbytes = 0;
};

/// Writes `bytes` to `path`, reporting errors with the path. A regular file
/// is replaced atomically (a temporary file in the same directory renamed
/// over it), so that memory mappings of the old file stay valid; other
/// files (devices, pipes) are written in place.
Status writeFile(const std::string &path, const std::vector<uint8_t> &bytes);

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code
/// points above U+10FFFF): names and strings in the files must be.
bool isValidUtf8(const std::string &s);

/// Little-endian helpers used by the writers.
void appendLE(std::vector<uint8_t> &out, uint64_t v, unsigned bytes);
uint64_t readLE(const uint8_t *p, unsigned bytes);

} // namespace qforge::io

#endif // QFORGE_IO_FILE_H
