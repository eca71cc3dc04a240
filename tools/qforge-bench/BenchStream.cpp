//===- BenchStream.cpp - qforge-bench stream ------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include <cstdio>

using namespace qforge::bench;

static int benchStream(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench stream [--mb N] [--threads T] [--reps R] "
        "[--pages small|huge] [--json [FILE]]\n  STREAM copy, triad and "
        "read-only sum over arrays of N MiB (default 512, i.e. beyond "
        "4x the LLC), on 2 MiB (huge, default) or 4 KiB (small) "
        "pages; and the read-only sum in the fused GEMV's access "
        "pattern (8 rows of 7 KiB read side by side, a 64-byte line "
        "of each in turn).\n");
    return 0;
  }
  for (auto &k : args.unknown({"mb", "threads", "reps", "pages", "help"})) {
    std::fprintf(stderr, "qforge-bench stream: unknown option --%s\n",
                 k.c_str());
    return 1;
  }
  if (!setPages(args, "stream"))
    return 1;
  int64_t mb = args.getInt("mb", 512);
  unsigned threads = static_cast<unsigned>(args.getInt("threads", 0));
  int reps = static_cast<int>(args.getInt("reps", 10));
  StreamResult s = measureStream(mb << 20, threads, reps);
  Table t("STREAM (" + std::to_string(mb) + " MiB per array, " +
          std::to_string(s.threads) + " threads, " + pagesName() +
          " pages, median of " + std::to_string(reps) + ")");
  t.columns({"kernel", "GB/s"});
  t.row({"copy", Table::Cell(s.copy / 1e9, 4)});
  t.row({"triad", Table::Cell(s.triad / 1e9, 4)});
  t.row({"read (sum)", Table::Cell(s.read / 1e9, 4)});
  // The fused GEMV's access pattern: 8 rows of 4096x14336 4-bit codes
  // (7 KiB) read side by side.
  double rows8 = measureRowsRead(mb << 20, threads, reps, 8, 7168);
  t.row({"read, 8 rows of 7 KiB side by side", Table::Cell(rows8 / 1e9, 4)});
  t.print();
  Report report(args);
  report.add(t);
  report.figure("copy_GBps", s.copy / 1e9);
  report.figure("triad_GBps", s.triad / 1e9);
  report.figure("read_GBps", s.read / 1e9);
  report.figure("read_rows8_GBps", rows8 / 1e9);
  return report.finish("stream") ? 0 : 1;
}

QFORGE_BENCH("stream", "memory bandwidth references (copy, triad, read)",
             benchStream);
