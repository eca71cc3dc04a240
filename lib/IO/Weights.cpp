//===- Weights.cpp - External weights and quantized weight files ----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Weights.h"
#include "qforge/IO/GGUF.h"
#include "qforge/IO/Npy.h"
#include "qforge/IO/SafeTensors.h"

#include "Json.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

using namespace qforge::io;
namespace num = qforge::num;

namespace {
const char *kSectionKeys[num::kNumSections] = {
    "codes", "scales", "zero_points", "codebooks", "super_scales", "outliers"};

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

bool blockDType(num::Layout l, DType &out) {
  switch (l) {
  case num::Layout::Q4_0:
    out = DType::Q4_0;
    return true;
  case num::Layout::Q8_0:
    out = DType::Q8_0;
    return true;
  case num::Layout::IQ4_NL:
    out = DType::IQ4_NL;
    return true;
  case num::Layout::Q4_K:
    out = DType::Q4_K;
    return true;
  default:
    return false;
  }
}

/// The "NAME.qf_shape" metadata value: a JSON list of the dimensions.
std::string shapeJson(const num::QuantizedTensor &q) {
  std::string shape = "[";
  for (size_t i = 0; i < q.shape.size(); ++i)
    shape += (i ? "," : "") + std::to_string(q.shape[i]);
  return shape + "]";
}
} // namespace

Status qforge::io::weightFileKind(const std::string &path,
                                  WeightFileKind &out) {
  if (endsWith(path, ".safetensors"))
    out = WeightFileKind::SafeTensors;
  else if (endsWith(path, ".gguf"))
    out = WeightFileKind::GGUF;
  else if (endsWith(path, ".npz"))
    out = WeightFileKind::Npz;
  else if (endsWith(path, ".npy"))
    out = WeightFileKind::Npy;
  else
    return Status::error("'" + path +
                         "': unknown weight file extension (.safetensors, "
                         ".gguf, .npz, .npy)");
  return Status::success();
}

struct WeightStore::Impl {
  struct Open {
    WeightFileKind kind;
    SafeTensorsFile st;
    GGUFFile gguf;
    NpyFile npy;
    // Identity of the file when it was mapped.
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    struct timespec mtime = {};
  };
  std::map<std::string, std::shared_ptr<Open>> files;
  size_t opened = 0;

  Status open(const std::string &path, std::shared_ptr<Open> &out);
  static bool findTensor(const Open &f, const std::string &key,
                         ExternalTensor &out);
  static bool findString(const Open &f, const std::string &key,
                         std::string &out);
};

Status WeightStore::Impl::open(const std::string &path,
                               std::shared_ptr<Open> &out) {
  WeightFileKind kind;
  if (Status s = weightFileKind(path, kind); !s)
    return s;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    files.erase(path);
    return Status::error("cannot open '" + path + "': " + std::strerror(errno));
  }
  // Checked before opening: opening a FIFO would block.
  if (!S_ISREG(st.st_mode)) {
    files.erase(path);
    return Status::error("'" + path + "' is not a regular file");
  }
  auto it = files.find(path);
  if (it != files.end()) {
    const Open &f = *it->second;
    if (f.dev == st.st_dev && f.ino == st.st_ino && f.size == st.st_size &&
        f.mtime.tv_sec == st.st_mtim.tv_sec &&
        f.mtime.tv_nsec == st.st_mtim.tv_nsec) {
      out = it->second;
      return Status::success();
    }
    // Replaced or modified since it was mapped: map it again. Tensors
    // resolved from the old mapping keep it alive through their owner.
    files.erase(it);
  }
  auto f = std::make_shared<Open>();
  f->kind = kind;
  Status s;
  switch (kind) {
  case WeightFileKind::SafeTensors:
    s = SafeTensorsFile::open(path, f->st);
    break;
  case WeightFileKind::GGUF:
    s = GGUFFile::open(path, f->gguf);
    break;
  case WeightFileKind::Npz:
    s = NpyFile::openNpz(path, f->npy);
    break;
  case WeightFileKind::Npy:
    s = NpyFile::openNpy(path, f->npy);
    break;
  }
  if (!s)
    return s;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  f->size = st.st_size;
  f->mtime = st.st_mtim;
  ++opened;
  files.emplace(path, f);
  out = std::move(f);
  return Status::success();
}

WeightStore::WeightStore() : impl(std::make_unique<Impl>()) {}
WeightStore::~WeightStore() = default;
size_t WeightStore::numOpenFiles() const { return impl->opened; }

