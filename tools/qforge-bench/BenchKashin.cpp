//===- BenchKashin.cpp - qforge-bench kashin ------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Kashin quantization of a random weight matrix (Student-t or Gaussian):
// MSE against RTN int4 per-channel (symmetric absmax, computed here), exact
// bits per weight, decomposition steps, and the time of quantize() as a
// multiple of std::sort of the same data in the same run. For the shapes
// the build compiled a kernel for (1024 x 1024), also the decoding speed of
// the generated CPU kernel against the scalar reference decoder
// (num::dequantize), both on one thread and checked bit-identical.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"
#include "CPUKernels.h"

#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace qforge::bench;
using namespace qforge::num;

/// MSE of round-to-nearest int4 per row (symmetric absmax, codes in
/// [-7, 7]) through the format library ("sint4:ch"); NaN on error.
static double rtnInt4PerRowMse(const std::vector<float> &W, int64_t R,
                               int64_t C) {
  qforge::num::FormatSpec f;
  qforge::num::QuantizedTensor q;
  std::vector<float> y(W.size());
  if (!qforge::num::FormatSpec::parse("sint4:ch", f).ok() ||
      !qforge::num::quantize(W.data(), {R, C}, f, {}, q).ok() ||
      !qforge::num::dequantize(q, y.data()).ok())
    return std::nan("");
  return qforge::num::mse(W.data(), y.data(), static_cast<int64_t>(W.size()));
}

