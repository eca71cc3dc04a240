//===- SafeTensors.h - safetensors reader and writer ------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The safetensors format (huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of UTF-8 JSON
//
//   {"__metadata__": {"k": "v", ...},
//    "NAME": {"dtype": "F32", "shape": [d0, d1], "data_offsets": [b, e]}, ...}
//
// (optionally padded with spaces), then the data buffer; offsets are relative
// to the start of the buffer, the buffer is fully covered by the tensors
// without holes or overlaps. The header is parsed by a small strict JSON
// reader in this library (no LLVM dependency); reads are memory-mapped.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_IO_SAFETENSORS_H
#define QFORGE_IO_SAFETENSORS_H

#include "qforge/IO/File.h"

#include <map>

namespace qforge::io {

/// safetensors dtype strings ("F32", "BF16", "I8", ...) and back. Block
/// types have no safetensors name.
const char *safetensorsDTypeName(DType t);
bool parseSafetensorsDType(const std::string &name, DType &out);

/// An open safetensors file. Tensor data points into the mapping, which
/// lives as long as this object (or a copy of its shared file).
class SafeTensorsFile {
public:
  struct Tensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0; ///< offsets relative to the data buffer
    const uint8_t *data = nullptr;
    uint64_t nbytes() const { return end - begin; }
  };

  /// Opens and validates `path` (header length, JSON, dtypes, shapes,
  /// offsets against the file size, coverage without holes or overlaps).
  static Status open(const std::string &path, SafeTensorsFile &out);
  /// Parses an in-memory image (the bytes must outlive the object).
  static Status parse(const uint8_t *bytes, uint64_t size,
                      SafeTensorsFile &out);

  /// Tensors in header order.
  const std::vector<Tensor> &tensors() const { return list; }
  const Tensor *find(const std::string &name) const;
  const std::map<std::string, std::string> &metadata() const { return meta; }

private:
  std::shared_ptr<MappedFile> file;
  std::vector<Tensor> list;
  std::map<std::string, std::string> meta;
};

/// Serialises tensors (in the given order, names unique, no block types)
/// and string metadata into a safetensors image. The header lists
/// `__metadata__` first (when non-empty) then the tensors, and is padded
/// with spaces to a multiple of 8 bytes.
Status serializeSafeTensors(const std::vector<TensorView> &tensors,
                            const std::map<std::string, std::string> &metadata,
                            std::vector<uint8_t> &out);
Status writeSafeTensors(const std::string &path,
                        const std::vector<TensorView> &tensors,
                        const std::map<std::string, std::string> &metadata);

} // namespace qforge::io

#endif // QFORGE_IO_SAFETENSORS_H
