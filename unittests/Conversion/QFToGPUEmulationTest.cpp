//===- QFToGPUEmulationTest.cpp - GPU kernels executed on the host --------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The kernels of qf-lower-to-gpu, checked without a GPU: the same kernel
// bodies (KernelBuilder.cpp) are materialised as a host function that runs
// every block and, phase by phase (between barriers), every thread in loops
// (gpu_lowering::emitHostEmulation), lowered to LLVM and run with the MLIR
// ExecutionEngine. Inline PTX (lop3/prmt/cvt fast paths of the older formats)
// is replaced by the portable arithmetic in the emulation; everything else —
// planning, indexing, the DecodeEmitter arithmetic, shared-memory staging,
// the Kashin transforms, the outlier kernels and the GEMV correction — is
// the code the GPU runs.
//
// Dequantization must equal qforge::num::dequantize bit for bit (normal
// weights, edge cases and random code bytes). The GEMV/GEMM must match an
// f64 reference on the dequantized weights within 1e-5 of sum |x w| (f32).
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"
#include "SameBits.h"

#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <ostream>

using namespace mlir;
using namespace qforge;
using namespace qforge::gpu_lowering;

namespace {

struct Case {
  const char *format;
  int64_t rows, cols;
  int64_t m; ///< 0: dequantization; else GEMV rows of activations
  const char *outType = "f32";
};

[[maybe_unused]] void PrintTo(const Case &c, std::ostream *os) {
  *os << c.format << " " << c.rows << "x" << c.cols << " m=" << c.m << " "
      << c.outType;
}

/// A 1-D memref descriptor as the C interface passes it.
struct Desc {
  void *allocated, *aligned;
  int64_t offset, size, stride;
};

MLIRContext &context() {
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerAllToLLVMIRTranslations(registry);
    auto *c = new MLIRContext(registry);
    c->loadAllAvailableDialects();
    registerAllPasses();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return c;
  }();
  return *ctx;
}

Type elemType(MLIRContext &ctx, const std::string &s) {
  if (s == "f16")
    return Float16Type::get(&ctx);
  if (s == "bf16")
    return BFloat16Type::get(&ctx);
  return Float32Type::get(&ctx);
}

