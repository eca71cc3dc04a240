//===- Support.h - Status and parallel helpers for Numerics -----*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The Numerics library is pure C++17: no LLVM or MLIR dependency, so that it
// can be used from the passes, the tools and the Python extension alike. This
// header holds the two pieces of infrastructure every algorithm shares: an
// error type (Status) and a deterministic parallel loop (parallelFor).
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_SUPPORT_H
#define QFORGE_NUMERICS_SUPPORT_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace qforge::num {

/// The result of an operation that may fail with a human-readable message.
/// A default-constructed Status is success.
class [[nodiscard]] Status {
public:
  Status() = default;
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.failed = true;
    s.msg = std::move(message);
    return s;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return msg; }

private:
  bool failed = false;
  std::string msg;
};

/// Number of worker threads used when a caller passes `threads == 0`:
/// std::thread::hardware_concurrency(), at least 1.
unsigned defaultThreadCount();

/// Runs `body(begin, end)` over [0, n) split into contiguous chunks of at
/// least `grain` iterations on up to `threads` threads (0 = default). The
/// partition of the iteration space into chunks depends only on `n` and
/// `grain`, never on the thread count, so any computation whose chunks write
/// disjoint outputs is bit-identical for every thread count.
void parallelFor(int64_t n, int64_t grain, unsigned threads,
                 const std::function<void(int64_t, int64_t)> &body);

} // namespace qforge::num

#endif // QFORGE_NUMERICS_SUPPORT_H
