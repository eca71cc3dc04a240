//===- Json.cpp - Minimal strict JSON for the safetensors header ----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include "qforge/IO/File.h"

using namespace qforge::io;
using namespace qforge::io::json;
using qforge::num::Status;

const Value *Value::get(const std::string &key) const {
  for (const auto &m : members)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

bool Value::asU64(uint64_t &out) const {
  if (kind != Number || str.empty() || str.size() > 20)
    return false;
  uint64_t v = 0;
  for (char c : str) {
    if (c < '0' || c > '9')
      return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

namespace {
class Parser {
public:
  Parser(const char *p, size_t n) : p(p), end(p + n), begin(p) {}

  Status run(Value &out) {
    skipWs();
    Status s = value(out, 0);
    if (!s)
      return s;
    skipWs();
    if (p != end)
      return error("trailing characters after the JSON value");
    return Status::success();
  }

private:
  const char *p, *end, *begin;

  Status error(const std::string &msg) const {
    return Status::error("invalid JSON at offset " + std::to_string(p - begin) +
                         ": " + msg);
  }
  void skipWs() {
    while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
      ++p;
  }
  bool literal(const char *word) {
    const char *q = p;
    for (; *word; ++word, ++q)
      if (q == end || *q != *word)
        return false;
    p = q;
    return true;
  }

  Status value(Value &out, int depth) {
    if (depth > 64)
      return error("nesting deeper than 64 levels");
    if (p == end)
      return error("unexpected end of input");
    char c = *p;
    if (c == '{')
      return object(out, depth);
    if (c == '[')
      return array(out, depth);
    if (c == '"') {
      out.kind = Value::String;
      return string(out.str);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return number(out);
    if (literal("true")) {
      out.kind = Value::Bool;
      out.b = true;
      return Status::success();
    }
    if (literal("false")) {
      out.kind = Value::Bool;
      out.b = false;
      return Status::success();
    }
    if (literal("null")) {
      out.kind = Value::Null;
      return Status::success();
    }
    return error(std::string("unexpected character '") + c + "'");
  }

  Status object(Value &out, int depth) {
    out.kind = Value::Object;
    ++p;
    skipWs();
    if (p != end && *p == '}') {
      ++p;
      return Status::success();
    }
    while (true) {
      skipWs();
      if (p == end || *p != '"')
        return error("expected a string key");
      std::string key;
      Status s = string(key);
      if (!s)
        return s;
      if (out.get(key))
        return error("duplicate key \"" + key + "\"");
      skipWs();
      if (p == end || *p != ':')
        return error("expected ':'");
      ++p;
      skipWs();
      Value v;
      s = value(v, depth + 1);
      if (!s)
        return s;
      out.members.emplace_back(std::move(key), std::move(v));
      skipWs();
      if (p != end && *p == ',') {
        ++p;
        continue;
      }
      if (p != end && *p == '}') {
        ++p;
        return Status::success();
      }
      return error("expected ',' or '}'");
    }
  }

  Status array(Value &out, int depth) {
    out.kind = Value::Array;
    ++p;
    skipWs();
    if (p != end && *p == ']') {
      ++p;
      return Status::success();
    }
    while (true) {
      skipWs();
      Value v;
      Status s = value(v, depth + 1);
      if (!s)
        return s;
      out.items.push_back(std::move(v));
      skipWs();
      if (p != end && *p == ',') {
        ++p;
        continue;
      }
      if (p != end && *p == ']') {
        ++p;
        return Status::success();
      }
      return error("expected ',' or ']'");
    }
  }

  Status number(Value &out) {
    const char *start = p;
    if (*p == '-')
      ++p;
    if (p == end || !(*p >= '0' && *p <= '9'))
      return error("invalid number");
    if (*p == '0')
      ++p;
    else
      while (p != end && *p >= '0' && *p <= '9')
        ++p;
    if (p != end && *p == '.') {
      ++p;
      if (p == end || !(*p >= '0' && *p <= '9'))
        return error("invalid number");
      while (p != end && *p >= '0' && *p <= '9')
        ++p;
    }
    if (p != end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p != end && (*p == '+' || *p == '-'))
        ++p;
      if (p == end || !(*p >= '0' && *p <= '9'))
        return error("invalid number");
      while (p != end && *p >= '0' && *p <= '9')
        ++p;
    }
    out.kind = Value::Number;
    out.str.assign(start, p);
    return Status::success();
  }

  static void appendUtf8(std::string &s, uint32_t cp) {
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool hex4(uint32_t &v) {
    if (end - p < 4)
      return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p++;
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  Status string(std::string &out) {
    ++p; // opening quote
    while (true) {
      if (p == end)
        return error("unterminated string");
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') {
        ++p;
        if (!isValidUtf8(out))
          return error("string is not valid UTF-8");
        return Status::success();
      }
      if (c < 0x20)
        return error("control character in string");
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++p;
        continue;
      }
      ++p;
      if (p == end)
        return error("unterminated escape");
      char e = *p++;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out.push_back(e);
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(cp))
          return error("invalid \\u escape");
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t lo;
          if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
            return error("unpaired surrogate");
          p += 2;
          if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF)
            return error("unpaired surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return error("unpaired surrogate");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return error(std::string("invalid escape '\\") + e + "'");
      }
    }
  }
};
} // namespace

Status qforge::io::json::parse(const char *text, size_t size, Value &out) {
  out = Value();
  return Parser(text, size).run(out);
}

void qforge::io::json::appendString(std::string &out, const std::string &s) {
  static const char *hex = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }
  out.push_back('"');
}