static int benchKashin(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench kashin [--rows R] [--cols C] [--dist t4|normal]\n"
        "                    [--formats kashin:2+2,kashin:2+2:hadamard,...]\n"
        "                    [--threads T] [--reps N] [--json [FILE]]\n"
        "  Kashin quantization of an R x C matrix (default 1024 x 1024,\n"
        "  Student-t(4)), rows as vectors: MSE / RTN-int4-per-channel MSE,\n"
        "  exact bits per weight, and quantize time / std::sort time; for\n"
        "  1024 x 1024, also the generated dequantization kernel's and the\n"
        "  scalar reference decoder's time (one thread each).\n");
    return 0;
  }
  for (auto &k : args.unknown(
           {"rows", "cols", "dist", "formats", "threads", "reps", "help"})) {
    std::fprintf(stderr, "qforge-bench kashin: unknown option --%s\n",
                 k.c_str());
    return 1;
  }
  int64_t R = args.getInt("rows", 1024), C = args.getInt("cols", 1024);
  std::string dist = args.get("dist", "t4");
  unsigned threads = static_cast<unsigned>(args.getInt("threads", 1));
  int reps = static_cast<int>(args.getInt("reps", 3));
  std::vector<std::string> formats =
      args.getList("formats", {"kashin:2+2", "kashin:2+2:hadamard",
                               "kashin:4:joint", "kashin:1+1", "kashin:3+3"});
  std::mt19937_64 rng(1);
  std::vector<float> W(R * C);
  if (dist == "normal") {
    std::normal_distribution<double> N(0, 1);
    for (auto &v : W)
      v = static_cast<float>(N(rng));
  } else {
    std::student_t_distribution<double> T(4.0);
    for (auto &v : W)
      v = static_cast<float>(T(rng));
  }
  double energy = 0;
  for (float v : W)
    energy += double(v) * v;
  energy /= double(W.size());
  // RTN int4 per channel (rows), symmetric absmax, codes in [-7, 7]: the
  // format library's sint4:ch.
  double rtn = rtnInt4PerRowMse(W, R, C);
  std::vector<float> work;
  double tSort = medianTime(
      [&] {
        work = W;
        std::sort(work.begin(), work.end());
      },
      reps);
  Report report(args);
  Table t("Kashin on a " + std::to_string(R) + "x" + std::to_string(C) + " " +
          dist + " matrix, rows as vectors, " + std::to_string(threads) +
          " thread(s), median of " + std::to_string(reps));
  t.columns({"format", "bits/weight", "MSE", "x RTN int4", "SQNR dB", "ms",
             "x sort", "decode ref ms", "decode kernel ms", "kernel speed-up"});
  t.row({"rtn sint4 per-channel (reference)", Table::Cell(4.0 + 32.0 / C),
         Table::Cell(rtn, 5), Table::Cell(1.0),
         Table::Cell(10 * std::log10(energy / rtn)), "-", "-", "-", "-", "-"});
  t.row({"std::sort of the data (time reference)", "-", "-", "-", "-",
         Table::Cell(tSort * 1e3), Table::Cell(1.0), "-", "-", "-"});
  int status = 0;
  for (auto &fs : formats) {
    FormatSpec f;
    if (Status s = FormatSpec::parse(fs, f); !s) {
      std::fprintf(stderr, "qforge-bench kashin: %s\n", s.message().c_str());
      return 1;
    }
    QuantizeOptions o;
    o.threads = threads;
    o.seed = 12345;
    QuantizedTensor q;
    Status st;
    double tm = medianTime(
        [&] {
          st = quantize(W.data(), {R, C}, f, o, q);
        },
        reps, 0);
    if (!st.ok()) {
      t.row({fs, "-", st.message(), "-", "-", "-", "-", "-", "-", "-"});
      continue;
    }
    std::vector<float> back(W.size());
    if (Status s = dequantize(q, back.data(), threads); !s) {
      t.row({fs, "-", s.message(), "-", "-", "-", "-", "-", "-", "-"});
      continue;
    }
    // Decoding: the generated kernel (when the build has one of this
    // shape) against the reference decoder, one thread each.
    Table::Cell refMs = "-", kernelMs = "-", speedUp = "-";
    const CPUKernel *k = findKernel(KernelKind::dequant, fs, C);
    if (k && k->rows == R) {
      std::vector<float> ref(W.size()), gen(W.size());
      double tr = medianTime([&] { (void)dequantize(q, ref.data(), 1); }, reps);
      PackedWeight pw(q);
      double tk =
          medianTime([&] { runKernel(*k, pw, nullptr, gen.data()); }, reps);
      if (!std::equal(ref.begin(), ref.end(), gen.begin(),
                      [](float a, float b) {
                        return std::memcmp(&a, &b, sizeof(float)) == 0;
                      })) {
        std::fprintf(stderr,
                     "qforge-bench kashin: the generated kernel of '%s' "
                     "decodes differently from the reference\n",
                     fs.c_str());
        status = 1;
      }
      refMs = Table::Cell(tr * 1e3);
      kernelMs = Table::Cell(tk * 1e3);
      speedUp = Table::Cell(tr / tk, 3);
      report.figure(fs + "_decode_ref_ms", tr * 1e3);
      report.figure(fs + "_decode_kernel_ms", tk * 1e3);
      report.figure(fs + "_decode_speedup", tr / tk);
    }
    double mse = 0;
    for (size_t i = 0; i < W.size(); ++i)
      mse += (double(W[i]) - back[i]) * (double(W[i]) - back[i]);
    mse /= double(W.size());
    double bpw = 8.0 * double(q.totalBytes()) / double(W.size());
    t.row({fs, Table::Cell(bpw, 5), Table::Cell(mse, 5),
           Table::Cell(mse / rtn, 4),
           Table::Cell(10 * std::log10(energy / mse)), Table::Cell(tm * 1e3),
           Table::Cell(tm / tSort, 3), refMs, kernelMs, speedUp});
    report.figure(fs + "_mse_x_rtn4", mse / rtn);
    report.figure(fs + "_bpw", bpw);
    report.figure(fs + "_x_sort", tm / tSort);
  }
  t.print();
  report.add(t);
  report.figure("rtn_int4_mse", rtn);
  return report.finish("kashin") ? status : 1;
}

QFORGE_BENCH("kashin", "Kashin quantization: MSE vs RTN int4, bits/weight",
             benchKashin);
