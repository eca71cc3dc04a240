//===- BenchGGML.cpp - qforge-bench ggml ----------------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The GEMV (M = 1) of llama.cpp's ggml CPU backend next to QForge's generated
// kernels, on the same weight bytes (q4_0, q8_0 and q4_k are ggml's block
// layouts), in the same harness as `qforge-bench gemv`: two threads, one
// half of the rows each (ggml computes its half with one thread), weights
// rotating over enough copies to exceed 450 MB on the same pages, the read
// reference measured right before and after each row.
//
// ggml is not a dependency: its shared libraries are opened at run time
// from --lib DIR (libggml-base.so and libggml-cpu-<variant>.so, e.g. the
// prebuilt ones of node-llama-cpp: bench/fetch-ggml.sh). Only functions
// whose signatures take opaque pointers, scalars and ggml_init_params are
// called, so no ggml header is needed.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"
#include "CPUKernels.h"

#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/Metrics.h"
#include "qforge/Numerics/Random.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <malloc.h>
#include <sys/mman.h>

using namespace qforge;
using namespace qforge::bench;

namespace {

/// The subset of ggml's C API this benchmark calls.
struct GGML {
  struct InitParams {
    size_t memSize;
    void *memBuffer;
    bool noAlloc;
  };
  void *(*init)(InitParams) = nullptr;
  void (*free)(void *) = nullptr;
  size_t (*tensorOverhead)() = nullptr;
  size_t (*graphOverhead)() = nullptr;
  void *(*newTensor2d)(void *, int, int64_t, int64_t) = nullptr;
  void *(*getData)(void *) = nullptr;
  size_t (*nbytes)(void *) = nullptr;
  void *(*mulMat)(void *, void *, void *) = nullptr;
  void *(*newGraph)(void *) = nullptr;
  void (*buildForwardExpand)(void *, void *) = nullptr;
  int (*computeWithCtx)(void *, void *, int) = nullptr;
  void (*cpuInit)() = nullptr;
  // The backend API, for the CPU_REPACK buffer type (the interleaved
  // layouts llama.cpp repacks weights into when it loads a model).
  void *(*cpuBackendInit)() = nullptr;
  void (*cpuSetThreads)(void *, int) = nullptr;
  void *(*cpuReg)() = nullptr;
  void *(*regDevGet)(void *, size_t) = nullptr;
  void *(*regProcAddress)(void *, const char *) = nullptr;
  const char *(*buftName)(void *) = nullptr;
  void *(*allocFromBuft)(void *, void *) = nullptr;
  void *(*allocCtxTensors)(void *, void *) = nullptr;
  void *(*bufferBase)(void *) = nullptr;
  size_t (*bufferSize)(void *) = nullptr;
  void (*bufferFree)(void *) = nullptr;
  void (*tensorSet)(void *, const void *, size_t, size_t) = nullptr;
  void (*tensorGet)(const void *, void *, size_t, size_t) = nullptr;
  int (*graphCompute)(void *, void *) = nullptr;
  void (*backendFree)(void *) = nullptr;
  std::string error;

  /// The CPU_REPACK buffer type, or null (older ggml, or no repacking for
  /// this CPU).
  void *repackBufferType() {
    void *reg = cpuReg();
    void *dev = reg ? regDevGet(reg, 0) : nullptr;
    auto getExtra = reinterpret_cast<void **(*)(void *)>(
        dev ? regProcAddress(reg, "ggml_backend_dev_get_extra_bufts")
            : nullptr);
    if (!getExtra)
      return nullptr;
    for (void **b = getExtra(dev); b && *b; ++b)
      if (std::string(buftName(*b)) == "CPU_REPACK")
        return *b;
    return nullptr;
  }

