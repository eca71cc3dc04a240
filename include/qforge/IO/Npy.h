//===- Npy.h - NumPy .npy and .npz reader and writer ------------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The .npy format (numpy/lib/format.py, NEP 1): "\x93NUMPY", u8 major, u8
// minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0), an ASCII
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (..),}
// padded with spaces and a final '\n' so that the data starts at a multiple
// of 64 bytes, then the raw data. Little-endian (or byte-order-free) numeric
// descrs are supported; big-endian, Fortran order and object arrays are
// rejected with an error.
//
// .npz is a zip archive of NAME.npy members. Stored (uncompressed) members
// are read in place from the mapping (zip64 extra fields understood, CRC-32
// checked); deflated members are rejected ("compressed npz not supported").
// The writer produces stored members.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_IO_NPY_H
#define QFORGE_IO_NPY_H

#include "qforge/IO/File.h"

#include <map>

namespace qforge::io {

/// One array read from a .npy image; `data` points into the mapping.
struct NpyArray {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  uint64_t nbytes = 0;
};

/// The descr string of a dtype ("<f4", "|u1", ...); block types have none.
const char *npyDescr(DType t);

/// Parses a .npy image held in memory (the bytes must outlive the result).
Status parseNpy(const uint8_t *bytes, uint64_t size, NpyArray &out);
/// Serialises one array (version 1.0 header, or 2.0 when the header does not
/// fit 65535 bytes).
Status serializeNpy(DType dtype, const std::vector<int64_t> &shape,
                    const uint8_t *data, uint64_t nbytes,
                    std::vector<uint8_t> &out);

/// An open .npy or .npz file.
class NpyFile {
public:
  /// Opens a single-array .npy file (the array is named "").
  static Status openNpy(const std::string &path, NpyFile &out);
  /// Opens a .npz archive; arrays are named after their members without
  /// the ".npy" suffix, in archive order.
  static Status openNpz(const std::string &path, NpyFile &out);
  /// Parses an in-memory .npz image (the bytes must outlive the object).
  static Status parseNpz(const uint8_t *bytes, uint64_t size, NpyFile &out);

  const std::vector<std::pair<std::string, NpyArray>> &arrays() const {
    return list;
  }
  const NpyArray *find(const std::string &name) const;

private:
  std::shared_ptr<MappedFile> file;
  std::vector<std::pair<std::string, NpyArray>> list;
};

Status writeNpy(const std::string &path, const TensorView &tensor);
/// Writes a stored (uncompressed) .npz; member names are NAME.npy.
Status serializeNpz(const std::vector<TensorView> &tensors,
                    std::vector<uint8_t> &out);
Status writeNpz(const std::string &path,
                const std::vector<TensorView> &tensors);

/// CRC-32 (IEEE 802.3, as zip uses).
uint32_t crc32(const uint8_t *data, uint64_t n, uint32_t crc = 0);

} // namespace qforge::io

#endif // QFORGE_IO_NPY_H
