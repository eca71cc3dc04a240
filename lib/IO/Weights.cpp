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

#include <set>

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
  };
  std::map<std::string, std::unique_ptr<Open>> files;
};

WeightStore::WeightStore() : impl(std::make_unique<Impl>()) {}
WeightStore::~WeightStore() = default;
size_t WeightStore::numOpenFiles() const { return impl->files.size(); }

Status WeightStore::lookup(const std::string &path, const std::string &key,
                           ExternalTensor &out) {
  auto it = impl->files.find(path);
  if (it == impl->files.end()) {
    auto f = std::make_unique<Impl::Open>();
    if (Status s = weightFileKind(path, f->kind); !s)
      return s;
    Status s;
    switch (f->kind) {
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
    it = impl->files.emplace(path, std::move(f)).first;
  }
  const Impl::Open &f = *it->second;
  auto missing = [&] {
    return Status::error("'" + path + "' has no tensor '" + key + "'");
  };
  switch (f.kind) {
  case WeightFileKind::SafeTensors: {
    const auto *t = f.st.find(key);
    if (!t)
      return missing();
    out = {t->dtype, t->shape, t->data, t->nbytes()};
    return Status::success();
  }
  case WeightFileKind::GGUF: {
    const auto *t = f.gguf.find(key);
    if (!t)
      return missing();
    out = {t->dtype, t->shape, t->data, t->nbytes};
    return Status::success();
  }
  default: {
    const NpyArray *a = f.npy.find(key);
    if (!a)
      return missing();
    out = {a->dtype, a->shape, a->data, a->nbytes};
    return Status::success();
  }
  }
}

Status qforge::io::readQuantized(const std::string &path,
                                 const std::string &name,
                                 num::QuantizedTensor &out) {
  WeightFileKind kind;
  if (Status s = weightFileKind(path, kind); !s)
    return s;
  out = num::QuantizedTensor();
  if (kind == WeightFileKind::GGUF) {
    GGUFFile f;
    if (Status s = GGUFFile::open(path, f); !s)
      return s;
    const auto *t = f.find(name);
    if (!t)
      return Status::error("'" + path + "' has no tensor '" + name + "'");
    if (!isBlockType(t->dtype))
      return Status::error("'" + path + "': tensor '" + name +
                           "' is not quantized (" + dtypeName(t->dtype) + ")");
    if (Status s = num::FormatSpec::parse(dtypeName(t->dtype), out.format); !s)
      return s;
    out.shape = t->shape;
    out.section(num::Section::Codes).assign(t->data, t->data + t->nbytes);
    return out.verify();
  }
  if (kind != WeightFileKind::SafeTensors)
    return Status::error("'" + path +
                         "': quantized tensors live in .safetensors or .gguf");
  SafeTensorsFile f;
  if (Status s = SafeTensorsFile::open(path, f); !s)
    return s;
  auto fmt = f.metadata().find(name + ".qf_format");
  auto shp = f.metadata().find(name + ".qf_shape");
  if (fmt == f.metadata().end() || shp == f.metadata().end())
    return Status::error("'" + path + "' has no quantized tensor '" + name +
                         "' (" + name + ".qf_format/.qf_shape metadata)");
  if (Status s = num::FormatSpec::parse(fmt->second, out.format); !s)
    return Status::error("'" + path + "': " + name +
                         ".qf_format: " + s.message());
  json::Value shape;
  if (Status s = json::parse(shp->second.data(), shp->second.size(), shape);
      !s || shape.kind != json::Value::Array)
    return Status::error("'" + path + "': " + name +
                         ".qf_shape is not a JSON list");
  for (const json::Value &d : shape.items) {
    uint64_t v;
    if (!d.asU64(v) || v > static_cast<uint64_t>(INT64_MAX))
      return Status::error("'" + path + "': " + name +
                           ".qf_shape has a bad dimension");
    out.shape.push_back(static_cast<int64_t>(v));
  }
  if (Status s = out.format.verifyShape(out.shape); !s)
    return Status::error("'" + path + "': " + name + ": " + s.message());
  for (unsigned i = 0; i < num::kNumSections; ++i) {
    const auto *t = f.find(name + ".qf." + kSectionKeys[i]);
    if (!t)
      continue;
    if (t->dtype != DType::U8)
      return Status::error("'" + path + "': section tensor '" + t->name +
                           "' must be U8");
    out.sections[i].assign(t->data, t->data + t->nbytes());
  }
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
  std::vector<std::string> shapes;
  shapes.reserve(quantized.size());
  if (kind == WeightFileKind::SafeTensors) {
    std::map<std::string, std::string> md = metadata;
    std::vector<TensorView> views;
    for (const auto &[name, q] : quantized) {
      std::string shape = "[";
      for (size_t i = 0; i < q->shape.size(); ++i)
        shape += (i ? "," : "") + std::to_string(q->shape[i]);
      shape += "]";
      md[name + ".qf_format"] = q->format.str();
      md[name + ".qf_shape"] = shape;
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
    for (const auto &[name, q] : quantized) {
      DType dt;
      if (!blockDType(q->format.layout, dt))
        return Status::error("tensor '" + name + "': format '" +
                             q->format.str() +
                             "' has no GGUF type (q4_0, q8_0, iq4_nl, q4_k)");
      const std::vector<uint8_t> &b = q->section(num::Section::Codes);
      views.push_back({name, dt, q->shape, b.data(), b.size()});
    }
    views.insert(views.end(), plain.begin(), plain.end());
    std::vector<std::pair<std::string, GGUFValue>> md;
    for (const auto &[k, v] : metadata)
      md.emplace_back(k, GGUFValue::ofString(v));
    return writeGGUF(path, views, md);
  }
  return Status::error("'" + path +
                       "': quantized weights are written to .safetensors "
                       "or .gguf");
}