/// Finds tensor `key` in an opened file.
bool WeightStore::Impl::findTensor(const Open &f, const std::string &key,
                                   ExternalTensor &out) {
  switch (f.kind) {
  case WeightFileKind::SafeTensors: {
    const auto *t = f.st.find(key);
    if (!t)
      return false;
    out = {t->dtype, t->shape, t->data, t->nbytes(), nullptr};
    return true;
  }
  case WeightFileKind::GGUF: {
    const auto *t = f.gguf.find(key);
    if (!t)
      return false;
    out = {t->dtype, t->shape, t->data, t->nbytes, nullptr};
    return true;
  }
  default: {
    const NpyArray *a = f.npy.find(key);
    if (!a)
      return false;
    out = {a->dtype, a->shape, a->data, a->nbytes, nullptr};
    return true;
  }
  }
}

/// A string metadata entry (safetensors __metadata__ or a GGUF string KV).
bool WeightStore::Impl::findString(const Open &f, const std::string &key,
                                   std::string &out) {
  if (f.kind == WeightFileKind::SafeTensors) {
    auto it = f.st.metadata().find(key);
    if (it == f.st.metadata().end())
      return false;
    out = it->second;
    return true;
  }
  if (f.kind == WeightFileKind::GGUF) {
    const GGUFValue *v = f.gguf.findMetadata(key);
    if (!v || v->type != GGUFValue::String)
      return false;
    out = v->s;
    return true;
  }
  return false;
}

Status WeightStore::lookup(const std::string &path, const std::string &key,
                           ExternalTensor &out) {
  std::shared_ptr<Impl::Open> f;
  if (Status s = impl->open(path, f); !s)
    return s;
  if (!Impl::findTensor(*f, key, out))
    return Status::error("'" + path + "' has no tensor '" + key + "'");
  out.owner = f;
  return Status::success();
}

Status WeightStore::lookupQuantized(const std::string &path,
                                    const std::string &name,
                                    ExternalQuantized &out) {
  out = ExternalQuantized();
  std::shared_ptr<Impl::Open> f;
  if (Status s = impl->open(path, f); !s)
    return s;
  if (f->kind != WeightFileKind::SafeTensors && f->kind != WeightFileKind::GGUF)
    return Status::error("'" + path +
                         "': quantized tensors live in .safetensors or .gguf");
  auto bad = [&](const std::string &msg) {
    return Status::error("'" + path + "': quantized tensor '" + name +
                         "': " + msg);
  };
  ExternalTensor t;
  std::string spec, shapeText;
  if (f->kind == WeightFileKind::GGUF && Impl::findTensor(*f, name, t)) {
    // A ggml block tensor: the Codes section of the GGUF layouts.
    if (!isBlockType(t.dtype))
      return Status::error("'" + path + "': tensor '" + name +
                           "' is not quantized (" + dtypeName(t.dtype) + ")");
    if (Status s = num::FormatSpec::parse(dtypeName(t.dtype), out.format); !s)
      return bad(s.message());
    out.shape = t.shape;
    out.data[static_cast<unsigned>(num::Section::Codes)] = t.data;
    out.nbytes[static_cast<unsigned>(num::Section::Codes)] = t.nbytes;
  } else {
    if (!Impl::findString(*f, name + ".qf_format", spec) ||
        !Impl::findString(*f, name + ".qf_shape", shapeText)) {
      if (Impl::findTensor(*f, name, t))
        return Status::error("'" + path + "': tensor '" + name +
                             "' is not quantized (" + dtypeName(t.dtype) + ")");
      return Status::error("'" + path + "' has no quantized tensor '" + name +
                           "' (" + name + ".qf_format/.qf_shape metadata)");
    }
    if (Status s = num::FormatSpec::parse(spec, out.format); !s)
      return bad(name + ".qf_format: " + s.message());
    json::Value shape;
    if (Status s = json::parse(shapeText.data(), shapeText.size(), shape);
        !s || shape.kind != json::Value::Array)
      return bad(name + ".qf_shape is not a JSON list");
    for (const json::Value &d : shape.items) {
      uint64_t v;
      if (!d.asU64(v) || v > static_cast<uint64_t>(INT64_MAX))
        return bad(name + ".qf_shape has a bad dimension");
      out.shape.push_back(static_cast<int64_t>(v));
    }
    for (unsigned i = 0; i < num::kNumSections; ++i) {
      std::string key = name + ".qf." + kSectionKeys[i];
      if (!Impl::findTensor(*f, key, t))
        continue;
      if (t.dtype != DType::U8 && t.dtype != DType::I8)
        return bad("section tensor '" + key + "' must be U8 (or I8 in GGUF)");
      out.data[i] = t.data;
      out.nbytes[i] = t.nbytes;
    }
  }
  if (Status s = out.format.verify(); !s)
    return bad(s.message());
  if (Status s = out.format.verifyShape(out.shape); !s)
    return bad(s.message());
  std::array<uint64_t, num::kNumSections> want =
      num::sectionBytes(out.format, out.shape);
  for (unsigned i = 0; i < num::kNumSections; ++i) {
    std::string sec = kSectionKeys[i];
    if (want[i] == 0 && out.data[i])
      return bad("unexpected section '" + sec + "': format '" +
                 out.format.str() + "' has none");
    if (want[i] != 0 && !out.data[i])
      return bad("missing section '" + sec + "' (" + std::to_string(want[i]) +
                 " bytes)");
    if (out.nbytes[i] != want[i])
      return bad("section '" + sec + "' has " + std::to_string(out.nbytes[i]) +
                 " bytes but format '" + out.format.str() + "' needs " +
                 std::to_string(want[i]));
  }
  out.owner = f;
  return Status::success();
}

