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
//    bank conflicts, lookup tables in shared memory;
//  * instruction selection for integer codes: a 4-bit code becomes an f32
//    with one `lop3` (code | 0x4B000000, the float 2^23 + code) and one
//    subtraction, an 8-bit code with one `prmt` that moves the byte under
//    the same exponent; fp8 codes use the native `cvt.rn.f16x2.e4m3x2`
//    (sm_89 and later). These give exactly the values the portable decode
//    gives (small integers and fp8 values are exact in f32);
//  * warp reductions with gpu.shuffle.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "qforge/Conversion/QFCommon/DecodeEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

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
  if (spec.kind == ElementKind::Learned || spec.kind == ElementKind::Kashin) {
    why = "learned and Kashin codebooks are not decoded by the GPU kernels";
    return false;
  }
  if (spec.layout == Layout::Q4_K) {
    why = "the q4_k layout is not decoded by the GPU kernels";
    return false;
  }
  if (spec.outlierFraction > 0) {
    why = "sparse outliers are not patched by the GPU kernels";
    return false;
  }
  if (spec.doubleQuant) {
    why = "double-quantized scales are not decoded by the GPU kernels";
    return false;
  }
  if (!conv::isDecodable(spec, why))
    return false;
  std::vector<int64_t> shp(shape.begin(), shape.end());
  std::array<uint64_t, num::kNumSections> bytes = num::sectionBytes(spec, shp);
  auto i16 = IntegerType::get(ctx, 16), i32 = IntegerType::get(ctx, 32);

  if (spec.layout != Layout::Plain) {
    plan.isGGUF = true;
    plan.ggufBlockBytes = spec.layout == Layout::Q8_0 ? 34 : 18;
    plan.elemsPerThread = 32;
    if (plan.numel % 32 != 0 || (rowLength && rowLength % 32 != 0)) {
      why = "GGUF blocks must not straddle rows";
      return false;
    }
    plan.argTypes.push_back(
        MemRefType::get({static_cast<int64_t>(bytes[0] / 2)}, i16));
    plan.argNames.push_back("codes");
    plan.argSections.push_back(Section::Codes);
    return true;
  }

  if (spec.bits != 1 && spec.bits != 2 && spec.bits != 4 && spec.bits != 8) {
    why = "codes of " + std::to_string(spec.bits) +
          " bits straddle 32-bit words (the GPU kernels read 1, 2, 4 or "
          "8-bit codes)";
    return false;
  }
  // Groups along the flat order.
  int rank = static_cast<int>(shape.size());
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
    break;
  }
  }
  for (unsigned w = maxWords; w >= 1; w /= 2) {
    unsigned ept = w * 32 / spec.bits;
    if (plan.numel % ept == 0 && plan.groupStride % ept == 0 &&
        (!rowLength || rowLength % ept == 0)) {
      plan.words = w;
      plan.elemsPerThread = ept;
      break;
    }
  }
  if (!plan.words) {
    why = "no whole 32-bit word of codes lies within one scale group";
    return false;
  }
  plan.argTypes.push_back(
      MemRefType::get({static_cast<int64_t>(bytes[0] / 4)}, i32));
  plan.argNames.push_back("codes");
  plan.argSections.push_back(Section::Codes);
  if (spec.scaleType != ScaleType::None) {
    plan.argTypes.push_back(MemRefType::get(
        {spec.numGroups(shp)}, scaleStorageType(ctx, spec.scaleType)));
    plan.argNames.push_back("scales");
    plan.argSections.push_back(Section::Scales);
  }
  if (spec.zeroPoint) {
    plan.argTypes.push_back(
        MemRefType::get({spec.numGroups(shp)}, IntegerType::get(ctx, 8)));
    plan.argNames.push_back("zero_points");
    plan.argSections.push_back(Section::ZeroPoints);
  }
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

/// Everything a kernel needs to decode the weight.
struct WeightArgs {
  const WeightPlan *plan = nullptr;
  Value codes, scales, zeroPoints;
  /// Shared-memory lookup table (f32), when the format uses one.
  Value table;
  unsigned sm = 80;
};

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
bool usesNativeFP8(const num::FormatSpec &s, unsigned sm) {
  return sm >= 89 && s.layout == Layout::Plain &&
         s.kind == ElementKind::Float && s.bits == 8 &&
         (s.miniFloat == num::MiniFloatKind::E4M3FN ||
          s.miniFloat == num::MiniFloatKind::E5M2);
}

