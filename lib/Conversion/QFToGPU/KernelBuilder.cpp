//===- KernelBuilder.cpp - GPU kernels for dequantization and GEMV --------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The bodies of the kernels qf-lower-to-gpu emits. The decode arithmetic is
// the shared, target-independent one of QFCommon/DecodeEmitter; this file
// adds what is GPU specific:
//
//  * memory access: one 128-bit load of packed codes per thread (or lane),
//    128-bit stores of the decoded values, activations staged in shared
//    memory with a padded layout so that the lanes' vector reads are free of
//    bank conflicts, lookup tables and learned codebooks in shared memory;
//  * instruction selection for integer codes: a 4-bit code becomes an f32
//    with one `lop3` (code | 0x4B000000, the float 2^23 + code) and one
//    subtraction, an 8-bit code with one `prmt` that moves the byte under
//    the same exponent; fp8 codes use the native `cvt.rn.f16x2.e4m3x2`
//    (sm_89 and later). These give exactly the values the portable decode
//    gives (small integers and fp8 values are exact in f32);
//  * warp reductions with gpu.shuffle;
//  * the extended formats: codes of any width read as a bit stream from
//    whole words (Scheme::Stream), q4_k super-blocks, double quantization,
//    learned codebooks staged per block (dequantization) or per warp and
//    step (GEMV), sparse outliers (a scatter kernel after dequantization; a
//    per-row correction sum_k x_k (outlier - dense) inside the GEMV), and
//    Kashin codes: dequantization decodes v, applies P^T with the exact
//    f64 data flow of num::RandomizedTransform in shared memory and adds u;
//    the GEMV uses W x = U x + V (P x), P x computed once by a first kernel.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "qforge/Conversion/QFCommon/DecodeEmitter.h"
#include "qforge/Numerics/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

using namespace mlir;
using namespace qforge;
using namespace qforge::gpu_lowering;
using num::ElementKind;
using num::IntKind;
using num::Layout;
using num::ScaleType;
using num::Section;

//===----------------------------------------------------------------------===//
// Planning
//===----------------------------------------------------------------------===//

unsigned KernelOptions::smVersion() const {
  StringRef s(chip);
  unsigned v = 0;
  if (s.consume_front("sm_")) {
    s = s.take_while([](char c) { return c >= '0' && c <= '9'; });
    s.getAsInteger(10, v);
  }
  return v;
}

int64_t KernelOptions::maxSharedBytes() const {
  unsigned v = smVersion();
  if (v >= 90)
    return 227 * 1024;
  if (v == 80 || v == 87)
    return 163 * 1024;
  if (v >= 75)
    return 64 * 1024 + (v >= 86 ? 35 * 1024 : 0);
  return 96 * 1024;
}

int64_t KernelDef::sharedBytes() const {
  int64_t n = 0;
  for (MemRefType t : shared)
    n += t.getNumElements() * t.getElementTypeBitWidth() / 8;
  return n;
}

static Type scaleStorageType(MLIRContext *ctx, ScaleType t) {
  switch (t) {
  case ScaleType::F32:
    return Float32Type::get(ctx);
  case ScaleType::F16:
  case ScaleType::BF16:
    return IntegerType::get(ctx, 16);
  case ScaleType::E8M0:
  case ScaleType::E4M3:
    return IntegerType::get(ctx, 8);
  case ScaleType::None:
    break;
  }
  return {};
}

static bool isPow2(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

bool gpu_lowering::planWeight(const num::FormatSpec &spec,
                              ArrayRef<int64_t> shape, int64_t rowLength,
                              unsigned maxWords, MLIRContext *ctx,
                              WeightPlan &plan, std::string &why) {
  plan = WeightPlan();
  plan.spec = spec;
  plan.shape.assign(shape.begin(), shape.end());
  plan.numel = 1;
  for (int64_t d : shape)
    plan.numel *= d;
  if (!conv::isDecodableExtended(spec, why))
    return false;
  std::vector<int64_t> shp(shape.begin(), shape.end());
  std::array<uint64_t, num::kNumSections> bytes = num::sectionBytes(spec, shp);
  auto i16 = IntegerType::get(ctx, 16), i32 = IntegerType::get(ctx, 32);
  auto addArg = [&](Section s, Type t) {
    plan.argTypes.push_back(t);
    plan.argNames.push_back(num::sectionName(s));
    plan.argSections.push_back(s);
  };
  auto memref = [](uint64_t n, Type t) {
    return MemRefType::get({static_cast<int64_t>(n)}, t);
  };

  if (spec.layout != Layout::Plain) {
    plan.isGGUF = true;
    if (spec.layout == Layout::Q4_K) {
      plan.scheme = Scheme::Q4K;
      plan.ggufBlockBytes = 144;
      plan.elemsPerThread = 64;
      if (plan.numel % 256 != 0 || (rowLength && rowLength % 256 != 0)) {
        why = "q4_k super-blocks must not straddle rows";
        return false;
      }
      addArg(Section::Codes, memref(bytes[0] / 4, i32));
      return true;
    }
    plan.scheme = Scheme::GGUF;
    plan.ggufBlockBytes = spec.layout == Layout::Q8_0 ? 34 : 18;
    plan.elemsPerThread = 32;
    if (plan.numel % 32 != 0 || (rowLength && rowLength % 32 != 0)) {
      why = "GGUF blocks must not straddle rows";
      return false;
    }
    addArg(Section::Codes, memref(bytes[0] / 2, i16));
    return true;
  }

  // Groups along the flat order.
  int rank = static_cast<int>(shape.size());
  bool contiguousGroups = true;
  switch (spec.granularity) {
  case num::Granularity::Tensor:
    plan.groupStride = plan.numel;
    plan.groupCount = 1;
    break;
  case num::Granularity::Block:
    if (spec.resolvedAxis(shape.size()) != rank - 1) {
      why = "blocks must run along the last dimension";
      return false;
    }
    plan.groupStride = spec.blockSize;
    plan.groupCount = plan.numel / spec.blockSize;
    break;
  case num::Granularity::Channel: {
    int a = spec.resolvedAxis(shape.size());
    int64_t inner = 1;
    for (int d = a + 1; d < rank; ++d)
      inner *= shape[d];
    plan.groupStride = inner;
    plan.groupCount = shape[a];
    contiguousGroups = a == 0;
    break;
  }
  }

  bool learned = spec.kind == ElementKind::Learned;
  bool kashin = spec.kind == ElementKind::Kashin;
  if ((learned || kashin) && !contiguousGroups) {
    why = std::string(learned ? "learned codebooks" : "Kashin vectors") +
          " per channel must use axis 0 ('ch') on the GPU: each group must "
          "be a contiguous run of elements";
    return false;
  }

  if (kashin) {
    plan.scheme = Scheme::Kashin;
    int64_t n = plan.groupStride;
    unsigned bu = spec.kashinBitsU,
             bv = spec.kashinJoint ? 0 : spec.kashinBitsV;
    // GEMV lanes read 32 codes of each factor (64 values in registers).
    unsigned u = 1;
    if (plan.numel % 32 != 0 || n % 32 != 0 ||
        (rowLength && rowLength % 32 != 0)) {
      why = "Kashin vectors must hold a multiple of 32 elements on the GPU";
      return false;
    }
    plan.elemsPerThread = 32 * u;
    plan.words = bu * u;
    plan.wordsV = bv * u;
    plan.vCodesWord = static_cast<int64_t>((plan.numel * bu + 7) / 8 / 4);
    plan.cbEntries =
        spec.kashinJoint ? 2 * (1u << bu) : (1u << bu) + (1u << bv);
    addArg(Section::Codes, memref(bytes[0] / 4, i32));
    addArg(Section::Codebooks, memref(bytes[3] / 4, i32));
    return true;
  }

  bool pow2Bits =
      spec.bits == 1 || spec.bits == 2 || spec.bits == 4 || spec.bits == 8;
  if (pow2Bits && !learned) {
    plan.scheme = Scheme::Words;
    for (unsigned w = maxWords; w >= 1; w /= 2) {
      unsigned ept = w * 32 / spec.bits;
      if (plan.numel % ept == 0 && plan.groupStride % ept == 0 &&
          (!rowLength || rowLength % ept == 0)) {
        plan.words = w;
        plan.elemsPerThread = ept;
        break;
      }
    }
  } else {
    // Bit stream: 32 u codes fill bits * u whole words.
    plan.scheme = Scheme::Stream;
    for (unsigned u = std::max(1u, std::min(maxWords, 2u)); u >= 1; u /= 2) {
      unsigned ept = 32 * u;
      if (plan.numel % ept == 0 && plan.groupStride % ept == 0 &&
          (!rowLength || rowLength % ept == 0)) {
        plan.words = spec.bits * u;
        plan.elemsPerThread = ept;
        break;
      }
    }
  }
  if (!plan.words) {
    why = plan.scheme == Scheme::Stream
              ? "codes of " + std::to_string(spec.bits) +
                    " bits are read as a bit stream in runs of 32 codes: "
                    "every scale group (and row) must hold a multiple of 32 "
                    "elements"
              : std::string("no whole 32-bit word of codes lies within one "
                            "scale group");
    return false;
  }
  if (spec.doubleQuant)
    plan.dqGroup = spec.doubleQuantGroup == 0 ? spec.numGroups(shp)
                                              : spec.doubleQuantGroup;
  plan.numOutliers = spec.numOutliers(plan.numel);
  plan.outlierIndexBytes =
      static_cast<uint64_t>(plan.numel) > (uint64_t(1) << 32) ? 8 : 4;
  if (learned)
    plan.cbEntries = spec.levels;

  addArg(Section::Codes, memref(bytes[0] / 4, i32));
  if (bytes[static_cast<unsigned>(Section::Scales)])
    addArg(Section::Scales,
           memref(spec.numGroups(shp), scaleStorageType(ctx, spec.scaleType)));
  if (bytes[static_cast<unsigned>(Section::ZeroPoints)])
    addArg(Section::ZeroPoints,
           memref(spec.numGroups(shp), IntegerType::get(ctx, 8)));
  if (uint64_t cb = bytes[static_cast<unsigned>(Section::Codebooks)])
    addArg(Section::Codebooks, spec.scaleType == ScaleType::F32
                                   ? memref(cb / 4, Float32Type::get(ctx))
                                   : memref(cb / 2, i16));
  if (uint64_t ss = bytes[static_cast<unsigned>(Section::SuperScales)])
    addArg(Section::SuperScales, memref(ss / 4, Float32Type::get(ctx)));
  if (uint64_t ob = bytes[static_cast<unsigned>(Section::Outliers)])
    addArg(Section::Outliers, memref(ob / 2, i16));
  return true;
}

//===----------------------------------------------------------------------===//
// Small IR helpers
//===----------------------------------------------------------------------===//

namespace {

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value cI32(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
}
Value cF32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
}
Value cF64(OpBuilder &b, Location loc, double v) {
  return arith::ConstantFloatOp::create(b, loc, b.getF64Type(), APFloat(v));
}
Value addI(OpBuilder &b, Location loc, Value x, int64_t c) {
  return c ? arith::AddIOp::create(b, loc, x, cIdx(b, loc, c)).getResult() : x;
}
Value mulI(OpBuilder &b, Location loc, Value x, int64_t c) {
  return c == 1 ? x
                : arith::MulIOp::create(b, loc, x, cIdx(b, loc, c)).getResult();
}
Value divI(OpBuilder &b, Location loc, Value x, int64_t c) {
  return c == 1
             ? x
             : arith::DivUIOp::create(b, loc, x, cIdx(b, loc, c)).getResult();
}
Value remI(OpBuilder &b, Location loc, Value x, int64_t c) {
  return arith::RemUIOp::create(b, loc, x, cIdx(b, loc, c));
}
Value toIndex(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
}
Value toI32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), v);
  unsigned w = v.getType().getIntOrFloatBitWidth();
  if (w == 32)
    return v;
  if (w < 32)
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
  return arith::TruncIOp::create(b, loc, b.getI32Type(), v);
}
Value ult(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
}

/// `for (i = start; i < ub; i += step) body(i)` (index bounds).
void forLoop(OpBuilder &b, Location loc, Value start, Value ub, Value step,
             function_ref<void(Value)> body) {
  scf::ForOp::create(b, loc, start, ub, step, ValueRange{},
                     [&](OpBuilder &bb, Location l, Value i, ValueRange) {
                       OpBuilder::InsertionGuard g(b);
                       b.setInsertionPoint(bb.getInsertionBlock(),
                                           bb.getInsertionPoint());
                       body(i);
                       scf::YieldOp::create(b, l);
                     });
}

/// `if (cond) body()`.
void ifThen(OpBuilder &b, Location loc, Value cond, function_ref<void()> body) {
  auto op = scf::IfOp::create(b, loc, cond, /*withElse=*/false);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(op.thenBlock());
  body();
}

/// A PTX instruction through inline assembly, 32-bit operands.
Value inlinePTX(OpBuilder &b, Location loc, StringRef text,
                StringRef constraints, Type result, ValueRange operands) {
  auto op = LLVM::InlineAsmOp::create(
      b, loc, result, operands, b.getStringAttr(text),
      b.getStringAttr(constraints), /*has_side_effects=*/nullptr,
      /*is_align_stack=*/nullptr,
      LLVM::TailCallKindAttr::get(b.getContext(),
                                  LLVM::tailcallkind::TailCallKind::None),
      /*asm_dialect=*/nullptr, /*operand_attrs=*/nullptr);
  return op.getResult(0);
}

/// lop3.b32 d, a, b, c, lut.
Value lop3(OpBuilder &b, Location loc, Value a, uint32_t bv, uint32_t cv,
           unsigned lut) {
  std::string text = "lop3.b32 $0, $1, $2, $3, " + std::to_string(lut) + ";";
  return inlinePTX(b, loc, text, "=r,r,r,r", b.getI32Type(),
                   {a, cI32(b, loc, static_cast<int32_t>(bv)),
                    cI32(b, loc, static_cast<int32_t>(cv))});
}

