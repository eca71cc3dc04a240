//===- BenchGemv.cpp - qforge-bench gemv ----------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Fused dequant-GEMV (M = 1) of the generated CPU kernels on weights of
// 4096x14336 and 14336x4096 ([N, K], nn.Linear layout), as weight bytes per
// second over the STREAM read-only bandwidth measured in the same run.
// Enough weight copies rotate to exceed 450 MB (> 4x the 105 MiB LLC).
//
//===----------------------------------------------------------------------===//

#include "Bench.h"
#include "CPUKernels.h"

#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Random.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

using namespace qforge;
using namespace qforge::bench;

static int benchGemv(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench gemv [--formats F1,F2,...] [--reps R] [--mb N] "
        "[--copies C] [--pages small|huge] [--dot f32,bf16x2,i8] "
        "[--json [FILE]]\n  Generated fused "
        "dequant-GEMV kernels "
        "(M = 1, "
        "two threads, one half of the rows each) vs the STREAM read-only "
        "bandwidth over N MiB arrays (default 512). --formats: default "
        "int4:g32,nf4:g64,mxfp4,q4_0,int8:g128; q8_0, q4_k, uint4:g32:zp, "
        "uint8:g128:zp, kashin:2+2 and kashin:2+2:hadamard:g2048 (f32 dot "
        "products only) are also built. "
        "--copies C rotates C "
        "weight "
        "copies instead of enough to exceed 450 MB (C = 1 keeps the weights "
        "in the last-level cache: the kernels' compute ceiling). --pages: the "
        "page size of weights and STREAM arrays alike (default huge: 2 MiB "
        "transparent huge pages; small: 4 KiB). --dot: the kernels' dot "
        "products: f32 (qf-cpu-pipeline default), bf16x2 "
        "(dot-precision=bf16x2, for int4:g32, mxfp4 and q4_0, on CPUs with "
        "AVX512_BF16) and/or i8 (dot-precision=i8: int8 activation blocks, "
        "for int4:g32, nf4:g64 (table rounded to 2^-14), mxfp4, q4_0, "
        "int8:g128, q8_0, q4_k, uint4:g32:zp and uint8:g128:zp, on CPUs "
        "with AVX512_VNNI); "
        "default: all where available. Column \"vs f32\" (JSON "
        "rel_diff_vs_f32): the relative L2 difference of a bf16x2 / i8 "
        "kernel's outputs from the f32 kernel's, same weights and "
        "activations.\n");
    return 0;
  }
  for (auto &k : args.unknown({"formats", "reps", "mb", "copies", "pages",
                               "dot", "help", "json"})) {
    std::fprintf(stderr, "qforge-bench gemv: unknown option --%s\n", k.c_str());
    return 1;
  }
  if (!setPages(args, "gemv"))
    return 1;
  std::vector<std::string> formats = args.getList(
      "formats", {"int4:g32", "nf4:g64", "mxfp4", "q4_0", "int8:g128"});
  bool explicitDot = args.has("dot");
  std::vector<std::string> dots = args.getList("dot", {"f32", "bf16x2", "i8"});
  for (const std::string &d : dots)
    if (d != "f32" && d != "bf16x2" && d != "i8") {
      std::fprintf(stderr,
                   "qforge-bench gemv: bad --dot '%s' (f32, bf16x2 or i8)\n",
                   d.c_str());
      return 1;
    }
  for (auto [dot, has, feature] :
       {std::make_tuple("bf16x2", cpuHasAVX512BF16(), "AVX512_BF16"),
        std::make_tuple("i8", cpuHasAVX512VNNI(), "AVX512_VNNI")}) {
    if (has)
      continue;
    if (explicitDot && std::count(dots.begin(), dots.end(), dot)) {
      std::fprintf(stderr, "qforge-bench gemv: --dot %s needs a CPU with %s\n",
                   dot, feature);
      return 1;
    }
    dots.erase(std::remove(dots.begin(), dots.end(), dot), dots.end());
  }
  int reps = static_cast<int>(std::max<int64_t>(10, args.getInt("reps", 20)));
  int64_t mb = args.getInt("mb", 512);
  const unsigned threads = 2;

  StreamResult s = measureStream(mb << 20, threads, 10);
  std::printf("STREAM (%lld MiB arrays, %u threads): copy %.2f GB/s, read "
              "%.2f GB/s\n",
              static_cast<long long>(mb), threads, s.copy / 1e9, s.read / 1e9);
  int64_t hugeBytes = hugePageBytes();
  Table t("fused dequant-GEMV, M = 1 (2 threads, " + std::string(pagesName()) +
          " pages, median of " + std::to_string(reps) + ")");
  t.columns({"format", "dot", "N x K", "read GB/s", "weight GB/s", "/ read",
             "copies", "vs f32"});
  Report report(args);
  report.figure("stream_copy_GBps", s.copy / 1e9);
  report.figure("stream_read_GBps", s.read / 1e9);
  int status = 0;
  for (const std::string &fmtText : formats) {
    num::FormatSpec f;
    if (!num::FormatSpec::parse(fmtText, f)) {
      std::fprintf(stderr, "qforge-bench gemv: bad format '%s'\n",
                   fmtText.c_str());
      status = 1;
      continue;
    }
    for (int64_t K : {int64_t(14336), int64_t(4096)})
      for (const std::string &dot : dots) {
        const CPUKernel *k = findKernel(KernelKind::gemv, fmtText, K, dot);
        if (!k && dot != "f32" && !explicitDot)
          continue; // bf16x2 / i8 kernels exist for some formats only
        if (!k) {
          std::fprintf(stderr,
                       "qforge-bench gemv: no %s kernel for '%s' K=%lld\n",
                       dot.c_str(), fmtText.c_str(), static_cast<long long>(K));
          status = 1;
          continue;
        }
        int64_t N = 2 * k->rows;
        std::vector<num::QuantizedTensor> halves;
        if (!quantizeGemvHalves(f, k->rows, K, threads, "gemv", halves))
          return 1;
        uint64_t bytes = halves[0].totalBytes() + halves[1].totalBytes();
        int copies = gemvCopies(args, halves);
        std::vector<std::vector<PackedWeight>> wq(copies);
        for (auto &c : wq)
          for (const num::QuantizedTensor &h : halves)
            c.emplace_back(h);
        std::vector<float> x = num::normalSamples(K, 3);
        std::vector<float> y(N, 0.0f);
        hugeBytes = std::max(hugeBytes, hugePageBytes());
        StreamResult before = measureStream(mb << 20, threads, 5);
        double tk =
            timeRotatingPair(copies, std::max(reps, copies), [&](int c, int h) {
              runKernel(*k, wq[c][h], x.data(), y.data() + h * k->rows);
            });
        // The bandwidth of shared machines drifts: the read reference of each
        // row is the mean of the STREAM read measured right before and right
        // after that row's kernel.
        StreamResult after = measureStream(mb << 20, threads, 5);
        double read = 0.5 * (before.read + after.read);
        double g = bytes / tk;
        // bf16x2 / i8: the relative L2 difference of the outputs from the
        // f32 kernel's on the same weights and activations.
        double diff = -1;
        if (const CPUKernel *kf = findKernel(KernelKind::gemv, fmtText, K);
            kf && dot != "f32") {
          std::vector<float> yf(N, 0.0f);
          for (int h = 0; h < 2; ++h) {
            runKernel(*k, wq[0][h], x.data(), y.data() + h * k->rows);
            runKernel(*kf, wq[0][h], x.data(), yf.data() + h * k->rows);
          }
          diff = num::relativeRmse(yf.data(), y.data(), N);
        }
        std::string shape = std::to_string(N) + "x" + std::to_string(K);
        char diffText[32] = "-";
        if (diff >= 0)
          std::snprintf(diffText, sizeof diffText, "%.2e", diff);
        t.row({fmtText, dot, shape, Table::Cell(read / 1e9, 4),
               Table::Cell(g / 1e9, 4), Table::Cell(g / read, 3),
               Table::Cell(int64_t(copies)), Table::Cell(diffText)});
        // f32 rows keep the keys of earlier versions; bf16x2 / i8 rows add
        // the dot precision.
        std::string key = fmtText +
                          (dot == "f32" ? std::string(".") : "/" + dot + ".") +
                          shape;
        report.figure(key + ".read_GBps", read / 1e9);
        report.figure(key + ".weight_GBps", g / 1e9);
        report.figure(key + ".over_read", g / read);
        if (diff >= 0)
          report.figure(key + ".rel_diff_vs_f32", diff);
      }
  }
  return finishWithPages("gemv", t, report, hugeBytes, status);
}

QFORGE_BENCH("gemv", "generated fused dequant-GEMV kernels vs STREAM read",
             benchGemv);
