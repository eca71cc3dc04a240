//===- BenchUtil.cpp - Shared infrastructure of qforge-bench --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "qforge/Numerics/Support.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include <sys/mman.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace qforge::bench;

Args::Args(int argc, char **argv) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      values["_" + std::to_string(values.size())] = a;
      continue;
    }
    a = a.substr(2);
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      values[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      values[a] = argv[++i];
    } else {
      values[a] = "";
    }
  }
}

bool Args::has(const std::string &key) const { return values.count(key); }

std::string Args::get(const std::string &key, const std::string &def) const {
  auto it = values.find(key);
  return it == values.end() ? def : it->second;
}

int64_t Args::getInt(const std::string &key, int64_t def) const {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty())
    return def;
  return std::strtoll(it->second.c_str(), nullptr, 0);
}

double Args::getDouble(const std::string &key, double def) const {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty())
    return def;
  return std::strtod(it->second.c_str(), nullptr);
}

std::vector<std::string>
Args::getList(const std::string &key,
              const std::vector<std::string> &def) const {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty())
    return def;
  std::vector<std::string> out;
  std::stringstream ss(it->second);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

std::vector<std::string>
Args::unknown(const std::vector<std::string> &known) const {
  std::vector<std::string> out;
  for (auto &kv : values) {
    if (kv.first[0] == '_' || kv.first == "json")
      continue;
    if (std::find(known.begin(), known.end(), kv.first) == known.end())
      out.push_back(kv.first);
  }
  return out;
}

Table::Cell::Cell(double v, int precision) : number(v), isNumber(true) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
  text = buf;
}

Table::Cell::Cell(int64_t v) : number(static_cast<double>(v)), isNumber(true) {
  text = std::to_string(v);
}

void Table::print() const {
  std::vector<size_t> width(cols.size(), 0);
  for (size_t c = 0; c < cols.size(); ++c)
    width[c] = cols[c].size();
  for (auto &r : rows)
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].text.size());
  std::printf("\n%s\n", title.c_str());
  auto line = [&](const std::vector<std::string> &cells, bool rightNum,
                  const std::vector<Cell> *src) {
    for (size_t c = 0; c < cells.size() && c < width.size(); ++c) {
      bool right = rightNum && src && (*src)[c].isNumber;
      std::printf(right ? "%*s" : "%-*s", static_cast<int>(width[c]),
                  cells[c].c_str());
      std::printf(c + 1 < cells.size() ? "  " : "\n");
    }
  };
  line(cols, false, nullptr);
  std::vector<std::string> dashes;
  for (size_t w : width)
    dashes.push_back(std::string(w, '-'));
  line(dashes, false, nullptr);
  for (auto &r : rows) {
    std::vector<std::string> cells;
    for (auto &cell : r)
      cells.push_back(cell.text);
    line(cells, true, &r);
  }
  std::fflush(stdout);
}