/// Builds, lowers and JIT-compiles the emulation of the kernels of `c`.
/// Returns null (with a test failure) when anything fails.
std::unique_ptr<ExecutionEngine> compile(const Case &c,
                                         const num::FormatSpec &spec,
                                         WeightPlan &plan,
                                         SmallVectorImpl<std::string> &names) {
  MLIRContext &ctx = context();
  std::string why;
  int64_t k = c.cols, n = c.rows;
  Type f32 = Float32Type::get(&ctx);
  Type outElem = elemType(ctx, c.outType);
  KernelOptions opts;
  opts.chip = "sm_90";
  KernelDefs defs;
  // As qf-lower-to-gpu plans: the widest words whose tile fits in 48 KiB,
  // else the narrowest (dynamic shared memory on the GPU).
  bool planned = false;
  for (unsigned words = 4; words >= 1 && !planned; words /= 2) {
    if (!planWeight(spec, {n, k}, c.m ? k : 0, c.m ? words : 4, &ctx, plan,
                    why)) {
      ADD_FAILURE() << "planWeight: " << why;
      return nullptr;
    }
    planned = !c.m || gemvSharedBytes(plan, c.m, opts, k) <= 48 * 1024;
  }
  SmallVector<Type> argTypes(plan.argTypes.begin(), plan.argTypes.end());
  names.assign(plan.argNames.begin(), plan.argNames.end());
  if (c.m) {
    argTypes.push_back(MemRefType::get({c.m * k}, f32));
    names.push_back("lhs");
    argTypes.push_back(MemRefType::get({c.m * n}, outElem));
    defs = gemvKernels("k", plan, c.m, n, k, f32, outElem, opts);
  } else {
    argTypes.push_back(MemRefType::get({n * k}, outElem));
    defs = dequantKernels("k", plan, outElem, opts);
  }
  names.push_back("out");
  OpBuilder b(&ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  emitHostEmulation(b, UnknownLoc::get(&ctx), *module, "emulated", argTypes,
                    names, defs, opts);
  if (failed(verify(*module))) {
    ADD_FAILURE() << "the emulation module does not verify";
    return nullptr;
  }
  PassManager pm(&ctx);
  if (failed(parsePassPipeline(
          "convert-scf-to-cf, convert-vector-to-llvm, "
          "expand-strided-metadata, finalize-memref-to-llvm, "
          "convert-arith-to-llvm, convert-index-to-llvm, convert-cf-to-llvm, "
          "convert-func-to-llvm, reconcile-unrealized-casts",
          pm))) {
    ADD_FAILURE() << "bad pipeline";
    return nullptr;
  }
  if (failed(pm.run(*module))) {
    ADD_FAILURE() << "lowering the emulation to LLVM failed";
    return nullptr;
  }
  if (getenv("QF_EMULATION_DUMP"))
    module->dump();
  // ExecutionEngineOptions::transformer is a function_ref: the function it
  // refers to must outlive create() (a temporary is destroyed at the end of
  // the assignment; ASan: stack-use-after-scope).
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(2, 0, nullptr);
  ExecutionEngineOptions eo;
  eo.transformer = transformer;
  auto engine = ExecutionEngine::create(*module, eo);
  if (!engine) {
    ADD_FAILURE() << "ExecutionEngine: " << llvm::toString(engine.takeError());
    return nullptr;
  }
  return std::move(*engine);
}

float toFloat(const std::vector<uint8_t> &out, int64_t i,
              const std::string &t) {
  if (t == "f32") {
    float f;
    std::memcpy(&f, out.data() + 4 * i, 4);
    return f;
  }
  uint16_t h = uint16_t(out[2 * i] | (out[2 * i + 1] << 8));
  return t == "bf16" ? num::bf16ToFloat(h) : num::halfToFloat(h);
}

/// The reference value as the kernel must store it: f32 rounded (RNE) to
/// the output type.
float roundTo(float x, const std::string &t) {
  if (t == "f32" || std::isnan(x))
    return x;
  if (t == "bf16")
    return num::bf16ToFloat(num::floatToBF16(x));
  return num::halfToFloat(num::floatToHalf(x));
}

class GPUEmulation : public ::testing::TestWithParam<Case> {};

TEST_P(GPUEmulation, MatchesReference) {
  const Case &c = GetParam();
  num::FormatSpec spec;
  ASSERT_TRUE(num::FormatSpec::parse(c.format, spec)) << c.format;
  WeightPlan plan;
  SmallVector<std::string> names;
  std::unique_ptr<ExecutionEngine> engine = compile(c, spec, plan, names);
  ASSERT_TRUE(engine);
  std::vector<int64_t> shape = {c.rows, c.cols};
  int64_t numel = c.rows * c.cols;
  unsigned ob = std::string(c.outType) == "f32" ? 4 : 2;

  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::vector<float> w = num::normalSamples(numel, 21 + variant);
    if (variant == 1) {
      for (int64_t i = 0; i < std::min<int64_t>(numel, 64); ++i)
        w[i] = 0.0f; // zero groups
      for (int64_t i = 0; i < c.cols && c.rows > 1; ++i)
        w[c.cols + i] *= 1000.0f; // large row
      for (int64_t i = 0; i < c.cols && c.rows > 2; ++i)
        w[2 * c.cols + i] *= 1e-3f; // tiny row
      w[numel - 1] = 40.0f;         // outliers
      w[numel / 2] = -35.0f;
    }
    num::QuantizedTensor q;
    num::QuantizeOptions qo;
    qo.threads = 1;
    qo.seed = 5 + variant;
    num::Status st = num::quantize(w.data(), shape, spec, qo, q);
    ASSERT_TRUE(st) << st.message();
    if (variant == 2) {
      num::Rng rng(77);
      for (uint8_t &byte : q.section(num::Section::Codes))
        byte = static_cast<uint8_t>(rng.next());
    }
    std::vector<float> ref(numel);
    ASSERT_TRUE(num::dequantize(q, ref.data(), 1));
    // Random code bytes: the GEMV is checked where they decode to finite
    // weights (it then sees dense values != 0 under the outliers too).
    if (c.m && !std::all_of(ref.begin(), ref.end(),
                            [](float v) { return std::isfinite(v); }))
      continue;

    std::vector<float> x;
    std::vector<uint8_t> out(
        static_cast<size_t>(c.m ? c.m * c.rows : numel) * ob, 0xA5);
    std::vector<Desc> descs;
    for (const std::string &name : names) {
      Desc d{};
      if (name == "lhs") {
        x = num::normalSamples(c.m * c.cols, 3 + variant);
        d = {x.data(), x.data(), 0, int64_t(x.size()), 1};
      } else if (name == "out") {
        d = {out.data(), out.data(), 0, int64_t(out.size() / ob), 1};
      } else {
        num::Section s = num::Section::Codes;
        for (unsigned i = 0; i < num::kNumSections; ++i)
          if (name == num::sectionName(static_cast<num::Section>(i)))
            s = static_cast<num::Section>(i);
        std::vector<uint8_t> &bytes = q.section(s);
        unsigned eb = 1;
        for (auto [t, n] : llvm::zip(plan.argTypes, plan.argNames))
          if (n == name)
            eb = cast<MemRefType>(t).getElementTypeBitWidth() / 8;
        d = {bytes.data(), bytes.data(), 0, int64_t(bytes.size() / eb), 1};
      }
      descs.push_back(d);
    }
    std::vector<void *> ptrs;
    for (Desc &d : descs)
      ptrs.push_back(&d);
    std::vector<void *> args;
    for (void *&p : ptrs)
      args.push_back(&p);
    llvm::Error err = engine->invokePacked("_mlir_ciface_emulated", args);
    ASSERT_FALSE(err) << llvm::toString(std::move(err));

    if (!c.m) {
      int64_t bad = 0;
      for (int64_t i = 0; i < numel; ++i) {
        float want = roundTo(ref[i], c.outType);
        float got = toFloat(out, i, c.outType);
        if (!qforge::test::sameBits(got, want) && bad++ < 5)
          ADD_FAILURE() << "element " << i << ": got " << got << ", reference "
                        << want;
      }
      EXPECT_EQ(bad, 0);
      continue;
    }
    int64_t bad = 0;
    for (int64_t mi = 0; mi < c.m; ++mi)
      for (int64_t r = 0; r < c.rows; ++r) {
        double dot = 0, mag = 0;
        for (int64_t kk = 0; kk < c.cols; ++kk) {
          double p = double(x[mi * c.cols + kk]) * ref[r * c.cols + kk];
          dot += p;
          mag += std::fabs(p);
        }
        float got = toFloat(out, mi * c.rows + r, c.outType);
        if (!(std::fabs(got - dot) <= 1e-5 * mag + 1e-30) && bad++ < 5)
          ADD_FAILURE() << "m=" << mi << " n=" << r << ": got " << got
                        << ", reference " << dot << " (bound " << 1e-5 * mag
                        << ")";
      }
    EXPECT_EQ(bad, 0);
  }
}

