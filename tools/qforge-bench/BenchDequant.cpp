//===- BenchDequant.cpp - qforge-bench dequant ----------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Dequantization speed of the generated CPU kernels (and of the scalar
// reference decoder) as a ratio of the STREAM copy bandwidth measured in the
// same run. Bytes = packed bytes read + f32 bytes written.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"
#include "CPUKernels.h"

#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/Random.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace qforge;
using namespace qforge::bench;

static int benchDequant(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench dequant [--formats F1,F2,...] [--reps R] [--mb N] "
        "[--pages small|huge] [--json [FILE]]\n  Generated dequantization "
        "kernels on a 4096x14336 weight (two threads, one half each) vs "
        "STREAM copy over N MiB arrays (default 512) and the scalar "
        "reference decoder. --pages: the page size of weights, outputs and "
        "STREAM arrays alike (default huge: 2 MiB transparent huge pages; "
        "small: 4 KiB).\n");
    return 0;
  }
  for (auto &k :
       args.unknown({"formats", "reps", "mb", "pages", "help", "json"})) {
    std::fprintf(stderr, "qforge-bench dequant: unknown option --%s\n",
                 k.c_str());
    return 1;
  }
  if (!setPages(args, "dequant"))
    return 1;
  std::vector<std::string> formats = args.getList(
      "formats", {"int4:g32", "nf4:g64", "mxfp4", "q4_0", "int8:g128"});
  int reps = static_cast<int>(std::max<int64_t>(10, args.getInt("reps", 10)));
  int64_t mb = args.getInt("mb", 512);
  const unsigned threads = 2;
  const int64_t rowsFull = 4096, cols = 14336;
  const int64_t minWorkingSet = 450ll << 20;

  StreamResult s = measureStream(mb << 20, threads, 10);
  std::printf("STREAM (%lld MiB arrays, %u threads): copy %.2f GB/s, read "
              "%.2f GB/s\n",
              static_cast<long long>(mb), threads, s.copy / 1e9, s.read / 1e9);

  int64_t hugeBytes = hugePageBytes();
  Table t("dequantize 4096x14336 -> f32 (2 threads, " +
          std::string(pagesName()) + " pages, median of " +
          std::to_string(reps) + ")");
  t.columns({"format", "copy GB/s", "kernel GB/s", "kernel / copy",
             "reference GB/s", "reference / copy", "copies"});
  Report report(args);
  report.figure("stream_copy_GBps", s.copy / 1e9);
  report.figure("stream_triad_GBps", s.triad / 1e9);
  report.figure("stream_read_GBps", s.read / 1e9);
  int status = 0;
  for (const std::string &fmtText : formats) {
    const CPUKernel *k = findKernel(KernelKind::dequant, fmtText, cols);
    num::FormatSpec f;
    if (!k || !num::FormatSpec::parse(fmtText, f)) {
      std::fprintf(stderr, "qforge-bench dequant: no kernel for '%s'\n",
                   fmtText.c_str());
      status = 1;
      continue;
    }
    // Two halves of the weight, quantized once.
    std::vector<int64_t> half = {k->rows, k->cols};
    num::QuantizeOptions qo;
    qo.threads = threads;
    std::vector<num::QuantizedTensor> halves(2);
    for (int h = 0; h < 2; ++h) {
      std::vector<float> w = num::normalSamples(k->rows * k->cols, 1 + h);
      if (!num::quantize(w.data(), half, f, qo, halves[h])) {
        std::fprintf(stderr, "qforge-bench dequant: cannot quantize '%s'\n",
                     fmtText.c_str());
        return 1;
      }
    }
    uint64_t packed = halves[0].totalBytes() + halves[1].totalBytes();
    uint64_t outBytes = uint64_t(rowsFull) * cols * 4;
    uint64_t bytes = packed + outBytes;
    int copies = static_cast<int>(
        std::max<int64_t>(2, (minWorkingSet + bytes - 1) / bytes));
    // Rotating copies: weights (for the kernels; the scalar reference
    // decoder reads QuantizedTensors) and outputs, the outputs 2 MiB aligned
    // as a caller wanting the streaming stores of large results provides
    // them (qf-nontemporal-stores).
    std::vector<std::vector<num::QuantizedTensor>> wq(copies, halves);
    std::vector<std::vector<PackedWeight>> wp(copies);
    for (auto &c : wp)
      for (const num::QuantizedTensor &h : halves)
        c.emplace_back(h);
    std::vector<LargeBuffer> outBuf;
    std::vector<float *> out;
    for (int c = 0; c < copies; ++c) {
      size_t n = static_cast<size_t>(rowsFull) * cols;
      outBuf.emplace_back(n * sizeof(float));
      out.push_back(static_cast<float *>(outBuf.back().data()));
      std::fill_n(out.back(), n, 0.0f);
    }
    hugeBytes = std::max(hugeBytes, hugePageBytes());
    StreamResult before = measureStream(mb << 20, threads, 5);
    double tk = timeRotatingPair(copies, reps, [&](int c, int h) {
      runKernel(*k, wp[c][h], nullptr, out[c] + h * k->rows * cols);
    });
    // Scalar reference decoder on the same halves, same two threads.
    int copyRef = 0;
    double tr = medianTime(
        [&] {
          int c = copyRef++ % copies;
          for (int h = 0; h < 2; ++h)
            (void)num::dequantize(wq[c][h], out[c] + h * k->rows * cols,
                                  threads);
        },
        reps);
    // The bandwidth of shared machines drifts: the copy reference of each
    // row is the mean of STREAM copy measured right before and right after
    // that row's kernel.
    StreamResult after = measureStream(mb << 20, threads, 5);
    double copy = 0.5 * (before.copy + after.copy);
    double gk = bytes / tk, gr = bytes / tr;
    t.row({fmtText, Table::Cell(copy / 1e9, 4), Table::Cell(gk / 1e9, 4),
           Table::Cell(gk / copy, 3), Table::Cell(gr / 1e9, 4),
           Table::Cell(gr / copy, 3), Table::Cell(int64_t(copies))});
    report.figure(fmtText + ".copy_GBps", copy / 1e9);
    report.figure(fmtText + ".kernel_GBps", gk / 1e9);
    report.figure(fmtText + ".kernel_over_copy", gk / copy);
    report.figure(fmtText + ".reference_GBps", gr / 1e9);
    report.figure(fmtText + ".reference_over_copy", gr / copy);
  }
  return finishWithPages("dequant", t, report, hugeBytes, status);
}

QFORGE_BENCH("dequant", "generated CPU dequantization kernels vs STREAM copy",
             benchDequant);
