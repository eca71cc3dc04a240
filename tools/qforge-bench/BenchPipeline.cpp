//===- BenchPipeline.cpp - qforge-bench pipeline / allocation -------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `pipeline`: time and peak memory of qf-quantize-pipeline{avg-bits=...} on
// a generated module of square f32 matrices (dense_resource weights in MLIR
// bytecode), run by quant-opt in a child process (wait4 gives its peak RSS).
// `--large` is the scale case: 32 matrices of 4096x4096.
//
// `allocation`: the headline of Orr et al. on a synthetic model: 64 tensors
// with Student-t weights and Fisher values spread over 3 orders of
// magnitude; measured (rate, predicted-KL) points of int2..int8 formats; the
// bits per parameter Fisher allocation needs to reach the predicted KL of
// uniform 4-bit, and the saving.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "qforge/Numerics/Allocation.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace qforge::bench;
namespace num = qforge::num;

//===----------------------------------------------------------------------===//
// pipeline
//===----------------------------------------------------------------------===//

/// Writes the generated model as MLIR bytecode; returns false on error.
static bool writeModel(const std::string &path, int64_t matrices, int64_t n,
                       uint64_t seed) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::linalg::LinalgDialect, mlir::tensor::TensorDialect>();
  std::string t =
      "tensor<" + std::to_string(n) + "x" + std::to_string(n) + "xf32>";
  std::string v = "tensor<1x" + std::to_string(n) + "xf32>";
  std::string src;
  llvm::raw_string_ostream os(src);
  os << "func.func @model(%x0: " << v << ") -> " << v << " {\n"
     << "  %z = arith.constant 0.0 : f32\n";
  for (int64_t i = 0; i < matrices; ++i) {
    os << "  %w" << i << " = arith.constant dense_resource<w" << i
       << "> : " << t << " loc(\"layers." << i << ".fc.weight\")\n"
       << "  %e" << i << " = tensor.empty() : " << v << "\n"
       << "  %i" << i << " = linalg.fill ins(%z : f32) outs(%e" << i << " : "
       << v << ") -> " << v << "\n"
       << "  %x" << i + 1
       << " = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, "
          "k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> "
          "(m, n)>] ins(%x"
       << i << ", %w" << i << " : " << v << ", " << t << ") outs(%i" << i
       << " : " << v << ") -> " << v << "\n";
  }
  os << "  return %x" << matrices << " : " << v << "\n}\n";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  if (!module)
    return false;
  // Fill the blobs: N(0, 0.02^2) weights, one random stream per matrix.
  std::vector<mlir::arith::ConstantOp> consts;
  module->walk([&](mlir::arith::ConstantOp c) {
    if (llvm::isa<mlir::DenseResourceElementsAttr>(c.getValue()))
      consts.push_back(c);
  });
  int64_t numel = n * n;
  std::vector<mlir::AsmResourceBlob> blobs(consts.size());
  for (size_t i = 0; i < consts.size(); ++i)
    blobs[i] = mlir::HeapAsmResourceBlob::allocate(numel * 4, alignof(float));
  num::parallelFor(
      static_cast<int64_t>(consts.size()), 1, 0, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          num::Rng rng = num::Rng::stream(seed, i);
          auto *p = reinterpret_cast<float *>(blobs[i].getMutableData().data());
          for (int64_t j = 0; j < numel; ++j)
            p[j] = static_cast<float>(0.02 * rng.normal());
        }
      });
  for (size_t i = 0; i < consts.size(); ++i) {
    auto attr =
        llvm::cast<mlir::DenseResourceElementsAttr>(consts[i].getValue());
    attr.getRawHandle().getResource()->setBlob(std::move(blobs[i]));
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return false;
  return mlir::succeeded(mlir::writeBytecodeToFile(*module, out));
}

static std::string siblingTool(const char *argv0, const char *name) {
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&siblingTool));
  llvm::SmallString<256> p(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(p, name);
  return std::string(p);
}