  bool load(const std::string &dir, const std::string &variant) {
    void *base =
        dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!base) {
      error = dlerror();
      return false;
    }
    void *cpu = dlopen((dir + "/libggml-cpu-" + variant + ".so").c_str(),
                       RTLD_NOW | RTLD_GLOBAL);
    if (!cpu) {
      error = dlerror();
      return false;
    }
    auto get = [&](void *lib, const char *name, auto &fn) {
      void *p = dlsym(lib, name);
      if (!p && error.empty())
        error = std::string("missing symbol ") + name;
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
    };
    get(base, "ggml_init", init);
    get(base, "ggml_free", free);
    get(base, "ggml_tensor_overhead", tensorOverhead);
    get(base, "ggml_graph_overhead", graphOverhead);
    get(base, "ggml_new_tensor_2d", newTensor2d);
    get(base, "ggml_get_data", getData);
    get(base, "ggml_nbytes", nbytes);
    get(base, "ggml_mul_mat", mulMat);
    get(base, "ggml_new_graph", newGraph);
    get(base, "ggml_build_forward_expand", buildForwardExpand);
    get(cpu, "ggml_graph_compute_with_ctx", computeWithCtx);
    get(cpu, "ggml_cpu_init", cpuInit);
    get(cpu, "ggml_backend_cpu_init", cpuBackendInit);
    get(cpu, "ggml_backend_cpu_set_n_threads", cpuSetThreads);
    get(cpu, "ggml_backend_cpu_reg", cpuReg);
    get(base, "ggml_backend_reg_dev_get", regDevGet);
    get(base, "ggml_backend_reg_get_proc_address", regProcAddress);
    get(base, "ggml_backend_buft_name", buftName);
    get(base, "ggml_backend_alloc_ctx_tensors_from_buft", allocFromBuft);
    get(base, "ggml_backend_alloc_ctx_tensors", allocCtxTensors);
    get(base, "ggml_backend_buffer_get_base", bufferBase);
    get(base, "ggml_backend_buffer_get_size", bufferSize);
    get(base, "ggml_backend_buffer_free", bufferFree);
    get(base, "ggml_backend_tensor_set", tensorSet);
    get(base, "ggml_backend_tensor_get", tensorGet);
    get(base, "ggml_backend_graph_compute", graphCompute);
    get(base, "ggml_backend_free", backendFree);
    return error.empty();
  }
};

// ggml_type values (stable in ggml's enum).
constexpr int kGGMLF32 = 0, kGGMLQ4_0 = 2, kGGMLQ8_0 = 8, kGGMLQ4_K = 12;

int ggmlType(const std::string &fmt) {
  if (fmt == "q4_0")
    return kGGMLQ4_0;
  if (fmt == "q8_0")
    return kGGMLQ8_0;
  if (fmt == "q4_k")
    return kGGMLQ4_K;
  return -1;
}

/// One weight half in ggml's memory (a context on its own pages).
struct GGMLWeight {
  LargeBuffer mem;
  void *ctx = nullptr, *w = nullptr;
};

/// One weight half in a CPU_REPACK buffer, with the graph of its GEMV
/// (activations and result in a CPU buffer of the half's backend).
struct GGMLRepacked {
  void *wCtx = nullptr, *wBuf = nullptr, *w = nullptr;
  void *gCtx = nullptr, *gBuf = nullptr, *x = nullptr, *y = nullptr,
       *graph = nullptr;
};

/// Asks for 2 MiB pages on the whole 2 MiB-aligned part of [p, p + n) of
/// memory ggml allocated, before it is first written, as LargeBuffer does
/// for QForge's weights (only with --pages huge).
void adviseHugePages(void *p, size_t n) {
  if (std::string(pagesName()) != "huge" || !p)
    return;
  const uintptr_t huge = uintptr_t(2) << 20;
  uintptr_t lo = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
  uintptr_t hi = (reinterpret_cast<uintptr_t>(p) + n) & ~(huge - 1);
  if (hi > lo)
    madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_HUGEPAGE);
}

} // namespace

