//===- Runner.cpp - Running compiled QForge GPU kernels -------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Runner.h"

#include "CudaDriver.h"

#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <ostream>
#include <sstream>

using namespace qforge;
using namespace qforge::gpurun;

std::string qforge::gpurun::describeKernel(const KernelMeta &meta) {
  std::ostringstream os;
  os << "kernel " << meta.name << " grid " << meta.grid[0] << "x"
     << meta.grid[1] << "x" << meta.grid[2] << " block " << meta.block[0] << "x"
     << meta.block[1] << "x" << meta.block[2] << " args";
  for (const std::string &a : meta.args)
    os << " " << a;
  if (meta.dynamicShared)
    os << " dynamic-shared " << meta.dynamicShared;
  if (meta.scratchBytes)
    os << " scratch-bytes " << meta.scratchBytes;
  if (meta.workspaceBytes)
    os << " workspace-bytes " << meta.workspaceBytes;
  return os.str();
}

namespace {

int usage(const std::string &tool, std::ostream &err, const std::string &msg) {
  err << tool << ": " << msg << "\n";
  return 2;
}

bool parseShape(const std::string &s, int64_t &n, int64_t &k) {
  char tail = 0;
  return std::sscanf(s.c_str(), "%ldx%ld%c", &n, &k, &tail) == 2 && n > 0 &&
         k > 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// printf into a std::string.
template <typename... Args>
std::string formatted(const char *fmt, Args... args) {
  int len = std::snprintf(nullptr, 0, fmt, args...);
  std::string s(len > 0 ? static_cast<size_t>(len) : 0, '\0');
  if (len > 0)
    std::snprintf(&s[0], s.size() + 1, fmt, args...);
  return s;
}

/// The device side of a run.
struct DeviceRun {
  std::string tool;
  std::ostream &err;
  CudaDriver cu;
  CUdevice dev = 0;
  std::string deviceName;
  int64_t l2Bytes = 0;

  bool retained = false;

  DeviceRun(std::string tool, std::ostream &err)
      : tool(std::move(tool)), err(err) {}
  DeviceRun(const DeviceRun &) = delete;
  DeviceRun &operator=(const DeviceRun &) = delete;
  /// Releases the primary context, which frees its memory.
  ~DeviceRun() { releaseContext(); }
  void releaseContext() {
    if (retained)
      cu.primaryCtxRelease(dev);
    retained = false;
  }

  int fail(const char *what, CUresult r) {
    err << tool << ": " << cu.error(what, r) << "\n";
    return 1;
  }
};

#define QF_CU(call, what)                                                      \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != CUDA_SUCCESS)                                                    \
      return run.fail(what, r_);                                               \
  } while (0)

/// Opens the driver and the first device; returns 0, 1 or kExitNoDevice.
int openDevice(DeviceRun &run) {
  std::string why;
  if (!run.cu.load(why)) {
    run.err << "no CUDA device available (" << why << ")\n";
    return kExitNoDevice;
  }
  int count = 0;
  CUresult r = run.cu.init(0);
  if (r == CUDA_SUCCESS)
    r = run.cu.deviceGetCount(&count);
  if (r != CUDA_SUCCESS || count == 0) {
    run.err << "no CUDA device available ("
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
  return 0;
}

/// Makes the primary context of the device current (released by ~DeviceRun).
int enterContext(DeviceRun &run) {
  CUcontext ctx;
  QF_CU(run.cu.primaryCtxRetain(&ctx, run.dev), "cuDevicePrimaryCtxRetain");
  run.retained = true;
  QF_CU(run.cu.ctxSetCurrent(ctx), "cuCtxSetCurrent");
  return 0;
}

/// An exclusive flock(2) on a file, held until destruction.
class FileLock {
public:
  FileLock() = default;
  FileLock(const FileLock &) = delete;
  FileLock &operator=(const FileLock &) = delete;
  ~FileLock() { release(); }
  /// Blocks until the lock is held; on failure returns false and says why.
  bool acquire(const std::string &path, std::string &why) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
      why = "cannot open the GPU lock " + path + ": " + std::strerror(errno);
      return false;
    }
    int r;
    do
      r = ::flock(fd, LOCK_EX);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
      why = "cannot lock " + path + ": " + std::strerror(errno);
      release();
      return false;
    }
    return true;
  }
  void release() {
    if (fd >= 0)
      ::close(fd); // drops the lock
    fd = -1;
  }

private:
  int fd = -1;
};

/// The section of the quantized tensor a kernel argument names
/// (num::sectionName, as qf-lower-to-gpu names them).
bool sectionOf(const std::string &name, num::Section &s) {
  for (unsigned i = 0; i < num::kNumSections; ++i)
    if (name == num::sectionName(static_cast<num::Section>(i))) {
      s = static_cast<num::Section>(i);
      return true;
    }
  return false;
}

} // namespace

int qforge::gpurun::parseRunOptions(const RunOptions &opts, RunConfig &cfg,
                                    std::ostream &err) {
  cfg.gemv = opts.kernel == "gemv";
  if (!cfg.gemv && opts.kernel != "dequant")
    return usage(opts.tool, err, "--kernel must be dequant or gemv");
  if (!parseShape(opts.shape, cfg.n, cfg.k))
    return usage(opts.tool, err, "--shape must be NxK");
  if (!parseDType(opts.dtype, cfg.dtype))
    return usage(opts.tool, err, "--dtype must be f16, bf16 or f32");
  cfg.m = cfg.gemv ? opts.m : 0;
  if (cfg.gemv && (cfg.m < 1 || cfg.m > 16))
    return usage(opts.tool, err, "--m must be in [1, 16]");
  if (num::Status s = num::FormatSpec::parse(opts.format, cfg.spec); !s)
    return usage(opts.tool, err, "bad format: " + s.message());
  return 0;
}

