//===- GGUF.cpp - GGUF v3 file reader and writer --------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/GGUF.h"

#include <algorithm>
#include <cstring>
#include <set>

using namespace qforge::io;

namespace {
struct GGMLName {
  DType type;
  uint32_t id;
};
// ggml_type values from ggml.h.
constexpr GGMLName kGGML[] = {
    {DType::F32, 0},   {DType::F16, 1},     {DType::Q4_0, 2}, {DType::Q8_0, 8},
    {DType::Q4_K, 12}, {DType::IQ4_NL, 20}, {DType::I8, 24},  {DType::I16, 25},
    {DType::I32, 26},  {DType::I64, 27},    {DType::F64, 28}, {DType::BF16, 30},
};
constexpr uint32_t kMagic = 0x46554747; // "GGUF" read as a LE u32
constexpr unsigned kMaxDims = 4;        // GGML_MAX_DIMS

/// Bounds-checked little-endian cursor over the mapped bytes.
class Reader {
public:
  Reader(const uint8_t *p, uint64_t n) : base(p), size(n) {}
  uint64_t pos = 0;
  uint64_t remaining() const { return size - pos; }

  Status need(uint64_t n, const char *what) {
    if (n > remaining())
      return Status::error(std::string("truncated file: ") + what +
                           " at offset " + std::to_string(pos) + " needs " +
                           std::to_string(n) + " bytes, " +
                           std::to_string(remaining()) + " left");
    return Status::success();
  }
  Status u(unsigned bytes, uint64_t &v, const char *what) {
    if (Status s = need(bytes, what); !s)
      return s;
    v = readLE(base + pos, bytes);
    pos += bytes;
    return Status::success();
  }
  Status str(std::string &s, const char *what) {
    uint64_t n;
    if (Status st = u(8, n, what); !st)
      return st;
    if (Status st = need(n, what); !st)
      return st;
    s.assign(reinterpret_cast<const char *>(base + pos), n);
    if (!isValidUtf8(s))
      return Status::error(std::string(what) + " at offset " +
                           std::to_string(pos) + " is not valid UTF-8");
    pos += n;
    return Status::success();
  }

private:
  const uint8_t *base;
  uint64_t size;
};

unsigned scalarBytes(GGUFValue::Type t) {
  switch (t) {
  case GGUFValue::UInt8:
  case GGUFValue::Int8:
  case GGUFValue::Bool:
    return 1;
  case GGUFValue::UInt16:
  case GGUFValue::Int16:
    return 2;
  case GGUFValue::UInt32:
  case GGUFValue::Int32:
  case GGUFValue::Float32:
    return 4;
  case GGUFValue::UInt64:
  case GGUFValue::Int64:
  case GGUFValue::Float64:
    return 8;
  default:
    return 0;
  }
}

Status readScalar(Reader &r, GGUFValue::Type t, GGUFValue &v) {
  v.type = t;
  if (t == GGUFValue::String)
    return r.str(v.s, "string value");
  unsigned n = scalarBytes(t);
  if (!n)
    return Status::error("invalid metadata value type " +
                         std::to_string(static_cast<uint32_t>(t)));
  uint64_t raw;
  if (Status s = r.u(n, raw, "metadata value"); !s)
    return s;
  switch (t) {
  case GGUFValue::Int8:
    v.i = static_cast<int8_t>(raw);
    break;
  case GGUFValue::Int16:
    v.i = static_cast<int16_t>(raw);
    break;
  case GGUFValue::Int32:
    v.i = static_cast<int32_t>(raw);
    break;
  case GGUFValue::Int64:
    v.i = static_cast<int64_t>(raw);
    break;
  case GGUFValue::Float32: {
    uint32_t b = static_cast<uint32_t>(raw);
    float f;
    std::memcpy(&f, &b, 4);
    v.f = f;
    break;
  }
  case GGUFValue::Float64:
    std::memcpy(&v.f, &raw, 8);
    break;
  case GGUFValue::Bool:
    if (raw > 1)
      return Status::error("bool metadata value " + std::to_string(raw) +
                           " is neither 0 nor 1");
    v.u = raw;
    break;
  default:
    v.u = raw;
  }
  return Status::success();
}

Status readValue(Reader &r, uint32_t type, GGUFValue &v, int depth) {
  if (type > GGUFValue::Float64)
    return Status::error("invalid metadata value type " + std::to_string(type));
  auto t = static_cast<GGUFValue::Type>(type);
  if (t != GGUFValue::Array)
    return readScalar(r, t, v);
  if (depth > 8)
    return Status::error("metadata arrays nested too deeply");
  v.type = GGUFValue::Array;
  uint64_t et, n;
  if (Status s = r.u(4, et, "array type"); !s)
    return s;
  if (Status s = r.u(8, n, "array length"); !s)
    return s;
  if (et > GGUFValue::Float64)
    return Status::error("invalid array element type " + std::to_string(et));
  v.arrayType = static_cast<GGUFValue::Type>(et);
  // Every element takes at least one byte (strings at least 8): reject
  // counts the rest of the file cannot hold before allocating.
  uint64_t minBytes = et == GGUFValue::String  ? 8
                      : et == GGUFValue::Array ? 12
                                               : scalarBytes(v.arrayType);
  if (n > r.remaining() / minBytes)
    return Status::error("array of " + std::to_string(n) +
                         " elements exceeds the file size");
  v.array.resize(n);
  for (uint64_t i = 0; i < n; ++i)
    if (Status s =
            readValue(r, static_cast<uint32_t>(et), v.array[i], depth + 1);
        !s)
      return s;
  return Status::success();
}

void writeString(std::vector<uint8_t> &out, const std::string &s) {
  appendLE(out, s.size(), 8);
  out.insert(out.end(), s.begin(), s.end());
}

void writeValueBody(std::vector<uint8_t> &out, const GGUFValue &v) {
  switch (v.type) {
  case GGUFValue::String:
    writeString(out, v.s);
    return;
  case GGUFValue::Array:
    appendLE(out, v.arrayType, 4);
    appendLE(out, v.array.size(), 8);
    for (const GGUFValue &e : v.array)
      writeValueBody(out, e);
    return;
  case GGUFValue::Int8:
  case GGUFValue::Int16:
  case GGUFValue::Int32:
  case GGUFValue::Int64:
    appendLE(out, static_cast<uint64_t>(v.i), scalarBytes(v.type));
    return;
  case GGUFValue::Float32: {
    float f = static_cast<float>(v.f);
    uint32_t b;
    std::memcpy(&b, &f, 4);
    appendLE(out, b, 4);
    return;
  }
  case GGUFValue::Float64: {
    uint64_t b;
    std::memcpy(&b, &v.f, 8);
    appendLE(out, b, 8);
    return;
  }
  default:
    appendLE(out, v.u, scalarBytes(v.type));
  }
}

Status checkValue(const GGUFValue &v, const std::string &key) {
  if (v.type > GGUFValue::Float64)
    return Status::error("metadata \"" + key + "\": invalid value type");
  if (v.type == GGUFValue::Array) {
    for (const GGUFValue &e : v.array) {
      if (e.type != v.arrayType)
        return Status::error("metadata \"" + key +
                             "\": array element of the wrong type");
      if (Status s = checkValue(e, key); !s)
        return s;
    }
  }
  return Status::success();
}
} // namespace

