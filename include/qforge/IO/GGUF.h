//===- GGUF.h - GGUF v3 file reader and writer ------------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// GGUF version 3 (ggml's docs/gguf.md), little-endian:
//
//   u32 magic "GGUF"; u32 version = 3; u64 tensor_count; u64 kv_count;
//   kv_count x { string key; u32 value_type; value }
//   tensor_count x { string name; u32 n_dims; u64 ne[n_dims];
//                    u32 ggml_type; u64 offset }
//   padding to general.alignment (default 32); tensor data, each tensor
//   at `offset` (a multiple of the alignment) from the start of the data.
//
// Strings are u64 length + bytes (no terminator). ne[0] is the innermost
// (contiguous) dimension: this API uses row-major shapes (ne reversed).
// Tensor types supported: F32, F16, BF16, F64, I8, I16, I32, I64, and the
// block types Q4_0, Q8_0, IQ4_NL and Q4_K, whose bytes are exactly the
// Codes section of the format library's q4_0/q8_0/iq4_nl/q4_k layouts.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_IO_GGUF_H
#define QFORGE_IO_GGUF_H

#include "qforge/IO/File.h"

#include <map>

namespace qforge::io {

/// ggml_type ids of the supported tensor types (and back).
bool ggmlTypeOf(DType t, uint32_t &id);
bool dtypeOfGGML(uint32_t id, DType &out);

/// A metadata value (gguf_type): scalars, strings and arrays of them.
struct GGUFValue {
  enum Type : uint32_t {
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
  };
  Type type = UInt32;
  uint64_t u = 0; ///< unsigned integers and bools
  int64_t i = 0;  ///< signed integers
  double f = 0;   ///< floats
  std::string s;  ///< strings
  Type arrayType = UInt8;
  std::vector<GGUFValue> array;

  static GGUFValue ofU32(uint32_t v);
  static GGUFValue ofU64(uint64_t v);
  static GGUFValue ofI32(int32_t v);
  static GGUFValue ofF32(float v);
  static GGUFValue ofBool(bool v);
  static GGUFValue ofString(std::string v);
  static GGUFValue ofArray(Type elementType, std::vector<GGUFValue> values);
};

/// An open GGUF file; tensor data points into the mapping.
class GGUFFile {
public:
  struct Tensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape; ///< row-major (ne reversed)
    uint64_t offset = 0;        ///< relative to the data section
    uint64_t nbytes = 0;
    const uint8_t *data = nullptr;
  };

  /// Opens and validates `path`: magic, version 3, counts against the file
  /// size, string lengths, types, dims (1..4, positive, row length a
  /// multiple of the block), alignment, offsets in range and disjoint.
  static Status open(const std::string &path, GGUFFile &out);
  static Status parse(const uint8_t *bytes, uint64_t size, GGUFFile &out);

  uint32_t version() const { return ver; }
  uint64_t alignment() const { return align; }
  const std::vector<Tensor> &tensors() const { return list; }
  const Tensor *find(const std::string &name) const;
  /// Metadata in file order.
  const std::vector<std::pair<std::string, GGUFValue>> &metadata() const {
    return meta;
  }
  const GGUFValue *findMetadata(const std::string &key) const;

private:
  std::shared_ptr<MappedFile> file;
  uint32_t ver = 3;
  uint64_t align = 32;
  std::vector<Tensor> list;
  std::vector<std::pair<std::string, GGUFValue>> meta;
};

/// Serialises a GGUF v3 image: metadata in the given order (a
/// "general.alignment" u32 entry, when present, sets the alignment; it must
/// be a power of two), tensors in the given order at aligned offsets, zero
/// padding.
Status serializeGGUF(const std::vector<TensorView> &tensors,
                     const std::vector<std::pair<std::string, GGUFValue>> &md,
                     std::vector<uint8_t> &out);
Status writeGGUF(const std::string &path,
                 const std::vector<TensorView> &tensors,
                 const std::vector<std::pair<std::string, GGUFValue>> &md);

} // namespace qforge::io

#endif // QFORGE_IO_GGUF_H
