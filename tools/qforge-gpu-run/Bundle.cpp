//===- Bundle.cpp - Compiled QForge GPU kernels in one file ---------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"

#include "qforge/Numerics/Format.h"

#include <cstdint>
#include <sstream>

using namespace qforge;
using namespace qforge::gpurun;

static constexpr const char *kMagic = "qforge-gpu-bundle 1";

std::string qforge::gpurun::printBundle(const Bundle &b) {
  std::ostringstream os;
  os << kMagic << "\n"
     << "op " << b.kernel << " format " << b.format << " shape " << b.shape
     << " m " << b.m << " dtype " << b.dtype << " chip " << b.chip << "\n";
  for (const KernelMeta &meta : b.kernels)
    os << describeKernel(meta) << "\n";
  os << "ptx-bytes " << b.ptx.size() << "\n" << b.ptx;
  return os.str();
}

namespace {

/// Splits a line at spaces (no empty tokens).
std::vector<std::string> tokens(const std::string &line) {
  std::vector<std::string> out;
  std::istringstream is(line);
  for (std::string t; is >> t;)
    out.push_back(t);
  return out;
}

/// A decimal integer in [lo, hi], digits only.
bool parseInt(const std::string &s, uint64_t lo, uint64_t hi, uint64_t &v) {
  if (s.empty() || s.size() > 19)
    return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v >= lo && v <= hi;
}

/// "XxYxZ", each in [1, hi[i]].
bool parseDims(const std::string &s, const uint64_t (&hi)[3],
               std::array<int, 3> &d) {
  std::string parts[3];
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    size_t x = i < 2 ? s.find('x', at) : s.size();
    if (x == std::string::npos)
      return false;
    parts[i] = s.substr(at, x - at);
    at = x + 1;
  }
  for (int i = 0; i < 3; ++i) {
    uint64_t v;
    if (!parseInt(parts[i], 1, hi[i], v))
      return false;
    d[i] = static_cast<int>(v);
  }
  return true;
}

/// A kernel argument role: a section of the quantized tensor
/// (num::sectionName) or one of the runner's own buffers.
bool isArgRole(const std::string &a) {
  for (unsigned i = 0; i < num::kNumSections; ++i)
    if (a == num::sectionName(static_cast<num::Section>(i)))
      return true;
  return a == "lhs" || a == "out" || a == "scratch" || a == "workspace";
}

bool parseKernelLine(const std::vector<std::string> &t, KernelMeta &meta,
                     std::string &why) {
  // kernel NAME grid G block B args A... [dynamic-shared N]
  // [scratch-bytes N] [workspace-bytes N]
  if (t.size() < 7 || t[2] != "grid" || t[4] != "block" || t[6] != "args") {
    why = "expected 'kernel NAME grid XxYxZ block XxYxZ args ...'";
    return false;
  }
  meta.name = t[1];
  for (char c : meta.name)
    if (!(c == '_' || c == '$' || c == '.' || (c >= '0' && c <= '9') ||
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      why = "bad kernel name '" + meta.name + "'";
      return false;
    }
  static const uint64_t gridMax[3] = {2147483647, 65535, 65535};
  static const uint64_t blockMax[3] = {1024, 1024, 64};
  if (!parseDims(t[3], gridMax, meta.grid)) {
    why = "bad grid '" + t[3] + "'";
    return false;
  }
  if (!parseDims(t[5], blockMax, meta.block) ||
      static_cast<int64_t>(meta.block[0]) * meta.block[1] * meta.block[2] >
          1024) {
    why = "bad block '" + t[5] + "'";
    return false;
  }
  size_t i = 7;
  for (; i < t.size() && isArgRole(t[i]); ++i)
    meta.args.push_back(t[i]);
  if (meta.args.empty()) {
    why = "kernel without arguments";
    return false;
  }
  while (i < t.size()) {
    const std::string &key = t[i];
    uint64_t v = 0;
    if (i + 1 >= t.size()) {
      why = "'" + key + "' without a value";
      return false;
    }
    if (key == "dynamic-shared" && parseInt(t[i + 1], 1, 1u << 20, v)) {
      meta.dynamicShared = static_cast<unsigned>(v);
    } else if (key == "scratch-bytes" &&
               parseInt(t[i + 1], 1, uint64_t(1) << 40, v)) {
      meta.scratchBytes = v;
    } else if (key == "workspace-bytes" &&
               parseInt(t[i + 1], 1, uint64_t(1) << 40, v)) {
      meta.workspaceBytes = v;
    } else {
      why = "unexpected '" + key + " " + t[i + 1] + "'";
      return false;
    }
    i += 2;
  }
  return true;
}

} // namespace

bool qforge::gpurun::parseBundle(const std::string &text, Bundle &b,
                                 std::string &err) {
  b = Bundle();
  size_t pos = 0;
  int lineNo = 0;
  bool sawOp = false;
  auto fail = [&](const std::string &why) {
    err = "line " + std::to_string(lineNo) + ": " + why;
    return false;
  };
  while (true) {
    size_t nl = text.find('\n', pos);
    ++lineNo;
    if (nl == std::string::npos) {
      if (lineNo == 1)
        return fail("not a qforge-gpu bundle (expected '" +
                    std::string(kMagic) + "')");
      return fail("truncated header (no 'ptx-bytes' line)");
    }
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (lineNo == 1) {
      if (line != kMagic)
        return fail("not a qforge-gpu bundle (expected '" +
                    std::string(kMagic) + "')");
      continue;
    }
    std::vector<std::string> t = tokens(line);
    if (t.empty())
      return fail("empty line in the header");
    if (t[0] == "op") {
      // op KERNEL format F shape NxK m M dtype T chip C
      uint64_t m = 0;
      if (sawOp || t.size() != 12 || t[2] != "format" || t[4] != "shape" ||
          t[6] != "m" || t[8] != "dtype" || t[10] != "chip" ||
          !parseInt(t[7], 0, 1 << 20, m))
        return fail("expected one 'op KERNEL format F shape NxK m M dtype T "
                    "chip C' line");
      sawOp = true;
      b.kernel = t[1];
      b.format = t[3];
      b.shape = t[5];
      b.m = static_cast<int64_t>(m);
      b.dtype = t[9];
      b.chip = t[11];
    } else if (t[0] == "kernel") {
      if (!sawOp)
        return fail("'kernel' before the 'op' line");
      KernelMeta meta;
      std::string why;
      if (!parseKernelLine(t, meta, why))
        return fail(why);
      b.kernels.push_back(meta);
    } else if (t[0] == "ptx-bytes") {
      uint64_t n = 0;
      if (t.size() != 2 || !parseInt(t[1], 1, uint64_t(1) << 32, n))
        return fail("expected 'ptx-bytes N'");
      if (!sawOp || b.kernels.empty())
        return fail("'ptx-bytes' before the 'op' and 'kernel' lines");
      uint64_t left = text.size() - pos;
      if (left < n)
        return fail("truncated PTX: " + std::to_string(left) + " of " +
                    std::to_string(n) + " bytes");
      if (left > n)
        return fail(std::to_string(left - n) +
                    " bytes after the PTX of ptx-bytes " + std::to_string(n));
      b.ptx = text.substr(pos);
      if (b.ptx.find('\0') != std::string::npos)
        return fail("NUL byte in the PTX");
      return true;
    } else {
      return fail("unexpected '" + t[0] + "'");
    }
  }
}
