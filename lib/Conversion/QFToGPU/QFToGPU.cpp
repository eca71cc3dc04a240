//===- QFToGPU.cpp - qf-lower-to-gpu, qf-write-ptx, qf-nvptx-pipeline -----===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Host side of the GPU lowering: checks the entry functions, plans each
// weight, builds the kernels (KernelBuilder.cpp) into `gpu.module
// @qf_kernels` and rewrites the function into one that launches them.
//
//===----------------------------------------------------------------------===//

#include "qforge/Conversion/QFToGPU/QFToGPU.h"

#include "KernelBuilder.h"
#include "qforge/Conversion/Passes.h"
#include "qforge/Dialect/QF/IR/QF.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ToolOutputFile.h"

namespace qforge {
#define GEN_PASS_DEF_QFLOWERTOGPU
#define GEN_PASS_DEF_QFSTRIPBINARYTIMINGS
#define GEN_PASS_DEF_QFWRITEPTX
#include "qforge/Conversion/Passes.h.inc"
} // namespace qforge

using namespace mlir;
using namespace qforge;
using namespace qforge::gpu_lowering;

namespace {

constexpr int64_t kMaxGemvRows = 16;
constexpr int64_t kMaxStaticShared = 48 * 1024;

bool isSupportedFloat(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

/// One qf op of an entry function and its kernels, in launch order.
struct Launch {
  Operation *op;
  SmallVector<KernelInfo, 2> kernels;
  /// Original SSA values (args) feeding it: the weight, then the
  /// activations (qf.matmul).
  SmallVector<Value> operands;
  /// Global buffers its kernels share, allocated by the host (`scratch`,
  /// `workspace`): name and type.
  SmallVector<std::pair<std::string, MemRefType>> buffers;
  /// Kernel argument names of the weight's sections, in Section order.
  SmallVector<std::string> sectionNames;
};

struct QFLowerToGPUPass
    : public qforge::impl::QFLowerToGPUBase<QFLowerToGPUPass> {
  using QFLowerToGPUBase::QFLowerToGPUBase;

  void runOnOperation() override;

  /// Besides the dialects the kernels use, registers what serialising them
  /// later needs (the NVVM target and the LLVM IR translations of the
  /// builtin, LLVM, GPU and NVVM dialects), so that qf-nvptx-pipeline runs
  /// in any host that registers the upstream dialects and passes.
  void getDependentDialects(DialectRegistry &registry) const override {
    QFLowerToGPUBase::getDependentDialects(registry);
    NVVM::registerNVVMTargetInterfaceExternalModels(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    registerGPUDialectTranslation(registry);
    registerNVVMDialectTranslation(registry);
  }

private:
  LogicalResult lowerFunction(func::FuncOp f, gpu::GPUModuleOp &kernels);
  gpu::GPUModuleOp getOrCreateKernelModule(gpu::GPUModuleOp &kernels);
};

} // namespace

gpu::GPUModuleOp
QFLowerToGPUPass::getOrCreateKernelModule(gpu::GPUModuleOp &kernels) {
  if (kernels)
    return kernels;
  ModuleOp module = getOperation();
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "qf_kernels");
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  b.getUnitAttr());
  return kernels;
}

/// Memref types of a function argument after lowering.
static void loweredArgTypes(Type t, SmallVectorImpl<Type> &out) {
  if (auto q = dyn_cast<qf::QuantizedTensorType>(t)) {
    num::FormatSpec spec = q.getFormat().getFormat();
    MLIRContext *ctx = t.getContext();
    WeightPlan p;
    std::string why;
    // The argument types do not depend on the per-thread word size.
    if (planWeight(spec, q.getShape(), 0, 1, ctx, p, why)) {
      out.append(p.argTypes.begin(), p.argTypes.end());
      return;
    }
    // A weight no kernel reads: its non-empty sections as bytes.
    std::array<uint64_t, num::kNumSections> bytes =
        num::sectionBytes(spec, qf::toVector(q.getShape()));
    for (uint64_t n : bytes)
      if (n)
        out.push_back(MemRefType::get({static_cast<int64_t>(n)},
                                      IntegerType::get(ctx, 8)));
    return;
  }
  auto rt = cast<RankedTensorType>(t);
  out.push_back(MemRefType::get({rt.getNumElements()}, rt.getElementType()));
}

