//===- Npy.cpp - NumPy .npy and .npz reader and writer --------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/Npy.h"

#include <cstring>
#include <set>

using namespace qforge::io;

namespace {
struct NpyName {
  DType type;
  const char *descr;
};
constexpr NpyName kNpy[] = {
    {DType::F64, "<f8"}, {DType::F32, "<f4"}, {DType::F16, "<f2"},
    {DType::I64, "<i8"}, {DType::I32, "<i4"}, {DType::I16, "<i2"},
    {DType::I8, "|i1"},  {DType::U64, "<u8"}, {DType::U32, "<u4"},
    {DType::U16, "<u2"}, {DType::U8, "|u1"},  {DType::Bool, "|b1"},
};
const char kMagic[] = "\x93NUMPY";

/// Tiny tokenizer over the header's Python dict literal.
class DictParser {
public:
  DictParser(const char *p, const char *end) : p(p), end(end) {}

  Status run(std::string &descr, bool &fortran, std::vector<int64_t> &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    ws();
    if (!eat('{'))
      return err("header is not a dict literal");
    while (true) {
      ws();
      if (eat('}'))
        break;
      std::string key;
      if (Status s = str(key); !s)
        return s;
      ws();
      if (!eat(':'))
        return err("expected ':'");
      ws();
      if (key == "descr") {
        if (Status s = str(descr); !s)
          return s;
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (word("True"))
          fortran = true;
        else if (word("False"))
          fortran = false;
        else
          return err("fortran_order must be True or False");
        haveFortran = true;
      } else if (key == "shape") {
        if (Status s = tuple(shape); !s)
          return s;
        haveShape = true;
      } else {
        return err("unexpected key '" + key + "'");
      }
      ws();
      if (eat(','))
        continue;
      ws();
      if (eat('}'))
        break;
      return err("expected ',' or '}'");
    }
    ws();
    if (p != end)
      return err("trailing characters after the dict");
    if (!haveDescr || !haveFortran || !haveShape)
      return err("header needs descr, fortran_order and shape");
    return Status::success();
  }

private:
  const char *p, *end;
  Status err(const std::string &m) { return Status::error("npy header: " + m); }
  void ws() {
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
      ++p;
  }
  bool eat(char c) {
    if (p != end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  bool word(const char *w) {
    size_t n = std::strlen(w);
    if (static_cast<size_t>(end - p) >= n && std::memcmp(p, w, n) == 0) {
      p += n;
      return true;
    }
    return false;
  }
  Status str(std::string &out) {
    if (p == end || (*p != '\'' && *p != '"'))
      return err("expected a string");
    char q = *p++;
    const char *s = p;
    while (p != end && *p != q) {
      if (*p == '\\')
        return err("escapes are not supported in header strings");
      ++p;
    }
    if (p == end)
      return err("unterminated string");
    out.assign(s, p);
    ++p;
    return Status::success();
  }
  Status tuple(std::vector<int64_t> &shape) {
    if (!eat('('))
      return err("shape must be a tuple");
    while (true) {
      ws();
      if (eat(')'))
        return Status::success();
      if (p == end || *p < '0' || *p > '9')
        return err("shape entries must be non-negative integers");
      int64_t v = 0;
      while (p != end && *p >= '0' && *p <= '9') {
        int d = *p++ - '0';
        if (v > (INT64_MAX - d) / 10)
          return err("shape entry overflows int64");
        v = v * 10 + d;
      }
      if (shape.size() >= 64)
        return err("more than 64 dimensions");
      shape.push_back(v);
      ws();
      if (eat(','))
        continue;
      ws();
      if (eat(')'))
        return Status::success();
      return err("expected ',' or ')' in shape");
    }
  }
};

uint32_t crcTable(unsigned i) {
  uint32_t c = i;
  for (int k = 0; k < 8; ++k)
    c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  return c;
}

struct CrcTable {
  uint32_t t[256];
  CrcTable() {
    for (unsigned i = 0; i < 256; ++i)
      t[i] = crcTable(i);
  }
};
} // namespace

uint32_t qforge::io::crc32(const uint8_t *data, uint64_t n, uint32_t crc) {
  static const CrcTable table;
  crc = ~crc;
  for (uint64_t i = 0; i < n; ++i)
    crc = table.t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

const char *qforge::io::npyDescr(DType t) {
  for (const NpyName &n : kNpy)
    if (n.type == t)
      return n.descr;
  return nullptr;
}

Status qforge::io::parseNpy(const uint8_t *bytes, uint64_t size,
                            NpyArray &out) {
  out = NpyArray();
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0)
    return Status::error("not a .npy file (bad magic)");
  unsigned major = bytes[6];
  uint64_t hlen, hstart;
  if (major == 1) {
    hlen = readLE(bytes + 8, 2);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return Status::error("truncated .npy header");
    hlen = readLE(bytes + 8, 4);
    hstart = 12;
  } else {
    return Status::error("unsupported .npy version " + std::to_string(major) +
                         "." + std::to_string(bytes[7]));
  }
  if (hlen > size - hstart)
    return Status::error("npy header length " + std::to_string(hlen) +
                         " exceeds the file size " + std::to_string(size));
  const char *h = reinterpret_cast<const char *>(bytes + hstart);
  std::string descr;
  bool fortran = false;
  if (Status s = DictParser(h, h + hlen).run(descr, fortran, out.shape); !s)
    return s;
  bool found = false;
  std::string d = descr;
  // Single-byte types may be written with any byte-order mark.
  if (d.size() == 3 && (d[0] == '<' || d[0] == '=' || d[0] == '>') &&
      d[2] == '1')
    d[0] = '|';
  if (d.size() == 3 && d[0] == '=')
    d[0] = '<';
  for (const NpyName &n : kNpy)
    if (d == n.descr) {
      out.dtype = n.type;
      found = true;
    }
  if (!found) {
    if (!descr.empty() && descr[0] == '>')
      return Status::error("big-endian npy data ('" + descr +
                           "') is not supported");
    return Status::error("unsupported npy dtype '" + descr + "'");
  }
  int64_t numel;
  if (Status s = checkedNumel(out.shape, numel); !s)
    return Status::error("npy shape: " + s.message());
  if (fortran && out.shape.size() > 1 && numel > 1)
    return Status::error("Fortran-order npy arrays are not supported");
  if (Status s = dtypeBytes(out.dtype, numel, out.nbytes); !s)
    return s;
  uint64_t dataStart = hstart + hlen;
  if (out.nbytes > size - dataStart)
    return Status::error("npy data needs " + std::to_string(out.nbytes) +
                         " bytes but the file holds " +
                         std::to_string(size - dataStart));
  if (out.nbytes != size - dataStart)
    return Status::error("npy file has " +
                         std::to_string(size - dataStart - out.nbytes) +
                         " trailing bytes");
  out.data = bytes + dataStart;
  return Status::success();
}

Status qforge::io::serializeNpy(DType dtype, const std::vector<int64_t> &shape,
                                const uint8_t *data, uint64_t nbytes,
                                std::vector<uint8_t> &out) {
  const char *descr = npyDescr(dtype);
  if (!descr)
    return Status::error(std::string("dtype ") + dtypeName(dtype) +
                         " cannot be stored in .npy");
  int64_t numel;
  uint64_t bytes;
  if (Status s = checkedNumel(shape, numel); !s)
    return s;
  if (Status s = dtypeBytes(dtype, numel, bytes); !s)
    return s;
  if (bytes != nbytes)
    return Status::error("shape needs " + std::to_string(bytes) +
                         " bytes, data has " + std::to_string(nbytes));
  std::string h = "{'descr': '";
  h += descr;
  h += "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    h += std::to_string(shape[i]) +
         (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  if (shape.size() == 1)
    h.resize(h.size() - 1); // "(n,)" as numpy writes it
  h += "), }";
  // Total header (magic, version, length, dict, padding, '\n') is a
  // multiple of 64 bytes.
  bool v2 = false;
  size_t pre = 10;
  size_t total = (pre + h.size() + 1 + 63) / 64 * 64;
  if (total - pre > 65535) {
    v2 = true;
    pre = 12;
    total = (pre + h.size() + 1 + 63) / 64 * 64;
  }
  h.append(total - pre - h.size() - 1, ' ');
  h.push_back('\n');
  out.clear();
  out.reserve(pre + h.size() + nbytes);
  for (int i = 0; i < 6; ++i)
    out.push_back(static_cast<uint8_t>(kMagic[i]));
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  appendLE(out, h.size(), v2 ? 4 : 2);
  out.insert(out.end(), h.begin(), h.end());
  if (nbytes)
    out.insert(out.end(), data, data + nbytes);
  return Status::success();
}

const NpyArray *NpyFile::find(const std::string &name) const {
  for (const auto &a : list)
    if (a.first == name)
      return &a.second;
  return nullptr;
}

Status NpyFile::openNpy(const std::string &path, NpyFile &out) {
  out = NpyFile();
  std::shared_ptr<MappedFile> f;
  if (Status s = MappedFile::open(path, f); !s)
    return s;
  NpyArray a;
  if (Status s = parseNpy(f->data(), f->size(), a); !s)
    return Status::error(path + ": " + s.message());
  out.list.emplace_back("", a);
  out.file = std::move(f);
  return Status::success();
}

Status NpyFile::openNpz(const std::string &path, NpyFile &out) {
  std::shared_ptr<MappedFile> f;
  if (Status s = MappedFile::open(path, f); !s)
    return s;
  if (Status s = parseNpz(f->data(), f->size(), out); !s)
    return Status::error(path + ": " + s.message());
  out.file = std::move(f);
  return Status::success();
}

Status NpyFile::parseNpz(const uint8_t *b, uint64_t size, NpyFile &out) {
  out = NpyFile();
  // End of central directory: 22 bytes + comment (<= 65535), searched
  // backwards from the end.
  if (size < 22)
    return Status::error("not a zip archive (too small)");
  uint64_t eocd = UINT64_MAX;
  uint64_t lowest = size >= 22 + 65535 ? size - 22 - 65535 : 0;
  for (uint64_t p = size - 22 + 1; p-- > lowest;)
    if (readLE(b + p, 4) == 0x06054b50 &&
        p + 22 + readLE(b + p + 20, 2) == size) {
      eocd = p;
      break;
    }
  if (eocd == UINT64_MAX)
    return Status::error("not a zip archive (no end of central directory)");
  uint64_t count = readLE(b + eocd + 10, 2);
  uint64_t cdSize = readLE(b + eocd + 12, 4);
  uint64_t cdOff = readLE(b + eocd + 16, 4);
  if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF) {
    // Zip64 end of central directory locator just before the EOCD.
    if (eocd < 20 || readLE(b + eocd - 20, 4) != 0x07064b50)
      return Status::error("zip64 archive without a zip64 locator");
    uint64_t z = readLE(b + eocd - 20 + 8, 8);
    if (z > size || size - z < 56 || readLE(b + z, 4) != 0x06064b50)
      return Status::error("invalid zip64 end of central directory");
    count = readLE(b + z + 32, 8);
    cdSize = readLE(b + z + 40, 8);
    cdOff = readLE(b + z + 48, 8);
  }
  if (cdOff > size || cdSize > size - cdOff)
    return Status::error("central directory outside the file");
  if (count > cdSize / 46)
    return Status::error("entry count " + std::to_string(count) +
                         " exceeds the central directory");
  std::set<std::string> names;
  uint64_t p = cdOff, cdEnd = cdOff + cdSize;
  for (uint64_t e = 0; e < count; ++e) {
    if (cdEnd - p < 46 || readLE(b + p, 4) != 0x02014b50)
      return Status::error("corrupt central directory entry " +
                           std::to_string(e));
    uint64_t flags = readLE(b + p + 8, 2);
    uint64_t method = readLE(b + p + 10, 2);
    uint32_t crc = static_cast<uint32_t>(readLE(b + p + 16, 4));
    uint64_t csize = readLE(b + p + 20, 4);
    uint64_t usize = readLE(b + p + 24, 4);
    uint64_t nlen = readLE(b + p + 28, 2);
    uint64_t xlen = readLE(b + p + 30, 2);
    uint64_t clen = readLE(b + p + 32, 2);
    uint64_t local = readLE(b + p + 42, 4);
    if (cdEnd - p - 46 < nlen + xlen + clen)
      return Status::error("corrupt central directory entry " +
                           std::to_string(e));
    std::string name(reinterpret_cast<const char *>(b + p + 46), nlen);
    if (!isValidUtf8(name))
      return Status::error("npz member name is not valid UTF-8");
    // Zip64 extended information: the fields that are 0xFFFFFFFF, in order.
    const uint8_t *x = b + p + 46 + nlen, *xend = x + xlen;
    while (xend - x >= 4) {
      uint64_t id = readLE(x, 2), len = readLE(x + 2, 2);
      if (static_cast<uint64_t>(xend - x - 4) < len)
        return Status::error("corrupt zip extra field in '" + name + "'");
      if (id == 1) {
        const uint8_t *q = x + 4, *qend = q + len;
        auto take = [&](uint64_t &v) {
          if (v != 0xFFFFFFFF)
            return true;
          if (qend - q < 8)
            return false;
          v = readLE(q, 8);
          q += 8;
          return true;
        };
        if (!take(usize) || !take(csize) || !take(local))
          return Status::error("corrupt zip64 field in '" + name + "'");
      }
      x += 4 + len;
    }
    p += 46 + nlen + xlen + clen;
    if (flags & 1)
      return Status::error("encrypted npz member '" + name +
                           "' is not supported");
    if (method != 0)
      return Status::error("compressed npz not supported (member '" + name +
                           "' uses zip method " + std::to_string(method) +
                           "; save with numpy.savez, not savez_compressed)");
    if (csize != usize)
      return Status::error("stored member '" + name +
                           "' has different compressed and plain sizes");
    if (local > size || size - local < 30 || readLE(b + local, 4) != 0x04034b50)
      return Status::error("bad local header of member '" + name + "'");
    uint64_t dataOff =
        local + 30 + readLE(b + local + 26, 2) + readLE(b + local + 28, 2);
    if (dataOff > size || usize > size - dataOff)
      return Status::error("member '" + name + "' extends past the file end");
    if (qforge::io::crc32(b + dataOff, usize) != crc)
      return Status::error("CRC-32 mismatch in member '" + name + "'");
    std::string key = name;
    if (key.size() >= 4 && key.compare(key.size() - 4, 4, ".npy") == 0)
      key.resize(key.size() - 4);
    if (!names.insert(key).second)
      return Status::error("duplicate npz member '" + name + "'");
    NpyArray a;
    if (Status s = parseNpy(b + dataOff, usize, a); !s)
      return Status::error("member '" + name + "': " + s.message());
    out.list.emplace_back(key, a);
  }
  return Status::success();
}

Status qforge::io::writeNpy(const std::string &path, const TensorView &t) {
  std::vector<uint8_t> bytes;
  if (Status s = serializeNpy(t.dtype, t.shape, t.data, t.nbytes, bytes); !s)
    return s;
  return writeFile(path, bytes);
}

Status qforge::io::serializeNpz(const std::vector<TensorView> &tensors,
                                std::vector<uint8_t> &out) {
  out.clear();
  std::vector<uint8_t> central;
  std::set<std::string> names;
  for (const TensorView &t : tensors) {
    if (t.name.empty() || !names.insert(t.name).second)
      return Status::error("npz member names must be unique and non-empty");
    std::vector<uint8_t> npy;
    if (Status s = serializeNpy(t.dtype, t.shape, t.data, t.nbytes, npy); !s)
      return Status::error("array '" + t.name + "': " + s.message());
    std::string name = t.name + ".npy";
    if (out.size() > 0xFFFFFFFFu || npy.size() >= 0xFFFFFFFFu ||
        name.size() > 0xFFFF)
      return Status::error("npz writer: archive too large (no zip64 output)");
    uint32_t crc = crc32(npy.data(), npy.size());
    uint64_t local = out.size();
    // Fixed DOS date 1980-01-01 00:00 for deterministic output.
    auto header = [&](std::vector<uint8_t> &h, bool isCentral) {
      appendLE(h, isCentral ? 0x02014b50 : 0x04034b50, 4);
      if (isCentral)
        appendLE(h, 20, 2); // version made by
      appendLE(h, 20, 2);   // version needed
      appendLE(h, 0, 2);    // flags
      appendLE(h, 0, 2);    // stored
      appendLE(h, 0, 2);    // time
      appendLE(h, 0x21, 2); // date
      appendLE(h, crc, 4);
      appendLE(h, npy.size(), 4);
      appendLE(h, npy.size(), 4);
      appendLE(h, name.size(), 2);
      appendLE(h, 0, 2); // extra
      if (isCentral) {
        appendLE(h, 0, 2); // comment
        appendLE(h, 0, 2); // disk
        appendLE(h, 0, 2); // internal attributes
        appendLE(h, 0, 4); // external attributes
        appendLE(h, local, 4);
      }
      h.insert(h.end(), name.begin(), name.end());
    };
    header(out, false);
    out.insert(out.end(), npy.begin(), npy.end());
    header(central, true);
  }
  uint64_t cdOff = out.size();
  if (cdOff > 0xFFFFFFFFu || tensors.size() > 0xFFFF)
    return Status::error("npz writer: archive too large (no zip64 output)");
  out.insert(out.end(), central.begin(), central.end());
  appendLE(out, 0x06054b50, 4);
  appendLE(out, 0, 2);
  appendLE(out, 0, 2);
  appendLE(out, tensors.size(), 2);
  appendLE(out, tensors.size(), 2);
  appendLE(out, central.size(), 4);
  appendLE(out, cdOff, 4);
  appendLE(out, 0, 2);
  return Status::success();
}

Status qforge::io::writeNpz(const std::string &path,
                            const std::vector<TensorView> &tensors) {
  std::vector<uint8_t> bytes;
  if (Status s = serializeNpz(tensors, bytes); !s)
    return s;
  return writeFile(path, bytes);
}