void ExternalQuantized::copyTo(num::QuantizedTensor &out) const {
  out = num::QuantizedTensor();
  out.format = format;
  out.shape = shape;
  for (unsigned i = 0; i < num::kNumSections; ++i)
    if (data[i])
      out.sections[i].assign(data[i], data[i] + nbytes[i]);
}

Status qforge::io::readQuantized(const std::string &path,
                                 const std::string &name,
                                 num::QuantizedTensor &out) {
  WeightStore store;
  ExternalQuantized q;
  out = num::QuantizedTensor();
  if (Status s = store.lookupQuantized(path, name, q); !s)
    return s;
  q.copyTo(out);
  if (Status s = out.verify(); !s)
    return Status::error("'" + path + "': " + name + ": " + s.message());
  return Status::success();
}

Status QuantizedWeightWriter::addQuantized(const std::string &name,
                                           const num::QuantizedTensor &q) {
  if (Status s = q.verify(); !s)
    return Status::error("tensor '" + name + "': " + s.message());
  quantized.emplace_back(name, &q);
  return Status::success();
}

Status QuantizedWeightWriter::addTensor(const TensorView &t) {
  plain.push_back(t);
  return Status::success();
}

Status QuantizedWeightWriter::write(
    const std::string &path,
    const std::map<std::string, std::string> &metadata) const {
  WeightFileKind kind;
  if (Status s = weightFileKind(path, kind); !s)
    return s;
  if (kind == WeightFileKind::SafeTensors) {
    std::map<std::string, std::string> md = metadata;
    std::vector<TensorView> views;
    for (const auto &[name, q] : quantized) {
      md[name + ".qf_format"] = q->format.str();
      md[name + ".qf_shape"] = shapeJson(*q);
      for (unsigned i = 0; i < num::kNumSections; ++i) {
        const std::vector<uint8_t> &b = q->sections[i];
        if (b.empty())
          continue;
        views.push_back({name + ".qf." + kSectionKeys[i],
                         DType::U8,
                         {static_cast<int64_t>(b.size())},
                         b.data(),
                         b.size()});
      }
    }
    views.insert(views.end(), plain.begin(), plain.end());
    return writeSafeTensors(path, views, md);
  }
  if (kind == WeightFileKind::GGUF) {
    std::vector<TensorView> views;
    std::vector<std::pair<std::string, GGUFValue>> md;
    for (const auto &[name, q] : quantized) {
      DType dt;
      if (blockDType(q->format.layout, dt)) {
        const std::vector<uint8_t> &b = q->section(num::Section::Codes);
        views.push_back({name, dt, q->shape, b.data(), b.size()});
        continue;
      }
      // No ggml type: the QForge section convention (I8 section tensors,
      // string KV pairs for the format and the shape).
      md.emplace_back(name + ".qf_format",
                      GGUFValue::ofString(q->format.str()));
      md.emplace_back(name + ".qf_shape", GGUFValue::ofString(shapeJson(*q)));
      for (unsigned i = 0; i < num::kNumSections; ++i) {
        const std::vector<uint8_t> &b = q->sections[i];
        if (b.empty())
          continue;
        views.push_back({name + ".qf." + kSectionKeys[i],
                         DType::I8,
                         {static_cast<int64_t>(b.size())},
                         b.data(),
                         b.size()});
      }
    }
    views.insert(views.end(), plain.begin(), plain.end());
    for (const auto &[k, v] : metadata)
      md.emplace_back(k, GGUFValue::ofString(v));
    return writeGGUF(path, views, md);
  }
  return Status::error("'" + path +
                       "': quantized weights are written to .safetensors "
                       "or .gguf");
}
