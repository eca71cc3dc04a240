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
//   qforge-gpu-run --self-test                           (no GPU needed)
//   qforge-gpu-run --probe                               (0: device, 77: none)
//
// Exit status: 0 success, 1 wrong results or a failed CUDA call, 2 bad usage
// or a format the GPU lowering rejects, 77 no CUDA driver or device.
//
//===----------------------------------------------------------------------===//

#include "Check.h"
#include "CudaDriver.h"

#include "qforge/Conversion/Passes.h"
#include "qforge/Conversion/QFToGPU/QFToGPU.h"
#include "qforge/Dialect/QF/IR/QF.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

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
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
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
static cl::opt<bool> optCompileOnly("compile-only",
                                    cl::desc("Only compile to PTX"));
static cl::opt<bool>
    optSelfTest("self-test",
                cl::desc("Test the result checks on synthetic data"));
static cl::opt<bool> optProbe("probe",
                              cl::desc("Exit 0 if a CUDA device is usable, "
                                       "77 otherwise"));
static cl::opt<bool> optJSON("json", cl::desc("Print one JSON object"));

namespace {

struct KernelMeta {
  std::string name;
  std::array<int, 3> grid{1, 1, 1}, block{1, 1, 1};
  std::vector<std::string> args;
  /// Dynamic shared memory to pass at launch (qf.dynamic_shared_bytes).
  unsigned dynamicShared = 0;
  /// Bytes of the `scratch` and `workspace` arguments (qf.scratch_bytes,
  /// qf.workspace_bytes): global buffers the runner allocates.
  uint64_t scratchBytes = 0, workspaceBytes = 0;
};

int usage(const std::string &msg) {
  llvm::errs() << "qforge-gpu-run: " << msg << "\n";
  return 2;
}

bool parseShape(const std::string &s, int64_t &n, int64_t &k) {
  return std::sscanf(s.c_str(), "%ldx%ld", &n, &k) == 2 && n > 0 && k > 0;
}

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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// The device side of a run; returns the process exit status.
struct DeviceRun {
  CudaDriver cu;
  CUdevice dev = 0;
  std::string deviceName;
  int64_t l2Bytes = 0;

  int fail(const char *what, CUresult r) {
    llvm::errs() << "qforge-gpu-run: " << cu.error(what, r) << "\n";
    return 1;
  }
};

#define QF_CU(call, what)                                                      \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != CUDA_SUCCESS)                                                    \
      return run.fail(what, r_);                                               \
  } while (0)