bool qforge::io::ggmlTypeOf(DType t, uint32_t &id) {
  for (const GGMLName &n : kGGML)
    if (n.type == t) {
      id = n.id;
      return true;
    }
  return false;
}

bool qforge::io::dtypeOfGGML(uint32_t id, DType &out) {
  for (const GGMLName &n : kGGML)
    if (n.id == id) {
      out = n.type;
      return true;
    }
  return false;
}

GGUFValue GGUFValue::ofU32(uint32_t v) {
  GGUFValue r;
  r.type = UInt32;
  r.u = v;
  return r;
}
GGUFValue GGUFValue::ofU64(uint64_t v) {
  GGUFValue r;
  r.type = UInt64;
  r.u = v;
  return r;
}
GGUFValue GGUFValue::ofI32(int32_t v) {
  GGUFValue r;
  r.type = Int32;
  r.i = v;
  return r;
}
GGUFValue GGUFValue::ofF32(float v) {
  GGUFValue r;
  r.type = Float32;
  r.f = v;
  return r;
}
GGUFValue GGUFValue::ofBool(bool v) {
  GGUFValue r;
  r.type = Bool;
  r.u = v;
  return r;
}
GGUFValue GGUFValue::ofString(std::string v) {
  GGUFValue r;
  r.type = String;
  r.s = std::move(v);
  return r;
}
GGUFValue GGUFValue::ofArray(Type elementType, std::vector<GGUFValue> values) {
  GGUFValue r;
  r.type = Array;
  r.arrayType = elementType;
  r.array = std::move(values);
  return r;
}

const GGUFFile::Tensor *GGUFFile::find(const std::string &name) const {
  for (const Tensor &t : list)
    if (t.name == name)
      return &t;
  return nullptr;
}

