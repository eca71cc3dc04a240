//===- Weights.h - External weights and quantized weight files --*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the compiler needs to keep weights outside the IR:
//
//  * WeightStore resolves a (file, key) reference to the bytes of a tensor
//    in a .safetensors, .gguf, .npz or .npy file, opening, validating and
//    memory-mapping each file once, on first use (lazily). A file that
//    changed on disk since it was mapped (another inode, size or mtime) is
//    mapped again. Resolved tensors share ownership of their mapping, so
//    their pointers stay valid as long as the result (or the store) lives.
//  * QuantizedWeightWriter collects packed tensors (num::QuantizedTensor)
//    and float tensors and writes them as one safetensors or GGUF file, in
//    the "QForge section convention":
//      - safetensors: every non-empty section of a quantized tensor NAME as
//        a U8 tensor "NAME.qf.<section>" (codes, scales, zero_points,
//        codebooks, super_scales, outliers), with "NAME.qf_format" (the
//        canonical spec) and "NAME.qf_shape" (JSON list) in __metadata__;
//      - GGUF: quantized tensors in the q4_0/q8_0/iq4_nl/q4_k layouts as
//        the matching ggml block types (their Codes section, byte for byte
//        the ggml blocks, as GGUF readers expect); every other format
//        as the same convention as safetensors: 1-D I8 tensors
//        "NAME.qf.<section>" (GGUF has no U8 tensor type) and string
//        key-value pairs "NAME.qf_format" and "NAME.qf_shape".
//    The Python package (qforge.io) reads and writes the same convention.
//  * WeightStore::lookupQuantized() resolves such a tensor in place (the
//    sections stay in the mapping); readQuantized() copies it into a
//    QuantizedTensor.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_IO_WEIGHTS_H
#define QFORGE_IO_WEIGHTS_H

#include "qforge/IO/File.h"
#include "qforge/Numerics/Quantizer.h"

#include <array>
#include <map>
#include <memory>

namespace qforge::io {

/// Which container a path names, by extension.
enum class WeightFileKind : uint8_t { SafeTensors, GGUF, Npz, Npy };
Status weightFileKind(const std::string &path, WeightFileKind &out);

/// A resolved tensor: its element type, row-major shape and bytes (in the
/// mapping of the file). `owner` keeps the mapping alive.
struct ExternalTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  uint64_t nbytes = 0;
  std::shared_ptr<const void> owner;
};

/// A resolved quantized tensor (QForge section convention or a GGUF block
/// tensor): its format and shape as the file states them, and every section
/// in the mapping (null and 0 for the sections the format does not have).
/// The sizes are checked against num::sectionBytes(format, shape).
struct ExternalQuantized {
  num::FormatSpec format;
  std::vector<int64_t> shape;
  std::array<const uint8_t *, num::kNumSections> data{};
  std::array<uint64_t, num::kNumSections> nbytes{};
  std::shared_ptr<const void> owner;

  /// Copies the format, shape and sections into `out`.
  void copyTo(num::QuantizedTensor &out) const;
};

/// Lazily opened, memory-mapped weight files. Not thread-safe: one store
/// per pass instance (or guard it).
class WeightStore {
public:
  WeightStore();
  ~WeightStore();
  WeightStore(const WeightStore &) = delete;
  WeightStore &operator=(const WeightStore &) = delete;

  /// Resolves tensor `key` of `path` ("" names the array of a .npy file).
  /// Errors name the file and the key (missing file, bad file, no such
  /// tensor).
  Status lookup(const std::string &path, const std::string &key,
                ExternalTensor &out);
  /// Resolves the quantized tensor `name` of a .safetensors or .gguf file
  /// written by QuantizedWeightWriter (or qforge.io). Errors name the file
  /// and the tensor: no such tensor, not quantized, bad qf_format/qf_shape
  /// metadata, a section of the wrong type, size, missing or unexpected.
  Status lookupQuantized(const std::string &path, const std::string &name,
                         ExternalQuantized &out);
  /// Number of files opened so far (a file mapped again counts once).
  size_t numOpenFiles() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Reads a QuantizedTensor NAME written by QuantizedWeightWriter (or by
/// qforge.io): safetensors sections + metadata, or a GGUF block tensor.
Status readQuantized(const std::string &path, const std::string &name,
                     num::QuantizedTensor &out);

/// Collects tensors and writes one safetensors or GGUF file. The writer
/// copies nothing: the tensors must stay alive until write().
class QuantizedWeightWriter {
public:
  /// Adds a quantized tensor (checked with QuantizedTensor::verify()).
  Status addQuantized(const std::string &name, const num::QuantizedTensor &q);
  /// Adds an unquantized tensor.
  Status addTensor(const TensorView &t);
  /// Writes to `path` (replacing it atomically); the container follows the
  /// extension (.safetensors or .gguf). String metadata goes to
  /// __metadata__ (safetensors) or to string KV pairs (GGUF).
  Status write(const std::string &path,
               const std::map<std::string, std::string> &metadata = {}) const;

private:
  std::vector<std::pair<std::string, const num::QuantizedTensor *>> quantized;
  std::vector<TensorView> plain;
};

} // namespace qforge::io

#endif // QFORGE_IO_WEIGHTS_H