/// Decodes element `idx` of `word` (i32) holding `bits`-bit codes, unscaled
/// (zero point applied by the caller).
Value decodeCode(OpBuilder &b, Location loc, const WeightArgs &w, Value word,
                 unsigned idx, conv::LookupFn lookup) {
  // With a zero point the reference subtracts it from the raw (unsigned)
  // code, whatever the declared integer kind.
  num::FormatSpec s = w.plan->spec;
  if (s.kind == ElementKind::Int && s.zeroPoint)
    s.intKind = IntKind::Unsigned;
  unsigned bits = s.bits;
  bool fastInt =
      s.kind == ElementKind::Int &&
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

/// Decodes the `elemsPerThread` elements starting at flat element
/// `chunk * elemsPerThread`: unscaled values (zero point applied) and the
/// f32 scale of their group.
void decodeChunk(OpBuilder &b, Location loc, const WeightArgs &w, Value chunk,
                 SmallVectorImpl<Value> &vals, Value &scale) {
  const WeightPlan &p = *w.plan;
  const num::FormatSpec &s = p.spec;
  auto lookup = [&](OpBuilder &bb, Location l, ArrayRef<float>,
                    Value idx) -> Value {
    if (!w.table || isa<VectorType>(idx.getType()))
      return nullptr;
    Value i = idx;
    if (i.getType() != bb.getI32Type())
      i = arith::ExtUIOp::create(bb, l, bb.getI32Type(), i);
    Value ix = arith::IndexCastUIOp::create(bb, l, bb.getIndexType(), i);
    return memref::LoadOp::create(bb, l, w.table, ValueRange{ix});
  };

  if (p.isGGUF) {
    int64_t half = p.ggufBlockBytes / 2; // i16 per block
    Value base = arith::MulIOp::create(b, loc, chunk, cIdx(b, loc, half));
    Value d = memref::LoadOp::create(b, loc, w.codes, ValueRange{base});
    scale = conv::emitDecodeScale(b, loc, ScaleType::F16, d);
    unsigned nWords = (p.ggufBlockBytes - 2) / 4; // 4 (q4) or 8 (q8)
    auto vt = VectorType::get({2 * nWords}, b.getI16Type());
    Value first = arith::AddIOp::create(b, loc, base, cIdx(b, loc, 1));
    Value v = vector::LoadOp::create(b, loc, vt, w.codes, ValueRange{first},
                                     /*nontemporal=*/false, llvm::Align(2));
    Value words = vector::BitCastOp::create(
        b, loc, VectorType::get({nWords}, b.getI32Type()), v);
    vals.assign(32, Value());
    for (unsigned j = 0; j < nWords; ++j) {
      Value word = vector::ExtractOp::create(b, loc, words, j);
      if (s.layout == Layout::Q8_0) {
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
          if (s.layout == Layout::Q4_0) {
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

  // Plain layout: `words` 32-bit words of packed codes.
  Value wordIdx = arith::MulIOp::create(b, loc, chunk, cIdx(b, loc, p.words));
  SmallVector<Value> words;
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
  // Group of the chunk.
  Value flat =
      arith::MulIOp::create(b, loc, chunk, cIdx(b, loc, p.elemsPerThread));
  Value group =
      arith::DivUIOp::create(b, loc, flat, cIdx(b, loc, p.groupStride));
  if (p.groupCount > 1 && p.spec.granularity == num::Granularity::Channel)
    group = arith::RemUIOp::create(b, loc, group, cIdx(b, loc, p.groupCount));
  if (s.scaleType == ScaleType::None) {
    scale = cF32(b, loc, 1.0f);
  } else {
    Value raw = memref::LoadOp::create(b, loc, w.scales, ValueRange{group});
    scale = s.scaleType == ScaleType::F32
                ? raw
                : conv::emitDecodeScale(b, loc, s.scaleType, raw);
  }
  Value zp;
  if (s.zeroPoint)
    zp = memref::LoadOp::create(b, loc, w.zeroPoints, ValueRange{group});

  unsigned perWord = 32 / s.bits;
  for (Value word : words) {
    if (usesNativeFP8(s, w.sm)) {
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

/// Collects the weight arguments of a kernel.
WeightArgs weightArgs(gpu::GPUFuncOp f, const WeightPlan &p, unsigned sm) {
  WeightArgs w;
  w.plan = &p;
  w.sm = sm;
  for (auto [i, sec] : llvm::enumerate(p.argSections)) {
    Value a = f.getArgument(i);
    if (sec == Section::Codes)
      w.codes = a;
    else if (sec == Section::Scales)
      w.scales = a;
    else if (sec == Section::ZeroPoints)
      w.zeroPoints = a;
  }
  return w;
}

/// Creates the kernel function with its launch configuration and argument
/// names.
gpu::GPUFuncOp createKernel(OpBuilder &b, Location loc, gpu::GPUModuleOp module,
                            StringRef name, ArrayRef<Type> args,
                            ArrayRef<std::string> names,
                            ArrayRef<Type> workgroup, const KernelInfo &info) {
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToEnd(module.getBody());
  auto f = gpu::GPUFuncOp::create(b, loc, name, b.getFunctionType(args, {}),
                                  workgroup);
  f->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  auto toI32 = [](std::array<int64_t, 3> v) {
    return SmallVector<int32_t>{static_cast<int32_t>(v[0]),
                                static_cast<int32_t>(v[1]),
                                static_cast<int32_t>(v[2])};
  };
  f.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(toI32(info.block)));
  f.setKnownGridSizeAttr(b.getDenseI32ArrayAttr(toI32(info.grid)));
  SmallVector<Attribute> n;
  for (const std::string &s : names)
    n.push_back(b.getStringAttr(s));
  f->setAttr("qf.kernel_args", b.getArrayAttr(n));
  return f;
}

/// Fills the shared lookup table from a constant global, then barriers.
Value setUpTable(OpBuilder &b, Location loc, gpu::GPUModuleOp module,
                 gpu::GPUFuncOp f, StringRef kernelName,
                 const num::FormatSpec &spec, Value tid, int64_t nThreads) {
  SmallVector<float> table = conv::decodeTable(spec);
  auto ty =
      MemRefType::get({static_cast<int64_t>(table.size())}, b.getF32Type());
  std::string gname = (kernelName + "_table").str();
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(f);
    auto tt = RankedTensorType::get(ty.getShape(), b.getF32Type());
    memref::GlobalOp::create(b, loc, gname, b.getStringAttr("private"), ty,
                             DenseElementsAttr::get(tt, ArrayRef<float>(table)),
                             /*constant=*/true, /*alignment=*/nullptr);
  }
  Value global = memref::GetGlobalOp::create(b, loc, ty, gname);
  Value shared = f.getWorkgroupAttributions().back();
  int64_t n = static_cast<int64_t>(table.size());
  scf::ForOp::create(
      b, loc, tid, cIdx(b, loc, n), cIdx(b, loc, nThreads), ValueRange{},
      [&](OpBuilder &bb, Location l, Value i, ValueRange) {
        Value v = memref::LoadOp::create(bb, l, global, ValueRange{i});
        memref::StoreOp::create(bb, l, v, shared, ValueRange{i});
        scf::YieldOp::create(bb, l);
      });
  gpu::BarrierOp::create(b, loc);
  return shared;
}

MemRefType sharedType(OpBuilder &b, int64_t n, Type elem) {
  return MemRefType::get(
      {n}, elem, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup));
}

unsigned byteWidth(Type t) { return t.getIntOrFloatBitWidth() / 8; }

} // namespace

//===----------------------------------------------------------------------===//
// Dequantization kernel
//===----------------------------------------------------------------------===//

KernelInfo gpu_lowering::buildDequantKernel(OpBuilder &b, Location loc,
                                            gpu::GPUModuleOp module,
                                            StringRef name, const WeightPlan &w,
                                            Type outElem,
                                            const KernelOptions &opts) {
  KernelInfo info;
  int64_t bs = opts.blockSize;
  int64_t chunks = w.numel / w.elemsPerThread;
  info.block = {bs, 1, 1};
  info.grid = {(chunks + bs - 1) / bs, 1, 1};

  SmallVector<Type> args(w.argTypes.begin(), w.argTypes.end());
  args.push_back(MemRefType::get({w.numel}, outElem));
  SmallVector<std::string> names(w.argNames.begin(), w.argNames.end());
  names.push_back("out");
  SmallVector<Type> wg;
  bool table = usesTable(w.spec);
  if (table)
    wg.push_back(
        sharedType(b, static_cast<int64_t>(conv::decodeTable(w.spec).size()),
                   b.getF32Type()));
  gpu::GPUFuncOp f = createKernel(b, loc, module, name, args, names, wg, info);
  info.func = f;

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&f.getBody().front());
  WeightArgs wa = weightArgs(f, w, opts.smVersion());
  Value out = f.getArgument(args.size() - 1);
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  if (table)
    wa.table = setUpTable(b, loc, module, f, name, w.spec, tid, bs);
  Value chunk = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, bid, cIdx(b, loc, bs)), tid);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        chunk, cIdx(b, loc, chunks));
  auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  SmallVector<Value> vals;
  Value scale;
  decodeChunk(b, loc, wa, chunk, vals, scale);
  // 128-bit stores of the scaled values.
  unsigned ew = byteWidth(outElem);
  int64_t per = std::min<int64_t>(w.elemsPerThread, 16 / ew);
  Value flat =
      arith::MulIOp::create(b, loc, chunk, cIdx(b, loc, w.elemsPerThread));
  for (int64_t i = 0; i < static_cast<int64_t>(vals.size()); i += per) {
    Value idx = arith::AddIOp::create(b, loc, flat, cIdx(b, loc, i));
    if (per == 1) {
      Value v = conv::emitConvertResult(
          b, loc, conv::emitScale(b, loc, vals[i], scale), outElem);
      memref::StoreOp::create(b, loc, v, out, ValueRange{idx});
      continue;
    }
    auto vt = VectorType::get({per}, b.getF32Type());
    Value v = vector::FromElementsOp::create(
        b, loc, vt, ArrayRef<Value>(vals).slice(i, per));
    v = conv::emitConvertResult(b, loc, conv::emitScale(b, loc, v, scale),
                                outElem);
    vector::StoreOp::create(b, loc, v, out, ValueRange{idx}, false,
                            llvm::Align(per * ew));
  }
  b.setInsertionPointAfter(ifOp);
  gpu::ReturnOp::create(b, loc);
  return info;
}