int qforge::gpurun::probeDevice(const std::string &tool, std::ostream &out,
                                std::ostream &err) {
  DeviceRun run(tool, err);
  int rc = openDevice(run);
  if (rc == 0)
    rc = enterContext(run);
  if (rc == 0)
    out << "CUDA device: " << run.deviceName << "\n";
  return rc;
}

int qforge::gpurun::runKernels(const std::string &ptx,
                               const std::vector<KernelMeta> &kernels,
                               const RunOptions &opts, const RunConfig &cfg,
                               std::ostream &out, std::ostream &err) {
  const std::string &tool = opts.tool;
  if (kernels.empty())
    return usage(tool, err, "no kernel to run");
  DeviceRun run(tool, err);
  if (int rc = openDevice(run))
    return rc;

  const bool gemv = cfg.gemv;
  const int64_t n = cfg.n, k = cfg.k, m = cfg.m;
  const DType dt = cfg.dtype;
  const std::string t = dtypeName(dt);

  // Random weights (normal) and activations, the quantized tensor and the
  // CPU reference.
  std::vector<float> w = num::normalSamples(n * k, opts.seed);
  num::QuantizedTensor q;
  num::QuantizeOptions qo;
  if (num::Status s = num::quantize(w.data(), {n, k}, cfg.spec, qo, q); !s)
    return usage(tool, err, "quantize: " + s.message());
  std::vector<float> ref(static_cast<size_t>(n * k));
  if (num::Status s = num::dequantize(q, ref.data()); !s)
    return usage(tool, err, "dequantize: " + s.message());
  std::vector<uint8_t> lhsBytes;
  std::vector<float> x;
  if (gemv) {
    x = num::normalSamples(m * k, opts.seed + 1);
    lhsBytes = encode(x.data(), m * k, dt);
    x = decode(lhsBytes, dt); // as the kernel sees them
  }
  std::vector<double> y, bound;
  if (gemv)
    referenceGemv(x.data(), ref.data(), m, n, k, y, bound);
  int64_t outElems = gemv ? m * n : n * k;
  uint64_t outBytes = static_cast<uint64_t>(outElems) * dtypeBytes(dt);

  // The device work, one run at a time where runs share a lock.
  FileLock lock;
  if (!opts.gpuLock.empty()) {
    std::string why;
    if (!lock.acquire(opts.gpuLock, why)) {
      err << tool << ": " << why << "\n";
      return 1;
    }
  }
  if (int rc = enterContext(run))
    return rc;

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
          return usage(tool, err, "unknown kernel argument '" + a + "'");
        }
        CUdeviceptr p;
        QF_CU(run.cu.memAlloc(&p, std::max<uint64_t>(size, 1)), "cuMemAlloc");
        if (host)
          QF_CU(run.cu.memcpyHtoD(p, host->data(), size), "cuMemcpyHtoD");
        else
          QF_CU(run.cu.memsetD8(p, 0xFF, size), "cuMemsetD8");
        b.ptr[a] = p;
      }
  if (!bufs[0].ptr.count("out"))
    return usage(tool, err, "no kernel writes the 'out' argument");

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

  // Timing: batches of one rotation, median of the per-launch time.
  CUevent e0, e1;
  QF_CU(run.cu.eventCreate(&e0, CU_EVENT_DEFAULT), "cuEventCreate");
  QF_CU(run.cu.eventCreate(&e1, CU_EVENT_DEFAULT), "cuEventCreate");
  int iters = std::max(3, opts.iters);
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
  run.releaseContext();
  lock.release();

  CheckResult check = gemv ? checkGemv(y, bound, got, dt, dt)
                           : checkDequant(ref.data(), got, n * k, dt);
  double copyGBs = 2.0 * copyBytes / median(ctimes) / 1e9;
  double gbs = perLaunch / sec / 1e9;
  double pct = 100.0 * gbs / copyGBs;

  if (opts.json) {
    // Numbers as "%e" (what llvm::raw_ostream printed before the split).
    out << "{\"device\": \"" << run.deviceName << "\", \"format\": \""
        << cfg.spec.str() << "\", \"kernel\": \"" << opts.kernel
        << "\", \"shape\": \"" << opts.shape << "\", \"m\": " << m
        << ", \"dtype\": \"" << t << "\", \"bytes\": " << perLaunch
        << ", \"time_us\": " << formatted("%e", sec * 1e6)
        << ", \"gbs\": " << formatted("%e", gbs)
        << ", \"copy_gbs\": " << formatted("%e", copyGBs)
        << ", \"pct_copy\": " << formatted("%e", pct) << ", \"check\": \""
        << (check.ok ? "ok" : "FAILED") << "\", \"rotation\": " << copies
        << "}\n";
  } else {
    out << formatted("%-16s %-8s %-12s m=%-3ld %-5s %9.1f us %8.1f GB/s  "
                     "%5.1f%% of copy (%.0f GB/s)  %s\n",
                     cfg.spec.str().c_str(), opts.kernel.c_str(),
                     opts.shape.c_str(), static_cast<long>(m), t.c_str(),
                     sec * 1e6, gbs, pct, copyGBs, check.ok ? "ok" : "FAILED");
  }
  out.flush();
  if (!check.ok) {
    err << tool << ": wrong results on " << run.deviceName << ": "
        << check.message << " (" << check.mismatches << " mismatches)\n";
    return 1;
  }
  return 0;
}
