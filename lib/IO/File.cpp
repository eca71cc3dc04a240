//===- File.cpp - Memory-mapped files and element types -------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/IO/File.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace qforge::io;

namespace {
struct DTypeInfo {
  DType type;
  const char *name;
  unsigned size;
  int64_t blockElems;
  int64_t blockBytes;
};
constexpr DTypeInfo kTypes[] = {
    {DType::F64, "f64", 8, 1, 8},       {DType::F32, "f32", 4, 1, 4},
    {DType::F16, "f16", 2, 1, 2},       {DType::BF16, "bf16", 2, 1, 2},
    {DType::I64, "i64", 8, 1, 8},       {DType::I32, "i32", 4, 1, 4},
    {DType::I16, "i16", 2, 1, 2},       {DType::I8, "i8", 1, 1, 1},
    {DType::U64, "u64", 8, 1, 8},       {DType::U32, "u32", 4, 1, 4},
    {DType::U16, "u16", 2, 1, 2},       {DType::U8, "u8", 1, 1, 1},
    {DType::Bool, "bool", 1, 1, 1},     {DType::F8E4M3, "f8e4m3", 1, 1, 1},
    {DType::F8E5M2, "f8e5m2", 1, 1, 1}, {DType::Q4_0, "q4_0", 0, 32, 18},
    {DType::Q8_0, "q8_0", 0, 32, 34},   {DType::IQ4_NL, "iq4_nl", 0, 32, 18},
    {DType::Q4_K, "q4_k", 0, 256, 144},
};
const DTypeInfo &info(DType t) {
  for (const DTypeInfo &i : kTypes)
    if (i.type == t)
      return i;
  return kTypes[1];
}
} // namespace

const char *qforge::io::dtypeName(DType t) { return info(t).name; }

bool qforge::io::parseDType(const std::string &name, DType &out) {
  for (const DTypeInfo &i : kTypes)
    if (name == i.name) {
      out = i.type;
      return true;
    }
  return false;
}

unsigned qforge::io::dtypeSize(DType t) { return info(t).size; }
bool qforge::io::isBlockType(DType t) { return info(t).size == 0; }
int64_t qforge::io::dtypeBlockElements(DType t) { return info(t).blockElems; }
int64_t qforge::io::dtypeBlockBytes(DType t) { return info(t).blockBytes; }

Status qforge::io::dtypeBytes(DType t, int64_t numel, uint64_t &bytes) {
  const DTypeInfo &i = info(t);
  if (numel < 0)
    return Status::error("negative element count");
  if (numel % i.blockElems != 0)
    return Status::error(std::string("element count ") + std::to_string(numel) +
                         " is not a multiple of the " + i.name + " block of " +
                         std::to_string(i.blockElems));
  uint64_t blocks = static_cast<uint64_t>(numel / i.blockElems);
  if (blocks > UINT64_MAX / static_cast<uint64_t>(i.blockBytes))
    return Status::error("tensor byte size overflows");
  bytes = blocks * static_cast<uint64_t>(i.blockBytes);
  return Status::success();
}

Status qforge::io::checkedNumel(const std::vector<int64_t> &shape,
                                int64_t &numel) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return Status::error("negative dimension " + std::to_string(d));
    if (d != 0 && n > INT64_MAX / d)
      return Status::error("shape element count overflows int64");
    n *= d;
  }
  numel = n;
  return Status::success();
}

MappedFile::~MappedFile() {
  if (base && length)
    ::munmap(const_cast<uint8_t *>(base), length);
}

Status MappedFile::open(const std::string &path,
                        std::shared_ptr<MappedFile> &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::error("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::error("cannot stat '" + path + "': " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error("'" + path + "' is not a regular file");
  }
  auto f = std::make_shared<MappedFile>();
  f->filePath = path;
  f->length = static_cast<uint64_t>(st.st_size);
  if (f->length) {
    void *p = ::mmap(nullptr, f->length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      f->length = 0;
      return Status::error("cannot map '" + path + "': " + std::strerror(e));
    }
    f->base = static_cast<const uint8_t *>(p);
  }
  ::close(fd);
  out = std::move(f);
  return Status::success();
}

namespace {
Status writeAll(int fd, const std::vector<uint8_t> &bytes) {
  const uint8_t *p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return Status::error(std::strerror(n < 0 ? errno : EIO));
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::success();
}
} // namespace

Status qforge::io::writeFile(const std::string &path,
                             const std::vector<uint8_t> &bytes) {
  // A regular file (or a new one) is replaced atomically: the bytes go to a
  // temporary file in the same directory that is renamed over `path`. A
  // reader that has the old file memory-mapped (WeightStore, qforge.load_*)
  // keeps seeing the old contents instead of a truncated file (SIGBUS).
  // Anything else (/dev/null, a pipe) is written in place.
  struct stat st;
  bool replace = ::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode);
  if (!replace) {
    int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
      return Status::error("cannot create '" + path +
                           "': " + std::strerror(errno));
    Status s = writeAll(fd, bytes);
    if (::close(fd) != 0 && s)
      s = Status::error(std::strerror(errno));
    if (!s)
      return Status::error("cannot write '" + path + "': " + s.message());
    return Status::success();
  }
  static unsigned counter = 0;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = path + ".tmp" + std::to_string(::getpid()) + "." +
          std::to_string(__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    return Status::error("cannot create '" + path +
                         "': " + std::strerror(errno));
  Status s = writeAll(fd, bytes);
  if (::close(fd) != 0 && s)
    s = Status::error(std::strerror(errno));
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = Status::error(std::strerror(errno));
  if (!s) {
    ::unlink(tmp.c_str());
    return Status::error("cannot write '" + path + "': " + s.message());
  }
  return Status::success();
}

void qforge::io::appendLE(std::vector<uint8_t> &out, uint64_t v,
                          unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t qforge::io::readLE(const uint8_t *p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool qforge::io::isValidUtf8(const std::string &s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    unsigned len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    for (unsigned k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
      return false;
    i += len;
  }
  return true;
}
