//===- qforge-gpu-run.cpp - Run and time QForge GPU kernels ---------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiles one qf.dequantize or qf.matmul for a format and shape through
// qf-lower-to-gpu and the NVVM pipeline (in process), loads the PTX with the
// CUDA driver API, runs it on random data, checks it against the CPU
// reference (qforge::num::dequantize; see Check.h for the rules) and times
// it with events against a device-to-device copy measured in the same run.
//
//   qforge-gpu-run --kernel dequant --format int4:g128:f16 --shape 16384x8192
//   qforge-gpu-run --kernel gemv --format q4_0 --shape 14336x4096 --m 1
//   qforge-gpu-run --compile-only --ptx-out k.ptx ...   (no GPU needed)
//   qforge-gpu-run --compile-only --bundle-out k.qfb ... (for qforge-gpu-exec)
//   qforge-gpu-run --self-test                           (no GPU needed)
//   qforge-gpu-run --probe                               (0: device, 77: none)
//
// Exit status: 0 success, 1 wrong results or a failed CUDA call, 2 bad usage
// or a format the GPU lowering rejects, 77 no CUDA driver or device.
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"
#include "Check.h"
#include "Runner.h"

#include "qforge/Conversion/Passes.h"
#include "qforge/Conversion/QFToGPU/QFToGPU.h"
#include "qforge/Dialect/QF/IR/QF.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <iostream>
#include <sstream>

using namespace qforge;
using namespace qforge::gpurun;
namespace cl = llvm::cl;

static cl::opt<std::string> optKernel("kernel", cl::desc("dequant or gemv"),
                                      cl::init("dequant"));
static cl::opt<std::string> optFormat("format", cl::desc("Format spec"),
                                      cl::init("int4:g128:f16"));
static cl::opt<std::string>
    optShape("shape", cl::desc("Weight shape NxK (gemv: [N, K] = nn.Linear)"),
             cl::init("4096x4096"));
static cl::opt<int64_t> optM("m", cl::desc("Activation rows (gemv)"),
                             cl::init(1));
static cl::opt<std::string> optDType("dtype",
                                     cl::desc("f16, bf16 or f32 (activations "
                                              "and outputs)"),
                                     cl::init("f16"));
static cl::opt<std::string> optChip("chip", cl::desc("sm_80, sm_90, ..."),
                                    cl::init("sm_90"));
static cl::opt<int> optIters("iters", cl::desc("Timed repetitions"),
                             cl::init(20));
static cl::opt<uint64_t> optSeed("seed", cl::desc("Random seed"), cl::init(1));
static cl::opt<std::string>
    optPTXOut("ptx-out", cl::desc("Write the PTX to this file"), cl::init(""));
static cl::opt<std::string> optBundleOut(
    "bundle-out",
    cl::desc("Write a bundle (kernel metadata and PTX) for qforge-gpu-exec "
             "to this file"),
    cl::init(""));
static cl::opt<bool> optCompileOnly("compile-only",
                                    cl::desc("Only compile to PTX"));
static cl::opt<bool>
    optSelfTest("self-test",
                cl::desc("Test the result checks on synthetic data"));
static cl::opt<bool> optProbe("probe",
                              cl::desc("Exit 0 if a CUDA device is usable, "
                                       "77 otherwise"));
static cl::opt<bool> optJSON("json", cl::desc("Print one JSON object"));
static cl::opt<std::string>
    optGPULock("gpu-lock",
               cl::desc("Use the GPU while holding an exclusive flock on this "
                        "file (runs in parallel take turns)"),
               cl::init(""));