/// Opens the driver and the first device; returns 0 or kExitNoDevice.
int openDevice(DeviceRun &run) {
  std::string why;
  if (!run.cu.load(why)) {
    llvm::errs() << "no CUDA device available (" << why << ")\n";
    return kExitNoDevice;
  }
  int count = 0;
  CUresult r = run.cu.init(0);
  if (r == CUDA_SUCCESS)
    r = run.cu.deviceGetCount(&count);
  if (r != CUDA_SUCCESS || count == 0) {
    llvm::errs() << "no CUDA device available ("
                 << (r != CUDA_SUCCESS ? run.cu.error("cuInit", r)
                                       : std::string("0 devices"))
                 << ")\n";
    return kExitNoDevice;
  }
  QF_CU(run.cu.deviceGet(&run.dev, 0), "cuDeviceGet");
  char name[256] = {0};
  QF_CU(run.cu.deviceGetName(name, sizeof(name), run.dev), "cuDeviceGetName");
  run.deviceName = name;
  int l2 = 0;
  QF_CU(run.cu.deviceGetAttribute(&l2, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE,
                                  run.dev),
        "cuDeviceGetAttribute");
  run.l2Bytes = l2;
  CUcontext ctx;
  QF_CU(run.cu.primaryCtxRetain(&ctx, run.dev), "cuDevicePrimaryCtxRetain");
  QF_CU(run.cu.ctxSetCurrent(ctx), "cuCtxSetCurrent");
  return 0;
}

} // namespace

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
  if (optProbe) {
    DeviceRun run;
    int rc = openDevice(run);
    if (rc == 0)
      llvm::outs() << "CUDA device: " << run.deviceName << "\n";
    return rc;
  }

  bool gemv = optKernel == "gemv";
  if (!gemv && optKernel != "dequant")
    return usage("--kernel must be dequant or gemv");
  int64_t n = 0, k = 0;
  if (!parseShape(optShape, n, k))
    return usage("--shape must be NxK");
  DType dt;
  if (!parseDType(optDType, dt))
    return usage("--dtype must be f16, bf16 or f32");
  int64_t m = optM;
  if (gemv && (m < 1 || m > 16))
    return usage("--m must be in [1, 16]");
  num::FormatSpec spec;
  if (num::Status s = num::FormatSpec::parse(optFormat, spec); !s)
    return usage("bad format: " + s.message());

  // The module to compile.
  std::string t = dtypeName(dt);
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
  if (!optPTXOut.empty()) {
    std::ofstream f(optPTXOut);
    f << ptx;
    if (!f) {
      llvm::errs() << "qforge-gpu-run: cannot write " << optPTXOut << "\n";
      return 2;
    }
  }
  if (optCompileOnly) {
    for (const KernelMeta &meta : kernels) {
      llvm::outs() << "kernel " << meta.name << " grid " << meta.grid[0] << "x"
                   << meta.grid[1] << "x" << meta.grid[2] << " block "
                   << meta.block[0] << "x" << meta.block[1] << "x"
                   << meta.block[2] << " args";
      for (const std::string &a : meta.args)
        llvm::outs() << " " << a;
      if (meta.dynamicShared)
        llvm::outs() << " dynamic-shared " << meta.dynamicShared;
      if (meta.scratchBytes)
        llvm::outs() << " scratch-bytes " << meta.scratchBytes;
      if (meta.workspaceBytes)
        llvm::outs() << " workspace-bytes " << meta.workspaceBytes;
      llvm::outs() << "\n";
    }
    llvm::outs() << "ptx-bytes " << ptx.size() << "\n";
    return 0;
  }

  DeviceRun run;
  if (int rc = openDevice(run))
    return rc;

  // Random weights (normal) and activations, the quantized tensor and the
  // CPU reference.
  std::vector<float> w = num::normalSamples(n * k, optSeed);
  num::QuantizedTensor q;
  num::QuantizeOptions qo;
  if (num::Status s = num::quantize(w.data(), {n, k}, spec, qo, q); !s)
    return usage("quantize: " + s.message());
  std::vector<float> ref(static_cast<size_t>(n * k));
  if (num::Status s = num::dequantize(q, ref.data()); !s)
    return usage("dequantize: " + s.message());
  std::vector<uint8_t> lhsBytes;
  std::vector<float> x;
  if (gemv) {
    x = num::normalSamples(m * k, optSeed + 1);
    lhsBytes = encode(x.data(), m * k, dt);
    x = decode(lhsBytes, dt); // as the kernel sees them
  }
  int64_t outElems = gemv ? m * n : n * k;
  uint64_t outBytes = static_cast<uint64_t>(outElems) * dtypeBytes(dt);

  // Device buffers, replicated so that a rotation exceeds 4x L2.
  uint64_t weightBytes = q.totalBytes();
  uint64_t perLaunch = weightBytes + lhsBytes.size() + outBytes;
  int copies = static_cast<int>(std::min<uint64_t>(
      64,
      std::max<uint64_t>(1, (4 * run.l2Bytes + perLaunch - 1) / perLaunch)));
  struct Buffers {
    std::map<std::string, CUdeviceptr> ptr;
  };
  std::vector<Buffers> bufs(copies);
  auto sectionOf = [](const std::string &name, num::Section &s) {
    static const std::pair<const char *, num::Section> names[] = {
        {"codes", num::Section::Codes},
        {"scales", num::Section::Scales},
        {"zero_points", num::Section::ZeroPoints},
        {"codebooks", num::Section::Codebooks},
        {"super_scales", num::Section::SuperScales},
        {"outliers", num::Section::Outliers}};
    for (const auto &[n, sec] : names)
      if (name == n) {
        s = sec;
        return true;
      }
    return false;
  };
  uint64_t scratchBytes = 0, workspaceBytes = 0;
  for (const KernelMeta &meta : kernels) {
    scratchBytes = std::max(scratchBytes, meta.scratchBytes);
    workspaceBytes = std::max(workspaceBytes, meta.workspaceBytes);
  }
  for (Buffers &b : bufs)
    for (const KernelMeta &meta : kernels)
      for (const std::string &a : meta.args) {
        if (b.ptr.count(a))
          continue;
        num::Section sec;
        const std::vector<uint8_t> *host = nullptr;
        uint64_t size = outBytes;
        if (sectionOf(a, sec)) {
          host = &q.section(sec);
          size = host->size();
        } else if (a == "lhs") {
          host = &lhsBytes;
          size = lhsBytes.size();
        } else if (a == "scratch") {
          size = scratchBytes;
        } else if (a == "workspace") {
          size = workspaceBytes;
        } else if (a != "out") {
          return usage("unknown kernel argument '" + a + "'");
        }
        CUdeviceptr p;
        QF_CU(run.cu.memAlloc(&p, std::max<uint64_t>(size, 1)), "cuMemAlloc");
        if (host)
          QF_CU(run.cu.memcpyHtoD(p, host->data(), size), "cuMemcpyHtoD");
        else
          QF_CU(run.cu.memsetD8(p, 0xFF, size), "cuMemsetD8");
        b.ptr[a] = p;
      }

  CUmodule mod;
  QF_CU(run.cu.moduleLoadDataEx(&mod, ptx.c_str(), 0, nullptr, nullptr),
        "cuModuleLoadDataEx (PTX JIT)");
  std::vector<CUfunction> fns;
  for (const KernelMeta &meta : kernels) {
    CUfunction fn;
    QF_CU(run.cu.moduleGetFunction(&fn, mod, meta.name.c_str()),
          "cuModuleGetFunction");
    if (meta.dynamicShared > 48 * 1024)
      QF_CU(run.cu.funcSetAttribute(
                fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                static_cast<int>(meta.dynamicShared)),
            "cuFuncSetAttribute (dynamic shared memory)");
    fns.push_back(fn);
  }
  // One run of the op: its kernels in order on the default stream.
  auto launch = [&](Buffers &b) -> CUresult {
    for (size_t i = 0; i < kernels.size(); ++i) {
      const KernelMeta &meta = kernels[i];
      std::vector<CUdeviceptr> vals;
      for (const std::string &a : meta.args)
        vals.push_back(b.ptr[a]);
      std::vector<void *> params;
      for (CUdeviceptr &v : vals)
        params.push_back(&v);
      CUresult r = run.cu.launchKernel(
          fns[i], meta.grid[0], meta.grid[1], meta.grid[2], meta.block[0],
          meta.block[1], meta.block[2], meta.dynamicShared, nullptr,
          params.data(), nullptr);
      if (r != CUDA_SUCCESS)
        return r;
    }
    return CUDA_SUCCESS;
  };

  // Correctness.
  QF_CU(launch(bufs[0]), "cuLaunchKernel");
  QF_CU(run.cu.ctxSynchronize(), "kernel execution");
  std::vector<uint8_t> got(outBytes);
  QF_CU(run.cu.memcpyDtoH(got.data(), bufs[0].ptr["out"], outBytes),
        "cuMemcpyDtoH");
  CheckResult check;
  if (!gemv) {
    check = checkDequant(ref.data(), got, n * k, dt);
  } else {
    std::vector<double> y, bound;
    referenceGemv(x.data(), ref.data(), m, n, k, y, bound);
    check = checkGemv(y, bound, got, dt, dt);
  }

  // Timing: batches of one rotation, median of the per-launch time.
  CUevent e0, e1;
  QF_CU(run.cu.eventCreate(&e0, CU_EVENT_DEFAULT), "cuEventCreate");
  QF_CU(run.cu.eventCreate(&e1, CU_EVENT_DEFAULT), "cuEventCreate");
  int iters = std::max(3, static_cast<int>(optIters));
  std::vector<double> times;
  for (int it = 0; it < iters + 1; ++it) {
    QF_CU(run.cu.eventRecord(e0, nullptr), "cuEventRecord");
    for (Buffers &b : bufs)
      QF_CU(launch(b), "cuLaunchKernel");
    QF_CU(run.cu.eventRecord(e1, nullptr), "cuEventRecord");
    QF_CU(run.cu.eventSynchronize(e1), "cuEventSynchronize");
    float ms = 0;
    QF_CU(run.cu.eventElapsedTime(&ms, e0, e1), "cuEventElapsedTime");
    if (it > 0) // the first batch warms up
      times.push_back(ms * 1e-3 / copies);
  }
  double sec = median(times);

  // Device-to-device copy of at least 4x L2 (and 256 MiB), same method.
  uint64_t copyBytes = std::max<uint64_t>(256ull << 20, 4 * run.l2Bytes);
  CUdeviceptr ca, cb;
  QF_CU(run.cu.memAlloc(&ca, copyBytes), "cuMemAlloc");
  QF_CU(run.cu.memAlloc(&cb, copyBytes), "cuMemAlloc");
  QF_CU(run.cu.memsetD8(ca, 1, copyBytes), "cuMemsetD8");
  std::vector<double> ctimes;
  for (int it = 0; it < iters + 1; ++it) {
    QF_CU(run.cu.eventRecord(e0, nullptr), "cuEventRecord");
    QF_CU(run.cu.memcpyDtoDAsync(cb, ca, copyBytes, nullptr),
          "cuMemcpyDtoDAsync");
    QF_CU(run.cu.eventRecord(e1, nullptr), "cuEventRecord");
    QF_CU(run.cu.eventSynchronize(e1), "cuEventSynchronize");
    float ms = 0;
    QF_CU(run.cu.eventElapsedTime(&ms, e0, e1), "cuEventElapsedTime");
    if (it > 0)
      ctimes.push_back(ms * 1e-3);
  }
  double copyGBs = 2.0 * copyBytes / median(ctimes) / 1e9;
  double gbs = perLaunch / sec / 1e9;
  double pct = 100.0 * gbs / copyGBs;

  if (optJSON) {
    llvm::outs() << "{\"device\": \"" << run.deviceName << "\", \"format\": \""
                 << spec.str() << "\", \"kernel\": \"" << optKernel
                 << "\", \"shape\": \"" << optShape
                 << "\", \"m\": " << (gemv ? m : 0) << ", \"dtype\": \"" << t
                 << "\", \"bytes\": " << perLaunch
                 << ", \"time_us\": " << sec * 1e6 << ", \"gbs\": " << gbs
                 << ", \"copy_gbs\": " << copyGBs << ", \"pct_copy\": " << pct
                 << ", \"check\": \"" << (check.ok ? "ok" : "FAILED")
                 << "\", \"rotation\": " << copies << "}\n";
  } else {
    llvm::outs() << llvm::format(
        "%-16s %-8s %-12s m=%-3ld %-5s %9.1f us %8.1f GB/s  %5.1f%% of copy "
        "(%.0f GB/s)  %s\n",
        spec.str().c_str(), optKernel.c_str(), optShape.c_str(), gemv ? m : 0L,
        t.c_str(), sec * 1e6, gbs, pct, copyGBs, check.ok ? "ok" : "FAILED");
  }
  if (!check.ok) {
    llvm::errs() << "qforge-gpu-run: wrong results on " << run.deviceName
                 << ": " << check.message << " (" << check.mismatches
                 << " mismatches)\n";
    return 1;
  }
  return 0;
}