/// prmt.b32 d, a, b, sel.
Value prmt(OpBuilder &b, Location loc, Value a, uint32_t bv, uint32_t sel) {
  return inlinePTX(b, loc, "prmt.b32 $0, $1, $2, $3;", "=r,r,r,r",
                   b.getI32Type(),
                   {a, cI32(b, loc, static_cast<int32_t>(bv)),
                    cI32(b, loc, static_cast<int32_t>(sel))});
}

/// bitcast(bits) - bias as f32.
Value magicToF32(OpBuilder &b, Location loc, Value bits, float bias) {
  Value f = arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
  return arith::SubFOp::create(b, loc, f, cF32(b, loc, bias));
}

constexpr float kTwo23 = 8388608.0f;

unsigned byteWidth(Type t) { return t.getIntOrFloatBitWidth() / 8; }

/// Loads `count` consecutive i32 words starting at word `first` of `mem`
/// with vector loads of at most 128 bits, `alignBytes` being the known
/// alignment of the first word.
void loadWords(OpBuilder &b, Location loc, Value mem, Value first,
               unsigned count, unsigned alignBytes,
               SmallVectorImpl<Value> &out) {
  unsigned per = std::max(1u, std::min(4u, alignBytes / 4));
  for (unsigned i = 0; i < count;) {
    unsigned n = per;
    while (n > count - i)
      n /= 2;
    Value idx = addI(b, loc, first, i);
    if (n == 1) {
      out.push_back(memref::LoadOp::create(b, loc, mem, ValueRange{idx}));
    } else {
      auto vt = VectorType::get({n}, b.getI32Type());
      Value v =
          vector::LoadOp::create(b, loc, vt, mem, ValueRange{idx},
                                 /*nontemporal=*/false, llvm::Align(4 * n));
      for (unsigned j = 0; j < n; ++j)
        out.push_back(vector::ExtractOp::create(b, loc, v, j));
    }
    i += n;
  }
}

/// The largest power of two (<= 16) dividing `bytes`.
unsigned alignOf(int64_t bytes) {
  unsigned a = 16;
  while (a > 1 && bytes % a != 0)
    a /= 2;
  return a;
}

/// Loads an integer of `bytes` (4 or 8) bytes at byte offset 4*word... from
/// an i16 memref: element `i16Index` and the following ones.
Value loadLE(OpBuilder &b, Location loc, Value mem, Value i16Index,
             unsigned bytes) {
  unsigned n = bytes / 2;
  auto vt = VectorType::get({n}, b.getI16Type());
  Value v = vector::LoadOp::create(b, loc, vt, mem, ValueRange{i16Index},
                                   /*nontemporal=*/false, llvm::Align(2));
  Type it = b.getIntegerType(8 * bytes);
  Value w = vector::BitCastOp::create(b, loc, VectorType::get({1}, it), v);
  return vector::ExtractOp::create(b, loc, w, 0);
}

MemRefType sharedType(OpBuilder &b, int64_t n, Type elem) {
  return MemRefType::get(
      {n}, elem, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup));
}

/// A read-only table `name` as a private constant memref.global of the
/// symbol table `module` (created before `func` on first use), read through
/// memref.get_global.
Value getOrCreateTable(OpBuilder &b, Location loc, Operation *module,
                       Operation *func, StringRef name,
                       DenseElementsAttr values) {
  auto ty = MemRefType::get(values.getType().getShape(),
                            values.getType().getElementType());
  if (!SymbolTable::lookupSymbolIn(module, name)) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(func);
    memref::GlobalOp::create(b, loc, name, b.getStringAttr("private"), ty,
                             values, /*constant=*/true,
                             /*alignment=*/nullptr);
  }
  return memref::GetGlobalOp::create(b, loc, ty, name);
}

} // namespace

void KernelEmitter::blockLoop(int64_t lb, int64_t ub, int64_t step,
                              function_ref<void(Value)> body) {
  Value lbV = cIdx(b, loc, lb);
  Value ubV = cIdx(b, loc, ub);
  Value stepV = cIdx(b, loc, step);
  auto loop = scf::ForOp::create(b, loc, lbV, ubV, stepV);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    // Every iteration after the first follows the previous one's phases.
    needBarrier = true;
    body(loop.getInductionVar());
  }
  needBarrier = true;
}

//===----------------------------------------------------------------------===//
// Emitters: GPU and host emulation
//===----------------------------------------------------------------------===//

namespace {

/// Emits into a gpu.func.
class GPUEmitter : public KernelEmitter {
public:
  GPUEmitter(OpBuilder &b, Location loc, const KernelDef &def, unsigned sm,
             gpu::GPUModuleOp module, gpu::GPUFuncOp func,
             SmallVector<Value> sharedBufs)
      : KernelEmitter(b, loc, def, sm, /*portable=*/false), module(module),
        func(func), sharedBufs(std::move(sharedBufs)) {
    tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  }

  Value arg(StringRef name) override {
    for (auto [i, n] : llvm::enumerate(def.argNames))
      if (n == name)
        return func.getArgument(i);
    return nullptr;
  }
  Value shared(unsigned i) override { return sharedBufs[i]; }
  Value blockId() override { return bid; }
  void phase(function_ref<void(Value)> body) override {
    if (needBarrier)
      gpu::BarrierOp::create(b, loc);
    body(tid);
    needBarrier = true;
  }
  Value privateArray(int64_t n, Type elem) override {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&func.getBody().front());
    return memref::AllocaOp::create(b, loc, MemRefType::get({n}, elem));
  }
  Value loadPrivate(Value a, Value, int64_t i) override {
    return memref::LoadOp::create(b, loc, a, ValueRange{cIdx(b, loc, i)});
  }
  void storePrivate(Value a, Value, int64_t i, Value v) override {
    memref::StoreOp::create(b, loc, v, a, ValueRange{cIdx(b, loc, i)});
  }
  void
  warpSumToLane0(Value a, int64_t n,
                 function_ref<void(Value, ArrayRef<Value>)> store) override {
    phase([&](Value t) {
      SmallVector<Value> sums;
      for (int64_t i = 0; i < n; ++i) {
        Value v = loadPrivate(a, t, i);
        for (int32_t off = 16; off >= 1; off /= 2) {
          auto sh =
              gpu::ShuffleOp::create(b, loc, v, off, 32, gpu::ShuffleMode::XOR);
          v = arith::AddFOp::create(b, loc, v, sh.getShuffleResult());
        }
        sums.push_back(v);
      }
      Value lane = remI(b, loc, t, 32);
      Value zero = cIdx(b, loc, 0);
      Value lane0 =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, zero);
      ifThen(b, loc, lane0, [&] { store(t, sums); });
    });
  }
  Value constantTable(StringRef name, DenseElementsAttr values) override {
    return getOrCreateTable(b, loc, module, func, name, values);
  }

private:
  gpu::GPUModuleOp module;
  gpu::GPUFuncOp func;
  SmallVector<Value> sharedBufs;
  Value tid, bid;
};

/// Emits a host function that runs every block and, per phase, every thread
/// in loops. Shared buffers and private arrays are heap buffers of the
/// function (private arrays indexed by thread).
class HostEmitter : public KernelEmitter {
public:
  HostEmitter(OpBuilder &b, Location loc, const KernelDef &def, unsigned sm,
              ModuleOp module, func::FuncOp func,
              const llvm::StringMap<Value> &args, SmallVector<Value> sharedBufs,
              Value bid, SmallVectorImpl<Value> &allocs)
      : KernelEmitter(b, loc, def, sm, /*portable=*/true), module(module),
        func(func), args(args), sharedBufs(std::move(sharedBufs)), bid(bid),
        allocs(allocs) {}

  Value arg(StringRef name) override { return args.lookup(name); }
  Value shared(unsigned i) override { return sharedBufs[i]; }
  Value blockId() override { return bid; }
  void phase(function_ref<void(Value)> body) override {
    Value zero = cIdx(b, loc, 0);
    Value threads = cIdx(b, loc, blockSize());
    Value one = cIdx(b, loc, 1);
    forLoop(b, loc, zero, threads, one, body);
  }
  Value privateArray(int64_t n, Type elem) override {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&func.getBody().front());
    Value a = memref::AllocOp::create(b, loc,
                                      MemRefType::get({blockSize(), n}, elem));
    allocs.push_back(a);
    return a;
  }
  Value loadPrivate(Value a, Value t, int64_t i) override {
    return memref::LoadOp::create(b, loc, a, ValueRange{t, cIdx(b, loc, i)});
  }
  void storePrivate(Value a, Value t, int64_t i, Value v) override {
    memref::StoreOp::create(b, loc, v, a, ValueRange{t, cIdx(b, loc, i)});
  }
  void
  warpSumToLane0(Value a, int64_t n,
                 function_ref<void(Value, ArrayRef<Value>)> store) override {
    phase([&](Value t) {
      Value lane = remI(b, loc, t, 32);
      Value zero = cIdx(b, loc, 0);
      Value lane0 =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, zero);
      ifThen(b, loc, lane0, [&] {
        SmallVector<Value> sums;
        for (int64_t i = 0; i < n; ++i) {
          Value zero = cIdx(b, loc, 0);
          Value lanes = cIdx(b, loc, 32);
          Value one = cIdx(b, loc, 1);
          Value init = cF32(b, loc, 0.0f);
          auto loop =
              scf::ForOp::create(b, loc, zero, lanes, one, ValueRange{init});
          {
            OpBuilder::InsertionGuard g(b);
            b.setInsertionPointToStart(loop.getBody());
            Value tt = arith::AddIOp::create(b, loc, t, loop.getInductionVar());
            Value v = memref::LoadOp::create(b, loc, a,
                                             ValueRange{tt, cIdx(b, loc, i)});
            Value s =
                arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0], v);
            scf::YieldOp::create(b, loc, s);
          }
          sums.push_back(loop.getResult(0));
        }
        store(t, sums);
      });
    });
  }
  Value constantTable(StringRef name, DenseElementsAttr values) override {
    return getOrCreateTable(b, loc, module, func, name, values);
  }

private:
  ModuleOp module;
  func::FuncOp func;
  const llvm::StringMap<Value> &args;
  SmallVector<Value> sharedBufs;
  Value bid;
  SmallVectorImpl<Value> &allocs;
};

} // namespace

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

