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
//    memory-mapping each file once, on first use (lazily). The returned
//    pointers stay valid as long as the store.
//  * QuantizedWeightWriter collects packed tensors (num::QuantizedTensor)
//    and float tensors and writes them as one safetensors or GGUF file:
//      - safetensors: every non-empty section of a quantized tensor NAME as
//        a U8 tensor "NAME.qf.<section>" (codes, scales, zero_points,
//        codebooks, super_scales, outliers), with "NAME.qf_format" (the
//        canonical spec) and "NAME.qf_shape" (JSON list) in __metadata__;
//      - GGUF: quantized tensors in the q4_0/q8_0/iq4_nl/q4_k layouts as
//        the matching ggml block types (their Codes section); other
//        formats are an error.
//    The Python package (qforge.io) reads and writes the same convention.
//  * readQuantized() rebuilds a QuantizedTensor from such a file.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_IO_WEIGHTS_H
#define QFORGE_IO_WEIGHTS_H

#include "qforge/IO/File.h"
#include "qforge/Numerics/Quantizer.h"

#include <map>
#include <memory>

namespace qforge::io {

/// Which container a path names, by extension.
enum class WeightFileKind : uint8_t { SafeTensors, GGUF, Npz, Npy };
Status weightFileKind(const std::string &path, WeightFileKind &out);

/// A resolved tensor: its element type, row-major shape and bytes (in the
/// mapping of the file).
struct ExternalTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  uint64_t nbytes = 0;
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
  /// Number of files opened so far.
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
  /// Writes to `path`; the container follows the extension (.safetensors
  /// or .gguf). String metadata goes to __metadata__ (safetensors) or to
  /// string KV pairs (GGUF).
  Status write(const std::string &path,
               const std::map<std::string, std::string> &metadata = {}) const;

private:
  std::vector<std::pair<std::string, const num::QuantizedTensor *>> quantized;
  std::vector<TensorView> plain;
};

} // namespace qforge::io

#endif // QFORGE_IO_WEIGHTS_H