static int benchPipeline(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench pipeline [--large] [--matrices M] [--size N]\n"
        "                      [--avg-bits B] [--method closed-form|rd-exact]\n"
        "                      [--threads T] [--keep FILE]\n"
        "                      [--json [FILE]]\n"
        "  Generates M f32 NxN weights (default 8 x 1024; --large: 32 x 4096,\n"
        "  the 0.5-billion-parameter case) in MLIR bytecode and times\n"
        "  quant-opt -qf-quantize-pipeline{avg-bits=B} on it (output as\n"
        "  bytecode to /dev/null) in a child process: wall time and peak\n"
        "  RSS, as a ratio to the float weights.\n");
    return 0;
  }
  for (auto &k :
       args.unknown({"large", "matrices", "size", "avg-bits", "method",
                     "threads", "keep", "seed", "json", "help"})) {
    std::fprintf(stderr, "qforge-bench pipeline: unknown option --%s\n",
                 k.c_str());
    return 1;
  }
  bool large = args.has("large");
  int64_t matrices = args.getInt("matrices", large ? 32 : 8);
  int64_t n = args.getInt("size", large ? 4096 : 1024);
  double avgBits = args.getDouble("avg-bits", 4.0);
  int64_t threads = args.getInt("threads", 0);
  uint64_t seed = static_cast<uint64_t>(args.getInt("seed", 1));
  if (matrices <= 0 || n <= 0 || n % 64 != 0) {
    std::fprintf(stderr, "qforge-bench pipeline: need matrices > 0 and a "
                         "size that is a positive multiple of 64\n");
    return 1;
  }
  std::string path = args.get("keep");
  llvm::SmallString<128> tmp;
  if (path.empty()) {
    if (llvm::sys::fs::createTemporaryFile("qforge-pipeline", "mlirbc", tmp)) {
      std::fprintf(stderr, "qforge-bench pipeline: cannot create a file\n");
      return 1;
    }
    path = std::string(tmp);
  }
  double t0 = now();
  if (!writeModel(path, matrices, n, seed)) {
    std::fprintf(stderr, "qforge-bench pipeline: cannot write %s\n",
                 path.c_str());
    return 1;
  }
  double genSecs = now() - t0;
  std::string method = args.get("method", "closed-form");
  std::string quantOpt = siblingTool(argv[0], "quant-opt");
  std::string pipeline =
      "-qf-quantize-pipeline=avg-bits=" + std::to_string(avgBits) +
      " method=" + method + " threads=" + std::to_string(threads);
  std::vector<std::string> argvS = {quantOpt,          path, pipeline,
                                    "--emit-bytecode", "-o", "/dev/null"};
  std::vector<char *> cargv;
  for (auto &s : argvS)
    cargv.push_back(s.data());
  cargv.push_back(nullptr);
  double start = now();
  pid_t pid = fork();
  if (pid == 0) {
    execv(quantOpt.c_str(), cargv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
    std::fprintf(stderr, "qforge-bench pipeline: cannot run %s\n",
                 quantOpt.c_str());
    return 1;
  }
  double secs = now() - start;
  if (args.get("keep").empty())
    llvm::sys::fs::remove(path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr,
                 "qforge-bench pipeline: quant-opt failed (status "
                 "%d)\n",
                 status);
    return 1;
  }
  double floatBytes = double(matrices) * double(n) * double(n) * 4.0;
  double peak = double(ru.ru_maxrss) * 1024.0; // Linux: kilobytes
  Report report(args);
  Table tab("qf-quantize-pipeline{avg-bits=" + std::to_string(avgBits) +
            " method=" + method +
            "} via quant-opt (bytecode in, bytecode to /dev/null)");
  tab.columns({"matrices", "size", "params", "float MB", "gen s", "time s",
               "MB/s", "peak RSS MB", "peak / float"});
  tab.row({Table::Cell(matrices), Table::Cell(n), Table::Cell(matrices * n * n),
           Table::Cell(floatBytes / 1e6, 5), Table::Cell(genSecs, 3),
           Table::Cell(secs, 4), Table::Cell(floatBytes / 1e6 / secs, 4),
           Table::Cell(peak / 1e6, 5), Table::Cell(peak / floatBytes, 3)});
  tab.print();
  report.add(tab);
  report.figure("seconds", secs);
  report.figure("peak_rss_bytes", peak);
  report.figure("peak_over_float", peak / floatBytes);
  return report.finish("pipeline") ? 0 : 1;
}