namespace {

/// Builds the module, lowers it and returns the PTX and the metadata of its
/// kernels in launch order (a qf op may launch several: an outlier scatter
/// after a dequantization, the activation transform before a Kashin GEMV).
bool compile(const std::string &src, const std::string &chip, std::string &ptx,
             std::vector<KernelMeta> &kernels, std::string &err) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<qf::QFDialect>();
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::string diag;
  llvm::raw_string_ostream dos(diag);
  mlir::ScopedDiagnosticHandler h(&ctx, [&](mlir::Diagnostic &d) {
    dos << d.getLocation() << ": " << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  if (!module) {
    err = "cannot parse the generated module:\n" + diag;
    return false;
  }
  mlir::PassManager lower(&ctx);
  QFLowerToGPUOptions lo;
  lo.chip = chip;
  lower.addPass(createQFLowerToGPU(lo));
  if (mlir::failed(lower.run(*module))) {
    err = diag;
    return false;
  }
  module->walk([&](mlir::gpu::LaunchFuncOp launch) {
    auto f = mlir::SymbolTable::lookupNearestSymbolFrom<mlir::gpu::GPUFuncOp>(
        launch, launch.getKernel());
    if (!f)
      return;
    KernelMeta meta;
    meta.name = f.getName().str();
    if (auto b = f.getKnownBlockSize())
      for (int i = 0; i < 3; ++i)
        meta.block[i] = (*b)[i];
    if (auto g = f.getKnownGridSize())
      for (int i = 0; i < 3; ++i)
        meta.grid[i] = (*g)[i];
    if (auto a = f->getAttrOfType<mlir::ArrayAttr>("qf.kernel_args"))
      for (mlir::Attribute s : a)
        meta.args.push_back(llvm::cast<mlir::StringAttr>(s).str());
    if (auto d = f->getAttrOfType<mlir::IntegerAttr>("qf.dynamic_shared_bytes"))
      meta.dynamicShared = static_cast<unsigned>(d.getInt());
    if (auto sb = f->getAttrOfType<mlir::IntegerAttr>("qf.scratch_bytes"))
      meta.scratchBytes = static_cast<uint64_t>(sb.getInt());
    if (auto wb = f->getAttrOfType<mlir::IntegerAttr>("qf.workspace_bytes"))
      meta.workspaceBytes = static_cast<uint64_t>(wb.getInt());
    kernels.push_back(meta);
  });
  if (kernels.empty()) {
    err = "qf-lower-to-gpu produced no kernel";
    return false;
  }
  mlir::PassManager nvvm(&ctx);
  mlir::gpu::GPUToNVVMPipelineOptions nv;
  nv.cubinChip = chip;
  nv.cubinFeatures = defaultPTXFeatures(chip);
  nv.cubinFormat = "isa";
  nv.optLevel = 3;
  nv.kernelUseBarePtrCallConv = true;
  mlir::gpu::buildLowerToNVVMPassPipeline(nvvm, nv);
  if (mlir::failed(nvvm.run(*module))) {
    err = "NVVM lowering failed:\n" + diag;
    return false;
  }
  module->walk([&](mlir::gpu::BinaryOp bin) {
    for (mlir::Attribute a : bin.getObjects())
      if (auto o = llvm::dyn_cast<mlir::gpu::ObjectAttr>(a))
        ptx += o.getObject().getValue().str();
  });
  if (ptx.empty()) {
    err = "no PTX in the compiled module";
    return false;
  }
  return true;
}

} // namespace

/// Writes `text` to `path` byte for byte; false, with a message, on error.
static bool writeFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) {
    llvm::errs() << "qforge-gpu-run: cannot write " << path << "\n";
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "QForge GPU kernel runner\n");

  if (optSelfTest) {
    std::string e = selfTestChecks();
    if (!e.empty()) {
      llvm::errs() << "self-test FAILED: " << e << "\n";
      return 1;
    }
    llvm::outs() << "self-test passed: dequant bit-exact and GEMV tolerance "
                    "checks accept exact results and reject perturbed ones\n";
    return 0;
  }
  if (optProbe)
    return probeDevice("qforge-gpu-run", std::cout, std::cerr);

  RunOptions opts;
  opts.kernel = optKernel;
  opts.format = optFormat;
  opts.shape = optShape;
  opts.m = optM;
  opts.dtype = optDType;
  opts.iters = optIters;
  opts.seed = optSeed;
  opts.json = optJSON;
  opts.gpuLock = optGPULock;
  RunConfig cfg;
  if (int rc = parseRunOptions(opts, cfg, std::cerr))
    return rc;
  const bool gemv = cfg.gemv;
  const int64_t n = cfg.n, k = cfg.k, m = cfg.m;
  const num::FormatSpec &spec = cfg.spec;

  // The module to compile.
  std::string t = dtypeName(cfg.dtype);
  std::string wt = "!qf.tensor<" + std::to_string(n) + "x" + std::to_string(k) +
                   "x" + t + ", \"" + spec.str() + "\">";
  std::ostringstream src;
  if (!gemv) {
    std::string ot =
        "tensor<" + std::to_string(n) + "x" + std::to_string(k) + "x" + t + ">";
    src << "func.func @qf_run(%w: " << wt << ") -> " << ot << " {\n"
        << "  %0 = qf.dequantize %w : " << wt << " -> " << ot << "\n"
        << "  return %0 : " << ot << "\n}\n";
  } else {
    std::string xt =
        "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "x" + t + ">";
    std::string yt =
        "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "x" + t + ">";
    src << "func.func @qf_run(%x: " << xt << ", %w: " << wt << ") -> " << yt
        << " {\n"
        << "  %0 = qf.matmul %x, %w {transpose_weight} : " << xt << ", " << wt
        << " -> " << yt << "\n"
        << "  return %0 : " << yt << "\n}\n";
  }
  std::string ptx, err;
  std::vector<KernelMeta> kernels;
  if (!compile(src.str(), optChip, ptx, kernels, err)) {
    llvm::errs() << "qforge-gpu-run: " << err;
    return 2;
  }
  if (!optPTXOut.empty() && !writeFile(optPTXOut, ptx))
    return 2;
  if (!optBundleOut.empty()) {
    Bundle b;
    b.kernel = optKernel;
    b.format = spec.str();
    b.shape = optShape;
    b.m = m;
    b.dtype = t;
    b.chip = optChip;
    b.kernels = kernels;
    b.ptx = ptx;
    if (!writeFile(optBundleOut, printBundle(b)))
      return 2;
  }
  if (optCompileOnly) {
    for (const KernelMeta &meta : kernels)
      llvm::outs() << describeKernel(meta) << "\n";
    llvm::outs() << "ptx-bytes " << ptx.size() << "\n";
    return 0;
  }

  return runKernels(ptx, kernels, opts, cfg, std::cout, std::cerr);
}
