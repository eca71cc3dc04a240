//===- Format.cpp - Quantization format descriptors and specs -------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Format.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace qforge::num;

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

namespace {

bool startsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

/// Parses a non-negative decimal integer that fills `s` entirely.
bool parseUInt(std::string_view s, int64_t &out) {
  if (s.empty() || s.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

/// Parses a signed decimal integer that fills `s` entirely.
bool parseInt(std::string_view s, int64_t &out) {
  bool neg = !s.empty() && s[0] == '-';
  if (!parseUInt(neg ? s.substr(1) : s, out))
    return false;
  if (neg)
    out = -out;
  return true;
}

/// Parses a finite floating-point number that fills `s` entirely.
bool parseDouble(std::string_view s, double &out) {
  if (s.empty() || s.size() > 64)
    return false;
  std::string buf(s);
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || errno == ERANGE || !std::isfinite(v))
    return false;
  // strtod accepts hex floats, "inf" and "nan"; only plain decimals are
  // part of the grammar.
  for (char c : buf)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E'))
      return false;
  out = v;
  return true;
}

/// Shortest decimal that reads back as exactly `v`.
std::string formatDouble(double v) {
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[')
      ++depth;
    else if (s[i] == ']')
      --depth;
    else if (s[i] == sep && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

bool parseScaleType(std::string_view s, ScaleType &t) {
  static const std::pair<const char *, ScaleType> names[] = {
      {"f32", ScaleType::F32},   {"f16", ScaleType::F16},
      {"bf16", ScaleType::BF16}, {"e8m0", ScaleType::E8M0},
      {"e4m3", ScaleType::E4M3}, {"noscale", ScaleType::None}};
  for (auto &[name, type] : names)
    if (s == name) {
      t = type;
      return true;
    }
  return false;
}

const char *miniFloatName(MiniFloatKind k) {
  switch (k) {
  case MiniFloatKind::E2M1:
    return "e2m1";
  case MiniFloatKind::E3M2:
    return "e3m2";
  case MiniFloatKind::E2M3:
    return "e2m3";
  case MiniFloatKind::E4M3FN:
    return "e4m3";
  case MiniFloatKind::E5M2:
    return "e5m2";
  }
  return "?";
}

unsigned miniFloatBits(MiniFloatKind k) {
  switch (k) {
  case MiniFloatKind::E2M1:
    return 4;
  case MiniFloatKind::E3M2:
  case MiniFloatKind::E2M3:
    return 6;
  case MiniFloatKind::E4M3FN:
  case MiniFloatKind::E5M2:
    return 8;
  }
  return 8;
}

const char *statName(ScaleStat s) {
  switch (s) {
  case ScaleStat::AbsMax:
    return "absmax";
  case ScaleStat::SignMax:
    return "signmax";
  case ScaleStat::RMS:
    return "rms";
  case ScaleStat::Search:
    return "search";
  }
  return "?";
}

const char *layoutName(Layout l) {
  switch (l) {
  case Layout::Plain:
    return "plain";
  case Layout::Q4_0:
    return "q4_0";
  case Layout::Q8_0:
    return "q8_0";
  case Layout::IQ4_NL:
    return "iq4_nl";
  case Layout::Q4_K:
    return "q4_k";
  }
  return "?";
}

/// Elements and bytes of one GGUF block.
void ggufBlock(Layout l, int64_t &elems, int64_t &bytes) {
  switch (l) {
  case Layout::Q4_0:
  case Layout::IQ4_NL:
    elems = 32, bytes = 18;
    return;
  case Layout::Q8_0:
    elems = 32, bytes = 34;
    return;
  case Layout::Q4_K:
    elems = 256, bytes = 144;
    return;
  case Layout::Plain:
    break;
  }
  elems = 1, bytes = 0;
}

struct Preset {
  const char *name;
  const char *expansion; ///< canonical form, without the layout
  Layout layout;
};

// Named formats. The GGUF presets are the only users of their layouts.
const Preset kPresets[] = {
    {"mxfp4", "e2m1:g32:e8m0", Layout::Plain},
    {"mxfp6", "e2m3:g32:e8m0", Layout::Plain},
    {"mxfp6e3m2", "e3m2:g32:e8m0", Layout::Plain},
    {"mxfp8", "e4m3:g32:e8m0", Layout::Plain},
    {"mxfp8e5m2", "e5m2:g32:e8m0", Layout::Plain},
    {"nvfp4", "e2m1:g16:e4m3:dq=tensor", Layout::Plain},
    {"q4_0", "int4:g32:f16:signmax", Layout::Q4_0},
    {"q8_0", "sint8:g32:f16", Layout::Q8_0},
    {"iq4_nl", "iq4nl:g32:f16:signmax", Layout::IQ4_NL},
    {"q4_k", "uint4:g32:f16:zp:dq=8", Layout::Q4_K},
};

std::string presetLong(const Preset &p) {
  std::string s = p.expansion;
  if (p.layout != Layout::Plain)
    s += std::string(":layout=") + layoutName(p.layout);
  return s;
}

/// Parses the element token(s) starting at tokens[i]; advances i.
Status parseElement(const std::vector<std::string_view> &tok, size_t &i,
                    FormatSpec &f) {
  std::string_view t = tok[i++];
  auto needBits = [&](const char *what, int64_t lo, int64_t hi,
                      int64_t &out) -> Status {
    if (i >= tok.size())
      return Status::error(std::string("'") + what +
                           "' must be followed by ':<bits>'");
    if (!parseUInt(tok[i], out))
      return Status::error(std::string("expected a number of bits after '") +
                           what + "', got '" + std::string(tok[i]) + "'");
    if (out < lo || out > hi)
      return Status::error(std::string(what) + " bit width " +
                           std::to_string(out) + " is out of range [" +
                           std::to_string(lo) + ", " + std::to_string(hi) +
                           "]");
    ++i;
    return Status::success();
  };

  int64_t n = 0;
  // Integers: int<b>, uint<b>, sint<b>.
  for (auto [prefix, kind] :
       {std::pair<const char *, IntKind>{"uint", IntKind::Unsigned},
        {"sint", IntKind::Symmetric},
        {"int", IntKind::Signed}}) {
    if (startsWith(t, prefix) && parseUInt(t.substr(std::strlen(prefix)), n)) {
      f.kind = ElementKind::Int;
      f.intKind = kind;
      f.bits = static_cast<unsigned>(std::min<int64_t>(n, 1 << 20));
      return Status::success();
    }
  }
  static const std::pair<const char *, MiniFloatKind> floats[] = {
      {"e2m1", MiniFloatKind::E2M1},     {"e3m2", MiniFloatKind::E3M2},
      {"e2m3", MiniFloatKind::E2M3},     {"e4m3", MiniFloatKind::E4M3FN},
      {"e4m3fn", MiniFloatKind::E4M3FN}, {"e5m2", MiniFloatKind::E5M2}};
  for (auto &[name, kind] : floats)
    if (t == name) {
      f.kind = ElementKind::Float;
      f.miniFloat = kind;
      f.bits = miniFloatBits(kind);
      return Status::success();
    }
  if (t == "nf4" || t == "iq4nl") {
    f.kind = ElementKind::Lut;
    f.table = t == "nf4" ? TableKind::NF4 : TableKind::IQ4NL;
    f.bits = 4;
    return Status::success();
  }
  if (startsWith(t, "crd-")) {
    std::string_view d = t.substr(4);
    f.kind = ElementKind::Lut;
    if (d == "normal") {
      f.table = TableKind::CRDNormal;
    } else if (d == "laplace") {
      f.table = TableKind::CRDLaplace;
    } else if (startsWith(d, "t")) {
      f.table = TableKind::CRDStudentT;
      f.studentNu = 5.0;
      if (d.size() > 1 && !parseDouble(d.substr(1), f.studentNu))
        return Status::error("invalid Student-t degrees of freedom in '" +
                             std::string(t) + "'");
    } else {
      return Status::error("unknown CRD distribution '" + std::string(d) +
                           "' (expected normal, laplace or t<nu>)");
    }
    if (Status s = needBits("crd", 1, 1 << 20, n); !s)
      return s;
    f.bits = static_cast<unsigned>(n);
    return Status::success();
  }
  if (startsWith(t, "lut")) {
    f.kind = ElementKind::Lut;
    f.table = TableKind::Inline;
    std::string_view rest = t.substr(3);
    size_t lb = rest.find('[');
    if (lb == std::string_view::npos) {
      // lut:<bits>:<table name> or lut<bits>:<table name>
      if (!rest.empty()) {
        if (!parseUInt(rest, n))
          return Status::error("invalid lut bit width in '" + std::string(t) +
                               "'");
      } else if (Status s = needBits("lut", 0, 1 << 20, n); !s) {
        return s;
      }
      f.bits = static_cast<unsigned>(std::min<int64_t>(n, 1 << 20));
      if (i >= tok.size())
        return Status::error("'lut' needs values '[v0,v1,...]' or a table "
                             "name (nf4, iq4nl, crd-normal, crd-laplace, "
                             "crd-t<nu>)");
      std::string_view name = tok[i++];
      if (name == "nf4")
        f.table = TableKind::NF4;
      else if (name == "iq4nl")
        f.table = TableKind::IQ4NL;
      else if (name == "crd-normal")
        f.table = TableKind::CRDNormal;
      else if (name == "crd-laplace")
        f.table = TableKind::CRDLaplace;
      else if (startsWith(name, "crd-t")) {
        f.table = TableKind::CRDStudentT;
        if (name.size() > 5 && !parseDouble(name.substr(5), f.studentNu))
          return Status::error("invalid Student-t degrees of freedom in '" +
                               std::string(name) + "'");
      } else
        return Status::error("unknown table name '" + std::string(name) + "'");
      return Status::success();
    }
    if (rest.back() != ']')
      return Status::error("unterminated value list in '" + std::string(t) +
                           "'");
    if (!parseUInt(rest.substr(0, lb), n))
      return Status::error("expected 'lut<bits>[...]', got '" +
                           std::string(t) + "'");
    f.bits = static_cast<unsigned>(std::min<int64_t>(n, 1 << 20));
    std::string_view list = rest.substr(lb + 1, rest.size() - lb - 2);
    for (std::string_view v : split(list, ',')) {
      double d;
      if (!parseDouble(v, d))
        return Status::error("invalid codebook value '" + std::string(v) +
                             "'");
      f.inlineTable.push_back(d);
      if (f.inlineTable.size() > 256)
        return Status::error("codebook has more than 256 values");
    }
    return Status::success();
  }
  if (t == "asq") {
    if (i >= tok.size() || !parseUInt(tok[i], n))
      return Status::error("'asq' must be followed by ':<levels>'");
    ++i;
    f.kind = ElementKind::Learned;
    f.levels = static_cast<unsigned>(std::min<int64_t>(n, 1 << 20));
    unsigned b = 0;
    while ((int64_t(1) << b) < n && b < 31)
      ++b;
    f.bits = std::max(1u, b);
    return Status::success();
  }
  if (t == "kashin") {
    f.kind = ElementKind::Kashin;
    f.granularity = Granularity::Channel;
    f.axis = 0;
    if (i >= tok.size())
      return Status::error("'kashin' must be followed by ':<bu>+<bv>' or "
                           "':<b>:joint'");
    std::string_view b = tok[i++];
    size_t plus = b.find('+');
    int64_t bu = 0, bv = 0;
    if (plus == std::string_view::npos) {
      if (!parseUInt(b, bu))
        return Status::error("invalid Kashin bit widths '" + std::string(b) +
                             "'");
      f.kashinJoint = true;
    } else if (!parseUInt(b.substr(0, plus), bu) ||
               !parseUInt(b.substr(plus + 1), bv)) {
      return Status::error("invalid Kashin bit widths '" + std::string(b) +
                           "'");
    }
    f.kashinBitsU = static_cast<unsigned>(std::min<int64_t>(bu, 64));
    f.kashinBitsV = static_cast<unsigned>(std::min<int64_t>(bv, 64));
    f.bits = f.kashinBitsU + f.kashinBitsV;
    return Status::success();
  }
  return Status::error("unknown element code '" + std::string(t) + "'");
}

} // namespace

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

Status FormatSpec::parse(std::string_view text, FormatSpec &out) {
  if (text.empty())
    return Status::error("empty format spec");
  if (text.size() > 4096)
    return Status::error("format spec is too long");
  for (const Preset &p : kPresets)
    if (text == p.name)
      return parse(presetLong(p), out);
  std::vector<std::string_view> tok = split(text, ':');
  FormatSpec f;
  size_t i = 0;
  if (Status s = parseElement(tok, i, f); !s)
    return s;

  bool sawGran = false, sawScale = false, sawStat = false, sawLayout = false;
  for (; i < tok.size(); ++i) {
    std::string_view t = tok[i];
    auto dup = [&](bool &seen, const char *what) {
      if (seen)
        return Status::error(std::string("duplicate ") + what + " '" +
                             std::string(t) + "'");
      seen = true;
      return Status::success();
    };
    int64_t n = 0;
    ScaleType st;
    if (t.empty())
      return Status::error("empty field in format spec '" + std::string(text) +
                           "'");
    if (t[0] == 'g' && t.size() > 1 && t[1] >= '0' && t[1] <= '9') {
      if (Status s = dup(sawGran, "granularity"); !s)
        return s;
      std::string_view num = t.substr(1), ax;
      size_t at = num.find('@');
      if (at != std::string_view::npos) {
        ax = num.substr(at + 1);
        num = num.substr(0, at);
      }
      if (!parseUInt(num, n) || n < 1)
        return Status::error("invalid block size in '" + std::string(t) + "'");
      f.granularity = Granularity::Block;
      f.blockSize = n;
      f.axis = -1;
      if (!ax.empty()) {
        if (!parseInt(ax, n) || n < -64 || n > 64)
          return Status::error("invalid axis in '" + std::string(t) + "'");
        f.axis = static_cast<int>(n);
      }
    } else if (t == "ch" || t == "row" || startsWith(t, "ch@")) {
      if (Status s = dup(sawGran, "granularity"); !s)
        return s;
      f.granularity = Granularity::Channel;
      f.blockSize = 0;
      f.axis = 0;
      if (startsWith(t, "ch@")) {
        if (!parseInt(t.substr(3), n) || n < -64 || n > 64)
          return Status::error("invalid axis in '" + std::string(t) + "'");
        f.axis = static_cast<int>(n);
      }
    } else if (t == "tensor") {
      if (Status s = dup(sawGran, "granularity"); !s)
        return s;
      f.granularity = Granularity::Tensor;
      f.blockSize = 0;
      f.axis = -1;
    } else if (parseScaleType(t, st)) {
      if (Status s = dup(sawScale, "scale type"); !s)
        return s;
      f.scaleType = st;
    } else if (t == "absmax" || t == "signmax" || t == "rms" ||
               t == "search") {
      if (Status s = dup(sawStat, "scale statistic"); !s)
        return s;
      f.scaleStat = t == "absmax"    ? ScaleStat::AbsMax
                    : t == "signmax" ? ScaleStat::SignMax
                    : t == "rms"     ? ScaleStat::RMS
                                     : ScaleStat::Search;
    } else if (t == "zp") {
      f.zeroPoint = true;
    } else if (startsWith(t, "dq=")) {
      std::string_view v = t.substr(3);
      f.doubleQuant = true;
      if (v == "tensor")
        f.doubleQuantGroup = 0;
      else if (parseUInt(v, n) && n >= 1)
        f.doubleQuantGroup = n;
      else
        return Status::error("invalid double-quantization group '" +
                             std::string(v) + "' (expected N or 'tensor')");
    } else if (startsWith(t, "outliers=")) {
      std::string_view v = t.substr(9);
      size_t slash = v.find('/');
      if (slash != std::string_view::npos) {
        std::string_view ty = v.substr(slash + 1);
        if (!parseScaleType(ty, st) ||
            (st != ScaleType::BF16 && st != ScaleType::F16 &&
             st != ScaleType::F32))
          return Status::error("invalid outlier value type '" +
                               std::string(ty) + "' (expected bf16, f16, f32)");
        f.outlierType = st;
        v = v.substr(0, slash);
      }
      double frac = 0;
      if (startsWith(v, "2^-")) {
        if (!parseUInt(v.substr(3), n) || n < 1 || n > 62)
          return Status::error("invalid outlier fraction '" + std::string(v) +
                               "'");
        frac = std::ldexp(1.0, -static_cast<int>(n));
      } else if (!parseDouble(v, frac)) {
        return Status::error("invalid outlier fraction '" + std::string(v) +
                             "'");
      }
      f.outlierFraction = frac;
      // 'outliers=0[/T]' means no outliers: keep the canonical spec (the
      // value type is not printed then, so str() must not depend on it).
      if (frac == 0)
        f.outlierType = ScaleType::BF16;
    } else if (t == "dct" || t == "hadamard") {
      f.kashinTransform =
          t == "dct" ? KashinTransform::DCT : KashinTransform::Hadamard;
    } else if (t == "joint") {
      f.kashinJoint = true;
    } else if (startsWith(t, "layout=")) {
      if (Status s = dup(sawLayout, "layout"); !s)
        return s;
      std::string_view l = t.substr(7);
      bool found = false;
      for (Layout cand : {Layout::Plain, Layout::Q4_0, Layout::Q8_0,
                          Layout::IQ4_NL, Layout::Q4_K})
        if (l == layoutName(cand)) {
          f.layout = cand;
          found = true;
        }
      if (!found)
        return Status::error("unknown layout '" + std::string(l) + "'");
    } else {
      return Status::error("unknown format field '" + std::string(t) + "'");
    }
  }
  // CRD tables come in the variant that matches the scale statistic.
  f.tableScaling =
      f.scaleStat == ScaleStat::RMS ? TableScaling::RMS : TableScaling::AbsMax;
  if (Status s = f.verify(); !s)
    return s;
  out = std::move(f);
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

const char *FormatSpec::scaleTypeName(ScaleType t) {
  switch (t) {
  case ScaleType::None:
    return "noscale";
  case ScaleType::F32:
    return "f32";
  case ScaleType::F16:
    return "f16";
  case ScaleType::BF16:
    return "bf16";
  case ScaleType::E8M0:
    return "e8m0";
  case ScaleType::E4M3:
    return "e4m3";
  }
  return "?";
}

static std::string printLong(const FormatSpec &f) {
  std::string s;
  switch (f.kind) {
  case ElementKind::Int:
    s = f.intKind == IntKind::Signed     ? "int"
        : f.intKind == IntKind::Unsigned ? "uint"
                                         : "sint";
    s += std::to_string(f.bits);
    break;
  case ElementKind::Float:
    s = miniFloatName(f.miniFloat);
    break;
  case ElementKind::Lut:
    switch (f.table) {
    case TableKind::NF4:
      s = f.bits == 4 ? "nf4" : "lut" + std::to_string(f.bits) + ":nf4";
      break;
    case TableKind::IQ4NL:
      s = f.bits == 4 ? "iq4nl" : "lut" + std::to_string(f.bits) + ":iq4nl";
      break;
    case TableKind::CRDNormal:
      s = "crd-normal:" + std::to_string(f.bits);
      break;
    case TableKind::CRDLaplace:
      s = "crd-laplace:" + std::to_string(f.bits);
      break;
    case TableKind::CRDStudentT:
      s = "crd-t" + formatDouble(f.studentNu) + ":" + std::to_string(f.bits);
      break;
    case TableKind::Inline:
      s = "lut" + std::to_string(f.bits) + "[";
      for (size_t i = 0; i < f.inlineTable.size(); ++i)
        s += (i ? "," : "") + formatDouble(f.inlineTable[i]);
      s += "]";
      break;
    }
    break;
  case ElementKind::Learned:
    s = "asq:" + std::to_string(f.levels);
    break;
  case ElementKind::Kashin:
    s = "kashin:" + std::to_string(f.kashinBitsU);
    if (f.kashinJoint)
      s += ":joint";
    else
      s += "+" + std::to_string(f.kashinBitsV);
    if (f.kashinTransform == KashinTransform::Hadamard)
      s += ":hadamard";
    break;
  }
  bool kashin = f.kind == ElementKind::Kashin;
  switch (f.granularity) {
  case Granularity::Tensor:
    if (kashin)
      s += ":tensor";
    break;
  case Granularity::Channel:
    if (!kashin || f.axis != 0)
      s += f.axis == 0 ? ":ch" : ":ch@" + std::to_string(f.axis);
    break;
  case Granularity::Block:
    s += ":g" + std::to_string(f.blockSize);
    if (f.axis != -1)
      s += "@" + std::to_string(f.axis);
    break;
  }
  if (f.scaleType != ScaleType::F32)
    s += std::string(":") + FormatSpec::scaleTypeName(f.scaleType);
  if (f.scaleStat != ScaleStat::AbsMax)
    s += std::string(":") + statName(f.scaleStat);
  if (f.zeroPoint)
    s += ":zp";
  if (f.doubleQuant)
    s += ":dq=" + (f.doubleQuantGroup == 0
                       ? std::string("tensor")
                       : std::to_string(f.doubleQuantGroup));
  if (f.outlierFraction > 0) {
    s += ":outliers=";
    int e;
    double m = std::frexp(f.outlierFraction, &e);
    if (m == 0.5 && e <= 0 && 1 - e <= 62) // the parser takes 2^-1..2^-62
      s += "2^-" + std::to_string(1 - e);
    else
      s += formatDouble(f.outlierFraction);
    if (f.outlierType != ScaleType::BF16)
      s += std::string("/") + FormatSpec::scaleTypeName(f.outlierType);
  }
  if (f.layout != Layout::Plain)
    s += std::string(":layout=") + layoutName(f.layout);
  return s;
}

std::string FormatSpec::str() const {
  std::string s = printLong(*this);
  for (const Preset &p : kPresets)
    if (s == presetLong(p))
      return p.name;
  return s;
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

Status FormatSpec::verify() const {
  auto err = [](std::string m) { return Status::error(std::move(m)); };
  switch (kind) {
  case ElementKind::Int:
    if (bits < 2 || bits > 8)
      return err("integer bit width " + std::to_string(bits) +
                 " is out of range [2, 8]");
    if (intKind == IntKind::Unsigned && !zeroPoint)
      return err("unsigned integer codes need a zero point ('zp')");
    if (zeroPoint && intKind != IntKind::Unsigned)
      return err("a zero point ('zp') requires unsigned integer codes "
                 "('uint<b>')");
    if (scaleType == ScaleType::None)
      return err("integer codes need a scale type");
    if (scaleStat == ScaleStat::RMS)
      return err("scale statistic 'rms' requires an RMS-scaled CRD table");
    if (scaleStat == ScaleStat::SignMax && intKind == IntKind::Unsigned)
      return err("scale statistic 'signmax' requires signed codes");
    if (scaleType == ScaleType::E8M0 && zeroPoint)
      return err("power-of-two 'e8m0' scales cannot be combined with a zero "
                 "point");
    break;
  case ElementKind::Float:
    if (bits != miniFloatBits(miniFloat))
      return err("minifloat bit width mismatch");
    if (zeroPoint)
      return err("a zero point ('zp') requires integer codes");
    if (scaleStat == ScaleStat::RMS)
      return err("scale statistic 'rms' requires an RMS-scaled CRD table");
    break;
  case ElementKind::Lut: {
    if (bits < 1 || bits > 8)
      return err("lookup-table bit width " + std::to_string(bits) +
                 " is out of range [1, 8]");
    if ((table == TableKind::NF4 || table == TableKind::IQ4NL) && bits != 4)
      return err(std::string(table == TableKind::NF4 ? "nf4" : "iq4nl") +
                 " tables have exactly 4 bits");
    if (table == TableKind::CRDStudentT &&
        !(studentNu > 0 && studentNu <= 1000))
      return err("Student-t degrees of freedom must be in (0, 1000]");
    if (table == TableKind::Inline) {
      if (inlineTable.size() != (size_t(1) << bits))
        return err("codebook has " + std::to_string(inlineTable.size()) +
                   " values but lut" + std::to_string(bits) + " needs " +
                   std::to_string(size_t(1) << bits));
      for (size_t i = 0; i < inlineTable.size(); ++i) {
        if (!std::isfinite(inlineTable[i]))
          return err("codebook values must be finite");
        if (i && !(inlineTable[i] > inlineTable[i - 1]))
          return err("codebook values must be strictly increasing (value " +
                     std::to_string(i) + " is not greater than value " +
                     std::to_string(i - 1) + ")");
      }
    } else if (!inlineTable.empty()) {
      return err("inline codebook values given for a named table");
    }
    if (zeroPoint)
      return err("a zero point ('zp') requires integer codes");
    if (scaleType == ScaleType::None)
      return err("lookup-table codes need a scale type");
    if (scaleStat == ScaleStat::RMS &&
        !(table == TableKind::CRDNormal || table == TableKind::CRDLaplace ||
          table == TableKind::CRDStudentT))
      return err("scale statistic 'rms' requires an RMS-scaled CRD table");
    if (scaleType == ScaleType::E8M0)
      return err("scale type 'e8m0' is only allowed for integer and "
                 "minifloat codes");
    break;
  }
  case ElementKind::Learned:
    if (levels < 2 || levels > 256)
      return err("ASQ needs 2 to 256 levels, got " + std::to_string(levels));
    if (scaleType != ScaleType::F32 && scaleType != ScaleType::F16 &&
        scaleType != ScaleType::BF16)
      return err("learned codebooks are stored as f32, f16 or bf16, not '" +
                 std::string(scaleTypeName(scaleType)) + "'");
    if (zeroPoint || doubleQuant || scaleStat != ScaleStat::AbsMax)
      return err("learned codebooks take no zero point, double quantization "
                 "or scale statistic");
    break;
  case ElementKind::Kashin:
    if (kashinJoint) {
      if (kashinBitsU < 1 || kashinBitsU > 8 || kashinBitsV != 0)
        return err("joint Kashin codes need 1 to 8 bits");
    } else if (kashinBitsU < 1 || kashinBitsU > 4 || kashinBitsV < 1 ||
               kashinBitsV > 4) {
      return err("Kashin factor bit widths must be in [1, 4], got " +
                 std::to_string(kashinBitsU) + "+" +
                 std::to_string(kashinBitsV));
    }
    if (scaleType != ScaleType::F32 || zeroPoint || doubleQuant ||
        scaleStat != ScaleStat::AbsMax)
      return err("Kashin codes take no scale type, zero point, double "
                 "quantization or scale statistic");
    if (outlierFraction > 0)
      return err("Kashin codes cannot be combined with sparse outliers");
    if (granularity == Granularity::Tensor)
      return err("Kashin codes need vectors: use 'ch' (rows) or 'g<N>'");
    break;
  }
  if (kind != ElementKind::Kashin &&
      (kashinJoint || kashinTransform != KashinTransform::DCT ||
       kashinBitsU || kashinBitsV))
    return err("'dct', 'hadamard' and 'joint' apply only to Kashin codes");
  if (kind != ElementKind::Learned && levels != 0)
    return err("levels apply only to learned codebooks");
  if (scaleType == ScaleType::None && kind != ElementKind::Float)
    return err("'noscale' is only allowed for minifloat codes");

  switch (granularity) {
  case Granularity::Tensor:
    if (blockSize != 0)
      return err("per-tensor formats have no block size");
    break;
  case Granularity::Channel:
    if (blockSize != 0)
      return err("per-channel formats have no block size");
    break;
  case Granularity::Block:
    if (blockSize < 1 || blockSize > (int64_t(1) << 24))
      return err("block size " + std::to_string(blockSize) +
                 " is out of range [1, 2^24]");
    break;
  }
  if (doubleQuant) {
    if (granularity != Granularity::Block)
      return err("double quantization ('dq=') needs block scales ('g<N>')");
    if (scaleType == ScaleType::F32 || scaleType == ScaleType::None)
      return err("double quantization needs a narrow scale type (f16, bf16, "
                 "e8m0 or e4m3)");
    if (doubleQuantGroup < 0 || doubleQuantGroup > (int64_t(1) << 24))
      return err("invalid double-quantization group");
  }
  if (outlierFraction != 0) {
    if (!(outlierFraction > 0 && outlierFraction <= 0.5))
      return err("outlier fraction must be in (0, 0.5]");
    if (outlierType != ScaleType::BF16 && outlierType != ScaleType::F16 &&
        outlierType != ScaleType::F32)
      return err("outlier values are stored as bf16, f16 or f32");
  }
  if (layout != Layout::Plain) {
    // Parsing a preset's base expansion never recurses here: it has no
    // layout.
    for (const Preset &p : kPresets) {
      if (p.layout != layout)
        continue;
      FormatSpec expect;
      (void)parse(p.expansion, expect);
      expect.layout = layout;
      if (!(*this == expect))
        return err(std::string("layout '") + layoutName(layout) +
                   "' requires exactly the format '" + p.name + "' (" +
                   p.expansion + ")");
    }
  }
  if (kind == ElementKind::Lut &&
      tableScaling != (scaleStat == ScaleStat::RMS ? TableScaling::RMS
                                                   : TableScaling::AbsMax))
    return err("the table variant must match the scale statistic (RMS "
               "tables with 'rms', absmax tables otherwise)");
  return Status::success();
}

int FormatSpec::resolvedAxis(size_t rank) const {
  return axis < 0 ? static_cast<int>(rank) + axis : axis;
}

int64_t qforge::num::checkedNumElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return -1;
    n *= d;
  }
  return n;
}

Status FormatSpec::verifyShape(const std::vector<int64_t> &shape) const {
  int64_t numel = checkedNumElements(shape);
  if (numel < 0)
    return Status::error("tensor shape has a negative or overflowing size");
  if (numel > (int64_t(1) << 48))
    return Status::error("tensor has more than 2^48 elements");
  if (granularity != Granularity::Tensor) {
    int a = resolvedAxis(shape.size());
    if (a < 0 || a >= static_cast<int>(shape.size()))
      return Status::error("axis " + std::to_string(axis) +
                           " is out of range for a tensor of rank " +
                           std::to_string(shape.size()));
    if (granularity == Granularity::Block && shape[a] % blockSize != 0)
      return Status::error("block size " + std::to_string(blockSize) +
                           " does not divide dimension " + std::to_string(a) +
                           " of size " + std::to_string(shape[a]));
  }
  if (layout != Layout::Plain) {
    int64_t elems, bytes;
    ggufBlock(layout, elems, bytes);
    if (shape.empty() || shape.back() % elems != 0)
      return Status::error(std::string("layout '") + layoutName(layout) +
                           "' needs the last dimension to be a multiple of " +
                           std::to_string(elems));
  }
  if (kind == ElementKind::Kashin && numel > 0) {
    int64_t g = groupSize(shape);
    if (kashinTransform == KashinTransform::Hadamard && (g & (g - 1)) != 0)
      return Status::error("Hadamard Kashin vectors need a power-of-two "
                           "length, got " +
                           std::to_string(g));
    if (g < 2)
      return Status::error("Kashin vectors need at least 2 elements");
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

unsigned FormatSpec::scaleBits(ScaleType t) {
  switch (t) {
  case ScaleType::None:
    return 0;
  case ScaleType::F32:
    return 32;
  case ScaleType::F16:
  case ScaleType::BF16:
    return 16;
  case ScaleType::E8M0:
  case ScaleType::E4M3:
    return 8;
  }
  return 0;
}

int64_t FormatSpec::groupSize(const std::vector<int64_t> &shape) const {
  int64_t numel = checkedNumElements(shape);
  switch (granularity) {
  case Granularity::Tensor:
    return numel;
  case Granularity::Channel: {
    int a = resolvedAxis(shape.size());
    if (a < 0 || a >= static_cast<int>(shape.size()) || shape[a] == 0)
      return 0;
    return numel / shape[a];
  }
  case Granularity::Block:
    return blockSize;
  }
  return 0;
}

int64_t FormatSpec::numGroups(const std::vector<int64_t> &shape) const {
  int64_t numel = checkedNumElements(shape);
  if (numel <= 0)
    return 0;
  switch (granularity) {
  case Granularity::Tensor:
    return 1;
  case Granularity::Channel: {
    int a = resolvedAxis(shape.size());
    return a >= 0 && a < static_cast<int>(shape.size()) ? shape[a] : 0;
  }
  case Granularity::Block:
    return numel / blockSize;
  }
  return 0;
}

int64_t FormatSpec::numOutliers(int64_t numel) const {
  if (outlierFraction <= 0 || numel <= 0)
    return 0;
  return static_cast<int64_t>(
      std::floor(static_cast<double>(numel) * outlierFraction));
}

const char *qforge::num::sectionName(Section s) {
  switch (s) {
  case Section::Codes:
    return "codes";
  case Section::Scales:
    return "scales";
  case Section::ZeroPoints:
    return "zero_points";
  case Section::Codebooks:
    return "codebooks";
  case Section::SuperScales:
    return "super_scales";
  case Section::Outliers:
    return "outliers";
  }
  return "?";
}

std::array<uint64_t, kNumSections>
qforge::num::sectionBytes(const FormatSpec &f,
                          const std::vector<int64_t> &shape) {
  std::array<uint64_t, kNumSections> b{};
  int64_t numel = checkedNumElements(shape);
  if (numel <= 0)
    return b;
  auto at = [&](Section s) -> uint64_t & {
    return b[static_cast<unsigned>(s)];
  };
  uint64_t n = static_cast<uint64_t>(numel);
  auto packed = [&](unsigned bits) { return (n * bits + 7) / 8; };
  if (f.layout != Layout::Plain) {
    int64_t elems, bytes;
    ggufBlock(f.layout, elems, bytes);
    at(Section::Codes) = n / elems * bytes;
    return b;
  }
  uint64_t groups = static_cast<uint64_t>(f.numGroups(shape));
  unsigned sbytes = FormatSpec::scaleBits(f.scaleType) / 8;
  switch (f.kind) {
  case ElementKind::Int:
  case ElementKind::Float:
  case ElementKind::Lut:
    at(Section::Codes) = packed(f.bits);
    at(Section::Scales) = groups * sbytes;
    break;
  case ElementKind::Learned:
    at(Section::Codes) = packed(f.bits);
    at(Section::Codebooks) = groups * f.levels * sbytes;
    break;
  case ElementKind::Kashin:
    if (f.kashinJoint) {
      at(Section::Codes) = packed(f.kashinBitsU);
      at(Section::Codebooks) =
          8 + groups * (uint64_t(1) << f.kashinBitsU) * 2 * 4;
    } else {
      at(Section::Codes) = packed(f.kashinBitsU) + packed(f.kashinBitsV);
      at(Section::Codebooks) =
          8 + groups *
                  ((uint64_t(1) << f.kashinBitsU) +
                   (uint64_t(1) << f.kashinBitsV)) *
                  4;
    }
    break;
  }
  if (f.zeroPoint)
    at(Section::ZeroPoints) = groups;
  if (f.doubleQuant)
    at(Section::SuperScales) =
        4 * (f.doubleQuantGroup == 0
                 ? 1
                 : (groups + f.doubleQuantGroup - 1) / f.doubleQuantGroup);
  if (int64_t k = f.numOutliers(numel)) {
    unsigned idx = n > (uint64_t(1) << 32) ? 8 : 4;
    at(Section::Outliers) =
        static_cast<uint64_t>(k) * (idx + FormatSpec::scaleBits(f.outlierType) / 8);
  }
  return b;
}

uint64_t qforge::num::storageBytes(const FormatSpec &f,
                                   const std::vector<int64_t> &shape) {
  uint64_t total = 0;
  for (uint64_t s : sectionBytes(f, shape))
    total += s;
  return total;
}

double FormatSpec::bitsPerWeight() const {
  if (layout != Layout::Plain) {
    int64_t elems, bytes;
    ggufBlock(layout, elems, bytes);
    return 8.0 * bytes / elems;
  }
  double g = granularity == Granularity::Block
                 ? static_cast<double>(blockSize)
                 : std::numeric_limits<double>::infinity();
  double sb = scaleBits(scaleType);
  double bpw = bits;
  switch (kind) {
  case ElementKind::Int:
  case ElementKind::Float:
  case ElementKind::Lut:
    bpw += sb / g;
    break;
  case ElementKind::Learned:
    bpw += levels * sb / g;
    break;
  case ElementKind::Kashin:
    bpw += (kashinJoint ? 64.0 * (1u << kashinBitsU)
                        : 32.0 * ((1u << kashinBitsU) + (1u << kashinBitsV))) /
           g;
    break;
  }
  if (zeroPoint)
    bpw += 8.0 / g;
  if (doubleQuant && doubleQuantGroup > 0)
    bpw += 32.0 / (g * doubleQuantGroup);
  if (outlierFraction > 0)
    bpw += outlierFraction * (32.0 + scaleBits(outlierType));
  return bpw;
}

double FormatSpec::bitsPerWeight(const std::vector<int64_t> &shape) const {
  int64_t numel = checkedNumElements(shape);
  if (numel <= 0)
    return bitsPerWeight();
  return 8.0 * static_cast<double>(storageBytes(*this, shape)) /
         static_cast<double>(numel);
}

bool FormatSpec::operator==(const FormatSpec &o) const {
  return kind == o.kind && bits == o.bits && intKind == o.intKind &&
         miniFloat == o.miniFloat && table == o.table &&
         tableScaling == o.tableScaling && studentNu == o.studentNu &&
         inlineTable == o.inlineTable && levels == o.levels &&
         kashinBitsU == o.kashinBitsU && kashinBitsV == o.kashinBitsV &&
         kashinJoint == o.kashinJoint &&
         kashinTransform == o.kashinTransform &&
         granularity == o.granularity && blockSize == o.blockSize &&
         axis == o.axis && scaleType == o.scaleType &&
         scaleStat == o.scaleStat && zeroPoint == o.zeroPoint &&
         doubleQuant == o.doubleQuant &&
         doubleQuantGroup == o.doubleQuantGroup &&
         outlierFraction == o.outlierFraction &&
         outlierType == o.outlierType && layout == o.layout;
}