namespace {

/// Everything a kernel needs to decode the weight.
struct WeightArgs {
  const WeightPlan *plan = nullptr;
  Value codes, scales, zeroPoints, codebooks, superScales, outliers;
  /// Shared-memory lookup table (f32), when the format uses one.
  Value table;
  /// Learned codebooks and Kashin centroids: entry `e` (index) of group
  /// `group` (index), as f32, from wherever the kernel staged them.
  std::function<Value(Value group, Value e)> entry;
  unsigned sm = 80;
  bool portable = false;
};

WeightArgs weightArgs(KernelEmitter &em, const WeightPlan &p) {
  WeightArgs w;
  w.plan = &p;
  w.sm = em.sm;
  w.portable = em.portable;
  for (Section s : p.argSections) {
    Value a = em.arg(num::sectionName(s));
    switch (s) {
    case Section::Codes:
      w.codes = a;
      break;
    case Section::Scales:
      w.scales = a;
      break;
    case Section::ZeroPoints:
      w.zeroPoints = a;
      break;
    case Section::Codebooks:
      w.codebooks = a;
      break;
    case Section::SuperScales:
      w.superScales = a;
      break;
    case Section::Outliers:
      w.outliers = a;
      break;
    }
  }
  return w;
}

/// Whether the format's element decode goes through a lookup table (kept in
/// shared memory).
bool usesTable(const num::FormatSpec &s) {
  if (s.layout == Layout::IQ4_NL)
    return true;
  if (s.layout != Layout::Plain)
    return false;
  return s.kind == ElementKind::Lut ||
         (s.kind == ElementKind::Float && s.bits <= 4);
}

/// Whether 8-bit minifloat codes use the native fp8 -> f16x2 conversion.
bool usesNativeFP8(const num::FormatSpec &s, const WeightArgs &w) {
  return !w.portable && w.sm >= 89 && s.layout == Layout::Plain &&
         s.kind == ElementKind::Float && s.bits == 8 &&
         (s.miniFloat == num::MiniFloatKind::E4M3FN ||
          s.miniFloat == num::MiniFloatKind::E5M2);
}

/// The lookup hook of the shared table (scalar indices).
conv::LookupFn tableHook(const WeightArgs &w,
                         std::function<Value(OpBuilder &, Location,
                                             ArrayRef<float>, Value)> &store) {
  store = [&w](OpBuilder &bb, Location l, ArrayRef<float>, Value idx) -> Value {
    if (!w.table || isa<VectorType>(idx.getType()))
      return nullptr;
    Value i = idx;
    if (i.getType() != bb.getI32Type())
      i = arith::ExtUIOp::create(bb, l, bb.getI32Type(), i);
    Value ix = arith::IndexCastUIOp::create(bb, l, bb.getIndexType(), i);
    return memref::LoadOp::create(bb, l, w.table, ValueRange{ix});
  };
  return store;
}

/// The spec decodeElements sees: with a zero point the reference subtracts
/// it from the raw (unsigned) code, whatever the declared integer kind.
num::FormatSpec elementSpec(const num::FormatSpec &spec) {
  num::FormatSpec s = spec;
  if (s.kind == ElementKind::Int && s.zeroPoint)
    s.intKind = IntKind::Unsigned;
  return s;
}

/// Decodes element `idx` of `word` (i32) holding `bits`-bit codes, unscaled
/// (zero point applied by the caller).
Value decodeCode(OpBuilder &b, Location loc, const WeightArgs &w, Value word,
                 unsigned idx, conv::LookupFn lookup) {
  num::FormatSpec s = elementSpec(w.plan->spec);
  unsigned bits = s.bits;
  bool fastInt =
      !w.portable && s.kind == ElementKind::Int &&
      (s.intKind == IntKind::Unsigned || s.intKind == IntKind::Signed) &&
      (bits == 4 || bits == 8);
  if (fastInt && bits == 4) {
    Value sh = idx ? arith::ShRUIOp::create(b, loc, word, cI32(b, loc, 4 * idx))
                         .getResult()
                   : word;
    if (s.intKind == IntKind::Unsigned)
      // (a & 0xF) | 0x4B000000 = bits of 2^23 + code.
      return magicToF32(b, loc, lop3(b, loc, sh, 0xF, 0x4B000000u, 0xEA),
                        kTwo23);
    // ((a & 0xF) ^ 0x4B000008): 2^23 + (code ^ 8); minus 2^23 + 8 gives the
    // sign-extended nibble.
    return magicToF32(b, loc, lop3(b, loc, sh, 0xF, 0x4B000008u, 0x6A),
                      kTwo23 + 8.0f);
  }
  if (fastInt && bits == 8) {
    uint32_t sel = idx | (4u << 4) | (4u << 8) | (7u << 12);
    if (s.intKind == IntKind::Unsigned)
      return magicToF32(b, loc, prmt(b, loc, word, 0x4B000000u, sel), kTwo23);
    Value flipped = arith::XOrIOp::create(
        b, loc, word, cI32(b, loc, static_cast<int32_t>(0x80808080u)));
    return magicToF32(b, loc, prmt(b, loc, flipped, 0x4B000000u, sel),
                      kTwo23 + 128.0f);
  }
  Value code = conv::emitExtractField(b, loc, word, idx * bits, bits);
  return conv::emitDecodeElements(b, loc, s, code, b.getF32Type(), lookup);
}

/// Decodes four fp8 codes of `word` with two native conversions.
void decodeFP8Word(OpBuilder &b, Location loc, const num::FormatSpec &s,
                   Value word, SmallVectorImpl<Value> &out) {
  const char *text = s.miniFloat == num::MiniFloatKind::E4M3FN
                         ? "cvt.rn.f16x2.e4m3x2 $0, $1;"
                         : "cvt.rn.f16x2.e5m2x2 $0, $1;";
  auto v2f16 = VectorType::get({2}, b.getF16Type());
  for (unsigned half = 0; half < 2; ++half) {
    Value sh =
        half
            ? arith::ShRUIOp::create(b, loc, word, cI32(b, loc, 16)).getResult()
            : word;
    Value h = arith::TruncIOp::create(b, loc, b.getI16Type(), sh);
    Value r = inlinePTX(b, loc, text, "=r,h", b.getI32Type(), {h});
    Value r1 = vector::BroadcastOp::create(
        b, loc, VectorType::get({1}, b.getI32Type()), r);
    Value v = vector::BitCastOp::create(b, loc, v2f16, r1);
    for (int64_t l = 0; l < 2; ++l) {
      Value e = vector::ExtractOp::create(b, loc, v, l);
      out.push_back(arith::ExtFOp::create(b, loc, b.getF32Type(), e));
    }
  }
}

/// The scale group of flat element `flat` (index).
Value groupOf(OpBuilder &b, Location loc, const WeightPlan &p, Value flat) {
  Value group = divI(b, loc, flat, p.groupStride);
  if (p.groupCount > 1 && p.spec.granularity == num::Granularity::Channel)
    group = remI(b, loc, group, p.groupCount);
  return group;
}

/// The decoded f32 scale of `group` (super-scale applied as the reference
/// does: super * decode(stored)), or null when the format has none.
Value groupScale(OpBuilder &b, Location loc, const WeightArgs &w, Value group) {
  const num::FormatSpec &s = w.plan->spec;
  if (!w.scales)
    return nullptr;
  Value raw = memref::LoadOp::create(b, loc, w.scales, ValueRange{group});
  Value scale = s.scaleType == ScaleType::F32
                    ? raw
                    : conv::emitDecodeScale(b, loc, s.scaleType, raw);
  if (w.superScales) {
    Value sup = memref::LoadOp::create(
        b, loc, w.superScales,
        ValueRange{divI(b, loc, group, w.plan->dqGroup)});
    scale = arith::MulFOp::create(b, loc, sup, scale);
  }
  return scale;
}

/// Decodes a code (i32, low bits) of a Plain Int/Float/Lut or learned
/// format to its unscaled value (zero point applied).
Value decodeValue(OpBuilder &b, Location loc, const WeightArgs &w, Value code,
                  Value group, Value zp, conv::LookupFn lookup) {
  const WeightPlan &p = *w.plan;
  if (p.spec.kind == ElementKind::Learned) {
    Value c = conv::emitClampCodes(b, loc, code, p.spec.bits, p.cbEntries);
    return w.entry(group, toIndex(b, loc, c));
  }
  Value v = conv::emitDecodeElements(b, loc, elementSpec(p.spec), code,
                                     b.getF32Type(), lookup);
  if (zp)
    v = conv::emitApplyZeroPoint(b, loc, v, zp);
  return v;
}

/// Decodes the `elemsPerThread` elements starting at flat element
/// `chunk * elemsPerThread`: unscaled values (zero point applied) and the
/// f32 scale of their group (the constant 1 where the values are final).
/// Kashin chunks give the u values in `vals` and the v values in `valsV`.
void decodeChunk(OpBuilder &b, Location loc, const WeightArgs &w, Value chunk,
                 SmallVectorImpl<Value> &vals, Value &scale,
                 SmallVectorImpl<Value> *valsV = nullptr) {
  const WeightPlan &p = *w.plan;
  const num::FormatSpec &s = p.spec;
  std::function<Value(OpBuilder &, Location, ArrayRef<float>, Value)> hookFn;
  conv::LookupFn lookup = tableHook(w, hookFn);

  if (p.scheme == Scheme::GGUF) {
    int64_t half = p.ggufBlockBytes / 2; // i16 per block
    Value base = mulI(b, loc, chunk, half);
    Value d = memref::LoadOp::create(b, loc, w.codes, ValueRange{base});
    scale = conv::emitDecodeScale(b, loc, ScaleType::F16, d);
    unsigned nWords = (p.ggufBlockBytes - 2) / 4; // 4 (q4) or 8 (q8)
    auto vt = VectorType::get({2 * nWords}, b.getI16Type());
    Value first = addI(b, loc, base, 1);
    Value v = vector::LoadOp::create(b, loc, vt, w.codes, ValueRange{first},
                                     /*nontemporal=*/false, llvm::Align(2));
    Value words = vector::BitCastOp::create(
        b, loc, VectorType::get({nWords}, b.getI32Type()), v);
    vals.assign(32, Value());
    for (unsigned j = 0; j < nWords; ++j) {
      Value word = vector::ExtractOp::create(b, loc, words, j);
      if (s.layout == Layout::Q8_0) {
        if (w.portable) {
          for (unsigned t = 0; t < 4; ++t)
            vals[4 * j + t] = conv::emitDecodeElements(
                b, loc, s, conv::emitExtractField(b, loc, word, 8 * t, 8),
                b.getF32Type());
          continue;
        }
        Value flipped = arith::XOrIOp::create(
            b, loc, word, cI32(b, loc, static_cast<int32_t>(0x80808080u)));
        for (unsigned t = 0; t < 4; ++t) {
          uint32_t sel = t | (4u << 4) | (4u << 8) | (7u << 12);
          vals[4 * j + t] = magicToF32(
              b, loc, prmt(b, loc, flipped, 0x4B000000u, sel), kTwo23 + 128);
        }
        continue;
      }
      for (unsigned t = 0; t < 4; ++t) {
        for (unsigned hi = 0; hi < 2; ++hi) {
          unsigned shift = 8 * t + 4 * hi;
          unsigned e = 4 * j + t + 16 * hi;
          if (s.layout == Layout::Q4_0 && !w.portable) {
            Value sh = shift ? arith::ShRUIOp::create(b, loc, word,
                                                      cI32(b, loc, shift))
                                   .getResult()
                             : word;
            vals[e] =
                magicToF32(b, loc, lop3(b, loc, sh, 0xF, 0x4B000000u, 0xEA),
                           kTwo23 + 8.0f);
          } else {
            Value code = conv::emitExtractField(b, loc, word, shift, 4);
            vals[e] = conv::emitDecodeElements(b, loc, s, code, b.getF32Type(),
                                               lookup);
          }
        }
      }
    }
    return;
  }

  if (p.scheme == Scheme::Q4K) {
    // Chunk = (super-block, p): 64 elements from the 32 bytes qs[32p..].
    Value block = divI(b, loc, chunk, 4);
    Value pIdx = remI(b, loc, chunk, 4);
    Value base = mulI(b, loc, block, 36);
    SmallVector<Value> head;
    loadWords(b, loc, w.codes, base, 4, 16, head);
    Value d = conv::emitDecodeScale(b, loc, ScaleType::F16, head[0]);
    Value dmin = conv::emitDecodeScale(
        b, loc, ScaleType::F16,
        arith::ShRUIOp::create(b, loc, head[0], cI32(b, loc, 16)));
    ArrayRef<Value> scaleWords = ArrayRef<Value>(head).drop_front();
    // The scale and min of sub-blocks 2p and 2p + 1, p chosen at run time.
    Value pI32 = toI32(b, loc, pIdx);
    auto pick = [&](unsigned odd, Value &sc, Value &m) {
      for (unsigned q = 0; q < 4; ++q) {
        auto [qs, qm] = conv::emitQ4KScaleMin(b, loc, scaleWords, 2 * q + odd);
        if (q == 0) {
          sc = qs;
          m = qm;
          continue;
        }
        Value is = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pI32,
                                         cI32(b, loc, q));
        sc = arith::SelectOp::create(b, loc, is, qs, sc);
        m = arith::SelectOp::create(b, loc, is, qm, m);
      }
    };
    Value sc0, m0, sc1, m1;
    pick(0, sc0, m0);
    pick(1, sc1, m1);
    auto [d0, mm0] = conv::emitQ4KSubBlockFactors(b, loc, d, dmin, sc0, m0);
    auto [d1, mm1] = conv::emitQ4KSubBlockFactors(b, loc, d, dmin, sc1, m1);
    SmallVector<Value> qs;
    Value qsBase = addI(b, loc, base, 4);
    Value qsOff = mulI(b, loc, pIdx, 8);
    Value qsFirst = arith::AddIOp::create(b, loc, qsBase, qsOff);
    loadWords(b, loc, w.codes, qsFirst, 8, 16, qs);
    vals.assign(64, Value());
    for (unsigned l = 0; l < 32; ++l) {
      Value word = qs[l / 4];
      vals[l] = conv::emitQ4KElements(
          b, loc, conv::emitExtractField(b, loc, word, 8 * (l % 4), 4), d0,
          mm0);
      vals[32 + l] = conv::emitQ4KElements(
          b, loc, conv::emitExtractField(b, loc, word, 8 * (l % 4) + 4, 4), d1,
          mm1);
    }
    scale = cF32(b, loc, 1.0f);
    return;
  }

  Value flat = mulI(b, loc, chunk, p.elemsPerThread);
  Value group = groupOf(b, loc, p, flat);

  if (p.scheme == Scheme::Kashin) {
    int64_t bytesPerChunkU = 4 * p.words, bytesPerChunkV = 4 * p.wordsV;
    SmallVector<Value> wu, wv, cu, cv;
    loadWords(b, loc, w.codes, mulI(b, loc, chunk, p.words), p.words,
              alignOf(bytesPerChunkU), wu);
    conv::emitUnpackStreamCodes(b, loc, wu, s.kashinBitsU, cu);
    if (!s.kashinJoint) {
      loadWords(
          b, loc, w.codes,
          addI(b, loc, mulI(b, loc, chunk, p.wordsV), p.vCodesWord), p.wordsV,
          std::min(alignOf(bytesPerChunkV), alignOf(4 * p.vCodesWord)), wv);
      conv::emitUnpackStreamCodes(b, loc, wv, s.kashinBitsV, cv);
    }
    int64_t ku = int64_t(1) << s.kashinBitsU;
    for (unsigned i = 0; i < p.elemsPerThread; ++i) {
      Value a = toIndex(b, loc, cu[i]);
      if (s.kashinJoint) {
        Value e = mulI(b, loc, a, 2);
        vals.push_back(w.entry(group, e));
        valsV->push_back(w.entry(group, addI(b, loc, e, 1)));
      } else {
        vals.push_back(w.entry(group, a));
        valsV->push_back(
            w.entry(group, addI(b, loc, toIndex(b, loc, cv[i]), ku)));
      }
    }
    scale = cF32(b, loc, 1.0f);
    return;
  }

  // Plain layout: whole words of packed codes.
  Value wordIdx = mulI(b, loc, chunk, p.words);
  SmallVector<Value> words;
  if (p.scheme == Scheme::Words) {
    if (p.words == 1) {
      words.push_back(
          memref::LoadOp::create(b, loc, w.codes, ValueRange{wordIdx}));
    } else {
      auto vt = VectorType::get({p.words}, b.getI32Type());
      Value v = vector::LoadOp::create(b, loc, vt, w.codes, ValueRange{wordIdx},
                                       false, llvm::Align(4 * p.words));
      for (unsigned j = 0; j < p.words; ++j)
        words.push_back(vector::ExtractOp::create(b, loc, v, j));
    }
  } else {
    loadWords(b, loc, w.codes, wordIdx, p.words, alignOf(4 * p.words), words);
  }
  scale = groupScale(b, loc, w, group);
  if (!scale)
    scale = cF32(b, loc, 1.0f);
  Value zp;
  if (s.zeroPoint)
    zp = memref::LoadOp::create(b, loc, w.zeroPoints, ValueRange{group});