static std::string jsonEscape(const std::string &s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", ch);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

static std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string Table::json() const {
  std::ostringstream os;
  os << "{\"title\": \"" << jsonEscape(title) << "\", \"rows\": [";
  for (size_t r = 0; r < rows.size(); ++r) {
    os << (r ? ", " : "") << "{";
    for (size_t c = 0; c < rows[r].size() && c < cols.size(); ++c) {
      const Cell &cell = rows[r][c];
      os << (c ? ", " : "") << "\"" << jsonEscape(cols[c]) << "\": ";
      if (cell.isNumber)
        os << jsonNumber(cell.number);
      else
        os << "\"" << jsonEscape(cell.text) << "\"";
    }
    os << "}";
  }
  os << "]}";
  return os.str();
}

Report::Report(const Args &args) {
  wantJson = args.has("json");
  jsonPath = args.get("json");
}

void Report::add(const Table &t) { tables.push_back(t.json()); }

void Report::figure(const std::string &key, double value) {
  figures.emplace_back(key, value);
}

bool Report::finish(const std::string &benchName) const {
  if (!wantJson)
    return true;
  std::ostringstream os;
  os << "{\"bench\": \"" << jsonEscape(benchName) << "\", \"figures\": {";
  for (size_t i = 0; i < figures.size(); ++i)
    os << (i ? ", " : "") << "\"" << jsonEscape(figures[i].first)
       << "\": " << jsonNumber(figures[i].second);
  os << "}, \"tables\": [";
  for (size_t i = 0; i < tables.size(); ++i)
    os << (i ? ", " : "") << tables[i];
  os << "]}\n";
  if (jsonPath.empty() || jsonPath == "-") {
    std::cout << os.str();
    return true;
  }
  std::ofstream f(jsonPath);
  f << os.str();
  if (!f) {
    std::fprintf(stderr, "qforge-bench: cannot write '%s'\n", jsonPath.c_str());
    return false;
  }
  std::fprintf(stderr, "qforge-bench: wrote %s\n", jsonPath.c_str());
  return true;
}

double qforge::bench::now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double qforge::bench::medianTime(const std::function<void()> &fn, int reps,
                                 int warmup) {
  for (int i = 0; i < warmup; ++i)
    fn();
  std::vector<double> t;
  for (int i = 0; i < std::max(reps, 1); ++i) {
    double t0 = now();
    fn();
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static Pages pageMode = Pages::huge;

bool qforge::bench::setPages(const Args &args, const char *bench) {
  std::string v = args.get("pages", "huge");
  if (v == "huge" || v.empty()) {
    pageMode = Pages::huge;
  } else if (v == "small") {
    pageMode = Pages::small;
  } else {
    std::fprintf(stderr,
                 "qforge-bench %s: --pages must be 'small' or 'huge', not "
                 "'%s'\n",
                 bench, v.c_str());
    return false;
  }
  return true;
}

Pages qforge::bench::pages() { return pageMode; }

const char *qforge::bench::pagesName() {
  return pageMode == Pages::huge ? "huge" : "small";
}

int64_t qforge::bench::hugePageBytes() {
  std::ifstream f("/proc/self/smaps_rollup");
  std::string key;
  while (f >> key) {
    if (key == "AnonHugePages:") {
      int64_t kb = -1;
      f >> kb;
      return kb < 0 ? -1 : kb * 1024;
    }
    f.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

void qforge::bench::printPages(const char *bench, int64_t h) {
  std::printf(
      "pages: %s (--pages); at most %s MiB of this process on 2 MiB pages\n",
      pagesName(), h < 0 ? "unknown" : std::to_string(h >> 20).c_str());
  if (pageMode == Pages::huge && h == 0)
    std::fprintf(stderr,
                 "qforge-bench %s: no huge pages were granted (transparent "
                 "huge pages disabled?); the buffers use 4 KiB pages\n",
                 bench);
}

int qforge::bench::finishWithPages(const char *bench, const Table &t,
                                   Report &report, int64_t hugeBytes,
                                   int status) {
  t.print();
  printPages(bench, hugeBytes);
  report.figure("huge_page_MiB", static_cast<double>(hugeBytes >> 20));
  report.add(t);
  return report.finish(bench) ? status : 1;
}

static constexpr size_t kHugePage = size_t(2) << 20;

LargeBuffer::LargeBuffer(size_t n) : bytes(n) {
  // One huge page more than needed, to align the start.
  mapped = (n + kHugePage - 1) / kHugePage * kHugePage + kHugePage;
  void *m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    std::fprintf(stderr, "qforge-bench: cannot map %zu bytes\n", mapped);
    std::exit(1);
  }
  auto base = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (base + kHugePage - 1) / kHugePage * kHugePage;
  // Give back the unaligned head and the tail beyond the aligned range.
  size_t head = aligned - base, used = mapped - kHugePage;
  if (head)
    munmap(m, head);
  if (size_t tail = mapped - head - used)
    munmap(reinterpret_cast<void *>(aligned + used), tail);
  mapped = used;
  ptr = reinterpret_cast<void *>(aligned);
  if (pageMode == Pages::huge)
    (void)madvise(ptr, mapped, MADV_HUGEPAGE); // a hint: may be refused
}

LargeBuffer::LargeBuffer(LargeBuffer &&o) noexcept
    : ptr(o.ptr), bytes(o.bytes), mapped(o.mapped) {
  o.ptr = nullptr;
  o.bytes = o.mapped = 0;
}

LargeBuffer &LargeBuffer::operator=(LargeBuffer &&o) noexcept {
  if (this != &o) {
    if (ptr)
      munmap(ptr, mapped);
    ptr = o.ptr;
    bytes = o.bytes;
    mapped = o.mapped;
    o.ptr = nullptr;
    o.bytes = o.mapped = 0;
  }
  return *this;
}

LargeBuffer::~LargeBuffer() {
  if (ptr)
    munmap(ptr, mapped);
}

namespace {
constexpr int64_t kLine = 64 / sizeof(double);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define QFORGE_BENCH_AVX512 1
bool hasAVX512() { return __builtin_cpu_supports("avx512f"); }

__attribute__((target("avx512f"))) double horizontalSum(__m512d v) {
  alignas(64) double lanes[kLine];
  _mm512_store_pd(lanes, v);
  double s = 0;
  for (double x : lanes)
    s += x;
  return s;
}
#endif

/// Sum of p[0, n) with 512-bit loads into four accumulators (eight scalar
/// chains without AVX-512), so that the read reference cannot be bound by
/// the latency of its adds. (The earlier four scalar chains read as fast
/// within the noise in interleaved runs, docs/benchmarks.md.)
double sumLinear(const double *p, int64_t n) {
#ifdef QFORGE_BENCH_AVX512
  if (hasAVX512())
    return [](const double *q, int64_t m) __attribute__((target("avx512f"))) {
      __m512d s[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(),
                      _mm512_setzero_pd(), _mm512_setzero_pd()};
      int64_t i = 0;
      for (; i + 4 * kLine <= m; i += 4 * kLine)
        for (int u = 0; u < 4; ++u)
          s[u] = _mm512_add_pd(s[u], _mm512_loadu_pd(q + i + u * kLine));
      double t = horizontalSum(
          _mm512_add_pd(_mm512_add_pd(s[0], s[1]), _mm512_add_pd(s[2], s[3])));
      for (; i < m; ++i)
        t += q[i];
      return t;
    }
  (p, n);
#endif
  double s[kLine] = {};
  int64_t i = 0;
  for (; i + kLine <= n; i += kLine)
    for (int64_t j = 0; j < kLine; ++j)
      s[j] += p[i + j];
  double t = 0;
  for (double v : s)
    t += v;
  for (; i < n; ++i)
    t += p[i];
  return t;
}

/// Sum of groups [lo, hi) of `rows` rows of rowLen doubles (a multiple of
/// a line), reading one 64-byte line of every row in turn, with one
/// accumulator per row where there are 8 rows and AVX-512.
double sumRows(const double *p, int64_t lo, int64_t hi, int64_t rows,
               int64_t rowLen) {
#ifdef QFORGE_BENCH_AVX512
  if (rows == 8 && hasAVX512())
    return [](const double *q, int64_t l, int64_t h, int64_t len)
        __attribute__((target("avx512f"))) {
      __m512d s[8];
      for (auto &v : s)
        v = _mm512_setzero_pd();
      for (int64_t g = l; g < h; ++g) {
        const double *base = q + g * 8 * len;
        for (int64_t c = 0; c < len; c += kLine)
          for (int r = 0; r < 8; ++r)
            s[r] = _mm512_add_pd(s[r], _mm512_loadu_pd(base + r * len + c));
      }
      for (int r = 1; r < 8; ++r)
        s[0] = _mm512_add_pd(s[0], s[r]);
      return horizontalSum(s[0]);
    }
  (p, lo, hi, rowLen);
#endif
  double s[kLine] = {};
  for (int64_t g = lo; g < hi; ++g)
    for (int64_t c = 0; c < rowLen; c += kLine)
      for (int64_t r = 0; r < rows; ++r) {
        const double *q = p + (g * rows + r) * rowLen + c;
        for (int64_t j = 0; j < kLine; ++j)
          s[j] += q[j];
      }
  double t = 0;
  for (double v : s)
    t += v;
  return t;
}
} // namespace

StreamResult qforge::bench::measureStream(int64_t bytesPerArray,
                                          unsigned threads, int reps) {
  using qforge::num::parallelFor;
  if (threads == 0)
    threads = qforge::num::defaultThreadCount();
  int64_t n = bytesPerArray / static_cast<int64_t>(sizeof(double));
  LargeBuffer a(n * sizeof(double)), b(n * sizeof(double)),
      c(n * sizeof(double));
  auto *pa = static_cast<double *>(a.data());
  auto *pb = static_cast<double *>(b.data());
  auto *pc = static_cast<double *>(c.data());
  int64_t grain = (n + threads - 1) / threads;
  // First touch on the threads that use the pages.
  parallelFor(n, grain, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      pa[i] = 0.0;
      pb[i] = 1.0 + 1e-9 * static_cast<double>(i & 1023);
      pc[i] = 2.0;
    }
  });
  StreamResult r;
  r.bytesPerArray = n * static_cast<int64_t>(sizeof(double));
  r.threads = threads;
  double bytes = static_cast<double>(r.bytesPerArray);
  double tCopy = medianTime(
      [&] {
        parallelFor(n, grain, threads, [&](int64_t lo, int64_t hi) {
          std::memcpy(pa + lo, pb + lo, (hi - lo) * sizeof(double));
        });
      },
      reps);
  double tTriad = medianTime(
      [&] {
        parallelFor(n, grain, threads, [&](int64_t lo, int64_t hi) {
          for (int64_t i = lo; i < hi; ++i)
            pa[i] = pb[i] + 3.0 * pc[i];
        });
      },
      reps);
  std::vector<double> partial(threads + 1, 0.0);
  double tRead = medianTime(
      [&] {
        parallelFor(n, grain, threads, [&](int64_t lo, int64_t hi) {
          partial[lo / grain] = sumLinear(pb + lo, hi - lo);
        });
      },
      reps);
  volatile double sink = partial[0] + pa[n / 2];
  (void)sink;
  r.copy = 2 * bytes / tCopy;
  r.triad = 3 * bytes / tTriad;
  r.read = bytes / tRead;
  return r;
}

double qforge::bench::measureRowsRead(int64_t bytesPerArray, unsigned threads,
                                      int reps, int64_t rows,
                                      int64_t rowBytes) {
  using qforge::num::parallelFor;
  if (threads == 0)
    threads = qforge::num::defaultThreadCount();
  int64_t rowLen = rowBytes / static_cast<int64_t>(sizeof(double));
  int64_t group = rows * rowLen;
  if (rows <= 0 || rowLen <= 0 || rowBytes % 64)
    return 0;
  int64_t groups = bytesPerArray / static_cast<int64_t>(sizeof(double)) /
                   group / threads * threads;
  if (groups == 0)
    return 0;
  LargeBuffer a(groups * group * sizeof(double));
  auto *p = static_cast<double *>(a.data());
  int64_t grain = groups / threads;
  parallelFor(groups, grain, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo * group; i < hi * group; ++i)
      p[i] = 1.0 + 1e-9 * static_cast<double>(i & 1023);
  });
  std::vector<double> partial(threads + 1, 0.0);
  double t = medianTime(
      [&] {
        parallelFor(groups, grain, threads, [&](int64_t lo, int64_t hi) {
          partial[lo / grain] = sumRows(p, lo, hi, rows, rowLen);
        });
      },
      reps);
  volatile double sink = partial[0];
  (void)sink;
  return static_cast<double>(groups * group * sizeof(double)) / t;
}

std::vector<Subcommand> &qforge::bench::subcommands() {
  static std::vector<Subcommand> list;
  return list;
}

Registration::Registration(const char *name, const char *help, BenchFn fn) {
  subcommands().push_back({name, help, fn});
}