const Case kCases[] = {
    // Odd code widths (bit stream across words).
    {"int3:g32", 64, 256, 0},
    {"int5:g64:f16", 32, 256, 0, "f16"},
    {"sint6:ch", 16, 512, 0},
    {"int7:g128:bf16", 16, 256, 0, "bf16"},
    {"uint3:g32:zp", 32, 128, 0},
    {"uint5:g64:f16:zp", 16, 256, 0},
    {"e3m2:g32", 32, 128, 0},
    {"mxfp6", 32, 256, 0},
    {"mxfp6e3m2", 16, 128, 0, "f16"},
    {"crd-normal:3:g64", 16, 256, 0},
    {"lut3[-1.5,-1,-0.5,0,0.25,0.5,1,2]:g32", 16, 128, 0},
    // q4_k super-blocks.
    {"q4_k", 16, 512, 0},
    {"q4_k", 8, 256, 0, "f16"},
    // Double quantization and zero points.
    {"nvfp4", 32, 256, 0},
    {"nf4:g64:f16:dq=256", 64, 512, 0},
    {"int4:g32:bf16:dq=8", 32, 256, 0, "bf16"},
    {"uint4:g32:f16:zp:dq=4", 16, 256, 0},
    {"uint4:g64:zp", 16, 256, 0},
    // Sparse outliers (scatter kernel).
    {"int4:g64:outliers=2^-7", 32, 256, 0},
    {"crd-t5:4:g64:outliers=2^-10/f16", 64, 256, 0, "f16"},
    {"int3:g32:outliers=2^-6/f32", 16, 256, 0},
    {"e2m1:g32:outliers=2^-5", 16, 128, 0},
    // Learned codebooks (runtime tables staged in shared memory).
    {"asq:16:g64", 32, 256, 0},
    {"asq:12:g64:f16", 32, 256, 0},
    {"asq:8:row:bf16", 16, 256, 0},
    {"asq:256:g128", 16, 256, 0},
    {"asq:5:tensor", 16, 128, 0},
    {"asq:32:g32", 16, 128, 0, "f16"},
    // ... with sparse outliers (the scatter kernel).
    {"asq:16:g64:outliers=2^-7", 32, 256, 0},
    {"asq:8:row:bf16:outliers=2^-6/f32", 16, 256, 0, "f16"},
    {"asq:256:g128:outliers=2^-8/f16", 16, 256, 0},
    // Kashin: decode v, apply P^T (exact f64 data flow), add u.
    {"kashin:2+2", 16, 256, 0},
    {"kashin:1+3:hadamard", 16, 512, 0},
    {"kashin:4:joint", 8, 128, 0},
    {"kashin:3:joint:hadamard", 8, 256, 0, "f16"},
    {"kashin:2+2:g64", 16, 256, 0},
    {"kashin:3+1:g128:hadamard", 8, 256, 0},
    // Kashin DCT of other lengths: Bluestein's FFT in the global workspace.
    {"kashin:2+2", 8, 96, 0},
    {"kashin:4:joint", 4, 160, 0, "f16"},
    {"kashin:2+2:g96", 8, 192, 0},
    {"kashin:1+2", 300, 32, 0},
    // Vectors too long for shared memory: the workspace, radix 2.
    {"kashin:2+2", 2, 16384, 0},
    // Formats the GPU decoded before, through the portable paths.
    {"int4:g128:f16", 32, 256, 0},
    {"nf4:g64", 32, 128, 0},
    {"mxfp4", 32, 128, 0},
    {"mxfp8", 16, 128, 0},
    {"q4_0", 16, 128, 0},
    {"q8_0", 16, 128, 0},
    {"iq4_nl", 16, 128, 0},
    {"int8:ch@0", 16, 128, 0},
    {"int2:g64", 16, 256, 0},
    // Fused GEMV / small-M GEMM.
    {"int5:g64:f16", 24, 512, 1},
    {"int3:g32", 16, 256, 3},
    {"mxfp6", 16, 256, 2},
    {"q4_k", 16, 512, 1},
    {"q4_k", 8, 1024, 4},
    {"nvfp4", 16, 256, 1},
    {"uint4:g32:f16:zp:dq=4", 16, 256, 2},
    {"nf4:g64:outliers=2^-7", 20, 512, 1},
    {"int4:g32:outliers=2^-6", 16, 256, 3},
    {"int3:g32:f16:outliers=2^-8/f32", 16, 512, 1},
    {"crd-normal:4:g64:outliers=2^-7", 16, 512, 2},
    {"asq:16:g128:bf16", 16, 512, 1},
    {"asq:8:row", 16, 256, 2},
    {"asq:256:g64", 8, 256, 1},
    {"asq:16:g64:outliers=2^-7", 16, 512, 1},
    {"asq:8:row:f16:outliers=2^-6", 16, 256, 3},
    {"asq:32:g32:bf16:outliers=2^-7/f32", 8, 256, 2},
    {"kashin:2+2", 16, 256, 1},
    {"kashin:2+2:g64", 16, 256, 2},
    {"kashin:3:joint:hadamard", 8, 512, 1},
    {"kashin:1+3:g128:hadamard", 8, 256, 3},
    {"kashin:2+2", 8, 96, 1},
    {"kashin:3+2:g96", 8, 192, 2},
    {"int4:g128:f16", 16, 512, 1},
    {"q8_0", 16, 256, 2},
    // Several warp steps per staged tile (K >= 2 steps of 32 lanes), then
    // the remaining (partial) steps one per tile.
    {"int4:g128:f16", 8, 4608, 1},
    {"q4_0", 8, 6144, 1, "f16"},
    {"int8:ch@0", 8, 2560, 1},
    {"nf4:g64", 12, 8192, 2},
    {"mxfp4", 9, 3072, 1},
    // Small-M GEMM whose tiles exceed 48 KiB (dynamic shared memory).
    {"int3:g32", 8, 256, 16},
    {"kashin:2+2", 8, 256, 16},
};

INSTANTIATE_TEST_SUITE_P(Kernels, GPUEmulation, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           std::string s =
                               std::string(info.param.m ? "gemv_"
                                                        : "dequant_") +
                               info.param.format + "_" + info.param.outType +
                               "_" + std::to_string(info.index);
                           for (char &ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return s;
                         });

} // namespace
