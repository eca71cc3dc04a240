//===- qforge-gpu-exec.cpp - Run QForge GPU kernels from a bundle ---------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The device half of qforge-gpu-run, without LLVM or MLIR: runs, checks and
// times the kernels of a bundle (Bundle.h) written by
//
//   qforge-gpu-run --compile-only --bundle-out k.qfb --kernel ... --format ...
//
// on a machine that has a GPU but no LLVM (bench/gpu.sh --prepare / --exec):
//
//   qforge-gpu-exec --bundle k.qfb [--kernel dequant|gemv] [--format F]
//                   [--shape NxK] [--m M] [--dtype f16|bf16|f32]
//                   [--iters N] [--seed S] [--json] [--gpu-lock FILE]
//   qforge-gpu-exec --probe | --self-test
//
// --kernel, --format, --shape, --m and --dtype default to the bundle's op
// and must agree with it (the kernels' grids and buffers are only valid for
// the op they were compiled for). Output and exit status are those of
// qforge-gpu-run: 0 success, 1 wrong results or a failed CUDA call, 2 bad
// usage or a malformed bundle, 77 no CUDA driver or device.
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"
#include "Check.h"
#include "Runner.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace qforge;
using namespace qforge::gpurun;

namespace {

constexpr const char *kTool = "qforge-gpu-exec";

int usage(const std::string &msg) {
  std::cerr << kTool << ": " << msg << "\n";
  return 2;
}

void printHelp() {
  std::cout
      << "USAGE: qforge-gpu-exec --bundle FILE [options]\n"
         "       qforge-gpu-exec --probe | --self-test\n\n"
         "Runs, checks and times the kernels of a bundle written by\n"
         "`qforge-gpu-run --compile-only --bundle-out FILE`.\n\n"
         "  --bundle FILE    the bundle to run\n"
         "  --kernel K       dequant or gemv (default: the bundle's)\n"
         "  --format F       format spec (default: the bundle's)\n"
         "  --shape NxK      weight shape (default: the bundle's)\n"
         "  --m M            activation rows, gemv (default: the bundle's)\n"
         "  --dtype T        f16, bf16 or f32 (default: the bundle's)\n"
         "  --iters N        timed repetitions (default 20)\n"
         "  --seed S         random seed (default 1)\n"
         "  --json           print one JSON object\n"
         "  --gpu-lock FILE  use the GPU while holding an exclusive flock on\n"
         "                   FILE (runs in parallel take turns)\n"
         "  --probe          exit 0 if a CUDA device is usable, 77 otherwise\n"
         "  --self-test      test the result checks on synthetic data\n";
}

/// A decimal integer (all of `s`) in [lo, hi].
bool parseInteger(const std::string &s, long long lo, long long hi,
                  long long &v) {
  if (s.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  v = std::strtoll(s.c_str(), &end, 10);
  return errno == 0 && end && *end == '\0' && v >= lo && v <= hi;
}

} // namespace

int main(int argc, char **argv) {
  std::string bundlePath, kernel, format, shape, dtype, gpuLock;
  long long m = -1, iters = 20, seed = 1;
  bool json = false, probe = false, selfTest = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    // --opt=value and --opt value; a single dash works too.
    if (a.size() > 1 && a[0] == '-' && a[1] != '-')
      a = "-" + a;
    std::string value;
    bool hasValue = false;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      hasValue = true;
    }
    auto takeValue = [&](std::string &out) {
      if (!hasValue) {
        if (i + 1 >= argc)
          return false;
        value = argv[++i];
      }
      out = value;
      return true;
    };
    auto takeInt = [&](long long lo, long long hi, long long &out) {
      std::string s;
      return takeValue(s) && parseInteger(s, lo, hi, out);
    };
    if (a == "--help" || a == "--h") {
      printHelp();
      return 0;
    } else if (a == "--json" && !hasValue) {
      json = true;
    } else if (a == "--probe" && !hasValue) {
      probe = true;
    } else if (a == "--self-test" && !hasValue) {
      selfTest = true;
    } else if (a == "--bundle") {
      if (!takeValue(bundlePath))
        return usage("--bundle needs a file");
    } else if (a == "--gpu-lock") {
      if (!takeValue(gpuLock))
        return usage("--gpu-lock needs a file");
    } else if (a == "--kernel") {
      if (!takeValue(kernel))
        return usage("--kernel needs a value");
    } else if (a == "--format") {
      if (!takeValue(format))
        return usage("--format needs a value");
    } else if (a == "--shape") {
      if (!takeValue(shape))
        return usage("--shape needs a value");
    } else if (a == "--dtype") {
      if (!takeValue(dtype))
        return usage("--dtype needs a value");
    } else if (a == "--m") {
      if (!takeInt(-(1ll << 40), 1ll << 40, m))
        return usage("--m needs an integer");
    } else if (a == "--iters") {
      if (!takeInt(1, 1 << 20, iters))
        return usage("--iters needs an integer in [1, 2^20]");
    } else if (a == "--seed") {
      if (!takeInt(0, (1ll << 62), seed))
        return usage("--seed needs a non-negative integer");
    } else {
      return usage("unknown argument '" + std::string(argv[i]) +
                   "' (see --help)");
    }
  }

  if (selfTest) {
    std::string e = selfTestChecks();
    if (!e.empty()) {
      std::cerr << "self-test FAILED: " << e << "\n";
      return 1;
    }
    std::cout << "self-test passed: dequant bit-exact and GEMV tolerance "
                 "checks accept exact results and reject perturbed ones\n";
    return 0;
  }
  if (probe)
    return probeDevice(kTool, std::cout, std::cerr);
  if (bundlePath.empty())
    return usage("--bundle FILE is required (see --help)");

  std::ifstream f(bundlePath, std::ios::binary);
  if (!f)
    return usage("cannot read " + bundlePath);
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad())
    return usage("cannot read " + bundlePath);
  Bundle b;
  std::string err;
  if (!parseBundle(text.str(), b, err))
    return usage("malformed bundle " + bundlePath + ": " + err);

  // The bundle's op, validated as qforge-gpu-run validates its options.
  RunOptions compiled;
  compiled.tool = kTool;
  compiled.kernel = b.kernel;
  compiled.format = b.format;
  compiled.shape = b.shape;
  compiled.m = b.kernel == "gemv" ? b.m : 1;
  compiled.dtype = b.dtype;
  RunConfig want;
  std::ostringstream why;
  if (parseRunOptions(compiled, want, why))
    return usage("malformed bundle " + bundlePath + ": bad 'op' line: " +
                 why.str().substr(std::strlen(kTool) + 2));
  if (want.gemv != (b.m != 0))
    return usage("malformed bundle " + bundlePath +
                 ": 'op' line: m must be 0 for dequant, in [1, 16] for gemv");

  // The options, defaulting to the bundle's op.
  RunOptions opts = compiled;
  if (!kernel.empty())
    opts.kernel = kernel;
  if (!format.empty())
    opts.format = format;
  if (!shape.empty())
    opts.shape = shape;
  if (m != -1)
    opts.m = m;
  if (!dtype.empty())
    opts.dtype = dtype;
  opts.iters = static_cast<int>(iters);
  opts.seed = static_cast<uint64_t>(seed);
  opts.json = json;
  opts.gpuLock = gpuLock;
  RunConfig cfg;
  if (int rc = parseRunOptions(opts, cfg, std::cerr))
    return rc;
  if (cfg.gemv != want.gemv || cfg.n != want.n || cfg.k != want.k ||
      cfg.m != want.m || cfg.dtype != want.dtype ||
      cfg.spec.str() != want.spec.str()) {
    std::ostringstream os;
    os << "the options (" << opts.kernel << " " << cfg.spec.str() << " "
       << cfg.n << "x" << cfg.k;
    if (cfg.gemv)
      os << " m=" << cfg.m;
    os << " " << dtypeName(cfg.dtype) << ") disagree with the op of "
       << bundlePath << " (" << b.kernel << " " << want.spec.str() << " "
       << want.n << "x" << want.k;
    if (want.gemv)
      os << " m=" << want.m;
    os << " " << dtypeName(want.dtype) << ")";
    return usage(os.str());
  }
  return runKernels(b.ptx, b.kernels, opts, cfg, std::cout, std::cerr);
}