const GGUFValue *GGUFFile::findMetadata(const std::string &key) const {
  for (const auto &kv : meta)
    if (kv.first == key)
      return &kv.second;
  return nullptr;
}

Status GGUFFile::open(const std::string &path, GGUFFile &out) {
  std::shared_ptr<MappedFile> f;
  if (Status s = MappedFile::open(path, f); !s)
    return s;
  Status s = parse(f->data(), f->size(), out);
  if (!s)
    return Status::error(path + ": " + s.message());
  out.file = std::move(f);
  return Status::success();
}

Status GGUFFile::parse(const uint8_t *bytes, uint64_t size, GGUFFile &out) {
  out = GGUFFile();
  Reader r(bytes, size);
  uint64_t magic, version, nTensors, nKV;
  if (Status s = r.u(4, magic, "magic"); !s)
    return s;
  if (magic != kMagic)
    return Status::error("not a GGUF file (bad magic)");
  if (Status s = r.u(4, version, "version"); !s)
    return s;
  if (version != 3)
    return Status::error("unsupported GGUF version " + std::to_string(version) +
                         " (only 3 is supported)");
  out.ver = 3;
  if (Status s = r.u(8, nTensors, "tensor count"); !s)
    return s;
  if (Status s = r.u(8, nKV, "metadata count"); !s)
    return s;
  // A KV pair takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 8 + 4 + 8.
  if (nKV > r.remaining() / 13)
    return Status::error("metadata count " + std::to_string(nKV) +
                         " exceeds what the file can hold");
  if (nTensors > r.remaining() / 32)
    return Status::error("tensor count " + std::to_string(nTensors) +
                         " exceeds what the file can hold");
  std::set<std::string> keys;
  for (uint64_t i = 0; i < nKV; ++i) {
    std::string key;
    uint64_t type;
    if (Status s = r.str(key, "metadata key"); !s)
      return s;
    if (!keys.insert(key).second)
      return Status::error("duplicate metadata key \"" + key + "\"");
    if (Status s = r.u(4, type, "metadata type"); !s)
      return s;
    GGUFValue v;
    if (Status s = readValue(r, static_cast<uint32_t>(type), v, 0); !s)
      return Status::error("metadata \"" + key + "\": " + s.message());
    if (key == "general.alignment") {
      if (v.type != GGUFValue::UInt32 || v.u == 0 || (v.u & (v.u - 1)))
        return Status::error("general.alignment must be a u32 power of two");
      out.align = v.u;
    }
    out.meta.emplace_back(std::move(key), std::move(v));
  }
  std::set<std::string> names;
  for (uint64_t i = 0; i < nTensors; ++i) {
    Tensor t;
    uint64_t nd, type;
    if (Status s = r.str(t.name, "tensor name"); !s)
      return s;
    auto bad = [&](const std::string &msg) {
      return Status::error("tensor \"" + t.name + "\": " + msg);
    };
    if (!names.insert(t.name).second)
      return bad("duplicate tensor name");
    if (Status s = r.u(4, nd, "tensor rank"); !s)
      return s;
    if (nd == 0 || nd > kMaxDims)
      return bad("rank " + std::to_string(nd) + " outside 1..4");
    std::vector<int64_t> ne(nd);
    for (uint64_t d = 0; d < nd; ++d) {
      uint64_t x;
      if (Status s = r.u(8, x, "tensor dims"); !s)
        return s;
      if (x == 0 || x > static_cast<uint64_t>(INT64_MAX))
        return bad("invalid dimension " + std::to_string(x));
      ne[d] = static_cast<int64_t>(x);
    }
    if (Status s = r.u(4, type, "tensor type"); !s)
      return s;
    if (!dtypeOfGGML(static_cast<uint32_t>(type), t.dtype))
      return bad("unsupported ggml type " + std::to_string(type));
    if (Status s = r.u(8, t.offset, "tensor offset"); !s)
      return s;
    t.shape.assign(ne.rbegin(), ne.rend());
    if (ne[0] % dtypeBlockElements(t.dtype))
      return bad("row length " + std::to_string(ne[0]) +
                 " is not a multiple of the " + dtypeName(t.dtype) + " block");
    int64_t numel;
    if (Status s = checkedNumel(t.shape, numel); !s)
      return bad(s.message());
    if (Status s = dtypeBytes(t.dtype, numel, t.nbytes); !s)
      return bad(s.message());
    out.list.push_back(std::move(t));
  }
  uint64_t dataStart = (r.pos + out.align - 1) / out.align * out.align;
  if (dataStart > size && !out.list.empty())
    return Status::error("file ends before the tensor data section");
  uint64_t dataSize = dataStart <= size ? size - dataStart : 0;
  std::vector<const Tensor *> sorted;
  for (Tensor &t : out.list) {
    if (t.offset % out.align)
      return Status::error(
          "tensor \"" + t.name + "\": offset " + std::to_string(t.offset) +
          " is not a multiple of the alignment " + std::to_string(out.align));
    if (t.offset > dataSize || t.nbytes > dataSize - t.offset)
      return Status::error("tensor \"" + t.name + "\": data [" +
                           std::to_string(t.offset) + ", +" +
                           std::to_string(t.nbytes) + ") lies outside the " +
                           std::to_string(dataSize) + "-byte data section");
    t.data = bytes + dataStart + t.offset;
    sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Tensor *a, const Tensor *b) {
    return a->offset < b->offset;
  });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i]->offset < sorted[i - 1]->offset + sorted[i - 1]->nbytes)
      return Status::error("tensor \"" + sorted[i]->name +
                           "\" overlaps tensor \"" + sorted[i - 1]->name +
                           "\"");
  return Status::success();
}