static int benchGGML(int argc, char **argv) {
  Args args(argc, argv);
  if (args.has("help")) {
    std::printf(
        "qforge-bench ggml --lib DIR [--cpu VARIANT] [--formats F1,...] "
        "[--reps R] [--mb N] [--copies C] [--pages small|huge] "
        "[--json [FILE]]\n  The GEMV (M = 1) of llama.cpp's ggml CPU "
        "backend (ggml_mul_mat, activations quantized by ggml) next to "
        "QForge's generated kernels (f32 and, with AVX512_VNNI, i8) on the "
        "same weights, harness and pages as `gemv`: 4096x14336 and "
        "14336x4096, two threads (ggml: one per half), weight GB/s over the "
        "STREAM read bandwidth measured right before and after each row. "
        "\"ggml repack\": the weights in ggml's CPU_REPACK buffer type "
        "(interleaved as llama.cpp does when it loads a model; q4_0 and "
        "q4_k). --lib: a directory with libggml-base.so and "
        "libggml-cpu-VARIANT.so (bench/fetch-ggml.sh downloads "
        "node-llama-cpp's prebuilt ones); --cpu: the variant (default zen4 "
        "with AVX512_VNNI, else haswell). --formats: q4_0, q8_0, q4_k "
        "(default all). Column \"vs f32\": the relative L2 difference of "
        "the outputs from QForge's f32 kernel's.\n");
    return 0;
  }
  for (auto &k : args.unknown({"lib", "cpu", "formats", "reps", "mb", "copies",
                               "pages", "help", "json"})) {
    std::fprintf(stderr, "qforge-bench ggml: unknown option --%s\n", k.c_str());
    return 1;
  }
  std::string dir = args.get("lib");
  if (dir.empty()) {
    std::fprintf(stderr, "qforge-bench ggml: --lib DIR is required (see "
                         "bench/fetch-ggml.sh)\n");
    return 1;
  }
  if (!setPages(args, "ggml"))
    return 1;
  std::vector<std::string> formats =
      args.getList("formats", {"q4_0", "q8_0", "q4_k"});
  for (const std::string &fmtText : formats)
    if (ggmlType(fmtText) < 0) {
      std::fprintf(stderr,
                   "qforge-bench ggml: format '%s' is not a ggml block "
                   "layout (q4_0, q8_0, q4_k)\n",
                   fmtText.c_str());
      return 1;
    }
  bool vnni = cpuHasAVX512VNNI();
  std::string variant = args.get("cpu", vnni ? "zen4" : "haswell");
  GGML g;
  if (!g.load(dir, variant)) {
    std::fprintf(stderr, "qforge-bench ggml: cannot load ggml from '%s': %s\n",
                 dir.c_str(), g.error.c_str());
    return 1;
  }
  g.cpuInit();
  // ggml allocates its buffers with malloc: large ones then are fresh
  // mappings (not reused heap memory that was already touched), which
  // adviseHugePages can give 2 MiB pages before ggml writes them.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  int reps = static_cast<int>(std::max<int64_t>(10, args.getInt("reps", 20)));
  int64_t mb = args.getInt("mb", 512);
  const unsigned threads = 2;
  int64_t hugeBytes = hugePageBytes();
  Table t("GEMV, M = 1: ggml (" + variant + ") and QForge (2 threads, " +
          std::string(pagesName()) + " pages, median of " +
          std::to_string(reps) + ")");
  t.columns({"format", "kernel", "N x K", "read GB/s", "weight GB/s", "/ read",
             "copies", "vs f32"});
  Report report(args);
  int status = 0;
  for (const std::string &fmtText : formats) {
    num::FormatSpec f;
    int type = ggmlType(fmtText);
    if (!num::FormatSpec::parse(fmtText, f)) {
      std::fprintf(stderr, "qforge-bench ggml: bad format '%s'\n",
                   fmtText.c_str());
      status = 1;
      continue;
    }
    for (int64_t K : {int64_t(14336), int64_t(4096)}) {
      const CPUKernel *kf = findKernel(KernelKind::gemv, fmtText, K, "f32");
      const CPUKernel *ki =
          vnni ? findKernel(KernelKind::gemv, fmtText, K, "i8") : nullptr;
      if (!kf) {
        std::fprintf(stderr, "qforge-bench ggml: no f32 kernel for '%s'\n",
                     fmtText.c_str());
        status = 1;
        continue;
      }
      int64_t rows = kf->rows, N = 2 * rows;
      std::vector<num::QuantizedTensor> halves;
      if (!quantizeGemvHalves(f, rows, K, threads, "ggml", halves))
        return 1;
      uint64_t bytes = halves[0].totalBytes() + halves[1].totalBytes();
      int copies = gemvCopies(args, halves);
      std::vector<std::vector<PackedWeight>> wq(copies);
      std::vector<std::vector<GGMLWeight>> wg(copies);
      for (int c = 0; c < copies; ++c)
        for (int h = 0; h < 2; ++h) {
          wq[c].emplace_back(halves[h]);
          const std::vector<uint8_t> &codes =
              halves[h].section(num::Section::Codes);
          GGMLWeight gw;
          size_t memSize = g.tensorOverhead() + codes.size() + 4096;
          gw.mem = LargeBuffer(memSize);
          gw.ctx = g.init({memSize, gw.mem.data(), false});
          gw.w = gw.ctx ? g.newTensor2d(gw.ctx, type, K, rows) : nullptr;
          if (!gw.w || g.nbytes(gw.w) != codes.size()) {
            std::fprintf(stderr,
                         "qforge-bench ggml: ggml's %s tensor of %lldx%lld "
                         "does not hold the %zu code bytes\n",
                         fmtText.c_str(), static_cast<long long>(rows),
                         static_cast<long long>(K), codes.size());
            return 1;
          }
          std::memcpy(g.getData(gw.w), codes.data(), codes.size());
          wg[c].push_back(std::move(gw));
        }
      std::vector<float> x = num::normalSamples(K, 3);
      // Per thread: the activations and a scratch context for each call's
      // graph, result and work buffer (the activations quantized by ggml).
      size_t scratchSize = g.graphOverhead() + 8 * g.tensorOverhead() +
                           4 * size_t(K + rows) + 2 * size_t(K) + (1 << 20);
      LargeBuffer xMem[2], scratch[2];
      void *xCtx[2], *xT[2];
      for (int h = 0; h < 2; ++h) {
        size_t xSize = g.tensorOverhead() + 4 * size_t(K) + 4096;
        xMem[h] = LargeBuffer(xSize);
        xCtx[h] = g.init({xSize, xMem[h].data(), false});
        xT[h] = g.newTensor2d(xCtx[h], kGGMLF32, K, 1);
        std::memcpy(g.getData(xT[h]), x.data(), 4 * size_t(K));
        scratch[h] = LargeBuffer(scratchSize);
      }
      // The same bytes in CPU_REPACK buffers (llama.cpp's load-time
      // repacking), where this ggml and CPU have it.
      // This ggml repacks q4_0 and q4_K on x86 (8x8 interleaving); its
      // CPU_REPACK buffer cannot take q8_0 weights.
      void *repackBuft = type == kGGMLQ8_0 ? nullptr : g.repackBufferType();
      void *backend[2] = {nullptr, nullptr};
      std::vector<std::vector<GGMLRepacked>> wr;
      if (repackBuft) {
        for (int h = 0; h < 2; ++h) {
          backend[h] = g.cpuBackendInit();
          g.cpuSetThreads(backend[h], 1);
        }
        wr.resize(copies);
        for (int c = 0; c < copies; ++c)
          for (int h = 0; h < 2; ++h) {
            const std::vector<uint8_t> &codes =
                halves[h].section(num::Section::Codes);
            GGMLRepacked r;
            r.wCtx = g.init({2 * g.tensorOverhead(), nullptr, true});
            r.w = g.newTensor2d(r.wCtx, type, K, rows);
            r.wBuf = g.allocFromBuft(r.wCtx, repackBuft);
            if (!r.wBuf) {
              std::fprintf(stderr, "qforge-bench ggml: no CPU_REPACK buffer\n");
              return 1;
            }
            adviseHugePages(g.bufferBase(r.wBuf), g.bufferSize(r.wBuf));
            g.tensorSet(r.w, codes.data(), 0, codes.size());
            r.gCtx = g.init(
                {g.graphOverhead() + 4 * g.tensorOverhead(), nullptr, true});
            r.x = g.newTensor2d(r.gCtx, kGGMLF32, K, 1);
            r.y = g.mulMat(r.gCtx, r.w, r.x);
            r.graph = g.newGraph(r.gCtx);
            g.buildForwardExpand(r.graph, r.y);
            r.gBuf = g.allocCtxTensors(r.gCtx, backend[h]);
            g.tensorSet(r.x, x.data(), 0, 4 * size_t(K));
            wr[c].push_back(r);
          }
      }
      std::vector<float> yg(N), yr(N), yq(N), yf(N);
      bool failed = false;
      auto ggmlGemv = [&](int c, int h) {
        void *ctx = g.init({scratchSize, scratch[h].data(), false});
        void *y = g.mulMat(ctx, wg[c][h].w, xT[h]);
        void *gf = g.newGraph(ctx);
        g.buildForwardExpand(gf, y);
        if (g.computeWithCtx(ctx, gf, 1) != 0)
          failed = true;
        std::memcpy(yg.data() + h * rows, g.getData(y), 4 * size_t(rows));
        g.free(ctx);
      };
      std::string shape = std::to_string(N) + "x" + std::to_string(K);
      for (int h = 0; h < 2; ++h)
        runKernel(*kf, wq[0][h], x.data(), yf.data() + h * rows);
      struct Entry {
        const char *name, *key;
        std::function<void(int, int)> fn;
        std::vector<float> *out;
      };
      std::vector<Entry> entries = {{"ggml", "ggml", ggmlGemv, &yg}};
      if (repackBuft)
        entries.push_back({"ggml repack", "ggml_repack",
                           [&](int c, int h) {
                             if (g.graphCompute(backend[h], wr[c][h].graph) !=
                                 0)
                               failed = true;
                             g.tensorGet(wr[c][h].y, yr.data() + h * rows, 0,
                                         4 * size_t(rows));
                           },
                           &yr});
      entries.push_back({"qforge f32", "f32",
                         [&](int c, int h) {
                           runKernel(*kf, wq[c][h], x.data(),
                                     yf.data() + h * rows);
                         },
                         nullptr});
      if (ki)
        entries.push_back({"qforge i8", "i8",
                           [&](int c, int h) {
                             runKernel(*ki, wq[c][h], x.data(),
                                       yq.data() + h * rows);
                           },
                           &yq});
      for (const Entry &e : entries) {
        hugeBytes = std::max(hugeBytes, hugePageBytes());
        StreamResult before = measureStream(mb << 20, threads, 5);
        double tk = timeRotatingPair(copies, std::max(reps, copies), e.fn);
        StreamResult after = measureStream(mb << 20, threads, 5);
        double read = 0.5 * (before.read + after.read);
        double gbs = double(bytes) / tk;
        // The outputs of copy 0 (every copy holds the same bytes).
        for (int h = 0; h < 2; ++h)
          e.fn(0, h);
        double diff =
            e.out ? num::relativeRmse(yf.data(), e.out->data(), N) : -1;
        char diffText[32] = "-";
        if (diff >= 0)
          std::snprintf(diffText, sizeof diffText, "%.2e", diff);
        t.row({fmtText, e.name, shape, Table::Cell(read / 1e9, 4),
               Table::Cell(gbs / 1e9, 4), Table::Cell(gbs / read, 3),
               Table::Cell(int64_t(copies)), Table::Cell(diffText)});
        std::string key = fmtText + "/" + e.key + "." + shape;
        report.figure(key + ".read_GBps", read / 1e9);
        report.figure(key + ".weight_GBps", gbs / 1e9);
        report.figure(key + ".over_read", gbs / read);
        if (diff >= 0)
          report.figure(key + ".rel_diff_vs_f32", diff);
      }
      if (failed) {
        std::fprintf(stderr, "qforge-bench ggml: ggml_graph_compute failed\n");
        status = 1;
      }
      for (auto &copy : wg)
        for (GGMLWeight &gw : copy)
          g.free(gw.ctx);
      for (int h = 0; h < 2; ++h)
        g.free(xCtx[h]);
      for (auto &copy : wr)
        for (GGMLRepacked &r : copy) {
          g.bufferFree(r.gBuf);
          g.free(r.gCtx);
          g.bufferFree(r.wBuf);
          g.free(r.wCtx);
        }
      for (void *be : backend)
        if (be)
          g.backendFree(be);
    }
  }
  return finishWithPages("ggml", t, report, hugeBytes, status);
}

QFORGE_BENCH("ggml", "llama.cpp's ggml GEMV next to the generated kernels",
             benchGGML);
