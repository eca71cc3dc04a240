//===- SafeTensors.cpp - safetensors reader and writer --------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/SafeTensors.h"

#include "Json.h"

#include <algorithm>
#include <set>

using namespace qforge::io;

namespace {
/// The reference implementation refuses headers above 100 MB.
constexpr uint64_t kMaxHeader = 100u << 20;

struct STName {
  DType type;
  const char *name;
};
constexpr STName kSTNames[] = {
    {DType::F64, "F64"},        {DType::F32, "F32"},
    {DType::F16, "F16"},        {DType::BF16, "BF16"},
    {DType::I64, "I64"},        {DType::I32, "I32"},
    {DType::I16, "I16"},        {DType::I8, "I8"},
    {DType::U64, "U64"},        {DType::U32, "U32"},
    {DType::U16, "U16"},        {DType::U8, "U8"},
    {DType::Bool, "BOOL"},      {DType::F8E4M3, "F8_E4M3"},
    {DType::F8E5M2, "F8_E5M2"},
};
} // namespace

const char *qforge::io::safetensorsDTypeName(DType t) {
  for (const STName &n : kSTNames)
    if (n.type == t)
      return n.name;
  return nullptr;
}

bool qforge::io::parseSafetensorsDType(const std::string &name, DType &out) {
  for (const STName &n : kSTNames)
    if (name == n.name) {
      out = n.type;
      return true;
    }
  return false;
}

const SafeTensorsFile::Tensor *
SafeTensorsFile::find(const std::string &name) const {
  for (const Tensor &t : list)
    if (t.name == name)
      return &t;
  return nullptr;
}

Status SafeTensorsFile::open(const std::string &path, SafeTensorsFile &out) {
  std::shared_ptr<MappedFile> f;
  if (Status s = MappedFile::open(path, f); !s)
    return s;
  Status s = parse(f->data(), f->size(), out);
  if (!s)
    return Status::error(path + ": " + s.message());
  out.file = std::move(f);
  return Status::success();
}

Status SafeTensorsFile::parse(const uint8_t *bytes, uint64_t size,
                              SafeTensorsFile &out) {
  out = SafeTensorsFile();
  if (size < 8)
    return Status::error("file too small for a safetensors header (" +
                         std::to_string(size) + " bytes)");
  uint64_t n = readLE(bytes, 8);
  if (n > kMaxHeader)
    return Status::error("header length " + std::to_string(n) +
                         " exceeds the 100 MB limit");
  if (n > size - 8)
    return Status::error("header length " + std::to_string(n) +
                         " exceeds the file size " + std::to_string(size));
  const char *text = reinterpret_cast<const char *>(bytes + 8);
  if (n == 0 || text[0] != '{')
    return Status::error("header does not start with '{'");
  json::Value root;
  if (Status s = json::parse(text, n, root); !s)
    return Status::error("header: " + s.message());
  if (root.kind != json::Value::Object)
    return Status::error("header is not a JSON object");

  const uint8_t *data = bytes + 8 + n;
  uint64_t dataSize = size - 8 - n;
  for (const auto &[key, v] : root.members) {
    if (key == "__metadata__") {
      if (v.kind != json::Value::Object)
        return Status::error("__metadata__ is not an object");
      for (const auto &[mk, mv] : v.members) {
        if (mv.kind != json::Value::String)
          return Status::error("__metadata__ value of \"" + mk +
                               "\" is not a string");
        out.meta[mk] = mv.str;
      }
      continue;
    }
    auto bad = [&](const std::string &msg) {
      return Status::error("tensor \"" + key + "\": " + msg);
    };
    if (v.kind != json::Value::Object)
      return bad("entry is not an object");
    const json::Value *dt = v.get("dtype"), *sh = v.get("shape"),
                      *off = v.get("data_offsets");
    if (!dt || !sh || !off)
      return bad("needs dtype, shape and data_offsets");
    if (v.members.size() != 3)
      return bad("unexpected extra fields");
    Tensor t;
    t.name = key;
    if (dt->kind != json::Value::String ||
        !parseSafetensorsDType(dt->str, t.dtype))
      return bad("unsupported dtype" + (dt->kind == json::Value::String
                                            ? " \"" + dt->str + "\""
                                            : std::string()));
    if (sh->kind != json::Value::Array || sh->items.size() > 64)
      return bad("shape must be an array of at most 64 dimensions");
    for (const json::Value &d : sh->items) {
      uint64_t x;
      if (!d.asU64(x) || x > static_cast<uint64_t>(INT64_MAX))
        return bad("shape entries must be non-negative integers");
      t.shape.push_back(static_cast<int64_t>(x));
    }
    if (off->kind != json::Value::Array || off->items.size() != 2 ||
        !off->items[0].asU64(t.begin) || !off->items[1].asU64(t.end))
      return bad("data_offsets must be two non-negative integers");
    if (t.begin > t.end || t.end > dataSize)
      return bad("data_offsets [" + std::to_string(t.begin) + ", " +
                 std::to_string(t.end) + "] outside the " +
                 std::to_string(dataSize) + "-byte data buffer");
    int64_t numel;
    if (Status s = checkedNumel(t.shape, numel); !s)
      return bad(s.message());
    uint64_t expect;
    if (Status s = dtypeBytes(t.dtype, numel, expect); !s)
      return bad(s.message());
    if (expect != t.end - t.begin)
      return bad("shape and dtype need " + std::to_string(expect) +
                 " bytes but data_offsets span " +
                 std::to_string(t.end - t.begin));
    t.data = data + t.begin;
    out.list.push_back(std::move(t));
  }

  // The buffer must be covered exactly: sorted by offset, each tensor
  // starts where the previous one ends, the last one ends at the file end.
  std::vector<const Tensor *> sorted;
  for (const Tensor &t : out.list)
    sorted.push_back(&t);
  std::stable_sort(
      sorted.begin(), sorted.end(), [](const Tensor *a, const Tensor *b) {
        return a->begin < b->begin || (a->begin == b->begin && a->end < b->end);
      });
  uint64_t pos = 0;
  for (const Tensor *t : sorted) {
    if (t->begin < pos)
      return Status::error("tensor \"" + t->name +
                           "\" overlaps the previous tensor");
    if (t->begin > pos)
      return Status::error("hole in the data buffer before tensor \"" +
                           t->name + "\"");
    pos = t->end;
  }
  if (pos != dataSize)
    return Status::error("data buffer has " + std::to_string(dataSize - pos) +
                         " trailing bytes not covered by any tensor");
  return Status::success();
}