  if (p.scheme == Scheme::Stream) {
    SmallVector<Value> codes;
    conv::emitUnpackStreamCodes(b, loc, words, s.bits, codes);
    for (Value c : codes)
      vals.push_back(decodeValue(b, loc, w, c, group, zp, lookup));
    return;
  }
  unsigned perWord = 32 / s.bits;
  for (Value word : words) {
    if (usesNativeFP8(s, w)) {
      decodeFP8Word(b, loc, s, word, vals);
      continue;
    }
    for (unsigned i = 0; i < perWord; ++i)
      vals.push_back(decodeCode(b, loc, w, word, i, lookup));
  }
  if (zp)
    for (Value &v : vals)
      v = conv::emitApplyZeroPoint(b, loc, v, zp);
}

/// The final f32 value of flat element `e` (index) of a Plain Int, Float or
/// Lut weight, decoded on its own (for the outlier correction of the GEMV).
Value decodeElementAt(OpBuilder &b, Location loc, const WeightArgs &w,
                      Value e) {
  const WeightPlan &p = *w.plan;
  const num::FormatSpec &s = p.spec;
  std::function<Value(OpBuilder &, Location, ArrayRef<float>, Value)> hookFn;
  conv::LookupFn lookup = tableHook(w, hookFn);
  Value bit = mulI(b, loc, e, s.bits);
  Value wi = divI(b, loc, bit, 32);
  Value sh = toI32(b, loc, remI(b, loc, bit, 32));
  int64_t nWords = cast<MemRefType>(w.codes.getType()).getNumElements();
  Value next = addI(b, loc, wi, 1);
  Value last = cIdx(b, loc, nWords - 1);
  Value wi1 = arith::MinUIOp::create(b, loc, next, last);
  Value lo = memref::LoadOp::create(b, loc, w.codes, ValueRange{wi});
  Value hi = memref::LoadOp::create(b, loc, w.codes, ValueRange{wi1});
  Value code = conv::emitExtractStreamCodeAt(b, loc, lo, hi, sh, s.bits);
  Value group = groupOf(b, loc, p, e);
  Value zp;
  if (s.zeroPoint)
    zp = memref::LoadOp::create(b, loc, w.zeroPoints, ValueRange{group});
  Value v = decodeValue(b, loc, w, code, group, zp, lookup);
  if (Value scale = groupScale(b, loc, w, group))
    v = conv::emitScale(b, loc, v, scale);
  return v;
}

/// Outlier j: its flat index (index) and its value (f32).
Value outlierIndex(OpBuilder &b, Location loc, const WeightArgs &w, Value j) {
  unsigned ib = w.plan->outlierIndexBytes;
  Value v = loadLE(b, loc, w.outliers, mulI(b, loc, j, ib / 2), ib);
  return toIndex(b, loc, v);
}
Value outlierValue(OpBuilder &b, Location loc, const WeightArgs &w, Value j) {
  const WeightPlan &p = *w.plan;
  ScaleType t = p.spec.outlierType;
  unsigned vb = num::FormatSpec::scaleBits(t) / 8;
  int64_t first = p.numOutliers * p.outlierIndexBytes / 2;
  Value at = addI(b, loc, mulI(b, loc, j, vb / 2), first);
  Value raw = vb == 2
                  ? memref::LoadOp::create(b, loc, w.outliers, ValueRange{at})
                        .getResult()
                  : loadLE(b, loc, w.outliers, at, 4);
  return conv::emitDecodeScale(b, loc, t, raw);
}

/// The first outlier whose index is >= `target` (binary search).
Value lowerBoundOutlier(OpBuilder &b, Location loc, const WeightArgs &w,
                        Value target) {
  Type idx = b.getIndexType();
  auto loop = scf::WhileOp::create(
      b, loc, TypeRange{idx, idx},
      ValueRange{cIdx(b, loc, 0), cIdx(b, loc, w.plan->numOutliers)});
  {
    OpBuilder::InsertionGuard g(b);
    Block *before =
        b.createBlock(&loop.getBefore(), {}, {idx, idx}, {loc, loc});
    b.setInsertionPointToStart(before);
    Value lo = before->getArgument(0), hi = before->getArgument(1);
    scf::ConditionOp::create(b, loc, ult(b, loc, lo, hi), ValueRange{lo, hi});
    Block *after = b.createBlock(&loop.getAfter(), {}, {idx, idx}, {loc, loc});
    b.setInsertionPointToStart(after);
    lo = after->getArgument(0);
    hi = after->getArgument(1);
    Value mid = divI(b, loc, arith::AddIOp::create(b, loc, lo, hi), 2);
    Value below = ult(b, loc, outlierIndex(b, loc, w, mid), target);
    Value lo2 =
        arith::SelectOp::create(b, loc, below, addI(b, loc, mid, 1), lo);
    Value hi2 = arith::SelectOp::create(b, loc, below, hi, mid);
    scf::YieldOp::create(b, loc, ValueRange{lo2, hi2});
  }
  return loop.getResult(0);
}

/// Stores f32 `vals` (scaled by `scale`) converted to the output type with
/// stores of at most 128 bits (and at most `maxPer` elements): the store of
/// elements i ... goes to `out[at(i)]`.
void storeValues(OpBuilder &b, Location loc, Value out, Type outElem,
                 function_ref<Value(int64_t)> at, ArrayRef<Value> vals,
                 Value scale, int64_t maxPer) {
  unsigned ew = byteWidth(outElem);
  int64_t per = std::min<int64_t>(
      std::min<int64_t>(static_cast<int64_t>(vals.size()), 16 / ew), maxPer);
  for (int64_t i = 0; i < static_cast<int64_t>(vals.size()); i += per) {
    Value idx = at(i);
    if (per == 1) {
      Value v = conv::emitConvertResult(
          b, loc, conv::emitScale(b, loc, vals[i], scale), outElem);
      memref::StoreOp::create(b, loc, v, out, ValueRange{idx});
      continue;
    }
    auto vt = VectorType::get({per}, b.getF32Type());
    Value v = vector::FromElementsOp::create(b, loc, vt, vals.slice(i, per));
    v = conv::emitConvertResult(b, loc, conv::emitScale(b, loc, v, scale),
                                outElem);
    vector::StoreOp::create(b, loc, v, out, ValueRange{idx}, false,
                            llvm::Align(per * ew));
  }
}

/// 16-byte slots of one thread's chunk when the dequantization kernel stages
/// its output in shared memory, 0 when it stores straight to global memory.
/// A thread that stores a chunk of several slots itself leaves each warp
/// store spread over `slots` times the bytes it writes (half-filled sectors,
/// several times the L2 transactions); staging lets the block write its
/// contiguous output with consecutive lanes on consecutive 16-byte slots.
static int64_t stagedSlots(const WeightPlan &w, Type outElem, int64_t bs) {
  int64_t chunkBytes = w.elemsPerThread * byteWidth(outElem);
  int64_t slots = chunkBytes / 16;
  if (chunkBytes % 16 != 0 || slots < 2 || !isPow2(slots) || !isPow2(bs) ||
      bs < 8 || bs * chunkBytes > 32 * 1024)
    return 0;
  return slots;
}

/// Swizzled 16-byte slot of the staging buffer for slot `k` of thread `t`'s
/// chunk (`slots` per chunk): t * slots + (k ^ h(t)), h(t) < slots chosen so
/// that the 8 lanes of one 128-bit shared access (a thread's k-th slots, or
/// 8 consecutive logical slots) fall in 8 distinct bank quads.
static Value stagedSlot(OpBuilder &b, Location loc, Value t, Value k,
                        int64_t slots) {
  Value h = slots >= 8 ? remI(b, loc, t, 8)
                       : remI(b, loc, divI(b, loc, t, 8 / slots), slots);
  Value base = mulI(b, loc, t, slots);
  return arith::AddIOp::create(b, loc, base,
                               arith::XOrIOp::create(b, loc, k, h));
}

/// Copies the format's decode table into shared buffer `table` (a loop of
/// the calling phase).
void fillTable(KernelEmitter &em, StringRef kernelName,
               const num::FormatSpec &spec, Value table, Value tid) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  SmallVector<float> t = conv::decodeTable(spec);
  auto tt =
      RankedTensorType::get({static_cast<int64_t>(t.size())}, b.getF32Type());
  Value global =
      em.constantTable((kernelName + "_table").str(),
                       DenseElementsAttr::get(tt, ArrayRef<float>(t)));
  Value size = cIdx(b, loc, t.size());
  Value stride = cIdx(b, loc, em.blockSize());
  forLoop(b, loc, tid, size, stride, [&](Value i) {
    Value v = memref::LoadOp::create(b, loc, global, ValueRange{i});
    memref::StoreOp::create(b, loc, v, table, ValueRange{i});
  });
}

/// The f32 value of codebook entry `e` of group `g` as stored: learned
/// (f32, f16 or bf16 raw bits) or Kashin (f32 after the 8-byte seed).
Value loadCodebookEntry(OpBuilder &b, Location loc, const WeightArgs &w,
                        Value g, Value e) {
  const WeightPlan &p = *w.plan;
  Value at = arith::AddIOp::create(b, loc, mulI(b, loc, g, p.cbEntries), e);
  if (p.spec.kind == ElementKind::Kashin) {
    Value raw = memref::LoadOp::create(b, loc, w.codebooks,
                                       ValueRange{addI(b, loc, at, 2)});
    return arith::BitcastOp::create(b, loc, b.getF32Type(), raw);
  }
  Value raw = memref::LoadOp::create(b, loc, w.codebooks, ValueRange{at});
  if (p.spec.scaleType == ScaleType::F32)
    return raw;
  return conv::emitDecodeScale(b, loc, p.spec.scaleType, raw);
}

/// Stages the codebooks of groups [g0, g0 + count) into `slice` (f32,
/// count * cbEntries values from `sliceBase`), threads `first`, `first` +
/// `stride`, ... each copying entries.
void stageCodebooks(OpBuilder &b, Location loc, const WeightArgs &w,
                    Value slice, Value sliceBase, Value g0, int64_t count,
                    Value first, int64_t stride) {
  const WeightPlan &p = *w.plan;
  int64_t e = p.cbEntries;
  Value total = cIdx(b, loc, count * e);
  Value step = cIdx(b, loc, stride);
  forLoop(b, loc, first, total, step, [&](Value i) {
    Value g = arith::AddIOp::create(b, loc, g0, divI(b, loc, i, e));
    Value groups = cIdx(b, loc, p.groupCount);
    ifThen(b, loc, ult(b, loc, g, groups), [&] {
      Value v = loadCodebookEntry(b, loc, w, g, remI(b, loc, i, e));
      memref::StoreOp::create(
          b, loc, v, slice,
          ValueRange{arith::AddIOp::create(b, loc, sliceBase, i)});
    });
  });
}

} // namespace

//===----------------------------------------------------------------------===//
// Kashin transforms: num::RandomizedTransform, operation for operation
//===----------------------------------------------------------------------===//

namespace {

/// An f64 array of a Kashin transform: element i at mem[base + i] (shared
/// memory with base 0, or a block's slice of the global workspace).
struct F64Array {
  Value mem, base;
};

/// Whether the DCT of length n goes through Bluestein's algorithm.
bool isBluestein(const num::FormatSpec &spec, int64_t n) {
  return spec.kashinTransform == num::KashinTransform::DCT && !isPow2(n);
}

/// The power-of-two length of the Bluestein FFT of a length-n DCT.
int64_t bluesteinLength(int64_t n) {
  int64_t m = 1;
  while (m < 2 * n - 1)
    m *= 2;
  return m;
}

/// f64 values one Kashin vector of length n needs: Hadamard n; DCT of a
/// power-of-two length 3n (real, imaginary, scratch); Bluestein 4m + n (two
/// complex buffers of the inner length m, scratch).
int64_t kashinDoubles(const num::FormatSpec &spec, int64_t n) {
  if (spec.kashinTransform == num::KashinTransform::Hadamard)
    return n;
  if (isBluestein(spec, n))
    return 4 * bluesteinLength(n) + n;
  return 3 * n;
}

/// The sign-randomised transform P of one Kashin vector of length n with the
/// f64 data flow of num::RandomizedTransform: num::fwht, or num::DCTPlan over
/// num::FFTPlan (radix 2, or Bluestein's chirp-z through a radix-2 plan),
/// with the plans' own twiddles, rotations and chirps as constant tables, so
/// that the results are the reference's bit for bit.
struct KashinTransformEmitter {
  KernelEmitter &em;
  const num::FormatSpec &spec;
  int64_t n;
  bool dct, bluestein;
  /// Radix-2 length: n, or the Bluestein length m.
  int64_t len;
  unsigned logLen = 0;
  /// Hadamard: A. DCT: A (real), B (imaginary), C (real scratch).
  /// Bluestein: (A, B) and (Y, Z) complex buffers of length m, C.
  F64Array A, B, C, Y, Z;
  /// The Codebooks section (i32 words); its first 8 bytes are the seed.
  Value codebooks;
  std::unique_ptr<num::DCTPlan> plan;

  /// The arrays live in `mem` (f64) from `base` on (kashinDoubles(spec, n)
  /// values).
  KashinTransformEmitter(KernelEmitter &em, const num::FormatSpec &spec,
                         int64_t n, Value mem, Value base, Value codebooks)
      : em(em), spec(spec), n(n),
        dct(spec.kashinTransform == num::KashinTransform::DCT),
        bluestein(isBluestein(spec, n)),
        len(bluestein ? bluesteinLength(n) : n), codebooks(codebooks) {
    while ((int64_t(1) << logLen) < len)
      ++logLen;
    int64_t off = 0;
    auto array = [&](int64_t size) {
      F64Array a{mem, addI(em.b, em.loc, base, off)};
      off += size;
      return a;
    };
    A = array(len);
    if (dct) {
      B = array(len);
      C = array(n);
    }
    if (bluestein) {
      Y = array(len);
      Z = array(len);
    }
    if (dct)
      plan = std::make_unique<num::DCTPlan>(n);
  }