QFORGE_BENCH("pipeline",
             "time and peak memory of qf-quantize-pipeline on a generated "
             "model (--large: 32 x 4096x4096 f32)",
             benchPipeline);

//===----------------------------------------------------------------------===//
// allocation
//===----------------------------------------------------------------------===//

static int benchAllocation(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench allocation [--tensors 64] [--numel 32768] [--nu 5]\n"
        "                        [--decades 3] [--seed N] [--threads T]\n"
        "                        [--candidates int2:g64:f16,...] [--json]\n"
        "  Synthetic model: tensor i has numel*(1 + i%%4) Student-t(nu)\n"
        "  weights of scale exp(U(-1,1)) and Fisher 10^(decades*U(0,1)).\n"
        "  Measures every candidate's MSE, then finds the smallest budget\n"
        "  at which Fisher allocation (rd-exact, closed form) reaches the\n"
        "  predicted KL 1/2 sum F n MSE of uniform int4:g64:f16.\n");
    return 0;
  }
  for (auto &k : args.unknown({"tensors", "numel", "nu", "decades", "seed",
                               "threads", "candidates", "json", "help"})) {
    std::fprintf(stderr, "qforge-bench allocation: unknown option --%s\n",
                 k.c_str());
    return 1;
  }
  int64_t T = args.getInt("tensors", 64);
  int64_t base = args.getInt("numel", 32768);
  double nu = args.getDouble("nu", 5.0);
  double decades = args.getDouble("decades", 3.0);
  uint64_t seed = static_cast<uint64_t>(args.getInt("seed", 1));
  unsigned threads = static_cast<unsigned>(args.getInt("threads", 0));
  std::vector<std::string> specs = args.getList(
      "candidates", {"int2:g64:f16", "int3:g64:f16", "int4:g64:f16",
                     "int5:g64:f16", "int6:g64:f16", "int8:g64:f16"});
  std::vector<num::FormatSpec> formats;
  int uniformIdx = -1;
  for (auto &s : specs) {
    num::FormatSpec f;
    if (!num::FormatSpec::parse(s, f).ok() || !f.verify().ok()) {
      std::fprintf(stderr, "qforge-bench allocation: bad format '%s'\n",
                   s.c_str());
      return 1;
    }
    if (f.str() == "int4:g64:f16")
      uniformIdx = static_cast<int>(formats.size());
    formats.push_back(f);
  }
  if (uniformIdx < 0) {
    std::fprintf(stderr, "qforge-bench allocation: the candidates must "
                         "include int4:g64:f16 (the uniform reference)\n");
    return 1;
  }
  if (T <= 0 || base <= 0 || base % 64 != 0) {
    std::fprintf(stderr, "qforge-bench allocation: need tensors > 0 and "
                         "numel a positive multiple of 64\n");
    return 1;
  }
  // The synthetic model.
  num::Rng meta(seed);
  std::vector<int64_t> numel(T);
  std::vector<double> fisher(T), scale(T);
  for (int64_t i = 0; i < T; ++i) {
    numel[i] = base * (1 + i % 4);
    scale[i] = std::exp(2 * meta.uniform() - 1);
    fisher[i] = std::pow(10.0, decades * meta.uniform());
  }
  size_t K = formats.size();
  std::vector<double> mse(T * K, 0), var(T, 0);
  double t0 = now();
  num::parallelFor(T, 1, threads, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      std::vector<float> w =
          num::studentTSamples(numel[i], nu, num::mixSeed(seed, i + 1));
      double s2 = 0;
      for (float &x : w) {
        x = static_cast<float>(x * scale[i]);
        s2 += double(x) * x;
      }
      var[i] = s2 / double(numel[i]);
      std::vector<float> back(numel[i]);
      for (size_t k = 0; k < K; ++k) {
        num::QuantizeOptions o;
        o.threads = 1;
        num::QuantizedTensor q;
        if (!num::quantize(w.data(), {numel[i] / 64, 64}, formats[k], o, q)
                 .ok() ||
            !num::dequantize(q, back.data(), 1).ok()) {
          mse[i * K + k] = -1;
          continue;
        }
        mse[i * K + k] = num::mse(w.data(), back.data(), numel[i]);
      }
    }
  });
  double measureSecs = now() - t0;
  for (double m : mse)
    if (m < 0) {
      std::fprintf(stderr, "qforge-bench allocation: quantization failed\n");
      return 1;
    }
  std::vector<num::AllocUnit> units(T);
  std::vector<num::AllocTensor> model(T);
  double sumN = 0, klUniform = 0;
  for (int64_t i = 0; i < T; ++i) {
    units[i].numel = numel[i];
    for (size_t k = 0; k < K; ++k) {
      double rate = 8.0 *
                    double(num::storageBytes(formats[k], {numel[i] / 64, 64})) /
                    double(numel[i]);
      units[i].options.push_back(
          {rate, 0.5 * fisher[i] * double(numel[i]) * mse[i * K + k]});
    }
    model[i] = {numel[i], fisher[i], var[i]};
    sumN += double(numel[i]);
    klUniform += units[i].options[uniformIdx].distortion;
  }
  double uniformRate = units[0].options[uniformIdx].rate;
  double minRate = 1e30;
  for (auto &u : units)
    for (auto &o : u.options)
      minRate = std::min(minRate, o.rate);
  // Smallest budget whose allocation reaches the uniform KL (bisection; the
  // optimum of rd-exact is monotone in the budget).
  auto search = [&](bool closedForm, num::AllocResult &best) {
    double lo = minRate, hi = uniformRate;
    bool found = false;
    for (int it = 0; it < 40; ++it) {
      double mid = 0.5 * (lo + hi);
      num::AllocResult r;
      num::Status s = closedForm ? num::closedFormAllocate(units, model, mid, r)
                                 : num::rdExactAllocate(units, mid * sumN, r);
      if (s.ok() && r.distortion <= klUniform) {
        hi = mid;
        best = r;
        found = true;
      } else {
        lo = mid;
      }
    }
    return found;
  };
  num::AllocResult rd, cf;
  bool rdOk = search(false, rd), cfOk = search(true, cf);
  Report report(args);
  Table tab("Fisher allocation vs uniform int4:g64:f16 at equal predicted "
            "KL (" +
            std::to_string(T) + " Student-t(" +
            std::to_string(static_cast<int>(nu)) + ") tensors, Fisher over " +
            std::to_string(static_cast<int>(decades)) + " decades)");
  tab.columns({"allocation", "bits/param", "predicted KL", "saved bits/param"});
  tab.row({"uniform int4:g64:f16", Table::Cell(uniformRate, 5),
           Table::Cell(klUniform, 5), Table::Cell(0.0, 3)});
  if (rdOk)
    tab.row({"Fisher, rd-exact", Table::Cell(rd.bitsPerParam, 5),
             Table::Cell(rd.distortion, 5),
             Table::Cell(uniformRate - rd.bitsPerParam, 4)});
  if (cfOk)
    tab.row({"Fisher, closed form", Table::Cell(cf.bitsPerParam, 5),
             Table::Cell(cf.distortion, 5),
             Table::Cell(uniformRate - cf.bitsPerParam, 4)});
  tab.print();
  std::printf("measured %lld tensors x %zu formats in %.2f s\n",
              static_cast<long long>(T), K, measureSecs);
  if (rdOk)
    std::printf("headline: Fisher allocation (rd-exact) saves %.3f "
                "bits/param at the predicted KL of uniform 4-bit\n",
                uniformRate - rd.bitsPerParam);
  report.add(tab);
  report.figure("saved_bits_rd_exact",
                rdOk ? uniformRate - rd.bitsPerParam : 0);
  report.figure("saved_bits_closed_form",
                cfOk ? uniformRate - cf.bitsPerParam : 0);
  return report.finish("allocation") ? 0 : 1;
}

QFORGE_BENCH("allocation",
             "bits/param saved by Fisher allocation at the predicted KL of "
             "uniform 4-bit (synthetic 64-tensor model)",
             benchAllocation);
