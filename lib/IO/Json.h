//===- Json.h - Minimal strict JSON for the safetensors header --*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A small RFC 8259 JSON reader/writer, private to the IO library: the
// safetensors header is JSON, and llvm::json would make this otherwise
// LLVM-free library depend on libLLVM. Objects keep their key order;
// duplicate keys and nesting deeper than 64 levels are errors. Numbers keep
// their text so that integers up to 2^64-1 are read exactly.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_LIB_IO_JSON_H
#define QFORGE_LIB_IO_JSON_H

#include "qforge/Numerics/Support.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qforge::io::json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Null;
  bool b = false;
  std::string str; ///< String contents, or the text of a Number
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;

  const Value *get(const std::string &key) const;
  /// Non-negative integer (no sign, fraction or exponent) that fits u64.
  bool asU64(uint64_t &out) const;
};

/// Parses `text` (whole input, surrounding whitespace allowed).
num::Status parse(const char *text, size_t size, Value &out);
/// Appends `s` as a JSON string literal (with escapes).
void appendString(std::string &out, const std::string &s);

} // namespace qforge::io::json

#endif // QFORGE_LIB_IO_JSON_H