  OpBuilder &b() { return em.b; }
  Location loc() { return em.loc; }

  Value at(const F64Array &a, Value i) {
    return arith::AddIOp::create(b(), loc(), a.base, i);
  }
  Value load(const F64Array &a, Value i) {
    Value idx = at(a, i);
    return memref::LoadOp::create(b(), loc(), a.mem, ValueRange{idx});
  }
  void store(Value v, const F64Array &a, Value i) {
    Value idx = at(a, i);
    memref::StoreOp::create(b(), loc(), v, a.mem, ValueRange{idx});
  }
  Value load(Value table, Value i) {
    return memref::LoadOp::create(b(), loc(), table, ValueRange{i});
  }
  Value mulF(Value x, Value y) {
    return arith::MulFOp::create(b(), loc(), x, y);
  }
  Value isZero(Value k) {
    Value zero = cIdx(b(), loc(), 0);
    return arith::CmpIOp::create(b(), loc(), arith::CmpIPredicate::eq, k, zero);
  }
  Value selectF(Value c, double t, double f) {
    Value tv = cF64(b(), loc(), t);
    Value fv = cF64(b(), loc(), f);
    return arith::SelectOp::create(b(), loc(), c, tv, fv);
  }
  /// The position of element i in the radix-2 input order.
  Value reversed(Value i) {
    Value r = conv::emitBitReverse(b(), loc(), toI32(b(), loc(), i), logLen);
    return toIndex(b(), loc(), r);
  }

  /// eps[i] (f64 +-1) of the seed stored in the Codebooks section.
  Value sign(Value i) {
    OpBuilder &bb = b();
    Type i64 = bb.getI64Type();
    Value lo = load(codebooks, cIdx(bb, loc(), 0));
    Value hi = load(codebooks, cIdx(bb, loc(), 1));
    Value w0 = arith::ExtUIOp::create(bb, loc(), i64, lo);
    Value w1 = arith::ExtUIOp::create(bb, loc(), i64, hi);
    Value c32 = arith::ConstantIntOp::create(bb, loc(), i64, 32);
    Value high = arith::ShLIOp::create(bb, loc(), w1, c32);
    Value seed = arith::OrIOp::create(bb, loc(), w0, high);
    Value idx = arith::IndexCastUIOp::create(bb, loc(), i64, i);
    return conv::emitKashinSign(bb, loc(), seed, idx);
  }

  /// A constant f64 table (one per name).
  Value table(const Twine &name, ArrayRef<double> values) {
    auto tt = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b().getF64Type());
    return em.constantTable(("qf_" + name).str(),
                            DenseElementsAttr::get(tt, values));
  }
  /// The real and imaginary parts of a complex table.
  std::pair<Value, Value> complexTable(const Twine &name,
                                       ArrayRef<std::complex<double>> c) {
    SmallVector<double> re, im;
    for (const std::complex<double> &v : c) {
      re.push_back(v.real());
      im.push_back(v.imag());
    }
    Value r = table(name + "_re", re);
    Value i = table(name + "_im", im);
    return {r, i};
  }

  /// Loops i = tid, tid + blockSize, ... < count in the current phase.
  void threads(Value tid, int64_t count, function_ref<void(Value)> body) {
    threads(tid, 0, count, body);
  }
  void threads(Value tid, int64_t first, int64_t count,
               function_ref<void(Value)> body) {
    Value start = addI(b(), loc(), tid, first);
    Value ub = cIdx(b(), loc(), count);
    Value stride = cIdx(b(), loc(), em.blockSize());
    forLoop(b(), loc(), start, ub, stride, body);
  }

  /// Stores the complex (re, im) * chirp[k] (conjugated first when
  /// `conjugate`) at the bit-reversed position of k in (A, B): the first step
  /// of num::FFTPlan::bluestein.
  void chirpIn(Value k, Value re, Value im, bool conjugate, Value cr,
               Value ci) {
    if (conjugate)
      im = arith::NegFOp::create(b(), loc(), im);
    Value wr = load(cr, k);
    Value wi = load(ci, k);
    auto [pr, pi] = conv::emitComplexMul(b(), loc(), re, im, wr, wi);
    Value q = reversed(k);
    store(pr, A, q);
    store(pi, B, q);
  }

  /// Phase-level: the zero padding of the Bluestein buffer (k in [n, m)).
  void zeroPad(Value tid) {
    threads(tid, n, len, [&](Value k) {
      Value q = reversed(k);
      Value zero = cF64(b(), loc(), 0.0);
      store(zero, A, q);
      store(zero, B, q);
    });
  }

  /// The radix-2 passes of num::FFTPlan (forward or inverse) on (re, im),
  /// already in bit-reversed order.
  void fftStages(const F64Array &re, const F64Array &im, bool inverse) {
    const num::FFTPlan &fft =
        bluestein ? *plan->fftPlan().bluesteinPlan() : plan->fftPlan();
    for (unsigned s = 0; s < logLen; ++s) {
      int64_t span = int64_t(2) << s, half = span / 2, step = len / span;
      em.phase([&](Value tid) {
        auto [twr, twi] =
            complexTable("fft_twiddle_" + Twine(len), fft.twiddles());
        threads(tid, len / 2, [&](Value t) {
          OpBuilder &bb = b();
          Value i = mulI(bb, loc(), divI(bb, loc(), t, half), span);
          Value j = remI(bb, loc(), t, half);
          Value a = arith::AddIOp::create(bb, loc(), i, j);
          Value c = addI(bb, loc(), a, half);
          Value wIdx = mulI(bb, loc(), j, step);
          Value wr = load(twr, wIdx);
          Value wi = load(twi, wIdx);
          if (inverse)
            wi = arith::NegFOp::create(bb, loc(), wi);
          Value ur = load(re, a), ui = load(im, a);
          Value vr = load(re, c), vi = load(im, c);
          std::array<Value, 4> r =
              conv::emitFFTButterfly(bb, loc(), ur, ui, vr, vi, wr, wi);
          store(r[0], re, a);
          store(r[1], im, a);
          store(r[2], re, c);
          store(r[3], im, c);
        });
      });
    }
  }

  /// Bluestein between its first and last step: the forward FFT of (A, B),
  /// the product with the kernel into (Y, Z) in bit-reversed order, the
  /// inverse FFT of (Y, Z).
  void bluesteinCore() {
    fftStages(A, B, /*inverse=*/false);
    em.phase([&](Value tid) {
      auto [kr, ki] = complexTable("bluestein_kernel_" + Twine(n),
                                   plan->fftPlan().bluesteinKernel());
      threads(tid, len, [&](Value k) {
        Value xr = load(A, k), xi = load(B, k);
        Value wr = load(kr, k);
        Value wi = load(ki, k);
        auto [pr, pi] = conv::emitComplexMul(b(), loc(), xr, xi, wr, wi);
        Value q = reversed(k);
        store(pr, Y, q);
        store(pi, Z, q);
      });
    });
    fftStages(Y, Z, /*inverse=*/true);
  }

  /// (Y[k] * chirp[k]) * (1/m): the last step of Bluestein (before the
  /// conjugation of the inverse).
  std::pair<Value, Value> chirpOut(Value k, Value cr, Value ci) {
    double scale = 1.0 / double(len);
    Value yr = load(Y, k), yi = load(Z, k);
    Value wr = load(cr, k);
    Value wi = load(ci, k);
    auto [tr, ti] = conv::emitComplexMul(b(), loc(), yr, yi, wr, wi);
    Value sc = cF64(b(), loc(), scale);
    Value re = mulF(tr, sc);
    Value im = mulF(ti, sc);
    return {re, im};
  }

  /// Phase: the input vector, element j = value(j) (f64). `withSigns`
  /// multiplies by eps first (Hadamard apply, not its transpose).
  void loadInput(function_ref<Value(Value j)> value, bool withSigns) {
    em.phase([&](Value tid) {
      std::pair<Value, Value> chirp;
      if (bluestein)
        chirp = complexTable("bluestein_chirp_" + Twine(n),
                             plan->fftPlan().bluesteinChirp());
      threads(tid, n, [&](Value j) {
        Value x = value(j);
        if (!dct) {
          if (withSigns)
            x = mulF(x, sign(j));
          store(x, A, j);
          return;
        }
        // DCT forward: v[pos(j)] = (x, 0), then the FFT's input order.
        Value p = conv::emitDCTPosition(b(), loc(), j, n);
        Value zero = cF64(b(), loc(), 0.0);
        if (bluestein) {
          chirpIn(p, x, zero, /*conjugate=*/false, chirp.first, chirp.second);
          return;
        }
        // Radix 2: the bit reversal is an involution, a'[rev(p)] = a[p].
        Value q = reversed(p);
        store(x, A, q);
        store(zero, B, q);
      });
      if (bluestein)
        zeroPad(tid);
    });
  }

  /// The forward (false) or inverse FFT of num::FFTPlan on the loaded data,
  /// leaving the result in natural order in (A, B) (radix 2) or, for
  /// Bluestein, in (Y, Z) before its last step.
  void fft(bool inverse) {
    if (bluestein)
      bluesteinCore();
    else
      fftStages(A, B, inverse);
  }

  /// DCT: forward post-processing, eps, inverse pre-processing into the
  /// input order of the inverse FFT: the middle of apply().
  void dctMiddle() {
    double dn = static_cast<double>(n);
    double s0 = std::sqrt(1.0 / dn), s1 = std::sqrt(2.0 / dn);
    double s0i = std::sqrt(dn), s1i = std::sqrt(dn / 2.0);
    if (bluestein) {
      // The forward transform's last step: a[k] = Y[k] chirp[k] / m.
      em.phase([&](Value tid) {
        auto [cr, ci] = complexTable("bluestein_chirp_" + Twine(n),
                                     plan->fftPlan().bluesteinChirp());
        threads(tid, n, [&](Value k) {
          auto [re, im] = chirpOut(k, cr, ci);
          store(re, A, k);
          store(im, B, k);
        });
      });
    }
    // tmp[k] = (v[k] * rot[k]).real() * (k == 0 ? s0 : s1); tmp[k] *= eps[k].
    em.phase([&](Value tid) {
      auto [tr, ti] = complexTable("dct_rot_" + Twine(n), plan->rotations());
      threads(tid, n, [&](Value k) {
        Value vr = load(A, k), vi = load(B, k);
        Value rr = load(tr, k);
        Value ri = load(ti, k);
        auto [x, unused] = conv::emitComplexMul(b(), loc(), vr, vi, rr, ri);
        (void)unused;
        Value sk = selectF(isZero(k), s0, s1);
        x = mulF(x, sk);
        x = mulF(x, sign(k));
        store(x, C, k);
      });
    });
    // v[k] = conj(rot[k]) * (tmp[k] * s_k, -(k ? tmp[n - k] * s1i : 0)).
    em.phase([&](Value tid) {
      auto [tr, ti] = complexTable("dct_rot_" + Twine(n), plan->rotations());
      std::pair<Value, Value> chirp;
      if (bluestein)
        chirp = complexTable("bluestein_chirp_" + Twine(n),
                             plan->fftPlan().bluesteinChirp());
      threads(tid, n, [&](Value k) {
        OpBuilder &bb = b();
        Value z = isZero(k);
        Value ck = load(C, k);
        Value sk = selectF(z, s0i, s1i);
        Value xk = mulF(ck, sk);
        Value zeroIdx = cIdx(bb, loc(), 0);
        Value nIdx = cIdx(bb, loc(), n);
        Value nMinusK = arith::SubIOp::create(bb, loc(), nIdx, k);
        Value nk = arith::SelectOp::create(bb, loc(), z, zeroIdx, nMinusK);
        Value cnk = load(C, nk);
        Value s1v = cF64(bb, loc(), s1i);
        Value prod = mulF(cnk, s1v);
        Value zeroF = cF64(bb, loc(), 0.0);
        Value xnk = arith::SelectOp::create(bb, loc(), z, zeroF, prod);
        // conj(rot[k]) * (xk, -xnk).
        Value rr = load(tr, k);
        Value ri = load(ti, k);
        Value nri = arith::NegFOp::create(bb, loc(), ri);
        Value nxnk = arith::NegFOp::create(bb, loc(), xnk);
        auto [re, im] = conv::emitComplexMul(bb, loc(), rr, nri, xk, nxnk);
        if (bluestein) {
          // The inverse transform's first step: conj(v[k]) * chirp[k].
          chirpIn(k, re, im, /*conjugate=*/true, chirp.first, chirp.second);
          return;
        }
        Value q = reversed(k);
        store(re, A, q);
        store(im, B, q);
      });
      if (bluestein)
        zeroPad(tid);
    });
  }

  /// num::fwht's passes on A.
  void fwhtStages() {
    for (unsigned s = 0; s < logLen; ++s) {
      int64_t half = int64_t(1) << s;
      em.phase([&](Value tid) {
        threads(tid, n / 2, [&](Value t) {
          OpBuilder &bb = b();
          Value pair = mulI(bb, loc(), divI(bb, loc(), t, half), 2 * half);
          Value off = remI(bb, loc(), t, half);
          Value j = arith::AddIOp::create(bb, loc(), pair, off);
          Value j2 = addI(bb, loc(), j, half);
          Value x = load(A, j), y = load(A, j2);
          store(arith::AddFOp::create(bb, loc(), x, y), A, j);
          store(arith::SubFOp::create(bb, loc(), x, y), A, j2);
        });
      });
    }
  }

  /// Applies P (apply()) or P^T (applyT()) to the loaded input; the DCT is
  /// symmetric.
  void transform() {
    if (!dct) {
      fwhtStages();
      return;
    }
    fft(/*inverse=*/false);
    dctMiddle();
    fft(/*inverse=*/true);
  }

