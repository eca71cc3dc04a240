//===- Bench.h - Shared infrastructure of qforge-bench ----------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every qforge-bench subcommand registers itself with QFORGE_BENCH(name,
// help, function). A subcommand receives its own arguments, prints a table on
// stdout and, with --json FILE (or --json alone for stdout), writes the same
// figures as JSON. Speed figures are always reported next to a reference
// measured in the same run (STREAM copy, a sort of the same data, ...), as a
// median over repetitions.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_TOOLS_BENCH_H
#define QFORGE_TOOLS_BENCH_H

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qforge::bench {

/// Parsed command-line arguments of one subcommand: `--key value`,
/// `--key=value` and bare `--flag`.
class Args {
public:
  Args(int argc, char **argv);
  bool has(const std::string &key) const;
  std::string get(const std::string &key, const std::string &def = "") const;
  int64_t getInt(const std::string &key, int64_t def) const;
  double getDouble(const std::string &key, double def) const;
  /// Comma-separated list value, or `def` when absent.
  std::vector<std::string> getList(const std::string &key,
                                   const std::vector<std::string> &def) const;
  /// Keys given on the command line that `known` does not contain.
  std::vector<std::string> unknown(const std::vector<std::string> &known) const;

private:
  std::map<std::string, std::string> values;
};

/// A row-oriented result table printed as aligned text and as JSON.
class Table {
public:
  explicit Table(std::string title) : title(std::move(title)) {}
  void columns(std::vector<std::string> names) { cols = std::move(names); }
  /// Adds a row; each cell is either a string or a number (printed with
  /// `precision` significant digits in the text form, exactly in JSON).
  struct Cell {
    Cell(const char *s) : text(s), isNumber(false) {}
    Cell(std::string s) : text(std::move(s)), isNumber(false) {}
    Cell(double v, int precision = 4);
    Cell(int64_t v);
    Cell(int v) : Cell(static_cast<int64_t>(v)) {}
    std::string text;
    double number = 0;
    bool isNumber;
  };
  void row(std::vector<Cell> cells) { rows.push_back(std::move(cells)); }
  void print() const;
  std::string json() const;
  const std::string &name() const { return title; }

private:
  std::string title;
  std::vector<std::string> cols;
  std::vector<std::vector<Cell>> rows;
};

/// Collects the tables and key figures of one run and writes them as JSON
/// when --json was given.
class Report {
public:
  explicit Report(const Args &args);
  void add(const Table &t);
  void figure(const std::string &key, double value);
  /// Writes the JSON (if requested); returns false on I/O error.
  bool finish(const std::string &benchName) const;

private:
  std::string jsonPath;
  bool wantJson = false;
  std::vector<std::string> tables;
  std::vector<std::pair<std::string, double>> figures;
};

/// Seconds since an arbitrary epoch (steady clock).
double now();
/// Runs `fn` `reps` times (after `warmup` untimed runs) and returns the
/// median wall time in seconds.
double medianTime(const std::function<void()> &fn, int reps, int warmup = 1);

/// Page size of the benchmarks' large buffers: the weights, the outputs and
/// the STREAM arrays alike, so that kernels and references see the same
/// memory. `huge` asks the kernel for 2 MiB transparent huge pages
/// (madvise(MADV_HUGEPAGE) before the first touch), as a serving runtime
/// loading weights would; `small` keeps the default 4 KiB pages.
enum class Pages { small, huge };
/// Reads `--pages small|huge` (default huge); false, with a message, for
/// any other value.
bool setPages(const Args &args, const char *bench);
Pages pages();
const char *pagesName();
/// Bytes of this process's memory currently on huge pages (AnonHugePages of
/// /proc/self/smaps_rollup), or -1 where the kernel does not say.
int64_t hugePageBytes();
/// Prints which pages were asked for and `hugeBytes` (the most
/// hugePageBytes() seen while the buffers were live); warns when huge pages
/// were asked for and none granted.
void printPages(const char *bench, int64_t hugeBytes);
/// The end of a benchmark on large buffers: prints `t` and the pages
/// (printPages), adds the huge-page figure and `t` to `report` and writes
/// it; returns `status`, or 1 when the report cannot be written.
int finishWithPages(const char *bench, const Table &t, Report &report,
                    int64_t hugeBytes, int status);

/// A zero-filled buffer from mmap, 2 MiB aligned, on the pages of pages().
class LargeBuffer {
public:
  LargeBuffer() = default;
  explicit LargeBuffer(size_t bytes);
  LargeBuffer(LargeBuffer &&o) noexcept;
  LargeBuffer &operator=(LargeBuffer &&o) noexcept;
  LargeBuffer(const LargeBuffer &) = delete;
  LargeBuffer &operator=(const LargeBuffer &) = delete;
  ~LargeBuffer();
  void *data() const { return ptr; }
  size_t size() const { return bytes; }

private:
  void *ptr = nullptr;
  size_t bytes = 0, mapped = 0;
};

/// Memory bandwidth references measured in the current run (bytes/s).
struct StreamResult {
  double copy = 0;  ///< a[i] = b[i]: bytes read + written per second
  double triad = 0; ///< a[i] = b[i] + s*c[i]: 3 arrays
  double read = 0;  ///< sum of b[i]: bytes read per second
  int64_t bytesPerArray = 0;
  unsigned threads = 0;
};
/// STREAM-style copy, triad and read-only sum over arrays of
/// `bytesPerArray` bytes each, on `threads` threads, median of `reps`.
StreamResult measureStream(int64_t bytesPerArray, unsigned threads, int reps);
/// Read-only sum over an array of `bytesPerArray` bytes viewed as rows of
/// `rowBytes` (a multiple of 64), `rows` rows read side by side one 64-byte
/// line at a time: the access pattern of the fused GEMV, which reads R
/// weight rows at the same column so that they share the activations.
/// Bytes read per second on `threads` threads, median of `reps`.
double measureRowsRead(int64_t bytesPerArray, unsigned threads, int reps,
                       int64_t rows, int64_t rowBytes);

/// Registration of subcommands.
using BenchFn = int (*)(int argc, char **argv);
struct Registration {
  Registration(const char *name, const char *help, BenchFn fn);
};
struct Subcommand {
  std::string name, help;
  BenchFn fn;
};
std::vector<Subcommand> &subcommands();

} // namespace qforge::bench

#define QFORGE_BENCH(NAME, HELP, FN)                                           \
  static ::qforge::bench::Registration qforgeBenchReg_##FN(NAME, HELP, FN)

#endif // QFORGE_TOOLS_BENCH_H