//===----------------------------------------------------------------------===//
// GEMV / small-M GEMM kernel
//===----------------------------------------------------------------------===//

/// Floats of one lane's padded slice of the activation tile: the lane's
/// elements plus 4 floats, so that 8 lanes reading 16 bytes each hit
/// disjoint banks.
static int64_t laneStride(const WeightPlan &w) { return w.elemsPerThread + 4; }

int64_t gpu_lowering::gemvSharedBytes(const WeightPlan &w, int64_t m) {
  return m * 32 * laneStride(w) * 4;
}

KernelInfo gpu_lowering::buildGemvKernel(OpBuilder &b, Location loc,
                                         gpu::GPUModuleOp module,
                                         StringRef name, const WeightPlan &w,
                                         int64_t m, int64_t n, int64_t k,
                                         Type lhsElem, Type outElem,
                                         const KernelOptions &opts) {
  KernelInfo info;
  int64_t wpb = opts.warpsPerBlock;
  int64_t bs = wpb * 32;
  info.block = {bs, 1, 1};
  info.grid = {(n + wpb - 1) / wpb, 1, 1};
  int64_t ept = w.elemsPerThread;
  int64_t kt = 32 * ept;      // K elements per warp step
  int64_t xp = laneStride(w); // padded floats per lane
  int64_t ktp = 32 * xp;      // padded floats per activation row
  int64_t steps = (k + kt - 1) / kt;
  unsigned lw = byteWidth(lhsElem);
  int64_t vw = 16 / lw; // activation elements per 128-bit load
  while (vw > 1 && (k % vw != 0 || ept % vw != 0))
    vw /= 2;
  int64_t chunksPerRow = kt / vw;

  SmallVector<Type> args(w.argTypes.begin(), w.argTypes.end());
  args.push_back(MemRefType::get({m * k}, lhsElem));
  args.push_back(MemRefType::get({m * n}, outElem));
  SmallVector<std::string> names(w.argNames.begin(), w.argNames.end());
  names.push_back("lhs");
  names.push_back("out");
  SmallVector<Type> wg{sharedType(b, m * ktp, b.getF32Type())};
  bool table = usesTable(w.spec);
  if (table)
    wg.push_back(
        sharedType(b, static_cast<int64_t>(conv::decodeTable(w.spec).size()),
                   b.getF32Type()));
  gpu::GPUFuncOp f = createKernel(b, loc, module, name, args, names, wg, info);
  info.func = f;

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&f.getBody().front());
  WeightArgs wa = weightArgs(f, w, opts.smVersion());
  Value lhs = f.getArgument(args.size() - 2);
  Value out = f.getArgument(args.size() - 1);
  Value xs = f.getWorkgroupAttributions().front();
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  if (table)
    wa.table = setUpTable(b, loc, module, f, name, w.spec, tid, bs);
  Value lane = arith::RemUIOp::create(b, loc, tid, cIdx(b, loc, 32));
  Value warp = arith::DivUIOp::create(b, loc, tid, cIdx(b, loc, 32));
  Value row = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, bid, cIdx(b, loc, wpb)), warp);
  Value rowc = arith::MinUIOp::create(b, loc, row, cIdx(b, loc, n - 1));
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(),
                                                arith::FastMathFlags::contract);
  auto fma = [&](Value x, Value y, Value acc) -> Value {
    Value p = arith::MulFOp::create(b, loc, x, y, contract);
    return arith::AddFOp::create(b, loc, p, acc, contract);
  };

  SmallVector<Value> init(m, cF32(b, loc, 0.0f));
  auto loop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, steps),
                                 cIdx(b, loc, 1), init);
  {
    OpBuilder::InsertionGuard lg(b);
    b.setInsertionPointToStart(loop.getBody());
    Value step = loop.getInductionVar();
    Value k0 = arith::MulIOp::create(b, loc, step, cIdx(b, loc, kt));
    gpu::BarrierOp::create(b, loc);
    // Stage lhs[:, k0 : k0 + kt] as f32, padded per lane slice.
    scf::ForOp::create(
        b, loc, tid, cIdx(b, loc, m * chunksPerRow), cIdx(b, loc, bs),
        ValueRange{}, [&](OpBuilder &bb, Location l, Value c, ValueRange) {
          Value mi =
              arith::DivUIOp::create(bb, l, c, cIdx(bb, l, chunksPerRow));
          Value kk = arith::MulIOp::create(
              bb, l,
              arith::RemUIOp::create(bb, l, c, cIdx(bb, l, chunksPerRow)),
              cIdx(bb, l, vw));
          Value kg = arith::AddIOp::create(bb, l, k0, kk);
          Value ok = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ult, kg,
                                           cIdx(bb, l, k));
          auto inner = scf::IfOp::create(bb, l, ok, false);
          OpBuilder ib = inner.getThenBodyBuilder();
          Value src = arith::AddIOp::create(
              ib, l, arith::MulIOp::create(ib, l, mi, cIdx(ib, l, k)), kg);
          Value dst = arith::AddIOp::create(
              ib, l, arith::MulIOp::create(ib, l, mi, cIdx(ib, l, ktp)),
              arith::AddIOp::create(
                  ib, l,
                  arith::MulIOp::create(
                      ib, l,
                      arith::DivUIOp::create(ib, l, kk, cIdx(ib, l, ept)),
                      cIdx(ib, l, xp)),
                  arith::RemUIOp::create(ib, l, kk, cIdx(ib, l, ept))));
          if (vw == 1) {
            Value v = memref::LoadOp::create(ib, l, lhs, ValueRange{src});
            if (lhsElem != ib.getF32Type())
              v = arith::ExtFOp::create(ib, l, ib.getF32Type(), v);
            memref::StoreOp::create(ib, l, v, xs, ValueRange{dst});
          } else {
            Value v = vector::LoadOp::create(
                ib, l, VectorType::get({vw}, lhsElem), lhs, ValueRange{src},
                false, llvm::Align(vw * lw));
            if (lhsElem != ib.getF32Type())
              v = arith::ExtFOp::create(
                  ib, l, VectorType::get({vw}, ib.getF32Type()), v);
            // Stores of at most 16 bytes keep the shared accesses vectorised.
            for (int64_t o = 0; o < vw; o += 4) {
              int64_t len = std::min<int64_t>(4, vw);
              Value part = v;
              if (len != vw)
                part = vector::ShuffleOp::create(
                    ib, l, v, v, ArrayRef<int64_t>{o, o + 1, o + 2, o + 3});
              Value d = arith::AddIOp::create(ib, l, dst, cIdx(ib, l, o));
              vector::StoreOp::create(ib, l, part, xs, ValueRange{d}, false,
                                      llvm::Align(4 * len));
            }
          }
          scf::YieldOp::create(bb, l);
        });
    gpu::BarrierOp::create(b, loc);

    // This lane's packed word of the row.
    Value kl = arith::AddIOp::create(
        b, loc, k0, arith::MulIOp::create(b, loc, lane, cIdx(b, loc, ept)));
    Value active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, kl,
                                         cIdx(b, loc, k));
    SmallVector<Type> accTypes(m, b.getF32Type());
    auto ifOp = scf::IfOp::create(b, loc, accTypes, active, /*withElse=*/true);
    {
      OpBuilder::InsertionGuard ig(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      Value flat = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, rowc, cIdx(b, loc, k)), kl);
      Value chunk = arith::DivUIOp::create(b, loc, flat, cIdx(b, loc, ept));
      SmallVector<Value> vals;
      Value scale;
      decodeChunk(b, loc, wa, chunk, vals, scale);
      Value laneBase = arith::MulIOp::create(b, loc, lane, cIdx(b, loc, xp));
      SmallVector<Value> next;
      for (int64_t mi = 0; mi < m; ++mi) {
        Value base =
            arith::AddIOp::create(b, loc, laneBase, cIdx(b, loc, mi * ktp));
        // Four independent partial sums per row.
        SmallVector<Value> part(4, cF32(b, loc, 0.0f));
        for (int64_t j = 0; j < ept; j += 4) {
          Value idx = arith::AddIOp::create(b, loc, base, cIdx(b, loc, j));
          Value x4 = vector::LoadOp::create(
              b, loc, VectorType::get({4}, b.getF32Type()), xs, ValueRange{idx},
              false, llvm::Align(16));
          for (int64_t t = 0; t < 4; ++t) {
            Value x = vector::ExtractOp::create(b, loc, x4, t);
            part[t] = fma(vals[j + t], x, part[t]);
          }
        }
        Value sum = arith::AddFOp::create(
            b, loc, arith::AddFOp::create(b, loc, part[0], part[1]),
            arith::AddFOp::create(b, loc, part[2], part[3]));
        next.push_back(fma(scale, sum, loop.getRegionIterArgs()[mi]));
      }
      scf::YieldOp::create(b, loc, next);
      b.setInsertionPointToStart(ifOp.elseBlock());
      scf::YieldOp::create(b, loc, loop.getRegionIterArgs());
    }
    scf::YieldOp::create(b, loc, ifOp.getResults());
  }

  // Warp reduction and store by lane 0.
  Value isLane0 = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                                        cIdx(b, loc, 0));
  Value rowOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                      cIdx(b, loc, n));
  Value doStore = arith::AndIOp::create(b, loc, isLane0, rowOk);
  SmallVector<Value> sums;
  for (int64_t mi = 0; mi < m; ++mi) {
    Value v = loop.getResult(mi);
    for (int32_t off = 16; off >= 1; off /= 2) {
      auto sh =
          gpu::ShuffleOp::create(b, loc, v, off, 32, gpu::ShuffleMode::XOR);
      v = arith::AddFOp::create(b, loc, v, sh.getShuffleResult());
    }
    sums.push_back(v);
  }
  auto st = scf::IfOp::create(b, loc, doStore, false);
  {
    OpBuilder::InsertionGuard sg(b);
    b.setInsertionPointToStart(st.thenBlock());
    for (int64_t mi = 0; mi < m; ++mi) {
      Value idx = arith::AddIOp::create(b, loc, row, cIdx(b, loc, mi * n));
      Value v = conv::emitConvertResult(b, loc, sums[mi], outElem);
      memref::StoreOp::create(b, loc, v, out, ValueRange{idx});
    }
  }
  gpu::ReturnOp::create(b, loc);
  return info;
}