Status qforge::io::serializeGGUF(
    const std::vector<TensorView> &tensors,
    const std::vector<std::pair<std::string, GGUFValue>> &md,
    std::vector<uint8_t> &out) {
  uint64_t align = 32;
  std::set<std::string> keys;
  for (const auto &[k, v] : md) {
    if (!keys.insert(k).second)
      return Status::error("duplicate metadata key \"" + k + "\"");
    if (Status s = checkValue(v, k); !s)
      return s;
    if (k == "general.alignment") {
      if (v.type != GGUFValue::UInt32 || v.u == 0 || (v.u & (v.u - 1)))
        return Status::error("general.alignment must be a u32 power of two");
      align = v.u;
    }
  }
  out.clear();
  appendLE(out, kMagic, 4);
  appendLE(out, 3, 4);
  appendLE(out, tensors.size(), 8);
  appendLE(out, md.size(), 8);
  for (const auto &[k, v] : md) {
    writeString(out, k);
    appendLE(out, v.type, 4);
    writeValueBody(out, v);
  }
  std::set<std::string> names;
  std::vector<uint64_t> offsets;
  uint64_t offset = 0;
  for (const TensorView &t : tensors) {
    auto bad = [&](const std::string &msg) {
      return Status::error("tensor \"" + t.name + "\": " + msg);
    };
    if (!names.insert(t.name).second)
      return bad("duplicate tensor name");
    uint32_t id;
    if (!ggmlTypeOf(t.dtype, id))
      return bad(std::string("dtype ") + dtypeName(t.dtype) +
                 " has no GGUF type");
    if (t.shape.empty() || t.shape.size() > kMaxDims)
      return bad("GGUF tensors have 1 to 4 dimensions");
    for (int64_t d : t.shape)
      if (d <= 0)
        return bad("GGUF dimensions must be positive");
    if (t.shape.back() % dtypeBlockElements(t.dtype))
      return bad("row length " + std::to_string(t.shape.back()) +
                 " is not a multiple of the " + dtypeName(t.dtype) + " block");
    int64_t numel;
    uint64_t bytes;
    if (Status s = checkedNumel(t.shape, numel); !s)
      return bad(s.message());
    if (Status s = dtypeBytes(t.dtype, numel, bytes); !s)
      return bad(s.message());
    if (bytes != t.nbytes)
      return bad("shape needs " + std::to_string(bytes) + " bytes, data has " +
                 std::to_string(t.nbytes));
    writeString(out, t.name);
    appendLE(out, t.shape.size(), 4);
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
      appendLE(out, static_cast<uint64_t>(*it), 8);
    appendLE(out, id, 4);
    appendLE(out, offset, 8);
    offsets.push_back(offset);
    offset += (bytes + align - 1) / align * align;
  }
  while (out.size() % align)
    out.push_back(0);
  uint64_t dataStart = out.size();
  out.resize(dataStart + offset, 0);
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].nbytes)
      std::memcpy(out.data() + dataStart + offsets[i], tensors[i].data,
                  tensors[i].nbytes);
  return Status::success();
}

Status qforge::io::writeGGUF(
    const std::string &path, const std::vector<TensorView> &tensors,
    const std::vector<std::pair<std::string, GGUFValue>> &md) {
  std::vector<uint8_t> bytes;
  if (Status s = serializeGGUF(tensors, md, bytes); !s)
    return s;
  return writeFile(path, bytes);
}