  /// Phase: consume the result, out(i, value f64) for every element i.
  void readOutput(bool transpose, function_ref<void(Value i, Value)> out) {
    double dn = static_cast<double>(n);
    double scale = 1.0 / dn, hs = 1.0 / std::sqrt(dn);
    em.phase([&](Value tid) {
      std::pair<Value, Value> chirp;
      if (bluestein)
        chirp = complexTable("bluestein_chirp_" + Twine(n),
                             plan->fftPlan().bluesteinChirp());
      threads(tid, n, [&](Value i) {
        OpBuilder &bb = b();
        Value v;
        if (dct) {
          // out[i] = v[pos(i)].real() / n; Bluestein's v[k] is
          // conj(Y[k] chirp[k] / m), of real part (Y[k] chirp[k]).real / m.
          Value p = conv::emitDCTPosition(bb, loc(), i, n);
          Value x = bluestein ? chirpOut(p, chirp.first, chirp.second).first
                              : load(A, p);
          Value sc = cF64(bb, loc(), scale);
          v = mulF(x, sc);
        } else if (transpose) {
          // out[i] *= s * eps[i].
          Value x = load(A, i);
          Value s = cF64(bb, loc(), hs);
          Value e = sign(i);
          v = mulF(x, mulF(s, e));
        } else {
          Value x = load(A, i);
          Value s = cF64(bb, loc(), hs);
          v = mulF(x, s);
        }
        out(i, v);
      });
    });
  }
};

/// The `bits`-bit code of element `e` (index) of the code stream starting
/// at i32 word `firstWord` of `codes`.
Value codeAt(OpBuilder &b, Location loc, Value codes, int64_t firstWord,
             Value e, unsigned bits) {
  Value bit = mulI(b, loc, e, bits);
  Value wi = addI(b, loc, divI(b, loc, bit, 32), firstWord);
  int64_t nWords = cast<MemRefType>(codes.getType()).getNumElements();
  Value next = addI(b, loc, wi, 1);
  Value last = cIdx(b, loc, nWords - 1);
  Value wi1 = arith::MinUIOp::create(b, loc, next, last);
  Value lo = memref::LoadOp::create(b, loc, codes, ValueRange{wi});
  Value hi = memref::LoadOp::create(b, loc, codes, ValueRange{wi1});
  Value sh = toI32(b, loc, remI(b, loc, bit, 32));
  return conv::emitExtractStreamCodeAt(b, loc, lo, hi, sh, bits);
}

MemRefType f64Buffer(OpBuilder &b, int64_t n) {
  return MemRefType::get({n}, b.getF64Type());
}
MemRefType f32Buffer(OpBuilder &b, int64_t n) {
  return MemRefType::get({n}, b.getF32Type());
}

/// Threads per block of a Kashin transform kernel: one per butterfly of the
/// longest FFT pass, in whole warps, at most the block size asked for.
int64_t kashinBlockSize(const num::FormatSpec &s, int64_t n,
                        const KernelOptions &opts) {
  int64_t len = isBluestein(s, n) ? bluesteinLength(n) : n;
  int64_t t = (std::max<int64_t>(32, len / 2) + 31) / 32 * 32;
  return std::min<int64_t>(opts.blockSize, t);
}

/// Whether the Kashin arrays of a block (plus `sharedExtra` bytes) fit in the
/// chip's shared memory; otherwise they go to the global workspace.
bool kashinInShared(const num::FormatSpec &s, int64_t n, int64_t sharedExtra,
                    const KernelOptions &opts) {
  return !isBluestein(s, n) &&
         8 * kashinDoubles(s, n) + sharedExtra <= opts.maxSharedBytes();
}

/// At most this many blocks share the Kashin workspace of a dequantization
/// (each loops over vectors).
constexpr int64_t kMaxKashinWorkspaceBlocks = 256;

/// Kashin dequantization: one block per vector (or, with the workspace, a
/// grid of blocks looping over the vectors).
KernelDef kashinDequantKernel(StringRef name, const WeightPlan &w, Type outElem,
                              const KernelOptions &opts) {
  OpBuilder b(outElem.getContext());
  const num::FormatSpec &s = w.spec;
  int64_t n = w.groupStride;
  int64_t doubles = kashinDoubles(s, n);
  bool inShared = kashinInShared(s, n, 4 * w.cbEntries, opts);
  int64_t blocks = inShared ? w.groupCount
                            : std::min(w.groupCount, kMaxKashinWorkspaceBlocks);
  KernelDef def;
  def.name = name.str();
  def.argTypes = {w.argTypes[0], w.argTypes[1],
                  MemRefType::get({w.numel}, outElem)};
  def.argNames = {"codes", "codebooks", "out"};
  if (!inShared) {
    def.argTypes.push_back(f64Buffer(b, blocks * doubles));
    def.argNames.push_back("workspace");
  }
  def.block = {kashinBlockSize(s, n, opts), 1, 1};
  def.grid = {blocks, 1, 1};
  def.shared.push_back(f32Buffer(b, w.cbEntries));
  if (inShared)
    def.shared.push_back(f64Buffer(b, doubles));
  const WeightPlan *wp = &w;
  def.body = [wp, n, outElem, inShared, blocks, doubles](KernelEmitter &em) {
    const WeightPlan &w = *wp;
    const num::FormatSpec &s = w.spec;
    OpBuilder &b = em.b;
    Location loc = em.loc;
    Value codes = em.arg("codes"), cbs = em.arg("codebooks"),
          out = em.arg("out");
    Value cb = em.shared(0);
    Value bid = em.blockId();
    Value mem = inShared ? em.shared(1) : em.arg("workspace");
    Value base = inShared ? cIdx(b, loc, 0) : mulI(b, loc, bid, doubles);
    WeightArgs wa;
    wa.plan = &w;
    wa.codebooks = cbs;
    int64_t ku = int64_t(1) << s.kashinBitsU;
    auto centroid = [&](Value idx) {
      Value f = memref::LoadOp::create(b, loc, cb, ValueRange{idx});
      return arith::ExtFOp::create(b, loc, b.getF64Type(), f).getResult();
    };
    // Vector `gid`: its centroids, its v values, P^T, then u + P^T v.
    auto vector = [&](Value gid) {
      KashinTransformEmitter t(em, s, n, mem, base, cbs);
      em.phase([&](Value tid) {
        Value entries = cIdx(b, loc, w.cbEntries);
        Value stride = cIdx(b, loc, em.blockSize());
        forLoop(b, loc, tid, entries, stride, [&](Value e) {
          Value v = loadCodebookEntry(b, loc, wa, gid, e);
          memref::StoreOp::create(b, loc, v, cb, ValueRange{e});
        });
      });
      Value first = mulI(b, loc, gid, n);
      t.loadInput(
          [&](Value j) {
            Value e = arith::AddIOp::create(b, loc, first, j);
            if (s.kashinJoint) {
              Value c =
                  toIndex(b, loc, codeAt(b, loc, codes, 0, e, s.kashinBitsU));
              return centroid(addI(b, loc, mulI(b, loc, c, 2), 1));
            }
            Value c = toIndex(
                b, loc, codeAt(b, loc, codes, w.vCodesWord, e, s.kashinBitsV));
            return centroid(addI(b, loc, c, ku));
          },
          /*withSigns=*/false);
      t.transform();
      t.readOutput(/*transpose=*/true, [&](Value i, Value back) {
        Value e = arith::AddIOp::create(b, loc, first, i);
        Value c = toIndex(b, loc, codeAt(b, loc, codes, 0, e, s.kashinBitsU));
        Value u = centroid(s.kashinJoint ? mulI(b, loc, c, 2) : c);
        Value r = arith::AddFOp::create(b, loc, u, back);
        Value f = conv::emitTruncF32Saturated(b, loc, r);
        Value o = conv::emitConvertResult(b, loc, f, outElem);
        memref::StoreOp::create(b, loc, o, out, ValueRange{e});
      });
    };
    if (inShared) {
      vector(bid);
      return;
    }
    // A block loops over vectors bid, bid + blocks, ...; past the last one
    // it repeats the last vector (the same values, written again).
    int64_t rounds = (w.groupCount + blocks - 1) / blocks;
    em.blockLoop(0, rounds, 1, [&](Value r) {
      Value g = arith::AddIOp::create(b, loc, bid, mulI(b, loc, r, blocks));
      Value last = cIdx(b, loc, w.groupCount - 1);
      vector(arith::MinUIOp::create(b, loc, g, last));
    });
  };
  return def;
}

/// Kashin GEMV, first kernel: scratch[m, k] = (P x_m)[k] per vector segment.
KernelDef kashinTransformKernel(StringRef name, const WeightPlan &w, int64_t m,
                                int64_t k, Type lhsElem,
                                const KernelOptions &opts) {
  OpBuilder b(lhsElem.getContext());
  const num::FormatSpec &s = w.spec;
  int64_t n = w.groupStride;
  int64_t segs = k / n;
  int64_t doubles = kashinDoubles(s, n);
  bool inShared = kashinInShared(s, n, 0, opts);
  KernelDef def;
  def.name = name.str();
  def.argTypes = {w.argTypes[1], MemRefType::get({m * k}, lhsElem),
                  f32Buffer(b, m * k)};
  def.argNames = {"codebooks", "lhs", "scratch"};
  def.block = {kashinBlockSize(s, n, opts), 1, 1};
  def.grid = {m * segs, 1, 1};
  if (inShared) {
    def.shared.push_back(f64Buffer(b, doubles));
  } else {
    def.argTypes.push_back(f64Buffer(b, m * segs * doubles));
    def.argNames.push_back("workspace");
  }
  const WeightPlan *wp = &w;
  def.body = [wp, n, k, segs, inShared, doubles](KernelEmitter &em) {
    const num::FormatSpec &s = wp->spec;
    OpBuilder &b = em.b;
    Location loc = em.loc;
    Value bid = em.blockId();
    Value mem = inShared ? em.shared(0) : em.arg("workspace");
    Value wsBase = inShared ? cIdx(b, loc, 0) : mulI(b, loc, bid, doubles);
    KashinTransformEmitter t(em, s, n, mem, wsBase, em.arg("codebooks"));
    Value rowBase = mulI(b, loc, divI(b, loc, bid, segs), k);
    Value segBase = mulI(b, loc, remI(b, loc, bid, segs), n);
    Value base = arith::AddIOp::create(b, loc, rowBase, segBase);
    Value lhs = em.arg("lhs"), scratch = em.arg("scratch");
    t.loadInput(
        [&](Value j) {
          Value at = arith::AddIOp::create(b, loc, base, j);
          Value x = memref::LoadOp::create(b, loc, lhs, ValueRange{at});
          return arith::ExtFOp::create(b, loc, b.getF64Type(), x).getResult();
        },
        /*withSigns=*/true);
    t.transform();
    t.readOutput(/*transpose=*/false, [&](Value i, Value v) {
      Value f = arith::TruncFOp::create(b, loc, b.getF32Type(), v);
      Value at = arith::AddIOp::create(b, loc, base, i);
      memref::StoreOp::create(b, loc, f, scratch, ValueRange{at});
    });
  };
  return def;
}

} // namespace

//===----------------------------------------------------------------------===//
// Dequantization kernels
//===----------------------------------------------------------------------===//

/// Groups a run of `span` consecutive elements can touch.
static int64_t groupsSpanned(const WeightPlan &w, int64_t span) {
  return std::min<int64_t>(w.groupCount,
                           (span + w.groupStride - 1) / w.groupStride + 1);
}

/// Threads per block of the chunked dequantization kernel: the block size
/// asked for, halved while a learned codebook tile exceeds 48 KiB.
static int64_t dequantBlockSize(const WeightPlan &w,
                                const KernelOptions &opts) {
  int64_t bs = opts.blockSize;
  if (w.spec.kind != ElementKind::Learned)
    return bs;
  while (bs > 32 &&
         groupsSpanned(w, bs * w.elemsPerThread) * w.cbEntries * 4 > 48 * 1024)
    bs /= 2;
  return bs;
}