Status qforge::io::serializeSafeTensors(
    const std::vector<TensorView> &tensors,
    const std::map<std::string, std::string> &metadata,
    std::vector<uint8_t> &out) {
  std::string h = "{";
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool f2 = true;
    for (const auto &[k, v] : metadata) {
      if (!f2)
        h += ",";
      f2 = false;
      json::appendString(h, k);
      h += ":";
      json::appendString(h, v);
    }
    h += "}";
    first = false;
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorView &t : tensors) {
    if (t.name == "__metadata__" || !names.insert(t.name).second)
      return Status::error("duplicate or reserved tensor name \"" + t.name +
                           "\"");
    const char *dt = safetensorsDTypeName(t.dtype);
    if (!dt)
      return Status::error("tensor \"" + t.name + "\": dtype " +
                           dtypeName(t.dtype) +
                           " cannot be stored in safetensors");
    int64_t numel;
    uint64_t bytes;
    if (Status s = checkedNumel(t.shape, numel); !s)
      return Status::error("tensor \"" + t.name + "\": " + s.message());
    if (Status s = dtypeBytes(t.dtype, numel, bytes); !s)
      return Status::error("tensor \"" + t.name + "\": " + s.message());
    if (bytes != t.nbytes)
      return Status::error("tensor \"" + t.name + "\": shape needs " +
                           std::to_string(bytes) + " bytes, data has " +
                           std::to_string(t.nbytes));
    if (!first)
      h += ",";
    first = false;
    json::appendString(h, t.name);
    h += ":{\"dtype\":\"";
    h += dt;
    h += "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i)
        h += ",";
      h += std::to_string(t.shape[i]);
    }
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," +
         std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  h += "}";
  while (h.size() % 8)
    h.push_back(' ');
  out.clear();
  out.reserve(8 + h.size() + offset);
  appendLE(out, h.size(), 8);
  out.insert(out.end(), h.begin(), h.end());
  for (const TensorView &t : tensors)
    if (t.nbytes)
      out.insert(out.end(), t.data, t.data + t.nbytes);
  return Status::success();
}

Status
qforge::io::writeSafeTensors(const std::string &path,
                             const std::vector<TensorView> &tensors,
                             const std::map<std::string, std::string> &md) {
  std::vector<uint8_t> bytes;
  if (Status s = serializeSafeTensors(tensors, md, bytes); !s)
    return s;
  return writeFile(path, bytes);
}
