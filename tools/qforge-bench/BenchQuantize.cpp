//===- BenchQuantize.cpp - qforge-bench quantize --------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Speed of the format library's quantize() and dequantize() per format,
// reported as weights/s and as bytes moved per second relative to the STREAM
// copy bandwidth measured in the same run (median of --reps runs), plus an
// accuracy table (MSE on N(0,1) and unit-variance Student-t(5) data, bits per
// weight, fixed- and entropy-coded) that docs/formats.md quotes.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "qforge/Numerics/Codebooks.h"
#include "qforge/Numerics/Entropy.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace qforge::bench;
using namespace qforge::num;

static const std::vector<std::string> kDefaultFormats = {
    "int8:g32",
    "int4:g32",
    "int4:g128:f16",
    "uint4:g32:zp",
    "int4:g32:search",
    "nf4:g64",
    "crd-normal:4:g64",
    "crd-t5:4:g64",
    "crd-normal:4:rms",
    "mxfp4",
    "mxfp6",
    "mxfp8",
    "nvfp4",
    "int3:g32",
    "int2:g16",
    "int4:g64:outliers=2^-10",
    "q4_0",
    "q8_0",
    "iq4_nl",
    "q4_k"};

static int benchQuantize(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench quantize [--formats F1,F2,...] [--weights N] "
        "[--threads T] [--reps R] [--stream-mb M] [--accuracy-only] "
        "[--speed-only] [--json [FILE]]\n"
        "  Quantize/dequantize speed of N weights (default 2^25) per format "
        "on T threads (default 2), median of R runs (default 10), as "
        "weights/s and as (bytes read + written)/s relative to STREAM copy "
        "measured in the same run over M MiB arrays (default 512); and MSE "
        "on 2^20 N(0,1) and Student-t(5) weights.\n");
    return 0;
  }
  for (auto &k :
       args.unknown({"formats", "weights", "threads", "reps", "stream-mb",
                     "accuracy-only", "speed-only", "help"})) {
    std::fprintf(stderr, "qforge-bench quantize: unknown option --%s\n",
                 k.c_str());
    return 1;
  }
  std::vector<std::string> names = args.getList("formats", kDefaultFormats);
  int64_t n = args.getInt("weights", int64_t(1) << 25);
  unsigned threads = static_cast<unsigned>(args.getInt("threads", 2));
  int reps = static_cast<int>(args.getInt("reps", 10));
  int64_t streamMb = args.getInt("stream-mb", 512);
  bool speed = !args.has("accuracy-only"), accuracy = !args.has("speed-only");
  const int64_t cols = 4096;
  if (n < cols || n % cols) {
    std::fprintf(stderr, "qforge-bench quantize: --weights must be a "
                         "multiple of 4096\n");
    return 1;
  }
  std::vector<FormatSpec> formats;
  for (auto &s : names) {
    FormatSpec f;
    if (Status st = FormatSpec::parse(s, f); !st) {
      std::fprintf(stderr, "qforge-bench quantize: '%s': %s\n", s.c_str(),
                   st.message().c_str());
      return 1;
    }
    formats.push_back(f);
  }
  Report report(args);
  bool failed = false; // a format that cannot encode the bench data

  if (accuracy) {
    const int64_t m = int64_t(1) << 20;
    std::vector<int64_t> shape = {m / 1024, 1024};
    std::vector<float> xn = normalSamples(m, 1), xt = studentTSamples(m, 5, 2);
    Table t("Accuracy (2^20 weights, shape 1024x1024, seeds 1 / 2)");
    t.columns({"format", "bits/weight", "entropy bits/weight", "MSE N(0,1)",
               "SQNR N(0,1) dB", "MSE t(5)", "SQNR t(5) dB"});
    for (size_t i = 0; i < formats.size(); ++i) {
      double mseN = 0, mseT = 0, sqN = 0, sqT = 0, ent = 0;
      bool ok = true;
      for (int d = 0; d < 2 && ok; ++d) {
        const std::vector<float> &x = d ? xt : xn;
        QuantizeOptions o;
        o.threads = threads;
        QuantizedTensor q;
        std::vector<float> y(m);
        Status st = quantize(x.data(), shape, formats[i], o, q);
        if (st)
          st = dequantize(q, y.data(), threads);
        if (!st) {
          std::fprintf(stderr, "%s: %s\n", names[i].c_str(),
                       st.message().c_str());
          failed = true;
          ok = false;
          break;
        }
        ErrorMetrics em = errorMetrics(x.data(), y.data(), m);
        (d ? mseT : mseN) = em.mse;
        (d ? sqT : sqN) = em.sqnrDb;
        CodeStats cs;
        if (d == 0 && codeStatistics(q, cs))
          ent = cs.entropyBitsPerWeight;
      }
      if (!ok)
        continue;
      t.row({formats[i].str(), Table::Cell(formats[i].bitsPerWeight(shape), 5),
             Table::Cell(ent, 4), Table::Cell(mseN, 4), Table::Cell(sqN, 4),
             Table::Cell(mseT, 4), Table::Cell(sqT, 4)});
    }
    t.print();
    report.add(t);

    // Orr et al.: uniform grid + entropy coding vs the best fixed-length
    // code (4-bit Lloyd-Max) at equal MSE on N(0,1).
    LloydMaxResult lm = lloydMaxDensity(
        [](double v) { return distributionPdf(Distribution::Normal, 0, v); },
        16, -12, 12);
    auto uniformAt = [&](double step, double &H, double &L) {
      std::vector<uint64_t> h(161, 0);
      double se = 0;
      for (float v : xn) {
        double q = std::nearbyint(v / step);
        double d = v - q * step;
        se += d * d;
        ++h[static_cast<size_t>(std::min(80.0, std::max(-80.0, q)) + 80)];
      }
      H = entropyBits(h);
      L = huffmanMeanBits(h);
      return se / static_cast<double>(xn.size());
    };
    double lo = 0.1, hi = 0.6, H = 0, L = 0;
    for (int it = 0; it < 30; ++it) {
      double mid = 0.5 * (lo + hi);
      (uniformAt(mid, H, L) < lm.mse ? lo : hi) = mid;
    }
    double step = 0.5 * (lo + hi), um = uniformAt(step, H, L);
    Table e("Entropy-coded uniform vs 4-bit Lloyd-Max on N(0,1) (2^20 "
            "samples)");
    e.columns({"quantizer", "MSE", "bits/weight"});
    e.row({"Lloyd-Max 4-bit (density)", Table::Cell(lm.mse, 5),
           Table::Cell(4.0, 4)});
    e.row({"uniform step " + std::to_string(step).substr(0, 6) + " entropy",
           Table::Cell(um, 5), Table::Cell(H, 4)});
    e.row({"uniform step " + std::to_string(step).substr(0, 6) + " Huffman",
           Table::Cell(um, 5), Table::Cell(L, 4)});
    e.print();
    report.add(e);
    report.figure("entropy_saving_bits", 4.0 - H);
    report.figure("huffman_saving_bits", 4.0 - L);
  }

  if (speed) {
    StreamResult s = measureStream(streamMb << 20, threads, reps);
    std::vector<int64_t> shape = {n / cols, cols};
    std::vector<float> x(n), y(n);
    // Parallel, deterministic data generation (one stream per row).
    parallelFor(n / cols, 16, threads, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        Rng rng = Rng::stream(7, static_cast<uint64_t>(r));
        for (int64_t c = 0; c < cols; ++c)
          x[r * cols + c] = static_cast<float>(rng.normal());
      }
    });
    Table t("Quantize / dequantize speed (" + std::to_string(n) + " weights, " +
            std::to_string(threads) + " threads, median of " +
            std::to_string(reps) + "; STREAM copy " +
            std::to_string(s.copy / 1e9).substr(0, 5) + " GB/s)");
    t.columns({"format", "bits/weight", "quant Mweights/s", "quant GB/s",
               "quant / copy", "dequant Mweights/s", "dequant GB/s",
               "dequant / copy"});
    report.figure("stream_copy_GBps", s.copy / 1e9);
    for (size_t i = 0; i < formats.size(); ++i) {
      QuantizeOptions o;
      o.threads = threads;
      QuantizedTensor q;
      Status st = quantize(x.data(), shape, formats[i], o, q);
      if (!st) {
        std::fprintf(stderr, "%s: %s\n", names[i].c_str(),
                     st.message().c_str());
        failed = true;
        continue;
      }
      double tq = medianTime(
          [&] {
            QuantizedTensor tmp;
            (void)quantize(x.data(), shape, formats[i], o, tmp);
          },
          reps);
      double td =
          medianTime([&] { (void)dequantize(q, y.data(), threads); }, reps);
      double bytes = 4.0 * n + static_cast<double>(q.totalBytes());
      double qbw = bytes / tq, dbw = bytes / td;
      std::string name = formats[i].str();
      t.row({name, Table::Cell(formats[i].bitsPerWeight(shape), 5),
             Table::Cell(n / tq / 1e6, 4), Table::Cell(qbw / 1e9, 4),
             Table::Cell(qbw / s.copy, 3), Table::Cell(n / td / 1e6, 4),
             Table::Cell(dbw / 1e9, 4), Table::Cell(dbw / s.copy, 3)});
      report.figure(name + "/quant_frac_copy", qbw / s.copy);
      report.figure(name + "/dequant_frac_copy", dbw / s.copy);
    }
    t.print();
    report.add(t);
  }
  return report.finish("quantize") && !failed ? 0 : 1;
}

QFORGE_BENCH("quantize",
             "format library speed (vs STREAM copy) and accuracy per format",
             benchQuantize);