KernelDefs gpu_lowering::dequantKernels(StringRef name, const WeightPlan &w,
                                        Type outElem,
                                        const KernelOptions &opts) {
  KernelDefs defs;
  if (w.scheme == Scheme::Kashin) {
    defs.push_back(kashinDequantKernel(name, w, outElem, opts));
    return defs;
  }
  OpBuilder b(outElem.getContext());
  KernelDef def;
  def.name = name.str();
  int64_t bs = dequantBlockSize(w, opts);
  int64_t chunks = w.numel / w.elemsPerThread;
  def.block = {bs, 1, 1};
  def.grid = {(chunks + bs - 1) / bs, 1, 1};
  for (auto [t, n] : llvm::zip(w.argTypes, w.argNames)) {
    if (n == "outliers")
      continue; // patched by the next kernel
    def.argTypes.push_back(t);
    def.argNames.push_back(n);
  }
  def.argTypes.push_back(MemRefType::get({w.numel}, outElem));
  def.argNames.push_back("out");
  bool table = usesTable(w.spec);
  bool learned = w.spec.kind == ElementKind::Learned;
  int64_t cbGroups = learned ? groupsSpanned(w, bs * w.elemsPerThread) : 0;
  if (table)
    def.shared.push_back(
        f32Buffer(b, static_cast<int64_t>(conv::decodeTable(w.spec).size())));
  if (learned)
    def.shared.push_back(f32Buffer(b, cbGroups * w.cbEntries));
  unsigned stageBuf = def.shared.size();
  if (int64_t slots = stagedSlots(w, outElem, bs))
    def.shared.push_back(
        MemRefType::get({bs * slots * 16 / byteWidth(outElem)}, outElem));
  const WeightPlan *wp = &w;
  std::string kname = name.str();
  def.body = [wp, outElem, table, learned, cbGroups, chunks, stageBuf,
              kname](KernelEmitter &em) {
    const WeightPlan &w = *wp;
    OpBuilder &b = em.b;
    Location loc = em.loc;
    int64_t bs = em.blockSize();
    WeightArgs wa = weightArgs(em, w);
    Value out = em.arg("out");
    Value bid = em.blockId();
    Value cb = learned ? em.shared(table ? 1 : 0) : Value();
    Value g0;
    if (learned)
      g0 = groupOf(b, loc, w, mulI(b, loc, bid, bs * w.elemsPerThread));
    if (table || learned)
      em.phase([&](Value tid) {
        if (table)
          fillTable(em, kname, w.spec, em.shared(0), tid);
        if (learned)
          stageCodebooks(b, loc, wa, cb, cIdx(b, loc, 0), g0, cbGroups, tid,
                         bs);
      });
    if (table)
      wa.table = em.shared(0);
    if (learned)
      wa.entry = [&](Value g, Value e) -> Value {
        Value at = arith::AddIOp::create(
            b, loc,
            mulI(b, loc, arith::SubIOp::create(b, loc, g, g0), w.cbEntries), e);
        return memref::LoadOp::create(b, loc, cb, ValueRange{at});
      };
    int64_t slots = stagedSlots(w, outElem, bs);
    int64_t per = 16 / byteWidth(outElem);
    Value stage = slots ? em.shared(stageBuf) : Value();
    em.phase([&](Value tid) {
      Value chunk = arith::AddIOp::create(b, loc, mulI(b, loc, bid, bs), tid);
      Value numChunks = cIdx(b, loc, chunks);
      ifThen(b, loc, ult(b, loc, chunk, numChunks), [&] {
        SmallVector<Value> vals;
        Value scale;
        decodeChunk(b, loc, wa, chunk, vals, scale);
        Value flat = mulI(b, loc, chunk, w.elemsPerThread);
        if (!slots) {
          storeValues(
              b, loc, out, outElem,
              [&](int64_t i) { return addI(b, loc, flat, i); }, vals, scale,
              w.elemsPerThread);
          return;
        }
        storeValues(
            b, loc, stage, outElem,
            [&](int64_t i) {
              Value s = stagedSlot(b, loc, tid, cIdx(b, loc, i / per), slots);
              return mulI(b, loc, s, per);
            },
            vals, scale, per);
      });
    });
    if (!slots)
      return;
    // Write the block's output: lane-consecutive 16-byte slots.
    em.phase([&](Value tid) {
      int64_t totalSlots = w.numel / per;
      Value blockSlot0 = mulI(b, loc, bid, bs * slots);
      Value total = cIdx(b, loc, totalSlots);
      auto vt = VectorType::get({per}, outElem);
      for (int64_t j = 0; j < slots; ++j) {
        Value l = addI(b, loc, tid, j * bs);
        Value g = arith::AddIOp::create(b, loc, blockSlot0, l);
        ifThen(b, loc, ult(b, loc, g, total), [&] {
          Value s = stagedSlot(b, loc, divI(b, loc, l, slots),
                               remI(b, loc, l, slots), slots);
          Value v = vector::LoadOp::create(b, loc, vt, stage,
                                           ValueRange{mulI(b, loc, s, per)},
                                           false, llvm::Align(16));
          vector::StoreOp::create(b, loc, v, out,
                                  ValueRange{mulI(b, loc, g, per)}, false,
                                  llvm::Align(16));
        });
      }
    });
  };
  defs.push_back(std::move(def));

  if (w.numOutliers > 0) {
    // Scatter the outliers over the decoded tensor.
    KernelDef patch;
    patch.name = (name + "_outliers").str();
    int64_t pbs = std::min<int64_t>(opts.blockSize, 256);
    patch.block = {pbs, 1, 1};
    patch.grid = {(w.numOutliers + pbs - 1) / pbs, 1, 1};
    for (auto [t, n] : llvm::zip(w.argTypes, w.argNames))
      if (n == "outliers") {
        patch.argTypes.push_back(t);
        patch.argNames.push_back(n);
      }
    patch.argTypes.push_back(MemRefType::get({w.numel}, outElem));
    patch.argNames.push_back("out");
    patch.body = [wp, outElem](KernelEmitter &em) {
      OpBuilder &b = em.b;
      Location loc = em.loc;
      WeightArgs wa;
      wa.plan = wp;
      wa.outliers = em.arg("outliers");
      Value out = em.arg("out");
      em.phase([&](Value tid) {
        Value j = arith::AddIOp::create(
            b, loc, mulI(b, loc, em.blockId(), em.blockSize()), tid);
        Value count = cIdx(b, loc, wp->numOutliers);
        ifThen(b, loc, ult(b, loc, j, count), [&] {
          Value v = conv::emitConvertResult(b, loc, outlierValue(b, loc, wa, j),
                                            outElem);
          memref::StoreOp::create(b, loc, v, out,
                                  ValueRange{outlierIndex(b, loc, wa, j)});
        });
      });
    };
    defs.push_back(std::move(patch));
  }
  return defs;
}

//===----------------------------------------------------------------------===//
// GEMV / small-M GEMM kernel
//===----------------------------------------------------------------------===//

/// Floats of one lane's padded slice of the activation tile: the lane's
/// elements plus 4 floats, so that 8 lanes reading 16 bytes each hit
/// disjoint banks.
static int64_t laneStride(const WeightPlan &w) { return w.elemsPerThread + 4; }

namespace {
/// Shared-memory layout of the GEMV kernel.
struct GemvLayout {
  int64_t tile = 0;      ///< floats of one activation tile (m rows)
  bool twoTiles = false; ///< Kashin: x and P x
  int64_t table = 0;     ///< decode table entries
  int64_t cbGroups = 0;  ///< codebook groups per warp
  int64_t cbFloats = 0;  ///< codebook floats of all warps
  bool cbPerRow = false; ///< a warp's row lies in one group: staged once
  int64_t unroll = 1;    ///< warp steps per staged tile (see gemvLayout)
};
} // namespace

/// Shared bytes up to which the GEMV stages several warp steps at once.
static constexpr int64_t kGemvUnrollBytes = 24 * 1024;

static GemvLayout gemvLayout(const WeightPlan &w, int64_t m,
                             const KernelOptions &opts, int64_t k) {
  GemvLayout l;
  l.tile = m * 32 * laneStride(w);
  l.twoTiles = w.scheme == Scheme::Kashin;
  if (usesTable(w.spec))
    l.table = static_cast<int64_t>(conv::decodeTable(w.spec).size());
  if (w.cbEntries) {
    int64_t kt = 32 * w.elemsPerThread;
    l.cbPerRow = w.groupStride % k == 0;
    l.cbGroups = l.cbPerRow ? 1 : groupsSpanned(w, std::min(kt, k));
    l.cbFloats = opts.warpsPerBlock * l.cbGroups * w.cbEntries;
  }
  // Several warp steps per staged tile: a lane then issues that many
  // independent 16-byte weight loads between two barriers instead of one,
  // and the block crosses a quarter as many barriers. Only while the shared
  // memory stays small (the occupancy) and never for codebooks staged per
  // step (their slice covers one step), nor with sparse outliers (ptxas
  // spills the correction loop's registers), nor for the GGUF blocks (q4_0
  // and q4_k ran 4-8% slower on an H100 with four steps).
  if (!(w.cbEntries && !l.cbPerRow) && w.numOutliers == 0 && !w.isGGUF) {
    int64_t fullSteps = k / (32 * w.elemsPerThread);
    int64_t tiles = l.twoTiles ? 2 : 1;
    // At most ept / 8 steps: int8 (16 codes a lane) with four steps per
    // tile spills a register in ptxas (sm_90, f32 activations).
    int64_t maxUnroll = std::min<int64_t>(4, w.elemsPerThread / 8);
    while (l.unroll < maxUnroll && 2 * l.unroll <= fullSteps &&
           4 * (2 * l.unroll * l.tile * tiles + l.table + l.cbFloats) <=
               kGemvUnrollBytes)
      l.unroll *= 2;
  }
  l.tile *= l.unroll;
  return l;
}

int64_t gpu_lowering::gemvSharedBytes(const WeightPlan &w, int64_t m,
                                      const KernelOptions &opts, int64_t k) {
  GemvLayout l = gemvLayout(w, m, opts, k);
  return 4 * (l.tile * (l.twoTiles ? 2 : 1) + l.table + l.cbFloats);
}

