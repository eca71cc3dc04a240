//===- BenchASQ.cpp - qforge-bench asq ------------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Times every ASQ solver on sorted LogNormal(0,1) data (one thread) against
// std::sort of the same data in the same run, and reports each solver's
// vNMSE as a multiple of the exact optimum.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "qforge/Numerics/ASQ.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

using namespace qforge::bench;
using namespace qforge::num;

static int benchASQ(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench asq [--log2d 20,22] [--s 4,16,64] [--reps R]\n"
        "                 [--solvers exact,exact-smawk,exact-pairwise,"
        "exact-lagrange,grid,vmix,refine]\n"
        "                 [--seed N] [--json [FILE]]\n"
        "  ASQ solvers on sorted LogNormal(0,1) data, one thread: time as a\n"
        "  multiple of std::sort of the same data (median of R runs, default\n"
        "  5; 3 for solvers slower than 2 s) and vNMSE as a multiple of the\n"
        "  exact optimum.\n");
    return 0;
  }
  for (auto &k :
       args.unknown({"log2d", "s", "reps", "solvers", "seed", "help"})) {
    std::fprintf(stderr, "qforge-bench asq: unknown option --%s\n", k.c_str());
    return 1;
  }
  std::vector<std::string> dList = args.getList("log2d", {"20", "22"});
  std::vector<std::string> sList = args.getList("s", {"4", "16", "64"});
  std::vector<std::string> solverNames =
      args.getList("solvers", {"exact", "exact-smawk", "exact-pairwise",
                               "exact-lagrange", "grid", "vmix", "refine"});
  int reps = static_cast<int>(args.getInt("reps", 5));
  uint64_t seed = static_cast<uint64_t>(args.getInt("seed", 1));
  const ASQSolver all[] = {ASQSolver::Exact,         ASQSolver::ExactSMAWK,
                           ASQSolver::ExactPairwise, ASQSolver::ExactLagrange,
                           ASQSolver::Grid,          ASQSolver::VMix,
                           ASQSolver::Refine};
  std::vector<ASQSolver> solvers;
  for (auto &n : solverNames) {
    bool found = false;
    for (ASQSolver s : all)
      if (n == asqSolverName(s)) {
        solvers.push_back(s);
        found = true;
      }
    if (!found) {
      std::fprintf(stderr, "qforge-bench asq: unknown solver '%s'\n",
                   n.c_str());
      return 1;
    }
  }

  Report report(args);
  Table t("ASQ solvers, LogNormal(0,1), one thread, median of " +
          std::to_string(reps) + " (time / std::sort time, vNMSE / optimum)");
  t.columns(
      {"d", "s", "solver", "ms", "x sort", "vNMSE", "x opt", "lambda its"});
  for (auto &ds : dList) {
    int64_t d = int64_t(1) << std::stoi(ds);
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> LN(0.0, 1.0);
    std::vector<double> raw(d), work(d);
    for (auto &v : raw)
      v = LN(rng);
    // Reference: std::sort of the same data (copy not timed), measured
    // before and after the solvers of this d (the machines are shared).
    std::vector<double> times;
    auto timeSort = [&] {
      for (int r = 0; r < std::max(reps, 1) + 1; ++r) {
        work = raw;
        double t0 = now();
        std::sort(work.begin(), work.end());
        if (r > 0) // first run warms up
          times.push_back(now() - t0);
      }
    };
    timeSort();
    std::vector<double> sortedX = work;
    auto sortTime = [&] {
      std::vector<double> t = times;
      std::sort(t.begin(), t.end());
      return t[t.size() / 2];
    };
    const std::vector<double> &x = sortedX;
    struct Row {
      unsigned s;
      ASQSolver sv;
      double tm, v, optV;
      int its;
    };
    std::vector<Row> rows;
    for (auto &ss : sList) {
      unsigned s = static_cast<unsigned>(std::stoul(ss));
      // The optimum (from the fastest exact solver).
      ASQOptions eo;
      ASQResult opt;
      if (!solveASQ(x.data(), nullptr, d, s, eo, opt).ok())
        return 1;
      double optV = asqVNMSE(x.data(), nullptr, d, opt.values);
      for (ASQSolver sv : solvers) {
        ASQOptions o;
        o.solver = sv;
        ASQResult r;
        auto run = [&] {
          if (!solveASQ(x.data(), nullptr, d, s, o, r).ok())
            std::fprintf(stderr, "asq: solver failed\n");
        };
        // The first (untimed) run warms the per-thread scratch; solvers
        // slower than 2 s get 3 timed runs instead of R.
        double t0 = now();
        run();
        int myReps = (now() - t0) > 2.0 ? std::min(reps, 3) : reps;
        double tm = medianTime(run, myReps, 0);
        rows.push_back({s, sv, tm, asqVNMSE(x.data(), nullptr, d, r.values),
                        optV, r.lambdaIterations});
      }
    }
    timeSort();
    double tSort = sortTime();
    t.row({Table::Cell(d), "-", "std::sort", Table::Cell(tSort * 1e3),
           Table::Cell(1.0), "-", "-", "-"});
    report.figure("sort_ms_2^" + ds, tSort * 1e3);
    for (const Row &r : rows) {
      t.row({Table::Cell(d), Table::Cell(int64_t(r.s)), asqSolverName(r.sv),
             Table::Cell(r.tm * 1e3), Table::Cell(r.tm / tSort, 3),
             Table::Cell(r.v, 6), Table::Cell(r.v / r.optV, 8),
             Table::Cell(int64_t(r.its))});
      std::string key = std::string(asqSolverName(r.sv)) + "_2^" + ds + "_s" +
                        std::to_string(r.s);
      report.figure(key + "_x_sort", r.tm / tSort);
      report.figure(key + "_x_opt", r.v / r.optV);
    }
  }
  t.print();
  report.add(t);
  return report.finish("asq") ? 0 : 1;
}

QFORGE_BENCH("asq", "ASQ solvers: time / std::sort and vNMSE / optimum",
             benchASQ);