LogicalResult QFLowerToGPUPass::lowerFunction(func::FuncOp f,
                                              gpu::GPUModuleOp &kernels) {
  if (f.isExternal() || !llvm::hasSingleElement(f.getBody()))
    return f.emitOpError("qf-lower-to-gpu: expects a function with one block");
  Block &body = f.front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return f.emitOpError("qf-lower-to-gpu: expects a func.return terminator");

  KernelOptions opts;
  opts.chip = chip;
  opts.blockSize = blockSize;
  opts.warpsPerBlock = warpsPerBlock;
  if (opts.smVersion() < 70)
    return emitError(f.getLoc())
           << "qf-lower-to-gpu: unsupported chip '" << chip
           << "' (expected sm_70 or later, e.g. sm_80 or sm_90)";
  if (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0)
    return emitError(f.getLoc())
           << "qf-lower-to-gpu: block-size must be a multiple of 32 in "
              "[32, 1024], got "
           << blockSize;
  if (warpsPerBlock < 1 || warpsPerBlock > 32)
    return emitError(f.getLoc())
           << "qf-lower-to-gpu: warps-per-block must be in [1, 32], got "
           << warpsPerBlock;

  for (BlockArgument a : body.getArguments()) {
    Type t = a.getType();
    if (isa<qf::QuantizedTensorType>(t))
      continue;
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape() || !isSupportedFloat(rt.getElementType()))
      return emitError(a.getLoc())
             << "qf-lower-to-gpu: argument " << a.getArgNumber()
             << " must be a !qf.tensor or a static tensor of f32/f16/bf16, "
                "got "
             << t;
  }

  // Plan and build a kernel per qf op.
  SmallVector<Launch, 2> launches;
  OpBuilder b(f.getContext());
  unsigned counter = 0;
  for (Operation &op : body.without_terminator()) {
    if (!isa<qf::DequantizeOp, qf::MatmulOp>(op))
      return op.emitOpError()
             << "cannot be lowered by qf-lower-to-gpu: a GPU entry function "
                "may only contain qf.dequantize and qf.matmul on its "
                "arguments";
    for (Value v : op.getOperands())
      if (!isa<BlockArgument>(v))
        return op.emitOpError()
               << "qf-lower-to-gpu: operands must be function arguments";
    for (Value r : op.getResults()) {
      unsigned uses = 0;
      for (OpOperand &use : r.getUses())
        uses += use.getOwner() == ret ? 1 : 2;
      if (uses != 1)
        return op.emitOpError()
               << "qf-lower-to-gpu: the result must be returned exactly once";
    }
    auto resTy = cast<RankedTensorType>(op.getResult(0).getType());
    if (!isSupportedFloat(resTy.getElementType()))
      return op.emitOpError() << "qf-lower-to-gpu: result element type must "
                                 "be f32, f16 or bf16";
    std::string name =
        (f.getSymName() + (isa<qf::DequantizeOp>(op) ? "_dequant" : "_gemv") +
         Twine(counter++))
            .str();
    Launch l;
    l.op = &op;
    // Kernel argument order: the weight's sections, then the activations.
    if (auto mm = dyn_cast<qf::MatmulOp>(op))
      l.operands = {mm.getWeight(), mm.getLhs()};
    else
      l.operands.assign(op.operand_begin(), op.operand_end());

    std::string why;
    WeightPlan plan;
    KernelDefs defs;
    if (auto dq = dyn_cast<qf::DequantizeOp>(op)) {
      auto qt = cast<qf::QuantizedTensorType>(dq.getInput().getType());
      if (!planWeight(qt.getFormat().getFormat(), qt.getShape(), 0, 4,
                      f.getContext(), plan, why))
        return op.emitOpError()
               << "qf-lower-to-gpu: cannot decode format '"
               << qt.getFormat().getFormat().str() << "' on the GPU: " << why;
      defs = dequantKernels(name, plan, resTy.getElementType(), opts);
    } else {
      auto mm = cast<qf::MatmulOp>(op);
      auto qt = cast<qf::QuantizedTensorType>(mm.getWeight().getType());
      auto lt = cast<RankedTensorType>(mm.getLhs().getType());
      if (!mm.getTransposeWeight())
        return op.emitOpError()
               << "qf-lower-to-gpu: only weights stored [N, K] "
                  "(transpose_weight) are supported on the GPU";
      int64_t k = mm.getK(), n = mm.getN();
      int64_t m = lt.getNumElements() / k;
      if (m > kMaxGemvRows)
        return op.emitOpError()
               << "qf-lower-to-gpu: " << m
               << " rows of activations exceed the small-M GEMM limit of "
               << kMaxGemvRows;
      num::FormatSpec spec = qt.getFormat().getFormat();
      // The widest per-lane word count whose activation tile fits in 48 KiB
      // of static shared memory; failing that, the narrowest one in dynamic
      // shared memory (up to the chip's limit).
      bool ok = false;
      unsigned lastEpt = 0;
      for (unsigned words = 4; words >= 1 && !ok; words /= 2) {
        if (!planWeight(spec, qt.getShape(), k, words, f.getContext(), plan,
                        why))
          return op.emitOpError() << "qf-lower-to-gpu: cannot decode format '"
                                  << spec.str() << "' on the GPU: " << why;
        if (plan.elemsPerThread == lastEpt)
          continue;
        lastEpt = plan.elemsPerThread;
        ok = gemvSharedBytes(plan, m, opts, k) <= kMaxStaticShared;
        if (!ok && plan.isGGUF)
          break;
      }
      if (!ok && gemvSharedBytes(plan, m, opts, k) > opts.maxSharedBytes())
        return op.emitOpError()
               << "qf-lower-to-gpu: the activation tile of " << m
               << " rows needs " << gemvSharedBytes(plan, m, opts, k)
               << " bytes of shared memory, more than the "
               << opts.maxSharedBytes() << " of " << chip;
      defs = gemvKernels(name, plan, m, n, k, lt.getElementType(),
                         resTy.getElementType(), opts);
    }
    for (const KernelDef &d : defs) {
      if (d.sharedBytes() > opts.maxSharedBytes())
        return op.emitOpError()
               << "qf-lower-to-gpu: kernel '" << d.name << "' needs "
               << d.sharedBytes() << " bytes of shared memory, more than the "
               << opts.maxSharedBytes() << " of " << chip;
      for (auto [t, an] : llvm::zip(d.argTypes, d.argNames)) {
        if (an != "scratch" && an != "workspace")
          continue;
        auto *it = llvm::find_if(l.buffers,
                                 [&](const auto &p) { return p.first == an; });
        if (it == l.buffers.end())
          l.buffers.push_back({an, cast<MemRefType>(t)});
        else if (cast<MemRefType>(t).getNumElements() >
                 it->second.getNumElements())
          it->second = cast<MemRefType>(t);
      }
    }
    l.sectionNames.assign(plan.argNames.begin(), plan.argNames.end());
    b.setInsertionPoint(op.getBlock()->getTerminator());
    for (const KernelDef &d : defs)
      l.kernels.push_back(emitGPUKernel(
          b, op.getLoc(), getOrCreateKernelModule(kernels), d, opts));
    launches.push_back(l);
  }
  if (launches.empty())
    return success();

  // The host function: arguments lowered to memrefs, one output buffer per
  // result, the launches in program order.
  SmallVector<Type> newArgs;
  SmallVector<unsigned> argStart;
  for (BlockArgument a : body.getArguments()) {
    argStart.push_back(newArgs.size());
    loweredArgTypes(a.getType(), newArgs);
  }
  unsigned outStart = newArgs.size();
  for (Value r : ret.getOperands()) {
    auto rt = cast<RankedTensorType>(r.getType());
    newArgs.push_back(
        MemRefType::get({rt.getNumElements()}, rt.getElementType()));
  }
  b.setInsertionPoint(f);
  auto host = func::FuncOp::create(b, f.getLoc(), f.getSymName(),
                                   b.getFunctionType(newArgs, {}));
  host.setVisibility(f.getVisibility());
  Block *hb = host.addEntryBlock();
  b.setInsertionPointToStart(hb);
  Location loc = f.getLoc();
  for (Launch &l : launches) {
    // Host values by kernel argument name: the weight's sections, the
    // activations, the output, scratch buffers.
    llvm::StringMap<Value> byName;
    auto weight = cast<BlockArgument>(l.operands.front());
    unsigned start = argStart[weight.getArgNumber()];
    for (auto [i, n] : llvm::enumerate(l.sectionNames))
      byName[n] = hb->getArgument(start + i);
    if (l.operands.size() > 1)
      byName["lhs"] = hb->getArgument(
          argStart[cast<BlockArgument>(l.operands[1]).getArgNumber()]);
    for (OpOperand &use : l.op->getResult(0).getUses())
      byName["out"] = hb->getArgument(outStart + use.getOperandNumber());
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // Scratch buffers: allocated before the launches, freed after them.
    SmallVector<Value> allocated;
    for (auto &[bn, bt] : l.buffers) {
      Value t0 = gpu::WaitOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                                     ValueRange{})
                     .getAsyncToken();
      auto alloc = gpu::AllocOp::create(
          b, loc, bt, b.getType<gpu::AsyncTokenType>(), ValueRange{t0},
          ValueRange{}, ValueRange{}, /*hostShared=*/nullptr);
      gpu::WaitOp::create(b, loc, Type(), ValueRange{alloc.getAsyncToken()});
      byName[bn] = alloc.getMemref();
      allocated.push_back(alloc.getMemref());
    }
    for (const KernelInfo &k : l.kernels) {
      SmallVector<Value> operands;
      for (const std::string &n : k.argNames)
        operands.push_back(byName.lookup(n));
      gpu::KernelDim3 grid{c(k.grid[0]), c(k.grid[1]), c(k.grid[2])};
      gpu::KernelDim3 block{c(k.block[0]), c(k.block[1]), c(k.block[2])};
      Value dyn;
      if (k.dynamicSharedBytes)
        dyn = arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                           k.dynamicSharedBytes);
      gpu::LaunchFuncOp::create(b, l.op->getLoc(), k.func, grid, block, dyn,
                                operands);
    }
    for (Value buf : allocated) {
      Value t0 = gpu::WaitOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                                     ValueRange{})
                     .getAsyncToken();
      auto d = gpu::DeallocOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                                      ValueRange{t0}, buf);
      gpu::WaitOp::create(b, loc, Type(), ValueRange{d.getAsyncToken()});
    }
  }
  func::ReturnOp::create(b, loc);
  f.erase();
  return success();
}

void QFLowerToGPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<func::FuncOp> funcs;
  for (auto f : module.getOps<func::FuncOp>()) {
    bool hasQF = false;
    f.walk([&](Operation *op) {
      if (isa<qf::DequantizeOp, qf::MatmulOp>(op))
        hasQF = true;
    });
    if (hasQF)
      funcs.push_back(f);
  }
  gpu::GPUModuleOp kernels =
      module.lookupSymbol<gpu::GPUModuleOp>("qf_kernels");
  for (func::FuncOp f : funcs)
    if (failed(lowerFunction(f, kernels)))
      return signalPassFailure();
}

//===----------------------------------------------------------------------===//
// qf-strip-binary-timings
//===----------------------------------------------------------------------===//

namespace {
struct QFStripBinaryTimingsPass
    : public qforge::impl::QFStripBinaryTimingsBase<QFStripBinaryTimingsPass> {
  void runOnOperation() override {
    getOperation().walk([](gpu::BinaryOp bin) {
      SmallVector<Attribute> objects;
      for (Attribute a : bin.getObjects()) {
        auto obj = dyn_cast<gpu::ObjectAttr>(a);
        DictionaryAttr props = obj ? obj.getProperties() : DictionaryAttr();
        if (!props) {
          objects.push_back(a);
          continue;
        }
        SmallVector<NamedAttribute> kept;
        for (NamedAttribute p : props)
          if (!p.getName().getValue().ends_with("TimeInMs"))
            kept.push_back(p);
        objects.push_back(gpu::ObjectAttr::get(
            a.getContext(), obj.getTarget(), obj.getFormat(), obj.getObject(),
            kept.empty() ? DictionaryAttr()
                         : DictionaryAttr::get(a.getContext(), kept),
            obj.getKernels()));
      }
      bin.setObjectsAttr(ArrayAttr::get(bin.getContext(), objects));
    });
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// qf-write-ptx
//===----------------------------------------------------------------------===//

namespace {
struct QFWritePTXPass : public qforge::impl::QFWritePTXBase<QFWritePTXPass> {
  using QFWritePTXBase::QFWritePTXBase;

  void runOnOperation() override {
    std::string text;
    llvm::raw_string_ostream os(text);
    WalkResult r = getOperation().walk([&](gpu::BinaryOp bin) {
      for (Attribute a : bin.getObjects()) {
        auto obj = dyn_cast<gpu::ObjectAttr>(a);
        if (!obj || obj.getFormat() != gpu::CompilationTarget::Assembly) {
          bin.emitOpError()
              << "qf-write-ptx: object is not PTX text (use format=isa)";
          return WalkResult::interrupt();
        }
        os << "// qf-kernel-module: " << bin.getSymName() << "\n"
           << obj.getObject().getValue();
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      return signalPassFailure();
    std::string err;
    std::unique_ptr<llvm::ToolOutputFile> out =
        mlir::openOutputFile(file, &err);
    if (!out) {
      getOperation().emitError() << "qf-write-ptx: " << err;
      return signalPassFailure();
    }
    out->os() << text;
    out->keep();
    markAllAnalysesPreserved();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// qf-nvptx-pipeline
//===----------------------------------------------------------------------===//

std::string qforge::defaultPTXFeatures(StringRef chip) {
  unsigned v = 0;
  StringRef s = chip;
  if (s.consume_front("sm_"))
    s.take_while([](char c) {
       return c >= '0' && c <= '9';
     }).getAsInteger(10, v);
  // PTX ISA 8.0 (CUDA 12.0) introduced sm_90; 7.0 (CUDA 11.0) sm_80; the
  // fp8 conversions need 7.8 (sm_89).
  if (v >= 90)
    return "+ptx80";
  if (v >= 89)
    return "+ptx78";
  return "+ptx70";
}

void qforge::buildQFNVPTXPipeline(OpPassManager &pm,
                                  const QFNVPTXPipelineOptions &options) {
  QFLowerToGPUOptions lo;
  lo.chip = options.chip;
  lo.blockSize = options.blockSize;
  lo.warpsPerBlock = options.warpsPerBlock;
  pm.addPass(createQFLowerToGPU(lo));

  gpu::GPUToNVVMPipelineOptions nv;
  nv.cubinChip = options.chip;
  nv.cubinFeatures = options.features.empty() ? defaultPTXFeatures(options.chip)
                                              : std::string(options.features);
  nv.cubinFormat = options.format;
  nv.optLevel = options.optLevel;
  nv.kernelUseBarePtrCallConv = true;
  gpu::buildLowerToNVVMPassPipeline(pm, nv);
  pm.addPass(createQFStripBinaryTimings());

  if (!options.ptxFile.empty()) {
    QFWritePTXOptions wo;
    wo.file = options.ptxFile;
    pm.addPass(createQFWritePTX(wo));
  }
}

void qforge::registerQFNVPTXPipeline() {
  PassPipelineRegistration<QFNVPTXPipelineOptions>(
      "qf-nvptx-pipeline",
      "Lower qf.dequantize / qf.matmul to GPU kernels and compile them "
      "through NVVM to PTX (gpu.binary), a cubin or a fatbin",
      buildQFNVPTXPipeline);
}