static KernelDef gemvMainKernel(StringRef name, const WeightPlan &w, int64_t m,
                                int64_t n, int64_t k, Type lhsElem,
                                Type outElem, const KernelOptions &opts) {
  OpBuilder b(lhsElem.getContext());
  KernelDef def;
  def.name = name.str();
  int64_t wpb = opts.warpsPerBlock;
  def.block = {wpb * 32, 1, 1};
  def.grid = {(n + wpb - 1) / wpb, 1, 1};
  bool kashin = w.scheme == Scheme::Kashin;
  def.argTypes.assign(w.argTypes.begin(), w.argTypes.end());
  def.argNames.assign(w.argNames.begin(), w.argNames.end());
  def.argTypes.push_back(MemRefType::get({m * k}, lhsElem));
  def.argNames.push_back("lhs");
  if (kashin) {
    def.argTypes.push_back(f32Buffer(b, m * k));
    def.argNames.push_back("scratch");
  }
  def.argTypes.push_back(MemRefType::get({m * n}, outElem));
  def.argNames.push_back("out");
  GemvLayout lay = gemvLayout(w, m, opts, k);
  // Buffers: tile, [P x tile], [table], [codebooks].
  def.shared.push_back(f32Buffer(b, lay.tile));
  if (lay.twoTiles)
    def.shared.push_back(f32Buffer(b, lay.tile));
  if (lay.table)
    def.shared.push_back(f32Buffer(b, lay.table));
  if (lay.cbFloats)
    def.shared.push_back(f32Buffer(b, lay.cbFloats));
  const WeightPlan *wp = &w;
  std::string kname = name.str();
  def.body = [wp, m, n, k, lhsElem, outElem, lay, kname](KernelEmitter &em) {
    const WeightPlan &w = *wp;
    OpBuilder &b = em.b;
    Location loc = em.loc;
    int64_t bs = em.blockSize(), wpb = bs / 32;
    int64_t ept = w.elemsPerThread;
    int64_t kt = 32 * ept;      // K elements per warp step
    int64_t xp = laneStride(w); // padded floats per lane
    int64_t ktp = 32 * xp;      // padded floats per activation row
    int64_t steps = (k + kt - 1) / kt;
    unsigned lw = byteWidth(lhsElem);
    int64_t vw = 16 / lw; // activation elements per 128-bit load
    while (vw > 1 && (k % vw != 0 || ept % vw != 0))
      vw /= 2;
    unsigned next = 0;
    Value xs = em.shared(next++);
    Value xs2 = lay.twoTiles ? em.shared(next++) : Value();
    Value table = lay.table ? em.shared(next++) : Value();
    Value cbs = lay.cbFloats ? em.shared(next++) : Value();
    WeightArgs wa = weightArgs(em, w);
    wa.table = table;
    Value lhs = em.arg("lhs"), out = em.arg("out");
    Value scratch = lay.twoTiles ? em.arg("scratch") : Value();
    Value bid = em.blockId();
    auto contract = arith::FastMathFlagsAttr::get(
        b.getContext(), arith::FastMathFlags::contract);
    auto fma = [&](Value x, Value y, Value acc) -> Value {
      Value p = arith::MulFOp::create(b, loc, x, y, contract);
      return arith::AddFOp::create(b, loc, p, acc, contract);
    };
    // Row of the warp of thread `tid`, clamped into the matrix.
    auto rowOf = [&](Value tid) {
      Value warp = divI(b, loc, tid, 32);
      return arith::AddIOp::create(b, loc, mulI(b, loc, bid, wpb), warp)
          .getResult();
    };
    auto clampRow = [&](Value row) {
      return arith::MinUIOp::create(b, loc, row, cIdx(b, loc, n - 1))
          .getResult();
    };
    // The first group of a warp's step and its codebook slice.
    auto firstGroup = [&](Value rowc, Value k0) {
      return groupOf(b, loc, w,
                     arith::AddIOp::create(b, loc, mulI(b, loc, rowc, k), k0));
    };
    auto sliceBase = [&](Value tid) {
      return mulI(b, loc, divI(b, loc, tid, 32), lay.cbGroups * w.cbEntries);
    };
    auto stageCb = [&](Value tid, Value k0) {
      Value base = sliceBase(tid);
      Value g0 = firstGroup(clampRow(rowOf(tid)), k0);
      Value lane = remI(b, loc, tid, 32);
      stageCodebooks(b, loc, wa, cbs, base, g0, lay.cbGroups, lane, 32);
    };

    Value acc = em.privateArray(m, b.getF32Type());
    em.phase([&](Value tid) {
      for (int64_t mi = 0; mi < m; ++mi)
        em.storePrivate(acc, tid, mi, cF32(b, loc, 0.0f));
      if (table)
        fillTable(em, kname, w.spec, table, tid);
      if (cbs && lay.cbPerRow)
        stageCb(tid, cIdx(b, loc, 0));
    });

    // One staged tile of `sub` warp steps from k0: lane l of sub-step u
    // reads its slice at (u * 32 + l) * xp of each activation row. Unless
    // `guarded`, every lane's chunk lies inside K (no bounds test), so the
    // sub-steps' weight loads lie in one straight-line block, free for ptxas
    // to issue ahead of the decoding.
    int64_t rowStride = lay.unroll * ktp; // floats per activation row
    auto tileStep = [&](Value k0, int64_t sub, bool guarded) {
      int64_t chunksPerRow = sub * kt / vw;
      // Stage lhs[:, k0 : k0 + sub * kt] (and P x) as f32, padded per lane
      // slice.
      em.phase([&](Value tid) {
        auto stage = [&](Value src, Type elem, unsigned width, Value dstBuf) {
          Value total = cIdx(b, loc, m * chunksPerRow);
          Value stride = cIdx(b, loc, bs);
          forLoop(b, loc, tid, total, stride, [&](Value c) {
            Value mi = divI(b, loc, c, chunksPerRow);
            Value kk = mulI(b, loc, remI(b, loc, c, chunksPerRow), vw);
            Value kg = arith::AddIOp::create(b, loc, k0, kk);
            Value kEnd = cIdx(b, loc, k);
            ifThen(b, loc, ult(b, loc, kg, kEnd), [&] {
              Value from =
                  arith::AddIOp::create(b, loc, mulI(b, loc, mi, k), kg);
              Value rowOff = mulI(b, loc, mi, rowStride);
              Value laneOff = mulI(b, loc, divI(b, loc, kk, ept), xp);
              Value inLane = remI(b, loc, kk, ept);
              Value col = arith::AddIOp::create(b, loc, laneOff, inLane);
              Value dst = arith::AddIOp::create(b, loc, rowOff, col);
              if (vw == 1) {
                Value v = memref::LoadOp::create(b, loc, src, ValueRange{from});
                if (elem != b.getF32Type())
                  v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
                memref::StoreOp::create(b, loc, v, dstBuf, ValueRange{dst});
                return;
              }
              Value v = vector::LoadOp::create(
                  b, loc, VectorType::get({vw}, elem), src, ValueRange{from},
                  false, llvm::Align(vw * width));
              if (elem != b.getF32Type())
                v = arith::ExtFOp::create(
                    b, loc, VectorType::get({vw}, b.getF32Type()), v);
              // Stores of at most 16 bytes keep the shared accesses
              // vectorised.
              for (int64_t o = 0; o < vw; o += 4) {
                int64_t len = std::min<int64_t>(4, vw);
                Value part = v;
                if (len != vw)
                  part = vector::ShuffleOp::create(
                      b, loc, v, v, ArrayRef<int64_t>{o, o + 1, o + 2, o + 3});
                vector::StoreOp::create(b, loc, part, dstBuf,
                                        ValueRange{addI(b, loc, dst, o)}, false,
                                        llvm::Align(4 * len));
              }
            });
          });
        };
        stage(lhs, lhsElem, lw, xs);
        if (xs2)
          stage(scratch, b.getF32Type(), 4, xs2);
        if (cbs && !lay.cbPerRow)
          stageCb(tid, k0);
      });

      // This lane's packed words of the row.
      em.phase([&](Value tid) {
        Value lane = remI(b, loc, tid, 32);
        Value rowc = clampRow(rowOf(tid));
        Value kEnd = cIdx(b, loc, k);
        for (int64_t u = 0; u < sub; ++u) {
          Value kl = arith::AddIOp::create(b, loc, addI(b, loc, k0, u * kt),
                                           mulI(b, loc, lane, ept));
          auto chunkDot = [&] {
            Value flat =
                arith::AddIOp::create(b, loc, mulI(b, loc, rowc, k), kl);
            Value chunk = divI(b, loc, flat, ept);
            if (cbs) {
              Value g0 = firstGroup(rowc, lay.cbPerRow ? cIdx(b, loc, 0) : k0);
              Value base = sliceBase(tid);
              wa.entry = [&, g0, base](Value g, Value e) -> Value {
                Value at = arith::AddIOp::create(
                    b, loc,
                    arith::AddIOp::create(
                        b, loc, base,
                        mulI(b, loc, arith::SubIOp::create(b, loc, g, g0),
                             w.cbEntries)),
                    e);
                return memref::LoadOp::create(b, loc, cbs, ValueRange{at});
              };
            }
            SmallVector<Value> vals, valsV;
            Value scale;
            decodeChunk(b, loc, wa, chunk, vals, scale, &valsV);
            Value laneBase = mulI(b, loc, addI(b, loc, lane, u * 32), xp);
            for (int64_t mi = 0; mi < m; ++mi) {
              Value base = addI(b, loc, laneBase, mi * rowStride);
              // Four independent partial sums per row.
              SmallVector<Value> part(4, cF32(b, loc, 0.0f));
              auto dot = [&](ArrayRef<Value> v, Value buf) {
                for (int64_t j = 0; j < ept; j += 4) {
                  Value x4 = vector::LoadOp::create(
                      b, loc, VectorType::get({4}, b.getF32Type()), buf,
                      ValueRange{addI(b, loc, base, j)}, false,
                      llvm::Align(16));
                  for (int64_t t = 0; t < 4; ++t) {
                    Value x = vector::ExtractOp::create(b, loc, x4, t);
                    part[t] = fma(v[j + t], x, part[t]);
                  }
                }
              };
              dot(vals, xs);
              if (xs2)
                dot(valsV, xs2);
              Value s01 = arith::AddFOp::create(b, loc, part[0], part[1]);
              Value s23 = arith::AddFOp::create(b, loc, part[2], part[3]);
              Value sum = arith::AddFOp::create(b, loc, s01, s23);
              em.storePrivate(acc, tid, mi,
                              fma(scale, sum, em.loadPrivate(acc, tid, mi)));
            }
          };
          if (guarded)
            ifThen(b, loc, ult(b, loc, kl, kEnd), chunkDot);
          else
            chunkDot();
        }
      });
    };
    // Whole tiles of full steps, then the remaining steps one per tile.
    int64_t mainIters = k / kt / lay.unroll;
    if (mainIters > 0)
      em.blockLoop(0, mainIters, 1, [&](Value it) {
        tileStep(mulI(b, loc, it, lay.unroll * kt), lay.unroll, false);
      });
    if (mainIters * lay.unroll < steps)
      em.blockLoop(mainIters * lay.unroll, steps, 1, [&](Value step) {
        tileStep(mulI(b, loc, step, kt), 1, true);
      });

    if (w.numOutliers > 0) {
      // sum_k x_k W_nk with outliers = the dense sum + sum over the row's
      // outliers of x_k (outlier - dense value).
      if (cbs)
        // Learned codebooks: an outlier's group need not be the one staged
        // in shared memory; read its entry from global memory (the staged
        // values are the same f32 numbers).
        wa.entry = [&](Value g, Value e) {
          return loadCodebookEntry(b, loc, wa, g, e);
        };
      em.phase([&](Value tid) {
        Value lane = remI(b, loc, tid, 32);
        Value rowc = clampRow(rowOf(tid));
        Value t0 = mulI(b, loc, rowc, k);
        Value lo = lowerBoundOutlier(b, loc, wa, t0);
        Value hi = lowerBoundOutlier(b, loc, wa, addI(b, loc, t0, k));
        Value first = arith::AddIOp::create(b, loc, lo, lane);
        Value lanes = cIdx(b, loc, 32);
        forLoop(b, loc, first, hi, lanes, [&](Value j) {
          Value e = outlierIndex(b, loc, wa, j);
          Value kk = arith::SubIOp::create(b, loc, e, t0);
          Value exact = outlierValue(b, loc, wa, j);
          Value dense = decodeElementAt(b, loc, wa, e);
          Value delta = arith::SubFOp::create(b, loc, exact, dense);
          for (int64_t mi = 0; mi < m; ++mi) {
            Value x = memref::LoadOp::create(
                b, loc, lhs, ValueRange{addI(b, loc, kk, mi * k)});
            if (lhsElem != b.getF32Type())
              x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
            em.storePrivate(acc, tid, mi,
                            fma(delta, x, em.loadPrivate(acc, tid, mi)));
          }
        });
      });
    }

    // Warp reduction and store by lane 0.
    em.warpSumToLane0(acc, m, [&](Value tid, ArrayRef<Value> sums) {
      Value row = rowOf(tid);
      Value rows = cIdx(b, loc, n);
      ifThen(b, loc, ult(b, loc, row, rows), [&] {
        for (int64_t mi = 0; mi < m; ++mi) {
          Value v = conv::emitConvertResult(b, loc, sums[mi], outElem);
          memref::StoreOp::create(b, loc, v, out,
                                  ValueRange{addI(b, loc, row, mi * n)});
        }
      });
    });
  };
  return def;
}

KernelDefs gpu_lowering::gemvKernels(StringRef name, const WeightPlan &w,
                                     int64_t m, int64_t n, int64_t k,
                                     Type lhsElem, Type outElem,
                                     const KernelOptions &opts) {
  KernelDefs defs;
  if (w.scheme == Scheme::Kashin)
    defs.push_back(
        kashinTransformKernel((name + "_px").str(), w, m, k, lhsElem, opts));
  defs.push_back(gemvMainKernel(name, w, m, n, k, lhsElem, outElem, opts));
  return defs;
}

//===----------------------------------------------------------------------===//
// Materialisation
//===----------------------------------------------------------------------===//

KernelInfo gpu_lowering::emitGPUKernel(OpBuilder &b, Location loc,
                                       gpu::GPUModuleOp module,
                                       const KernelDef &def,
                                       const KernelOptions &opts) {
  KernelInfo info;
  info.grid = def.grid;
  info.block = def.block;
  info.argNames.assign(def.argNames.begin(), def.argNames.end());
  int64_t shared = def.sharedBytes();
  bool dynamic = shared > 48 * 1024;
  SmallVector<Type> workgroup;
  if (!dynamic)
    for (MemRefType t : def.shared)
      workgroup.push_back(
          sharedType(b, t.getNumElements(), t.getElementType()));

  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToEnd(module.getBody());
  auto f = gpu::GPUFuncOp::create(
      b, loc, def.name, b.getFunctionType(def.argTypes, {}), workgroup);
  f->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  auto toI32 = [](std::array<int64_t, 3> v) {
    return SmallVector<int32_t>{static_cast<int32_t>(v[0]),
                                static_cast<int32_t>(v[1]),
                                static_cast<int32_t>(v[2])};
  };
  // 16-byte aligned, like the views of the dynamic allocation: the staged
  // dequantization output is read and written 128 bits at a time.
  for (unsigned i = 0; i < workgroup.size(); ++i)
    f.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                  b.getI64IntegerAttr(16));
  f.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(toI32(def.block)));
  f.setKnownGridSizeAttr(b.getDenseI32ArrayAttr(toI32(def.grid)));
  SmallVector<Attribute> names;
  for (const std::string &s : def.argNames) {
    names.push_back(b.getStringAttr(s));
    if (s == "scratch" || s == "workspace") {
      auto t = cast<MemRefType>(def.argTypes[names.size() - 1]);
      f->setAttr("qf." + s + "_bytes",
                 b.getI64IntegerAttr(t.getNumElements() *
                                     t.getElementTypeBitWidth() / 8));
    }
  }
  f->setAttr("qf.kernel_args", b.getArrayAttr(names));
  info.func = f;

  b.setInsertionPointToStart(&f.getBody().front());
  SmallVector<Value> bufs;
  if (!dynamic) {
    for (BlockArgument a : f.getWorkgroupAttributions())
      bufs.push_back(a);
  } else {
    // One dynamic allocation, 16-byte aligned views.
    auto i8Dyn = MemRefType::get(
        {ShapedType::kDynamic}, b.getI8Type(), MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup));
    Value raw = gpu::DynamicSharedMemoryOp::create(b, loc, i8Dyn);
    int64_t off = 0;
    for (MemRefType t : def.shared) {
      Value v = memref::ViewOp::create(
          b, loc, sharedType(b, t.getNumElements(), t.getElementType()), raw,
          cIdx(b, loc, off), ValueRange{});
      bufs.push_back(v);
      off +=
          (t.getNumElements() * t.getElementTypeBitWidth() / 8 + 15) / 16 * 16;
    }
    info.dynamicSharedBytes = off;
    f->setAttr("qf.dynamic_shared_bytes", b.getI64IntegerAttr(off));
  }
  GPUEmitter em(b, loc, def, opts.smVersion(), module, f, bufs);
  def.body(em);
  gpu::ReturnOp::create(b, loc);
  return info;
}

func::FuncOp gpu_lowering::emitHostEmulation(OpBuilder &b, Location loc,
                                             ModuleOp module, StringRef name,
                                             ArrayRef<Type> argTypes,
                                             ArrayRef<std::string> argNames,
                                             ArrayRef<KernelDef> kernels,
                                             const KernelOptions &opts) {
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToEnd(module.getBody());
  auto f = func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  f->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  Block *entry = f.addEntryBlock();
  b.setInsertionPointToStart(entry);
  llvm::StringMap<Value> args;
  for (auto [i, n] : llvm::enumerate(argNames))
    args[n] = entry->getArgument(i);
  SmallVector<Value> allocs;
  for (const KernelDef &def : kernels) {
    for (auto [t, n] : llvm::zip(def.argTypes, def.argNames))
      if (!args.count(n)) {
        Value a = memref::AllocOp::create(b, loc, cast<MemRefType>(t));
        allocs.push_back(a);
        args[n] = a;
      }
    SmallVector<Value> bufs;
    for (MemRefType t : def.shared) {
      Value a = memref::AllocOp::create(b, loc, t);
      allocs.push_back(a);
      bufs.push_back(a);
    }
    Value zero = cIdx(b, loc, 0);
    Value blocks = cIdx(b, loc, def.grid[0]);
    Value one = cIdx(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, zero, blocks, one);
    {
      OpBuilder::InsertionGuard lg(b);
      b.setInsertionPointToStart(loop.getBody());
      HostEmitter em(b, loc, def, opts.smVersion(), module, f, args, bufs,
                     loop.getInductionVar(), allocs);
      def.body(em);
    }
  }
  for (Value a : allocs)
    memref::DeallocOp::create(b, loc, a);
  func::ReturnOp::create(b, loc);
  return f;
}
