//===- QFToVector.cpp - Lower qf ops to vector code for CPUs --------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// qf-lower-to-vector: storage sections become i8 tensors; qf.dequantize and
// qf.matmul become scf loops whose bodies load packed bytes as vectors and
// decode them through the shared DecodeEmitter. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "qforge/Conversion/QFToVector/QFToVector.h"

#include "qforge/Conversion/Passes.h"
#include "qforge/Conversion/QFCommon/DecodeEmitter.h"
#include "qforge/Dialect/QF/IR/QF.h"
#include "qforge/Numerics/Activations.h"
#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/GroupGeometry.h"
#include "qforge/Numerics/Transforms.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/TargetParser/Host.h"

#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <tuple>

namespace qforge {
#define GEN_PASS_DEF_QFLOWERTOVECTOR
#define GEN_PASS_DEF_QFNONTEMPORALSTORES
#define GEN_PASS_DEF_QFFORWARDARGUMENTRESULTS
#include "qforge/Conversion/Passes.h.inc"
} // namespace qforge

using namespace mlir;
using namespace qforge;
using num::FormatSpec;
using num::Layout;
using num::Section;

std::string qforge::resolveCPUTarget(StringRef target) {
  if (target == "avx2" || target == "avx512" || target == "neon")
    return target.str();
  if (target != "host")
    return "generic";
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  if (features.lookup("avx512f"))
    return "avx512";
  if (features.lookup("avx2"))
    return "avx2";
  if (features.lookup("neon"))
    return "neon";
  return "generic";
}

bool qforge::hostHasAVX512BF16() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512f") && features.lookup("avx512bf16");
}

bool qforge::hostHasAVX512VNNI() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512f") && features.lookup("avx512bw") &&
         features.lookup("avx512vnni");
}

namespace {

using SectionValues = std::array<Value, num::kNumSections>;

/// Marks a vector loop whose stores qf-nontemporal-stores streams.
constexpr llvm::StringLiteral kNontemporalAttr = "qf.nontemporal_stores";

/// A fresh buffer for a temporary tensor: `bufferization.alloc_tensor`.
/// One-shot bufferization inserts no deallocation; ownership-based buffer
/// deallocation (run by qf-cpu-pipeline, or by the caller's own pipeline
/// after bufferization) frees it after its last use, like every other
/// intermediate buffer of the function.
Value allocTemporary(OpBuilder &b, Location loc, RankedTensorType type) {
  return bufferization::AllocTensorOp::create(b, loc, type, ValueRange{});
}

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The concatenation of a power-of-two number of equal 1-D vectors, as a
/// tree of vector.shuffle.
Value concatVectors(OpBuilder &b, Location loc, SmallVector<Value> pieces) {
  while (pieces.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i < pieces.size(); i += 2) {
      int64_t n = cast<VectorType>(pieces[i].getType()).getNumElements();
      SmallVector<int64_t> mask;
      for (int64_t k = 0; k < 2 * n; ++k)
        mask.push_back(k);
      next.push_back(
          vector::ShuffleOp::create(b, loc, pieces[i], pieces[i + 1], mask));
    }
    pieces = std::move(next);
  }
  return pieces.front();
}

/// A call of the LLVM intrinsic `name` (a permute or dot product without
/// memory effects), emitted as `func.call` to a private declaration of that
/// name, which the conversion to LLVM turns into the intrinsic itself (an
/// overloaded intrinsic needs its mangled name, e.g. ".v16i8").
/// `llvm.call_intrinsic` implements no memory-effect interface, so
/// ownership-based buffer deallocation (which qf-cpu-pipeline runs to free
/// the model's intermediate buffers) rejects it; a call is handled.
Value callIntrinsic(OpBuilder &b, Location loc, Type resultType, StringRef name,
                    ValueRange operands) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  auto fnTy = b.getFunctionType(operands.getTypes(), resultType);
  auto decl = module.lookupSymbol<func::FuncOp>(name);
  if (!decl || decl.getFunctionType() != fnTy || !decl.isExternal()) {
    if (decl)
      return LLVM::CallIntrinsicOp::create(b, loc, resultType,
                                           b.getStringAttr(name), operands)
          .getResult(0);
    OpBuilder mb(module.getBodyRegion());
    decl = func::FuncOp::create(mb, loc, name, fnTy);
    decl.setPrivate();
  }
  return func::CallOp::create(b, loc, decl, operands).getResult(0);
}

/// Looks `indices` (an integer vector) up in a 16-entry f32 table held in
/// registers (`table`, vector<16xf32>, a constant or loaded at run time)
/// with x86 permutes: one 16-lane vpermps per 16 indices on AVX-512, else
/// two 8-lane vpermps per 8 indices and a select on index bit 3. Only the
/// low 4 bits of each index are read. Returns null when the vector length
/// does not fit.
Value permuteLookupX86(StringRef target, OpBuilder &b, Location loc,
                       Value table, bool needsHigh, Value indices) {
  auto vt = dyn_cast<VectorType>(indices.getType());
  if (!vt || !vt.getElementType().isInteger())
    return {};
  // 16-lane vpermps where the vector allows, else the 8-lane form (which
  // AVX-512 CPUs have as well).
  bool zmm = target == "avx512" && vt.getNumElements() % 16 == 0;
  int64_t lanes = zmm ? 16 : 8;
  if (vt.getNumElements() % lanes)
    return {};
  Type f32 = b.getF32Type();
  auto tabTy = VectorType::get({lanes}, f32);
  auto idxTy = VectorType::get({lanes}, b.getI32Type());
  Value t0 = table, t1;
  if (!zmm) {
    SmallVector<int64_t> lo, hi;
    for (int64_t i = 0; i < 8; ++i) {
      lo.push_back(i);
      hi.push_back(8 + i);
    }
    // Folded to two 8-entry constants when the table is constant.
    t0 = b.createOrFold<vector::ShuffleOp>(loc, table, table, lo);
    if (needsHigh)
      t1 = b.createOrFold<vector::ShuffleOp>(loc, table, table, hi);
  }
  StringRef intrin =
      zmm ? "llvm.x86.avx512.permvar.sf.512" : "llvm.x86.avx2.permps";
  SmallVector<Value> pieces;
  for (int64_t p = 0; p < vt.getNumElements(); p += lanes) {
    Value idx = vector::ExtractStridedSliceOp::create(
        b, loc, indices, ArrayRef<int64_t>{p}, ArrayRef<int64_t>{lanes},
        ArrayRef<int64_t>{1});
    if (cast<VectorType>(idx.getType()).getElementTypeBitWidth() < 32)
      idx = arith::ExtUIOp::create(b, loc, idxTy, idx);
    else if (cast<VectorType>(idx.getType()).getElementTypeBitWidth() > 32)
      idx = arith::TruncIOp::create(b, loc, idxTy, idx);
    Value r = callIntrinsic(b, loc, tabTy, intrin, ValueRange{t0, idx});
    if (t1) {
      Value r1 = callIntrinsic(b, loc, tabTy, intrin, ValueRange{t1, idx});
      Value eight = arith::ConstantOp::create(
          b, loc, idxTy, DenseElementsAttr::get(idxTy, b.getI32IntegerAttr(8)));
      Value hi = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ne,
          arith::AndIOp::create(b, loc, idx, eight),
          arith::ConstantOp::create(
              b, loc, idxTy,
              DenseElementsAttr::get(idxTy, b.getI32IntegerAttr(0))));
      r = arith::SelectOp::create(b, loc, hi, r1, r);
    }
    pieces.push_back(r);
  }
  return concatVectors(b, loc, pieces);
}

/// Table lookups of constant tables (at most 16 entries) through permute
/// instructions.
Value lookupX86(StringRef target, OpBuilder &b, Location loc,
                ArrayRef<float> table, Value indices) {
  if (table.size() > 16)
    return {};
  // The table repeats with the period of the code width (the next power of
  // two of its size), so indices whose bits above the code are not cleared
  // still select the right entry: permutes only read the low index bits.
  size_t period = llvm::PowerOf2Ceil(table.size());
  SmallVector<float> t(16, 0.0f);
  for (size_t i = 0; i < 16; ++i)
    if (i % period < table.size())
      t[i] = table[i % period];
  auto tabTy = VectorType::get({16}, b.getF32Type());
  Value tv = arith::ConstantOp::create(
      b, loc, tabTy, DenseElementsAttr::get(tabTy, ArrayRef(t)));
  return permuteLookupX86(target, b, loc, tv, period > 8, indices);
}

/// Table lookups on AArch64: four `tbl` byte lookups (one per byte of the
/// f32 table entries) per 16 codes, interleaved back into f32 lanes.
Value lookupNeon(OpBuilder &b, Location loc, ArrayRef<float> table,
                 Value indices) {
  auto vt = dyn_cast<VectorType>(indices.getType());
  if (!vt || !vt.getElementType().isInteger() || vt.getNumElements() % 16 ||
      table.size() > 16)
    return {};
  // tbl reads byte indices (codes are below 16, so truncation keeps them).
  if (!vt.getElementType().isInteger(8)) {
    vt = VectorType::get(vt.getShape(), b.getI8Type());
    indices = arith::TruncIOp::create(b, loc, vt, indices);
  }
  auto byteTy = VectorType::get({16}, b.getI8Type());
  SmallVector<Value> tables;
  for (int k = 0; k < 4; ++k) {
    SmallVector<int8_t> bytes(16, 0);
    for (size_t i = 0; i < table.size(); ++i) {
      uint32_t u;
      std::memcpy(&u, &table[i], 4);
      bytes[i] = static_cast<int8_t>(u >> (8 * k));
    }
    tables.push_back(arith::ConstantOp::create(
        b, loc, byteTy, DenseElementsAttr::get(byteTy, ArrayRef(bytes))));
  }
  SmallVector<Value> pieces;
  for (int64_t p = 0; p < vt.getNumElements(); p += 16) {
    Value idx = vector::ExtractStridedSliceOp::create(
        b, loc, indices, ArrayRef<int64_t>{p}, ArrayRef<int64_t>{16},
        ArrayRef<int64_t>{1});
    SmallVector<Value> lane;
    for (int k = 0; k < 4; ++k)
      // tbl1 is overloaded: the declaration carries the mangled name.
      lane.push_back(callIntrinsic(b, loc, byteTy,
                                   "llvm.aarch64.neon.tbl1.v16i8",
                                   ValueRange{tables[k], idx}));
    Value lo = vector::InterleaveOp::create(b, loc, lane[0], lane[2]);
    Value hi = vector::InterleaveOp::create(b, loc, lane[1], lane[3]);
    Value all = vector::InterleaveOp::create(b, loc, lo, hi);
    pieces.push_back(vector::BitCastOp::create(
        b, loc, VectorType::get({16}, b.getF32Type()), all));
  }
  return concatVectors(b, loc, pieces);
}

/// Where learned codes find their entries in the Codebooks section, in
/// bytes: entry e of group g at offset + g * groupStride + first +
/// e * entryStride. Learned (asq) formats: {0, levels * vb, 0, vb} (the
/// default); the lowering of Kashin GEMVs reads each factor's centroids as
/// a learned codebook inside the Kashin layout.
struct LearnedCodebooks {
  int64_t offset = 0, groupStride = 0, first = 0, entryStride = 0;
};

/// Emits the decoding of one quantized tensor's elements.
class WeightDecoder {
public:
  WeightDecoder(OpBuilder &b, Location loc, const FormatSpec &f,
                ArrayRef<int64_t> shape, const SectionValues &sec,
                std::string target)
      : b(b), loc(loc), f(f), shape(shape.begin(), shape.end()), sec(sec),
        target(std::move(target)) {
    numel = 1;
    for (int64_t d : shape)
      numel *= d;
    cols = shape.empty() ? 1 : shape.back();
    if (f.layout != Layout::Plain)
      return;
    int rank = static_cast<int>(shape.size());
    axis = f.resolvedAxis(shape.size());
    inner = 1;
    for (int i = axis + 1; i < rank; ++i)
      inner *= shape[i];
    // Elements sharing one group contiguously.
    int64_t run = 1;
    if (f.granularity == num::Granularity::Tensor)
      run = numel;
    else if (f.granularity == num::Granularity::Channel)
      run = inner;
    else if (inner == 1)
      run = f.blockSize;
    groupRun = run;
  }

  /// Reads learned codes' entries from `cb` instead of the learned layout.
  void setLearnedCodebooks(const LearnedCodebooks &cb) { learnedCb = cb; }

  /// Elements per vector chunk (0: scalar path only).
  int64_t vectorWidth() const {
    if (f.layout == Layout::Q4_K)
      return cols % 256 == 0 ? 256 : 0;
    if (f.layout != Layout::Plain)
      return cols % 32 == 0 ? 32 : 0;
    if (f.kind == num::ElementKind::Learned && !learnedVectorizable())
      return 0;
    if (f.bits < 1 || f.bits > 8 || (cols * f.bits) % 8 != 0)
      return 0;
    // Groups spanning whole rows: any chunk of a row shares the group and
    // the row tail takes the scalar path.
    if (groupRun % cols == 0) {
      for (int64_t v : {64, 32, 16, 8})
        if (v <= cols)
          return v;
      return 0;
    }
    int64_t common = std::gcd(groupRun, cols);
    for (int64_t v : {64, 32, 16, 8})
      if (common % v == 0)
        return v;
    return 0;
  }

  /// Decoded (and scaled) f32 values of the chunk of `width` elements
  /// starting at flat element `e`.
  Value decodeChunk(Value e, int64_t width) {
    auto f32 = b.getF32Type();
    if (f.layout == Layout::Q4_K) {
      // The super-block's 8 sub-blocks are its elements in order.
      return concatVectors(b, loc, decodeQ4KBlock(e));
    }
    if (f.layout != Layout::Plain)
      return decodeGGUFBlock(e);
    Value byteOff = arith::DivUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, e, cIdx(b, loc, f.bits)),
        cIdx(b, loc, 8));
    int64_t nBytes = width * f.bits / 8;
    Value bytes = readVector(code(), byteOff, nBytes);
    Value codes = conv::emitUnpackCodes(b, loc, f.bits, bytes);
    Value gid = groupOf(e);
    Value vals = decodeValues(codes, f32, gid);
    return applyScale(vals, gid);
  }

  /// How the fused matmul reads a chunk of packed codes: `bytes` bytes
  /// hold `codes` codes decoded as `planes` vectors of `lanes` lanes
  /// (planes * lanes == codes). With `interleaved`, lane j of plane s is
  /// element planes * j + s of the chunk (the codes of one byte, or of one
  /// 4-byte word, land in different planes, so no shuffle is needed to
  /// unpack them); otherwise it is element s * lanes + j (GGUF nibble
  /// halves, q4_k sub-blocks, 8-bit codes).
  struct Planes {
    int64_t bytes = 0, codes = 0, planes = 0;
    bool interleaved = false;
    /// Lanes per plane vector: `bytes` (one byte per i32 lane), or
    /// bytes / 4 when each i32 lane holds 4 packed bytes (`wordLanes`).
    int64_t lanes = 0;
    bool wordLanes = false;
    /// With word lanes, groups may be smaller than the chunk: each lane
    /// then takes the scale of its own group (groupsPerChunk > 1).
    int64_t groupsPerChunk = 1;
    /// q4_0 / iq4_nl word lanes (x86): a chunk is lanes / 4 consecutive
    /// blocks, lane j the 4-byte word j % 4 of the codes of block j / 4;
    /// each block is one group (its f16 scale). With int8 bytes also q8_0:
    /// two blocks, their 64 code bytes side by side.
    bool ggufWords = false;
    /// bf16 pairs (x86 with AVX512_BF16, `dot-precision=bf16x2`): the
    /// word-lane chunk is read as 2 * lanes i16 lanes, each holding
    /// 16 / bits codes; plane s (of `planes` = 16 / bits) is one vector of
    /// 2 * lanes bf16 weights, and a bf16 dot product (vdpbf16ps) sums the
    /// pair of i16 lanes 2j, 2j + 1 into i32 lane j, whose group (and
    /// scale) is that of the word-lane geometry.
    bool bf16Pairs = false;
    /// int8 bytes (x86 with AVX512_VNNI, `dot-precision=i8`): the chunk's
    /// `bytes` (64) code bytes, each holding 8 / bits codes, are read as
    /// one vector of bytes; plane s (of `planes` = 8 / bits) holds code s
    /// of every byte as an unsigned byte, and vpdpbusd sums the products of
    /// bytes 4j .. 4j + 3 of every plane with the int8 activations into i32
    /// lane j (of `lanes` = 16), whose group (and scale) is that of the
    /// word-lane geometry.
    bool i8Bytes = false;
    /// q4_k word lanes (x86, fused GEMV): a chunk is one super-block (256
    /// codes, 128 code bytes), read as 128 / (4 lanes) words of `lanes` i32
    /// lanes; plane s is nibble s % 8 of word s / 8, i.e. code byte
    /// 4 lanes (s / 8) + 4 j + (s % 8) / 2 of lane j, low or high nibble.
    /// Each lane of a plane lies in one sub-block of 32 elements; planes of
    /// one word and nibble parity share it (q4kClass). With int8 bytes:
    /// plane s is nibble s % 2 of the 64 code bytes 64 (s / 2) ..
    /// (4 planes), each plane one class.
    bool q4kWords = false;

    /// The element of the chunk that lane j of plane s holds (for bf16
    /// pairs, i16 lane j; for int8 bytes, byte j).
    int64_t element(int64_t s, int64_t j) const {
      if (q4kWords) {
        // Code byte B of the super-block (int8 bytes: byte j of bytes
        // 64 (s / 2) ..; word lanes: see q4kWords), nibble s % 2: element
        // B % 32 of sub-block 2 (B / 32) + s % 2 (pair B / 32 of
        // sub-blocks, low nibble the even one).
        int64_t byte = i8Bytes ? 64 * (s / 2) + j
                               : 4 * lanes * (s / 8) + 4 * j + (s % 8) / 2;
        return 32 * (2 * (byte / 32) + s % 2) + byte % 32;
      }
      if (i8Bytes) {
        if (ggufWords && planes == 1) // q8_0: code byte j of the chunk
          return j;
        if (ggufWords) // byte j % 16 of block j / 16; s = 1: high nibble
          return 32 * (j / 16) + 16 * s + j % 16;
        return planes * j + s;
      }
      int64_t wordPlanes = planes;
      if (bf16Pairs) {
        // Plane s of i16 lane j is plane planes * (j % 2) + s of i32 lane
        // j / 2 (the high half of a little-endian word holds its upper
        // planes).
        s += planes * (j % 2);
        j /= 2;
        wordPlanes = 2 * planes;
      }
      if (ggufWords) // byte 4 (j % 4) + s / 2 of the block; odd s: high nibble
        return 32 * (j / 4) + 16 * (s % 2) + 4 * (j % 4) + s / 2;
      return interleaved ? wordPlanes * j + s : s * lanes + j;
    }
    /// Lanes of one plane vector.
    int64_t planeLanes() const {
      return i8Bytes ? bytes : bf16Pairs ? 2 * lanes : lanes;
    }
    /// The plane order of a chunk's activations: entry s * planeLanes() + j
    /// is element(s, j).
    SmallVector<int64_t> planeOrder() const {
      SmallVector<int64_t> order;
      for (int64_t s = 0; s < planes; ++s)
        for (int64_t j = 0; j < planeLanes(); ++j)
          order.push_back(element(s, j));
      return order;
    }
  };

  /// The plane geometry for rows of `cols` elements, or nullopt when the
  /// format needs the element-order path (odd code widths, groups that do
  /// not cover whole chunks).
  std::optional<Planes> planeGeometry() const {
    Planes p;
    if (f.layout == Layout::Q4_0 || f.layout == Layout::IQ4_NL) {
      p = {16, 32, 2, false, 16};
      // Word lanes over lanes / 4 blocks: 8 planes from one 16-lane vector
      // instead of 2 planes per block, each decoded with a shift and a
      // permute, and one scale vector for the blocks (the per-block path
      // decodes 32 codes with 7 vector ops and spends 3 more on the scale).
      if (target == "avx512" || target == "avx2") {
        int64_t lanes = target == "avx512" ? 16 : 8;
        if (cols % (8 * lanes) == 0) {
          p = {4 * lanes, 8 * lanes, 8, true, lanes, true, lanes / 4};
          p.ggufWords = true;
        }
      }
    } else if (f.layout == Layout::Q8_0) {
      p = {32, 32, 1, false, 32};
    } else if (f.layout == Layout::Q4_K) {
      // Eight sub-blocks of 32 elements, each its own plane (decoded with
      // its scale and min: chunkScale is null).
      p = {32, 256, 8, false, 32};
    } else if (std::optional<Planes> w =
                   wordLaneGeometry(/*allowZeroPoint=*/true)) {
      p = *w;
    } else if (f.layout != Layout::Plain) {
      return std::nullopt;
    } else if (f.kind == num::ElementKind::Learned && !learnedVectorizable()) {
      return std::nullopt;
    } else {
      if (f.bits != 1 && f.bits != 2 && f.bits != 4 && f.bits != 8)
        return std::nullopt;
      if ((cols * f.bits) % 8 != 0)
        return std::nullopt;
      int64_t perByte = 8 / f.bits;
      bool found = false;
      for (int64_t bytes : {int64_t(32), int64_t(16), int64_t(8)}) {
        if (f.bits < 8 && bytes == 32)
          continue;
        int64_t codes = bytes * perByte;
        if (codes > cols)
          continue;
        if (groupRun % codes != 0 && groupRun % cols != 0)
          continue;
        p = {bytes, codes, perByte, perByte > 1, bytes};
        found = true;
        break;
      }
      if (!found)
        return std::nullopt;
    }
    if (p.codes > cols)
      return std::nullopt;
    return p;
  }

  /// Word lanes (x86): 1/2/4-bit Int, Float and Lut codes without zero
  /// points or double quantization are read as i32 lanes of 4 packed bytes
  /// each (16 lanes on AVX-512, 8 on AVX2): plane s of lane j is element
  /// (32 / bits) * j + s of the chunk, obtained by a shift, so no byte has
  /// to be widened into a lane first. Groups smaller than the chunk (but
  /// covering whole lanes, along the last axis) give each lane its own
  /// scale.
  std::optional<Planes> wordLaneGeometry(bool allowZeroPoint = false) const {
    if ((target != "avx512" && target != "avx2") || f.layout != Layout::Plain ||
        (f.zeroPoint && !allowZeroPoint) || f.doubleQuant ||
        (f.bits != 1 && f.bits != 2 && f.bits != 4) ||
        (f.kind != num::ElementKind::Int && f.kind != num::ElementKind::Float &&
         f.kind != num::ElementKind::Lut))
      return std::nullopt;
    Planes p;
    p.lanes = target == "avx512" ? 16 : 8;
    p.bytes = 4 * p.lanes;
    p.planes = 32 / f.bits;
    p.codes = p.lanes * p.planes;
    p.interleaved = true;
    p.wordLanes = true;
    if (p.codes > cols || (cols * f.bits) % 8 != 0)
      return std::nullopt;
    if (groupRun % p.codes == 0 || groupRun % cols == 0)
      return p;
    if (inner == 1 && f.granularity == num::Granularity::Block &&
        p.codes % groupRun == 0 && groupRun % p.planes == 0 &&
        f.scaleType != num::ScaleType::None) {
      p.groupsPerChunk = p.codes / groupRun;
      return p;
    }
    return std::nullopt;
  }

  /// The bf16-pair form of the word-lane geometry `p` (AVX-512, 16 i32
  /// lanes), or nullopt when the format's decoded values (before the scale)
  /// are not all exact in bf16 (nf4 and other rounded tables, learned
  /// codebooks) or `p` is not a 16-lane word-lane geometry.
  std::optional<Planes> bf16PairGeometry(const Planes &p) const {
    if (target != "avx512" || !p.wordLanes || p.lanes != 16 || p.planes < 2 ||
        f.kind == num::ElementKind::Learned || f.zeroPoint)
      return std::nullopt;
    if (!bf16Table)
      bf16Table = bf16DecodeTable();
    if (!*bf16Table)
      return std::nullopt;
    Planes q = p;
    q.planes = p.planes / 2;
    q.bf16Pairs = true;
    return q;
  }

  /// The decoded values of the codes (decodeTable, repeated with the code
  /// period over 32 entries, as vpermw reads the low 5 index bits) as bf16
  /// bit patterns, or nullopt when one is not exactly representable.
  std::optional<SmallVector<int16_t>> bf16DecodeTable() const {
    SmallVector<float> t = conv::decodeTable(f);
    unsigned bits = codeBits();
    size_t period = size_t(1) << bits;
    if (t.empty() || t.size() > period || 32 % period != 0)
      return std::nullopt;
    SmallVector<int16_t> out;
    for (size_t i = 0; i < 32; ++i) {
      float v = i % period < t.size() ? t[i % period] : 0.0f;
      uint32_t u;
      std::memcpy(&u, &v, 4);
      if (std::isnan(v) || (u & 0xffffu) != 0)
        return std::nullopt;
      out.push_back(static_cast<int16_t>(u >> 16));
    }
    return out;
  }

  /// The bf16 weights of the bf16-pair chunk starting at flat element `e`,
  /// one vector<32xbf16> per plane (unscaled, as decodePlanes): one shift
  /// of the i16 lanes and one vpermw lookup per plane.
  SmallVector<Value> decodeBF16Planes(Value e, const Planes &p) {
    Value bytes = chunkBytes(e, p);
    int64_t n = p.planeLanes();
    auto i16v = VectorType::get({n}, b.getI16Type());
    auto bf16v = VectorType::get({n}, b.getBF16Type());
    Value words = vector::BitCastOp::create(b, loc, i16v, bytes);
    // bf16Table was checked by bf16PairGeometry, which made `p`.
    Value table = arith::ConstantOp::create(
        b, loc, i16v,
        DenseElementsAttr::get(i16v, ArrayRef<int16_t>(**bf16Table)));
    unsigned bits = codeBits();
    SmallVector<Value> out;
    for (int64_t s = 0; s < p.planes; ++s) {
      Value idx = s ? shiftRightLanes(words, s * bits) : words;
      Value v = callIntrinsic(b, loc, i16v, "llvm.x86.avx512.permvar.hi.512",
                              ValueRange{table, idx});
      out.push_back(vector::BitCastOp::create(b, loc, bf16v, v));
    }
    return out;
  }

  /// How dot-precision=i8 turns a code c into the unsigned byte(s) that
  /// vpdpbusd multiplies (num::Int8CodeMap): u(c) = w(c) / unit + offset,
  /// w(c) the decoded value before the scale (wide maps: rounded to a
  /// multiple of `unit`, a power of two), so that
  /// sum w(c_k) x_k = unit * (sum u(c_k) x_k - offset * sum x_k) exactly.
  /// Narrow maps have u(c) in [0, 255]; wide ones in [0, 65535], multiplied
  /// as a low and a high byte (Map::Table only).
  struct I8Codes {
    enum class Map { Identity, FlipSign, Table } map = Map::Identity;
    /// Map::Table: the (low) byte of u of codes 0..15, repeated in each
    /// 16-byte lane (vpshufb); wide maps: `tableHi` the high bytes.
    SmallVector<int8_t> table, tableHi;
    float unit = 1.0f;
    int64_t offset = 0;
    bool wide = false;
  };

  /// The I8Codes of the format, or nullopt when its decoded values are
  /// neither small integer multiples of a power of two nor at most 16
  /// finite values (a wide map: nf4 and other rounded tables), e.g. 8-bit
  /// minifloats or NaN codes. Computed once per decoder.
  const std::optional<I8Codes> &i8Codes() const {
    if (!i8CodesCache)
      i8CodesCache = computeI8Codes();
    return *i8CodesCache;
  }

  /// The int8-byte form (dot-precision=i8, AVX-512 with AVX512_VNNI) of
  /// the plane geometry `p`: 64 code bytes per chunk, for 1/2/4-bit word
  /// lanes, the q4_0 / iq4_nl word lanes, q8_0 and 8-bit plain codes,
  /// where the format has I8Codes and no double quantization or outliers
  /// (zero points: unsigned 1/2/4/8-bit codes, u(c) = c); nullopt
  /// otherwise (the fused GEMV keeps the f32 planes).
  std::optional<Planes> i8Geometry(const Planes &p) const {
    if (target != "avx512")
      return std::nullopt;
    if (f.layout == Layout::Q4_K) {
      // One super-block per chunk: 4 planes of 64 bytes (q4kWords); its
      // f16 super-scales are applied in f32 (not as double quantization).
      if (cols % 256 != 0)
        return std::nullopt;
      Planes q;
      q.i8Bytes = q.q4kWords = true;
      q.bytes = 64;
      q.codes = 256;
      q.planes = 4;
      q.lanes = 16;
      return q;
    }
    if (f.doubleQuant || f.kind == num::ElementKind::Learned ||
        numOutliers() != 0 || !i8Codes())
      return std::nullopt;
    Planes q = p;
    q.i8Bytes = true;
    q.bf16Pairs = false;
    if (f.zeroPoint) {
      // Codes minus the group's zero point: the codes as unsigned bytes
      // (u(c) = c), the zero point through the lanes' correction
      // (zeroPointLanes). 1/2/4-bit word lanes and 8-bit unsigned codes.
      const I8Codes &ic = *i8Codes();
      if (ic.map != I8Codes::Map::Identity || ic.offset != 0 || ic.unit != 1)
        return std::nullopt;
      if (f.bits == 8)
        return int8ByteGeometry();
      std::optional<Planes> w = wordLaneGeometry(/*allowZeroPoint=*/true);
      if (!w || w->lanes != 16)
        return std::nullopt;
      q = *w;
      q.i8Bytes = true;
      q.planes = 8 / codeBits();
      return q;
    }
    if (p.wordLanes && p.lanes == 16) {
      q.planes = 8 / codeBits();
      return q;
    }
    if (f.layout == Layout::Q8_0) {
      // Two blocks per chunk, 8 lanes (32 codes) per block and scale.
      q = Planes();
      q.i8Bytes = q.ggufWords = q.wordLanes = true;
      q.bytes = q.codes = 64;
      q.planes = 1;
      q.lanes = 16;
      q.groupsPerChunk = 2;
      return q.codes <= cols ? std::optional<Planes>(q) : std::nullopt;
    }
    return int8ByteGeometry();
  }

  /// The int8-byte geometry of 8-bit plain Int codes (i8Geometry): lane j
  /// holds elements 4j .. 4j + 3 of a 64-code chunk; nullopt for other
  /// formats or groups that do not cover whole lanes.
  std::optional<Planes> int8ByteGeometry() const {
    if (f.layout != Layout::Plain || f.bits != 8 ||
        f.kind != num::ElementKind::Int)
      return std::nullopt;
    Planes q;
    q.i8Bytes = true;
    q.bytes = q.codes = 64;
    q.planes = 1;
    q.lanes = 16;
    q.wordLanes = true;
    if (q.codes > cols)
      return std::nullopt;
    if (groupRun % q.codes == 0 || groupRun % cols == 0)
      return q;
    if (inner == 1 && f.granularity == num::Granularity::Block &&
        q.codes % groupRun == 0 && groupRun % 4 == 0 &&
        f.scaleType != num::ScaleType::None) {
      q.groupsPerChunk = q.codes / groupRun;
      return q;
    }
    return std::nullopt;
  }

  /// The q4_k word-lane geometry of the fused GEMV (x86; rows of whole
  /// super-blocks), or nullopt.
  std::optional<Planes> q4kWordGeometry() const {
    if (f.layout != Layout::Q4_K || (target != "avx512" && target != "avx2") ||
        cols % 256 != 0)
      return std::nullopt;
    Planes p;
    p.lanes = target == "avx512" ? 16 : 8;
    p.bytes = 128;
    p.codes = 256;
    p.planes = 256 / p.lanes;
    p.interleaved = p.wordLanes = p.q4kWords = true;
    return p;
  }

  /// The class of plane s of q4_k word lanes: planes of one class (the
  /// same word, the same nibble parity) have the same sub-block in each
  /// lane, so they are summed before one scale and min are applied. With
  /// int8 bytes each plane s is class s.
  static int64_t q4kClass(int64_t s) { return 2 * (s / 8) + s % 2; }
  /// The sub-block (0..7) of lane j of the planes of class k (word lanes of
  /// p.lanes, or int8 bytes: 16 lanes of 4 bytes).
  static int64_t q4kSubBlock(const Planes &p, int64_t k, int64_t j) {
    return 2 * ((k / 2) * p.lanes / 8 + j / 8) + k % 2;
  }

  /// The code values (0..15, f32) of the q4_k word-lane chunk (super-block)
  /// starting at flat element `e`, one vector per plane: a shift and a
  /// permute lookup each.
  SmallVector<Value> decodeQ4KWordPlanes(Value e, const Planes &p) {
    Value base = q4kBlockBase(e);
    auto i32v = VectorType::get({p.lanes}, b.getI32Type());
    SmallVector<float> values;
    for (int c = 0; c < 16; ++c)
      values.push_back(static_cast<float>(c));
    SmallVector<Value> out;
    for (int64_t w = 0; w < p.planes / 8; ++w) {
      Value bytes =
          readVector(code(),
                     arith::AddIOp::create(b, loc, base,
                                           cIdx(b, loc, 16 + 4 * p.lanes * w)),
                     4 * p.lanes);
      Value word = vector::BitCastOp::create(b, loc, i32v, bytes);
      for (int64_t t = 0; t < 8; ++t) {
        Value c = t ? shiftRightLanes(word, 4 * t) : word;
        out.push_back(lookupX86(target, b, loc, values, c));
      }
    }
    return out;
  }

  /// {d * sc, dmin * m} (vector<8xf32> each) of the 8 sub-blocks of the
  /// q4_k super-block holding flat element `e`: the 8 scales and mins are
  /// unpacked together in 8 i32 lanes (as conv::emitQ4KScaleMin).
  std::pair<Value, Value> q4kScalesMins(Value e) {
    Q4KHeader h = readQ4KHeader(e);
    auto i32x16 = VectorType::get({16}, b.getI32Type());
    auto i32x8 = VectorType::get({8}, b.getI32Type());
    // Bytes 4 .. 19 of the super-block: the 12 scale bytes q[0..11] (and 4
    // code bytes, unused).
    Value q = arith::ExtUIOp::create(
        b, loc, i32x16,
        readVector(code(),
                   arith::AddIOp::create(b, loc, h.base, cIdx(b, loc, 4)), 16));
    auto pick = [&](ArrayRef<int64_t> idx) {
      return vector::ShuffleOp::create(b, loc, q, q, idx).getResult();
    };
    auto cst = [&](ArrayRef<int32_t> v) {
      return arith::ConstantOp::create(b, loc, i32x8,
                                       DenseElementsAttr::get(i32x8, v))
          .getResult();
    };
    // j < 4: sc = q[j] & 63, m = q[j+4] & 63; j >= 4: sc = (q[j+4] & 15) |
    // ((q[j-4] >> 6) << 4), m = (q[j+4] >> 4) | ((q[j] >> 6) << 4).
    Value lo = pick({0, 1, 2, 3, 8, 9, 10, 11});
    Value mlo = pick({4, 5, 6, 7, 8, 9, 10, 11});
    Value scHiSrc = pick({0, 1, 2, 3, 0, 1, 2, 3});
    Value mHiSrc = pick({4, 5, 6, 7, 4, 5, 6, 7});
    Value lowMask = cst({63, 63, 63, 63, 15, 15, 15, 15});
    Value hiMask = cst({0, 0, 0, 0, 48, 48, 48, 48});
    Value two = cst({2, 2, 2, 2, 2, 2, 2, 2});
    Value mShift = cst({0, 0, 0, 0, 4, 4, 4, 4});
    // (x >> 6) << 4 = (x >> 2) & 48 for bytes x.
    auto hiBits = [&](Value x) {
      return arith::AndIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, x, two), hiMask);
    };
    Value sc = arith::OrIOp::create(
        b, loc, arith::AndIOp::create(b, loc, lo, lowMask), hiBits(scHiSrc));
    Value m = arith::OrIOp::create(
        b, loc,
        arith::AndIOp::create(
            b, loc, arith::ShRUIOp::create(b, loc, mlo, mShift), lowMask),
        hiBits(mHiSrc));
    return conv::emitQ4KSubBlockFactors(b, loc, h.d, h.dmin, sc, m);
  }

  /// The per-lane factors of the q4_k word-lane chunk (super-block)
  /// starting at flat element `e`: for each plane class k (q4kClass),
  /// dsc[k] = d * sc and nmin[k] = -(dmin * m) of each lane's sub-block.
  void q4kLaneFactors(Value e, const Planes &p, SmallVectorImpl<Value> &dsc,
                      SmallVectorImpl<Value> &nmin) {
    auto [dsc8, mmin8] = q4kScalesMins(e);
    Value nmin8 = arith::NegFOp::create(b, loc, mmin8);
    for (int64_t k = 0; k < 2 * (p.planes / 8); ++k) {
      SmallVector<int64_t> mask;
      for (int64_t j = 0; j < p.lanes; ++j)
        mask.push_back(q4kSubBlock(p, k, j));
      dsc.push_back(vector::ShuffleOp::create(b, loc, dsc8, dsc8, mask));
      nmin.push_back(vector::ShuffleOp::create(b, loc, nmin8, nmin8, mask));
    }
  }

  /// The 4 code planes (vector<64xi8>, codes 0..15) of the int8-byte q4_k
  /// chunk (super-block) starting at flat element `e`: the low and high
  /// nibbles of code bytes 0-63 and 64-127.
  SmallVector<Value> decodeQ4KI8Planes(Value e) {
    Value base = q4kBlockBase(e);
    auto v8 = VectorType::get({64}, b.getI8Type());
    Value low = arith::ConstantOp::create(
        b, loc, v8, DenseElementsAttr::get(v8, b.getI8IntegerAttr(15)));
    SmallVector<Value> out;
    for (int64_t w = 0; w < 2; ++w) {
      Value bytes = readVector(
          code(),
          arith::AddIOp::create(b, loc, base, cIdx(b, loc, 16 + 64 * w)), 64);
      out.push_back(arith::AndIOp::create(b, loc, bytes, low));
      out.push_back(shiftRightLanes(bytes, 4));
    }
    return out;
  }

  /// The unsigned bytes u(c) (I8Codes) of the int8-byte chunk starting at
  /// flat element `e`, one vector<64xi8> per plane: a shift and a mask per
  /// plane, then a vpshufb lookup (or a sign flip) unless u(c) = c. Wide
  /// maps: two vectors per plane, the low bytes of u(c) (at 2 s) and the
  /// high bytes (at 2 s + 1), one vpshufb each.
  SmallVector<Value> decodeI8Planes(Value e, const Planes &p) {
    Value bytes = chunkBytes(e, p);
    auto v8 = VectorType::get({p.bytes}, b.getI8Type());
    auto splat = [&](int64_t x) {
      return arith::ConstantOp::create(
                 b, loc, v8,
                 DenseElementsAttr::get(
                     v8, b.getI8IntegerAttr(static_cast<int8_t>(x))))
          .getResult();
    };
    // i8Geometry checked i8Codes(), which made `p`.
    const I8Codes &ic = *i8Codes();
    unsigned bits = codeBits();
    Value table, tableHi;
    if (ic.map == I8Codes::Map::Table)
      table = arith::ConstantOp::create(
          b, loc, v8, DenseElementsAttr::get(v8, ArrayRef<int8_t>(ic.table)));
    if (ic.wide)
      tableHi = arith::ConstantOp::create(
          b, loc, v8, DenseElementsAttr::get(v8, ArrayRef<int8_t>(ic.tableHi)));
    SmallVector<Value> out;
    for (int64_t s = 0; s < p.planes; ++s) {
      Value c = bytes;
      if (bits < 8) {
        unsigned sh = static_cast<unsigned>(s) * bits;
        if (sh)
          c = arith::ShRUIOp::create(b, loc, c, splat(sh));
        if (sh + bits < 8)
          c = arith::AndIOp::create(b, loc, c, splat((1 << bits) - 1));
      }
      if (ic.map == I8Codes::Map::FlipSign) {
        c = arith::XOrIOp::create(b, loc, c, splat(0x80));
      } else if (table) {
        auto lookup = [&](Value t) {
          return callIntrinsic(b, loc, v8, "llvm.x86.avx512.pshuf.b.512",
                               ValueRange{t, c});
        };
        if (tableHi) // the low bytes first, then the high ones
          out.push_back(lookup(table));
        c = lookup(tableHi ? tableHi : table);
      }
      out.push_back(c);
    }
    return out;
  }

  /// Picks bytes of the groupsPerChunk consecutive blocks of a ggufWords
  /// chunk starting at flat element `e` (AVX-512: 4 q4_0 / iq4_nl blocks,
  /// 72 bytes, or 2 q8_0 blocks, 68 bytes): result k is byte pick[k] of the
  /// chunk. The chunk is read as two overlapping vectors of its blocks'
  /// code bytes, at its start and at its end, so that both reads stay
  /// inside it, and the bytes are picked by one two-source shuffle
  /// (vpermt2b / vpermt2w) instead of a load per block and one per scale.
  Value pickGGUFChunkBytes(Value e, const Planes &p, ArrayRef<int64_t> pick) {
    int64_t nb = p.groupsPerChunk, bb = num::ggufBlockBytes(f.layout);
    int64_t n = (bb - 2) * nb, tailStart = 2 * nb;
    Value off = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, e, cIdx(b, loc, 32)),
        cIdx(b, loc, bb));
    Value head = readVector(code(), off, n);
    Value tail = readVector(
        code(), arith::AddIOp::create(b, loc, off, cIdx(b, loc, tailStart)), n);
    SmallVector<int64_t> mask;
    for (int64_t i : pick)
      mask.push_back(i < n ? i : n + i - tailStart);
    return vector::ShuffleOp::create(b, loc, head, tail, mask);
  }

  /// The scales of the chunk starting at flat element `e` as a
  /// vector<lanes x f32>, or a null Value for formats without scales.
  Value chunkScaleVector(Value e, const Planes &p) {
    auto vt = VectorType::get({p.lanes}, b.getF32Type());
    if (p.ggufWords) {
      // The blocks' f16 scales picked out of the chunk's bytes, converted
      // together and spread over each block's lanes.
      int64_t nb = p.groupsPerChunk, bb = num::ggufBlockBytes(f.layout);
      SmallVector<int64_t> pick;
      for (int64_t q = 0; q < nb; ++q)
        pick.append({q * bb, q * bb + 1});
      Value raw = vector::BitCastOp::create(
          b, loc, VectorType::get({nb}, b.getI16Type()),
          pickGGUFChunkBytes(e, p, pick));
      return spreadOverLanes(
          conv::emitDecodeScale(b, loc, num::ScaleType::F16, raw), p.lanes);
    }
    if (p.groupsPerChunk == 1) {
      Value s = chunkScale(e);
      return s ? vector::BroadcastOp::create(b, loc, vt, s) : Value();
    }
    unsigned sb = FormatSpec::scaleBits(f.scaleType) / 8;
    int64_t ng = p.groupsPerChunk;
    Value off = arith::MulIOp::create(b, loc, groupOf(e), cIdx(b, loc, sb));
    Value raw = readVector(sec[unsigned(Section::Scales)], off, ng * sb);
    if (sb > 1)
      raw = vector::BitCastOp::create(
          b, loc, VectorType::get({ng}, b.getIntegerType(8 * sb)), raw);
    return spreadOverLanes(conv::emitDecodeScale(b, loc, f.scaleType, raw),
                           p.lanes);
  }

  /// `perGroup` (vector<ng x T>, one value per group of the chunk) with
  /// each value repeated over its group's lanes / ng consecutive lanes:
  /// vector<lanes x T>.
  Value spreadOverLanes(Value perGroup, int64_t lanes) {
    int64_t ng = cast<VectorType>(perGroup.getType()).getNumElements();
    SmallVector<int64_t> mask;
    for (int64_t j = 0; j < lanes; ++j)
      mask.push_back(j / (lanes / ng));
    return vector::ShuffleOp::create(b, loc, perGroup, perGroup, mask);
  }

  /// `v` shifted right (logical) by `amount` bits in every lane.
  Value shiftRightLanes(Value v, int64_t amount) {
    auto vt = cast<VectorType>(v.getType());
    return arith::ShRUIOp::create(
        b, loc, v,
        arith::ConstantOp::create(
            b, loc, vt,
            DenseElementsAttr::get(
                vt, b.getIntegerAttr(vt.getElementType(), amount))));
  }

  /// Whether the format has a zero point per group.
  bool hasZeroPoints() const { return f.zeroPoint; }

  /// The zero points (stored bytes) of the word-lane chunk starting at
  /// flat element `e` as a vector<lanes x i8>, each lane its group's.
  Value zeroPointLanes(Value e, const Planes &p) {
    return spreadOverLanes(readVector(sec[unsigned(Section::ZeroPoints)],
                                      groupOf(e), p.groupsPerChunk),
                           p.lanes);
  }

  /// The packed bytes (vector<p.bytes x i8>) of the plane chunk starting
  /// at flat element `e`.
  Value chunkBytes(Value e, const Planes &p) {
    Value bytes;
    if (p.ggufWords) {
      // The code bytes of each of the chunk's blocks, side by side.
      int64_t bb = num::ggufBlockBytes(f.layout), cb = bb - 2;
      SmallVector<int64_t> pick;
      for (int64_t i = 0; i < p.bytes; ++i)
        pick.push_back(i / cb * bb + 2 + i % cb);
      bytes = pickGGUFChunkBytes(e, p, pick);
    } else if (f.layout != Layout::Plain) {
      int64_t bb = num::ggufBlockBytes(f.layout);
      Value blk = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, 32));
      Value off = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, blk, cIdx(b, loc, bb)),
          cIdx(b, loc, 2));
      bytes = readVector(code(), off, p.bytes);
    } else {
      Value byteOff = arith::DivUIOp::create(
          b, loc, arith::MulIOp::create(b, loc, e, cIdx(b, loc, f.bits)),
          cIdx(b, loc, 8));
      bytes = readVector(code(), byteOff, p.bytes);
    }
    return bytes;
  }

  /// The unscaled f32 values of the chunk starting at flat element `e`
  /// (which starts a chunk of its row), one vector per plane. Zero points
  /// are applied, except on word lanes (the codes' values there; see
  /// zeroPointLanes); scales are not (see chunkScale).
  SmallVector<Value> decodePlanes(Value e, const Planes &p) {
    auto f32 = b.getF32Type();
    if (f.layout == Layout::Q4_K)
      return decodeQ4KBlock(e);
    Value bytes = chunkBytes(e, p), gid;
    if (f.layout == Layout::Plain && !p.ggufWords)
      gid = groupOf(e);
    SmallVector<Value> out;
    if (p.planes == 1) {
      out.push_back(decodeValues(bytes, f32, gid));
      return out;
    }
    unsigned bits = codeBits();
    auto i32v = VectorType::get({p.lanes}, b.getI32Type());
    Value wide =
        p.wordLanes ? vector::BitCastOp::create(b, loc, i32v, bytes).getResult()
                    : arith::ExtUIOp::create(b, loc, i32v, bytes).getResult();
    unsigned laneBits = p.wordLanes ? 32 : 8;
    // Word lanes with zero points: the codes' values; the caller subtracts
    // each lane's group's zero point (zeroPointLanes) times the lane's sum
    // of activations.
    bool codeValues = f.zeroPoint && p.wordLanes;
    bool raw = permuteIgnoresHighBits(bits, p.lanes, codeValues);
    for (int64_t s = 0; s < p.planes; ++s) {
      unsigned sh = static_cast<unsigned>(s) * bits;
      Value c;
      if (raw || sh + bits == laneBits) {
        // Bits above the code are either zero (the top code of a byte) or
        // ignored by the permute lookup.
        c = sh ? arith::ShRUIOp::create(
                     b, loc, wide,
                     arith::ConstantOp::create(
                         b, loc, i32v,
                         DenseElementsAttr::get(
                             i32v, b.getI32IntegerAttr(static_cast<int>(sh)))))
               : wide;
      } else {
        c = conv::emitExtractField(b, loc, wide, sh, bits);
      }
      out.push_back(codeValues ? decodeCodeValues(c, f32)
                               : decodeValues(c, f32, gid));
    }
    return out;
  }

  /// Whether codes of `bits` bits decode through an x86 permute lookup
  /// (vpermps reads only the low index bits, and lookupX86 repeats the
  /// table with the code's period), so planes need no mask.
  bool permuteIgnoresHighBits(unsigned bits, int64_t lanes,
                              bool codeValues = false) const {
    if ((target != "avx512" && target != "avx2") ||
        (f.zeroPoint && !codeValues))
      return false;
    if (lanes % 8 != 0)
      return false;
    bool lut = f.layout == Layout::Q4_0 || f.layout == Layout::IQ4_NL ||
               (f.layout == Layout::Plain && bits <= 4 &&
                (f.kind == num::ElementKind::Int ||
                 f.kind == num::ElementKind::Float ||
                 f.kind == num::ElementKind::Lut));
    if (!lut)
      return false;
    size_t n = conv::decodeTable(f).size();
    return n <= 16 && llvm::PowerOf2Ceil(n) == (size_t(1) << bits);
  }

  /// The f32 scale (times the super-scale) of the group holding flat
  /// element `e`, or a null Value for formats without scales.
  Value chunkScale(Value e) {
    if (f.layout == Layout::Q4_K)
      return {};
    if (f.layout != Layout::Plain) {
      Value blk = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, 32));
      return blockScaleGGUF(blk, num::ggufBlockBytes(f.layout));
    }
    if ((f.scaleType == num::ScaleType::None && !f.doubleQuant) ||
        f.kind == num::ElementKind::Learned)
      return {};
    Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
    return applyScale(one, groupOf(e));
  }

  /// Decoded f32 value of flat element `e` (any format, scalar code path).
  Value decodeElement(Value e) {
    auto f32 = b.getF32Type();
    if (f.layout == Layout::Q4_K)
      return decodeQ4KElement(e);
    if (f.layout != Layout::Plain)
      return decodeGGUFElement(e);
    Value bitPos = arith::MulIOp::create(b, loc, e, cIdx(b, loc, f.bits));
    Value byte = arith::DivUIOp::create(b, loc, bitPos, cIdx(b, loc, 8));
    Value shift = arith::RemUIOp::create(b, loc, bitPos, cIdx(b, loc, 8));
    int64_t last = codeBytes() - 1;
    Value next = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, byte, cIdx(b, loc, 1)),
        cIdx(b, loc, last));
    auto i32 = b.getI32Type();
    Value b0 = arith::ExtUIOp::create(b, loc, i32, readByte(code(), byte));
    Value b1 = arith::ExtUIOp::create(b, loc, i32, readByte(code(), next));
    Value word = arith::OrIOp::create(
        b, loc, b0,
        arith::ShLIOp::create(b, loc, b1,
                              arith::ConstantIntOp::create(b, loc, i32, 8)));
    Value sh = arith::IndexCastUIOp::create(b, loc, i32, shift);
    Value c = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, word, sh),
        arith::ConstantIntOp::create(b, loc, i32, (1 << f.bits) - 1));
    Value gid = groupOf(e);
    Value vals = decodeValues(c, f32, gid);
    return applyScale(vals, gid);
  }

  /// Writes the outliers into the 2-D [rows, cols] f32-or-narrower tensor.
  Value patchOutliers(Value out, Type elemType) {
    int64_t k = numOutliers();
    if (k == 0)
      return out;
    auto loop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, k),
                                   cIdx(b, loc, 1), ValueRange{out});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    auto [idx, v] = readOutlier(loop.getInductionVar());
    v = conv::emitConvertResult(b, loc, v, elemType);
    Value r = arith::DivUIOp::create(b, loc, idx, cIdx(b, loc, cols));
    Value c = arith::RemUIOp::create(b, loc, idx, cIdx(b, loc, cols));
    Value res = tensor::InsertOp::create(b, loc, v, loop.getRegionIterArg(0),
                                         ValueRange{r, c});
    scf::YieldOp::create(b, loc, res);
    return loop.getResult(0);
  }

  /// Number of sparse outliers of the tensor (0 for GGUF layouts).
  int64_t numOutliers() const {
    return f.layout == Layout::Plain ? f.numOutliers(numel) : 0;
  }

  /// The flat index (index type) and the f32 value of outlier `j`.
  std::pair<Value, Value> readOutlier(Value j) {
    int64_t k = f.numOutliers(numel);
    unsigned isz = numel > (int64_t(1) << 32) ? 8 : 4;
    unsigned vsz = FormatSpec::scaleBits(f.outlierType) / 8;
    Value o = sec[unsigned(Section::Outliers)];
    Value idxRaw =
        readInt(o, arith::MulIOp::create(b, loc, j, cIdx(b, loc, isz)), isz);
    Value idx = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), idxRaw);
    Value vOff = arith::AddIOp::create(
        b, loc, cIdx(b, loc, k * isz),
        arith::MulIOp::create(b, loc, j, cIdx(b, loc, vsz)));
    Value v =
        conv::emitDecodeScale(b, loc, f.outlierType, readInt(o, vOff, vsz));
    return {idx, v};
  }

  int64_t numel = 0, cols = 0;

private:
  /// Bits per code of the plane decoders (GGUF layouts: 4, q8_0 8).
  unsigned codeBits() const {
    return f.layout == Layout::Plain  ? f.bits
           : f.layout == Layout::Q8_0 ? 8
                                      : 4;
  }
  /// bf16DecodeTable(), computed once (by bf16PairGeometry).
  mutable std::optional<std::optional<SmallVector<int16_t>>> bf16Table;
  /// i8Codes(), computed once.
  mutable std::optional<std::optional<I8Codes>> i8CodesCache;
  /// What i8Codes() returns (see there): num::int8CodeMap of the decoded
  /// values, wide where a byte lookup (at most 16 codes) can read it.
  std::optional<I8Codes> computeI8Codes() const {
    if (f.layout == Layout::Q4_K)
      return I8Codes(); // codes 0..15, scaled and shifted per sub-block
    SmallVector<float> t = conv::decodeTable(f);
    size_t n = size_t(1) << codeBits();
    if (t.size() != n)
      return std::nullopt;
    std::optional<num::Int8CodeMap> cm =
        num::int8CodeMap(std::vector<float>(t.begin(), t.end()), n <= 16);
    if (!cm)
      return std::nullopt;
    I8Codes r;
    r.unit = cm->unit;
    r.offset = cm->offset;
    r.wide = cm->wide;
    bool identity = !cm->wide, flip = !cm->wide;
    for (size_t c = 0; c < n; ++c) {
      identity = identity && cm->u[c] == c;
      flip = flip && cm->u[c] == (c ^ 0x80);
    }
    if (identity)
      r.map = I8Codes::Map::Identity;
    else if (flip && n == 256)
      r.map = I8Codes::Map::FlipSign;
    else if (n <= 16) {
      r.map = I8Codes::Map::Table;
      for (int64_t i = 0; i < 64; ++i) {
        uint16_t u = cm->u[i % 16 % n];
        r.table.push_back(static_cast<int8_t>(static_cast<uint8_t>(u)));
        if (r.wide)
          r.tableHi.push_back(
              static_cast<int8_t>(static_cast<uint8_t>(u >> 8)));
      }
    } else {
      return std::nullopt;
    }
    return r;
  }

  Value code() { return sec[unsigned(Section::Codes)]; }
  int64_t codeBytes() {
    return cast<RankedTensorType>(code().getType()).getNumElements();
  }

  Value readVector(Value t, Value off, int64_t n) {
    auto vt = VectorType::get({n}, b.getI8Type());
    Value pad = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
    return vector::TransferReadOp::create(b, loc, vt, t, ValueRange{off}, pad,
                                          ArrayRef<bool>{true});
  }
  Value readByte(Value t, Value off) {
    return tensor::ExtractOp::create(b, loc, t, ValueRange{off});
  }
  /// Little-endian integer of `n` bytes at `off`.
  Value readInt(Value t, Value off, unsigned n) {
    if (n == 1)
      return readByte(t, off);
    Value v = readVector(t, off, n);
    auto wt = VectorType::get({1}, b.getIntegerType(8 * n));
    Value w = vector::BitCastOp::create(b, loc, wt, v);
    return vector::ExtractOp::create(b, loc, w, ArrayRef<int64_t>{0});
  }

  Value groupOf(Value e) {
    using num::Granularity;
    if (f.granularity == Granularity::Tensor)
      return cIdx(b, loc, 0);
    int64_t dimA = shape[axis];
    Value q = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, inner));
    Value ia = arith::RemUIOp::create(b, loc, q, cIdx(b, loc, dimA));
    if (f.granularity == Granularity::Channel)
      return ia;
    int64_t g = f.blockSize;
    if (inner == 1)
      return arith::DivUIOp::create(b, loc, e, cIdx(b, loc, g));
    Value outer = arith::DivUIOp::create(b, loc, q, cIdx(b, loc, dimA));
    Value in = arith::RemUIOp::create(b, loc, e, cIdx(b, loc, inner));
    Value blk = arith::DivUIOp::create(b, loc, ia, cIdx(b, loc, g));
    Value id =
        arith::MulIOp::create(b, loc, outer, cIdx(b, loc, dimA / g * inner));
    id = arith::AddIOp::create(
        b, loc, id, arith::MulIOp::create(b, loc, blk, cIdx(b, loc, inner)));
    return arith::AddIOp::create(b, loc, id, in);
  }

  /// The codes' values before any zero point (uint codes: float(code)),
  /// through the target's table lookup.
  Value decodeCodeValues(Value codes, Type f32) {
    std::string tgt = target;
    auto hook = [tgt](OpBuilder &ob, Location l, ArrayRef<float> table,
                      Value idx) -> Value {
      if (tgt == "avx512" || tgt == "avx2")
        return lookupX86(tgt, ob, l, table, idx);
      if (tgt == "neon")
        return lookupNeon(ob, l, table, idx);
      return {};
    };
    // emitDecodeElements never applies zero points (decodeValues does).
    return conv::emitDecodeElements(b, loc, f, codes, f32, hook);
  }

  Value decodeValues(Value codes, Type f32, Value gid) {
    if (f.kind == num::ElementKind::Learned)
      return learnedLookup(codes, gid);
    if (f.zeroPoint) {
      // Reference: scale * float(code - zp) with the raw unsigned code.
      Type ft = f32;
      if (auto vt = dyn_cast<VectorType>(codes.getType()))
        ft = VectorType::get(vt.getShape(), f32);
      Value wide = codes;
      Type wt = b.getI32Type();
      if (auto vt = dyn_cast<VectorType>(codes.getType()))
        wt = VectorType::get(vt.getShape(), b.getI32Type());
      if (getElementTypeOrSelf(codes.getType()) != b.getI32Type())
        wide = arith::ExtUIOp::create(b, loc, wt, codes);
      Value v = arith::UIToFPOp::create(b, loc, ft, wide);
      Value zp = readByte(sec[unsigned(Section::ZeroPoints)], gid);
      return conv::emitApplyZeroPoint(b, loc, v, zp);
    }
    return decodeCodeValues(codes, f32);
  }

  /// Learned (asq) codes: entry min(code, levels - 1) of the group's
  /// codebook, `levels` values of the scale type in the Codebooks section
  /// (num::loadCodebook). Vectors on x86 with at most 16 levels load the
  /// codebook into a register and look up with permutes; otherwise each
  /// value is read from the section.
  Value learnedLookup(Value codes, Value gid) {
    unsigned s = f.levels;
    unsigned vb = FormatSpec::scaleBits(f.scaleType) / 8;
    LearnedCodebooks cb =
        learnedCb.value_or(LearnedCodebooks{0, int64_t(s) * vb, 0, vb});
    Type it = getElementTypeOrSelf(codes.getType());
    if (s < (1u << f.bits)) {
      Value last;
      if (auto vt = dyn_cast<VectorType>(codes.getType()))
        last = arith::ConstantOp::create(
            b, loc, vt,
            DenseElementsAttr::get(vt, b.getIntegerAttr(it, s - 1)));
      else
        last =
            arith::ConstantOp::create(b, loc, it, b.getIntegerAttr(it, s - 1));
      codes = arith::MinUIOp::create(b, loc, codes, last);
    }
    Value cbs = sec[unsigned(Section::Codebooks)];
    Value base = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, gid, cIdx(b, loc, cb.groupStride)),
        cIdx(b, loc, cb.offset));
    if (isa<VectorType>(codes.getType())) {
      // vector<16xf32> codebook (entries beyond `levels` repeat entry 0),
      // picked from the values of the entries' span.
      int64_t span = (cb.first + (s - 1) * cb.entryStride) / vb + 1;
      Value raw = readVector(cbs, base, span * vb);
      auto rawTy = VectorType::get({span}, b.getIntegerType(8 * vb));
      Value vals = conv::emitDecodeScale(
          b, loc, f.scaleType, vector::BitCastOp::create(b, loc, rawTy, raw));
      SmallVector<int64_t> mask(16, cb.first / vb);
      for (unsigned i = 0; i < s; ++i)
        mask[i] = (cb.first + i * cb.entryStride) / vb;
      Value table = vector::ShuffleOp::create(b, loc, vals, vals, mask);
      return permuteLookupX86(target, b, loc, table, s > 8, codes);
    }
    Value idx = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), codes);
    Value off = arith::AddIOp::create(
        b, loc, arith::AddIOp::create(b, loc, base, cIdx(b, loc, cb.first)),
        arith::MulIOp::create(b, loc, idx, cIdx(b, loc, cb.entryStride)));
    return conv::emitDecodeScale(b, loc, f.scaleType, readInt(cbs, off, vb));
  }

  /// Whether learned codes decode as vectors here (x86 permutes over a
  /// codebook of at most 16 entries); else they take the scalar path.
  bool learnedVectorizable() const {
    return (target == "avx512" || target == "avx2") && f.levels <= 16 &&
           f.levels >= 1;
  }

  Value applyScale(Value vals, Value gid) {
    // Learned codebooks hold the values themselves (the scale type is
    // their storage type).
    if ((f.scaleType == num::ScaleType::None && !f.doubleQuant) ||
        f.kind == num::ElementKind::Learned)
      return vals;
    unsigned sb = FormatSpec::scaleBits(f.scaleType) / 8;
    Value s;
    if (sb) {
      Value off = arith::MulIOp::create(b, loc, gid, cIdx(b, loc, sb));
      s = conv::emitDecodeScale(
          b, loc, f.scaleType,
          readInt(sec[unsigned(Section::Scales)], off, sb));
    } else {
      s = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
    }
    Value super;
    if (f.doubleQuant) {
      int64_t groups =
          f.numGroups(std::vector<int64_t>(shape.begin(), shape.end()));
      int64_t dq = f.doubleQuantGroup == 0 ? groups : f.doubleQuantGroup;
      Value si = arith::DivUIOp::create(b, loc, gid, cIdx(b, loc, dq));
      Value off = arith::MulIOp::create(b, loc, si, cIdx(b, loc, 4));
      super = arith::BitcastOp::create(
          b, loc, b.getF32Type(),
          readInt(sec[unsigned(Section::SuperScales)], off, 4));
    }
    return conv::emitScale(b, loc, vals, s, super);
  }

  Value blockScaleGGUF(Value blk, int64_t bb) {
    Value off = arith::MulIOp::create(b, loc, blk, cIdx(b, loc, bb));
    return conv::emitDecodeScale(b, loc, num::ScaleType::F16,
                                 readInt(code(), off, 2));
  }

  /// q4_k super-block header of the block holding flat element `e`: the
  /// byte offset of the block, d and dmin (f32), and the 12 scale bytes as
  /// three little-endian i32 words.
  struct Q4KHeader {
    Value base, d, dmin;
    SmallVector<Value, 3> scaleWords;
  };
  /// The byte offset of the q4_k super-block holding flat element `e`.
  Value q4kBlockBase(Value e) {
    Value blk = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, 256));
    return arith::MulIOp::create(b, loc, blk, cIdx(b, loc, 144));
  }
  Q4KHeader readQ4KHeader(Value e) {
    Q4KHeader h;
    h.base = q4kBlockBase(e);
    auto at = [&](int64_t off) {
      return arith::AddIOp::create(b, loc, h.base, cIdx(b, loc, off));
    };
    h.d = conv::emitDecodeScale(b, loc, num::ScaleType::F16,
                                readInt(code(), h.base, 2));
    h.dmin = conv::emitDecodeScale(b, loc, num::ScaleType::F16,
                                   readInt(code(), at(2), 2));
    for (int w = 0; w < 3; ++w)
      h.scaleWords.push_back(readInt(code(), at(4 + 4 * w), 4));
    return h;
  }

  /// The 8 sub-blocks (vector<32xf32> each, elements in order) of the q4_k
  /// super-block starting at flat element `e`: x = (d*sc)*q - dmin*m.
  SmallVector<Value> decodeQ4KBlock(Value e) {
    Q4KHeader h = readQ4KHeader(e);
    auto i32v = VectorType::get({32}, b.getI32Type());
    SmallVector<Value> out;
    for (unsigned p = 0; p < 4; ++p) {
      Value qs = readVector(
          code(),
          arith::AddIOp::create(b, loc, h.base, cIdx(b, loc, 16 + 32 * p)), 32);
      Value wide = arith::ExtUIOp::create(b, loc, i32v, qs);
      for (unsigned half = 0; half < 2; ++half) {
        unsigned j = 2 * p + half;
        auto [sc, m] = conv::emitQ4KScaleMin(b, loc, h.scaleWords, j);
        auto [dsc, mmin] =
            conv::emitQ4KSubBlockFactors(b, loc, h.d, h.dmin, sc, m);
        Value q = conv::emitExtractField(b, loc, wide, 4 * half, 4);
        out.push_back(conv::emitQ4KElements(b, loc, q, dsc, mmin));
      }
    }
    return out;
  }

  /// One q4_k element at flat index `e` (sub-block chosen at run time).
  Value decodeQ4KElement(Value e) {
    Q4KHeader h = readQ4KHeader(e);
    Value inBlk = arith::RemUIOp::create(b, loc, e, cIdx(b, loc, 256));
    Value j = arith::DivUIOp::create(b, loc, inBlk, cIdx(b, loc, 32));
    Value l = arith::RemUIOp::create(b, loc, inBlk, cIdx(b, loc, 32));
    // Byte qs[32 * (j / 2) + l], nibble j % 2.
    Value byteOff = arith::AddIOp::create(
        b, loc,
        arith::AddIOp::create(
            b, loc, h.base,
            arith::MulIOp::create(
                b, loc, arith::DivUIOp::create(b, loc, j, cIdx(b, loc, 2)),
                cIdx(b, loc, 32))),
        arith::AddIOp::create(b, loc, l, cIdx(b, loc, 16)));
    auto i32 = b.getI32Type();
    Value byte = arith::ExtUIOp::create(b, loc, i32, readByte(code(), byteOff));
    Value sh = arith::MulIOp::create(
        b, loc,
        arith::IndexCastUIOp::create(
            b, loc, i32, arith::RemUIOp::create(b, loc, j, cIdx(b, loc, 2))),
        arith::ConstantIntOp::create(b, loc, i32, 4));
    Value q =
        arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, byte, sh),
                              arith::ConstantIntOp::create(b, loc, i32, 15));
    // The 8 sub-blocks' factors, selected by j.
    SmallVector<Value> dscs, mmins;
    for (unsigned k = 0; k < 8; ++k) {
      auto [sc, m] = conv::emitQ4KScaleMin(b, loc, h.scaleWords, k);
      auto [dsc, mmin] =
          conv::emitQ4KSubBlockFactors(b, loc, h.d, h.dmin, sc, m);
      dscs.push_back(dsc);
      mmins.push_back(mmin);
    }
    auto v8 = VectorType::get({8}, b.getF32Type());
    Value dv = vector::FromElementsOp::create(b, loc, v8, dscs);
    Value mv = vector::FromElementsOp::create(b, loc, v8, mmins);
    Value dsc = vector::ExtractOp::create(b, loc, dv, OpFoldResult(j));
    Value mmin = vector::ExtractOp::create(b, loc, mv, OpFoldResult(j));
    return conv::emitQ4KElements(b, loc, q, dsc, mmin);
  }

  Value decodeGGUFBlock(Value e) {
    int64_t bb = num::ggufBlockBytes(f.layout);
    Value blk = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, 32));
    Value d = blockScaleGGUF(blk, bb);
    Value off = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, blk, cIdx(b, loc, bb)),
        cIdx(b, loc, 2));
    Value codes;
    if (f.layout == Layout::Q8_0)
      codes = readVector(code(), off, 32);
    else
      codes = conv::emitSplitNibbles(b, loc, readVector(code(), off, 16));
    Value vals = decodeValues(codes, b.getF32Type(), Value());
    return conv::emitScale(b, loc, vals, d);
  }

  Value decodeGGUFElement(Value e) {
    int64_t bb = num::ggufBlockBytes(f.layout);
    Value blk = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, 32));
    Value j = arith::RemUIOp::create(b, loc, e, cIdx(b, loc, 32));
    Value d = blockScaleGGUF(blk, bb);
    Value base = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, blk, cIdx(b, loc, bb)),
        cIdx(b, loc, 2));
    auto i32 = b.getI32Type();
    Value c;
    if (f.layout == Layout::Q8_0) {
      c = readByte(code(), arith::AddIOp::create(b, loc, base, j));
    } else {
      Value jj = arith::RemUIOp::create(b, loc, j, cIdx(b, loc, 16));
      Value hiHalf = arith::DivUIOp::create(b, loc, j, cIdx(b, loc, 16));
      Value byte = arith::ExtUIOp::create(
          b, loc, i32,
          readByte(code(), arith::AddIOp::create(b, loc, base, jj)));
      Value sh = arith::MulIOp::create(
          b, loc, arith::IndexCastUIOp::create(b, loc, i32, hiHalf),
          arith::ConstantIntOp::create(b, loc, i32, 4));
      c = arith::AndIOp::create(b, loc,
                                arith::ShRUIOp::create(b, loc, byte, sh),
                                arith::ConstantIntOp::create(b, loc, i32, 15));
    }
    Value vals = decodeValues(c, b.getF32Type(), Value());
    return conv::emitScale(b, loc, vals, d);
  }

  OpBuilder &b;
  Location loc;
  const FormatSpec &f;
  SmallVector<int64_t> shape;
  SectionValues sec;
  std::string target;
  int axis = 0;
  int64_t inner = 1, groupRun = 1;
  std::optional<LearnedCodebooks> learnedCb;
};

/// a * b + c, contractible into one fused multiply-add.
Value scalarFma(OpBuilder &b, Location loc, Value x, Value y, Value acc) {
  auto fm = arith::FastMathFlags::contract;
  Value p = arith::MulFOp::create(b, loc, x, y, fm);
  return arith::AddFOp::create(b, loc, p, acc, fm);
}

/// The scalar K tail of a register-blocked dot product, shared by the fused
/// GEMV and the tiled GEMM: a loop over k in [from, to) adding
/// act(a, k) * weight(w, k) to sums[index(a, w)] for nA activation rows and
/// nW weight rows (each weight read once per k). Returns the new sums.
SmallVector<Value>
scalarKTail(OpBuilder &b, Location loc, int64_t from, int64_t to,
            ArrayRef<Value> sums, int64_t nA, int64_t nW,
            llvm::function_ref<Value(int64_t, Value)> act,
            llvm::function_ref<Value(int64_t, Value)> weight,
            llvm::function_ref<int64_t(int64_t, int64_t)> index) {
  auto sl = scf::ForOp::create(b, loc, cIdx(b, loc, from), cIdx(b, loc, to),
                               cIdx(b, loc, 1), sums);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(sl.getBody());
  Value k = sl.getInductionVar();
  SmallVector<Value> w, next(sums.size());
  for (int64_t j = 0; j < nW; ++j)
    w.push_back(weight(j, k));
  for (int64_t a = 0; a < nA; ++a) {
    Value xa = act(a, k);
    for (int64_t j = 0; j < nW; ++j) {
      int64_t i = index(a, j);
      next[i] = scalarFma(b, loc, xa, w[j], sl.getRegionIterArg(i));
    }
  }
  scf::YieldOp::create(b, loc, next);
  return SmallVector<Value>(sl.getResults().begin(), sl.getResults().end());
}

/// Reshapes a tensor of `shape` to [rows, cols] (or back).
Value to2D(OpBuilder &b, Location loc, Value t) {
  auto tt = cast<RankedTensorType>(t.getType());
  int64_t rank = tt.getRank();
  if (rank == 2)
    return t;
  int64_t cols = rank ? tt.getShape().back() : 1;
  auto t2 = RankedTensorType::get({tt.getNumElements() / cols, cols},
                                  tt.getElementType());
  if (rank == 1)
    return tensor::ExpandShapeOp::create(
        b, loc, t2, t, ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices lead;
  for (int64_t i = 0; i + 1 < rank; ++i)
    lead.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, loc, t2, t, ArrayRef<ReassociationIndices>{lead, {rank - 1}});
}

Value from2D(OpBuilder &b, Location loc, Value t2, RankedTensorType type) {
  int64_t rank = type.getRank();
  if (rank == 2)
    return t2;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, type, t2, ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices lead;
  for (int64_t i = 0; i + 1 < rank; ++i)
    lead.push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, type, t2, ArrayRef<ReassociationIndices>{lead, {rank - 1}});
}

/// The destination of an op's single result: the materialize destination
/// when that is its only use (the op is then erased by the caller), else a
/// fresh tensor.empty.
Value destinationFor(OpBuilder &b, Location loc, Value result,
                     bufferization::MaterializeInDestinationOp &mat) {
  mat = {};
  if (result.hasOneUse())
    if (auto m = dyn_cast<bufferization::MaterializeInDestinationOp>(
            *result.getUsers().begin()))
      if (isa<RankedTensorType>(m.getDest().getType()) &&
          m.getDest().getType() == result.getType()) {
        mat = m;
        return m.getDest();
      }
  auto tt = cast<RankedTensorType>(result.getType());
  return tensor::EmptyOp::create(b, loc, tt.getShape(), tt.getElementType());
}

void replaceWithDest(Operation *op, Value value,
                     bufferization::MaterializeInDestinationOp mat) {
  if (mat) {
    mat.getResult().replaceAllUsesWith(value);
    mat.erase();
  }
  op->getResult(0).replaceAllUsesWith(value);
}

//===----------------------------------------------------------------------===//
// Kashin codes
//===----------------------------------------------------------------------===//

/// Decodes Kashin tensors (`kashin:<bu>+<bv>[:dct|:hadamard]`,
/// `kashin:<b>:joint`): per vector (group) x = u + P^T v, with u and v the
/// centroids their codes select and P^T the inverse sign-randomised
/// transform, evaluated in f64 with the data flow of
/// num::RandomizedTransform::applyT (num::FFTPlan radix-2 passes or
/// Bluestein's chirp-z, num::DCTPlan's reordering and rotations, num::fwht),
/// operation for operation, with the plans' own twiddles, rotations and
/// chirps as constant tables. The arithmetic comes from the shared decode
/// emitter (sign vector, complex products, butterflies, DCT positions, bit
/// reversal); this class only sequences it in scf loops over f64 scratch
/// buffers (memref.alloc, one set for all vectors).
///
/// The control flow of the decode depends only on the vector length, so
/// `lanes` vectors (groups) are decoded together, one per lane of
/// vector<lanes x f64> values: every lane runs the scalar operation sequence
/// (the same IEEE operations, so bit-identical results), the scratch buffers
/// hold [len, lanes] values and the tables are broadcast. The codes, the
/// centroids and the output are read and written lane by lane. The groups
/// left over (groups % lanes) are decoded one at a time.
///
/// The same transform code computes P x for the fused Kashin GEMV
/// (transformActivations): runs of the activations in place of the v
/// centroids, no u added.
class KashinDecoder {
public:
  KashinDecoder(OpBuilder &b, Location loc, const FormatSpec &f,
                ArrayRef<int64_t> shape, const SectionValues &sec,
                const std::string &target)
      : b(b), loc(loc), f(f), sec(sec),
        G(f, std::vector<int64_t>(shape.begin(), shape.end())),
        vectorLanes(target == "avx512" ? 8 : 4) {
    n = G.size;
    cols = shape.empty() ? 1 : shape.back();
    joint = f.kashinJoint;
    bu = f.kashinBitsU;
    bv = joint ? 0 : f.kashinBitsV;
    ku = int64_t(1) << bu;
    perGroup = joint ? 2 * ku : ku + (int64_t(1) << bv);
    dct = f.kashinTransform == num::KashinTransform::DCT;
    bluestein = dct && n > 1 && !llvm::isPowerOf2_64(n);
    if (dct)
      dctPlan = std::make_unique<num::DCTPlan>(n);
    len = bluestein ? dctPlan->fftPlan().bluesteinPlan()->size() : n;
    logLen = llvm::Log2_64(len);
  }

  /// Whether the tensor can be decoded (the reference's own conditions).
  static LogicalResult check(Operation *op, const FormatSpec &f,
                             ArrayRef<int64_t> shape) {
    num::GroupGeometry G(f, std::vector<int64_t>(shape.begin(), shape.end()));
    if (G.groups == 0)
      return success();
    if (f.kashinTransform == num::KashinTransform::Hadamard &&
        !llvm::isPowerOf2_64(G.size))
      return op->emitOpError("Hadamard Kashin vectors need a power-of-two "
                             "length, got ")
             << G.size;
    return success();
  }

  /// Writes every element of the tensor into `out2` ([rows, cols] of
  /// `elemType`): float(x) converted as emitConvertResult does.
  Value decodeInto(Value out2, Type elemType) {
    return transformAll(out2, elemType, G.groups);
  }

  /// The layout of the sections: bytes of the u code
  /// stream (joint: the one stream) and of the v stream, and where factor u
  /// (`v` false) or v finds its centroids in the codebooks after the 8-byte
  /// seed (f32; per vector the u centroids, then the v centroids; joint:
  /// (u, v) pairs).
  int64_t codeBytesU() const { return (G.numel * int64_t(bu) + 7) / 8; }
  int64_t codeBytesV() const { return (G.numel * int64_t(bv) + 7) / 8; }
  int64_t codebookBytes() const { return G.groups * perGroup * 4; }
  LearnedCodebooks factorCodebooks(bool v) const {
    int64_t first = !v ? 0 : joint ? 4 : ku * 4;
    return {0, perGroup * 4, first, joint ? 8 : 4};
  }

  /// z = P x for each length-n run of the activations x2 ([M, K] f32, K
  /// the weight's last axis; kashinVectorsAlongRows()), in f64 by the decode's
  /// own transforms and rounded to f32 into a new [M, K] tensor. P is
  /// symmetric for the DCT; for Hadamard, P x = H(eps . x) / sqrt(n): the
  /// signs go on the input instead of the output.
  Value transformActivations(Value x2, int64_t M) {
    act = x2;
    Value z = allocTemporary(b, loc,
                             RankedTensorType::get({M, cols}, b.getF32Type()));
    Value res = transformAll(z, b.getF32Type(), M * cols / n);
    act = Value();
    return res;
  }

private:
  /// Transforms `count` vectors into `out2`, `vectorLanes` at a time and
  /// the rest one at a time.
  Value transformAll(Value out2, Type elemType, int64_t count) {
    if (count == 0 || n == 0)
      return out2;
    seed = readLE(sec[unsigned(Section::Codebooks)], cIdx(b, loc, 0), 8);
    int64_t full = count / vectorLanes * vectorLanes;
    if (full)
      out2 = decodeGroups(out2, elemType, 0, full, vectorLanes);
    if (full < count)
      out2 = decodeGroups(out2, elemType, full, count, 1);
    // The scratch buffers are freed by ownership-based buffer deallocation
    // (qf-cpu-pipeline), which rejects explicit deallocations.
    return out2;
  }

  /// Decodes groups [lo, hi), `laneCount` at a time.
  Value decodeGroups(Value out2, Type elemType, int64_t lo, int64_t hi,
                     int64_t laneCount) {
    W = laneCount;
    if (!act)
      T = allocBuffer(perGroup);
    A = allocBuffer(len);
    if (dct) {
      B = allocBuffer(len);
      C = allocBuffer(n);
    }
    if (bluestein) {
      Y = allocBuffer(len);
      Z = allocBuffer(len);
    }
    auto groupLoop =
        scf::ForOp::create(b, loc, cIdx(b, loc, lo), cIdx(b, loc, hi),
                           cIdx(b, loc, W), ValueRange{out2});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(groupLoop.getBody());
      gid = groupLoop.getInductionVar();
      if (!act)
        loadCodebooks();
      loadV();
      if (dct) {
        fft(/*inverse=*/false);
        dctMiddle();
        fft(/*inverse=*/true);
      } else {
        fwhtStages();
      }
      Value res = writeOutput(groupLoop.getRegionIterArg(0), elemType);
      scf::YieldOp::create(b, loc, res);
    }
    return groupLoop.getResult(0);
  }

  /// The type of one value of every lane: f64 or vector<W x f64>.
  Type laneType() {
    Type f64 = b.getF64Type();
    return W == 1 ? f64 : VectorType::get({W}, f64);
  }
  /// A scratch buffer of `size` values of every lane: [size] or [size, W].
  Value allocBuffer(int64_t size) {
    Type f64 = b.getF64Type();
    auto ty =
        W == 1 ? MemRefType::get({size}, f64) : MemRefType::get({size, W}, f64);
    return memref::AllocOp::create(b, loc, ty);
  }
  /// A value the same for every lane.
  Value splat(Value scalar) {
    if (W == 1)
      return scalar;
    return vector::BroadcastOp::create(b, loc, laneType(), scalar);
  }
  /// One scalar per lane (`perLane(l)` for lane l) as a lane value.
  Value fromLanes(function_ref<Value(int64_t)> perLane) {
    if (W == 1)
      return perLane(0);
    SmallVector<Value> v;
    for (int64_t l = 0; l < W; ++l)
      v.push_back(perLane(l));
    return vector::FromElementsOp::create(b, loc, cast<VectorType>(laneType()),
                                          v);
  }
  /// Group of lane `l`.
  Value laneGroup(int64_t l) { return l ? addI(gid, l) : gid; }

  // Small builders.
  Value cF64(double v) {
    if (W == 1)
      return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
    auto vt = cast<VectorType>(laneType());
    return arith::ConstantOp::create(
        b, loc, vt, DenseElementsAttr::get(vt, b.getF64FloatAttr(v)));
  }
  Value mulF(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value addI(Value x, int64_t c) {
    return arith::AddIOp::create(b, loc, x, cIdx(b, loc, c));
  }
  Value mulI(Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, cIdx(b, loc, c));
  }
  Value divI(Value x, int64_t c) {
    return arith::DivUIOp::create(b, loc, x, cIdx(b, loc, c));
  }
  Value remI(Value x, int64_t c) {
    return arith::RemUIOp::create(b, loc, x, cIdx(b, loc, c));
  }
  /// Element i of a scratch buffer (every lane) or of a constant table
  /// (broadcast).
  Value load(Value buf, Value i) {
    if (isa<RankedTensorType>(buf.getType()))
      return splat(tensor::ExtractOp::create(b, loc, buf, ValueRange{i}));
    if (W == 1)
      return memref::LoadOp::create(b, loc, buf, ValueRange{i});
    return vector::LoadOp::create(b, loc, cast<VectorType>(laneType()), buf,
                                  ValueRange{i, cIdx(b, loc, 0)});
  }
  void store(Value v, Value buf, Value i) {
    if (W == 1) {
      memref::StoreOp::create(b, loc, v, buf, ValueRange{i});
      return;
    }
    vector::StoreOp::create(b, loc, v, buf, ValueRange{i, cIdx(b, loc, 0)});
  }
  Value isZero(Value i) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, i,
                                 cIdx(b, loc, 0));
  }
  /// A scf.for over [lo, hi) with no results.
  void forLoop(int64_t lo, int64_t hi, function_ref<void(Value)> body) {
    if (lo >= hi)
      return;
    auto l = scf::ForOp::create(b, loc, cIdx(b, loc, lo), cIdx(b, loc, hi),
                                cIdx(b, loc, 1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(l.getBody());
    body(l.getInductionVar());
  }
  /// Constant f64 tables (real and imaginary parts) of complex values.
  std::pair<Value, Value> complexTable(ArrayRef<std::complex<double>> v) {
    SmallVector<double> re, im;
    for (const std::complex<double> &c : v) {
      re.push_back(c.real());
      im.push_back(c.imag());
    }
    auto ty = RankedTensorType::get({int64_t(v.size())}, b.getF64Type());
    return {arith::ConstantOp::create(
                b, loc, ty, DenseElementsAttr::get(ty, ArrayRef<double>(re))),
            arith::ConstantOp::create(
                b, loc, ty, DenseElementsAttr::get(ty, ArrayRef<double>(im)))};
  }

  /// Little-endian integer of `bytes` bytes of section tensor `t` at `off`.
  Value readLE(Value t, Value off, unsigned bytes) {
    Type it = b.getIntegerType(8 * bytes);
    Value acc;
    for (unsigned k = 0; k < bytes; ++k) {
      Value byte =
          tensor::ExtractOp::create(b, loc, t, ValueRange{addI(off, k)});
      Value w = bytes == 1 ? byte : arith::ExtUIOp::create(b, loc, it, byte);
      if (k)
        w = arith::ShLIOp::create(
            b, loc, w, arith::ConstantIntOp::create(b, loc, it, 8 * k));
      acc = k ? arith::OrIOp::create(b, loc, acc, w).getResult() : w;
    }
    return acc;
  }

  /// Flat index of element j of vector (group) `group`
  /// (num::GroupGeometry).
  Value flat(Value j, Value group) {
    // Activations: the vectors are consecutive runs of n.
    if (act)
      return arith::AddIOp::create(b, loc, mulI(group, n), j);
    switch (G.gran) {
    case num::Granularity::Tensor:
      return j;
    case num::Granularity::Channel: {
      Value o = divI(j, G.inner), in = remI(j, G.inner);
      return arith::AddIOp::create(
          b, loc,
          mulI(arith::AddIOp::create(b, loc, mulI(o, G.A), group), G.inner),
          in);
    }
    case num::Granularity::Block: {
      int64_t nb = G.A / G.g;
      Value in = remI(group, G.inner), ob = divI(group, G.inner);
      Value bi = remI(ob, nb), o = divI(ob, nb);
      Value r = arith::AddIOp::create(
          b, loc, arith::AddIOp::create(b, loc, mulI(o, G.A), mulI(bi, G.g)),
          j);
      return arith::AddIOp::create(b, loc, mulI(r, G.inner), in);
    }
    }
    return j;
  }

  /// The code of element `idx` in the stream of `bits`-bit codes that
  /// starts at byte `firstByte` of the Codes section, as an index.
  Value code(Value idx, int64_t firstByte, unsigned bits) {
    Value codes = sec[unsigned(Section::Codes)];
    int64_t last = cast<RankedTensorType>(codes.getType()).getNumElements() - 1;
    Value bit = mulI(idx, bits);
    Value byte = addI(divI(bit, 8), firstByte);
    Value next =
        arith::MinUIOp::create(b, loc, addI(byte, 1), cIdx(b, loc, last));
    Value lo = tensor::ExtractOp::create(b, loc, codes, ValueRange{byte});
    Value hi = tensor::ExtractOp::create(b, loc, codes, ValueRange{next});
    Value sh =
        arith::IndexCastUIOp::create(b, loc, b.getI8Type(), remI(bit, 8));
    Value c = conv::emitExtractStreamCodeAt(b, loc, lo, hi, sh, bits);
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), c);
  }

  /// The f32 centroid at float slot `slot` of the codebook of group `group`,
  /// widened to f64 (num::kashinReconstruct reads them as double).
  Value centroid(Value slot, Value group) {
    Value base = mulI(group, perGroup);
    Value off = addI(mulI(arith::AddIOp::create(b, loc, base, slot), 4), 8);
    Value raw = readLE(sec[unsigned(Section::Codebooks)], off, 4);
    Value v = conv::emitDecodeScale(b, loc, num::ScaleType::F32, raw);
    return arith::ExtFOp::create(b, loc, b.getF64Type(), v);
  }
  /// The codebooks of the current groups, widened once into the table T
  /// ([perGroup] or [perGroup, W] f64).
  void loadCodebooks() {
    forLoop(0, perGroup, [&](Value slot) {
      store(fromLanes([&](int64_t l) { return centroid(slot, laneGroup(l)); }),
            T, slot);
    });
  }
  /// Slot `slot` of lane l's codebook (from T).
  Value tableAt(Value slot, int64_t l) {
    if (W == 1)
      return memref::LoadOp::create(b, loc, T, ValueRange{slot});
    return memref::LoadOp::create(b, loc, T, ValueRange{slot, cIdx(b, loc, l)});
  }
  /// The u and v centroids of element `idx` (flat) of lane l's group.
  Value centroidU(Value idx, int64_t l) {
    Value a = code(idx, 0, bu);
    return tableAt(joint ? mulI(a, 2) : a, l);
  }
  Value centroidV(Value idx, int64_t l) {
    if (joint)
      return tableAt(addI(mulI(code(idx, 0, bu), 2), 1), l);
    return tableAt(addI(code(idx, codeBytesU(), bv), ku), l);
  }

  Value reversed(Value i) {
    Value r = conv::emitBitReverse(
        b, loc, arith::IndexCastUIOp::create(b, loc, b.getI32Type(), i),
        logLen);
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), r);
  }
  /// The sign of position i of every vector.
  Value sign(Value i) {
    return splat(conv::emitKashinSign(
        b, loc, seed, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i)));
  }

  /// (re, im) * chirp[k] (re, im conjugated first when `conjugate`), stored
  /// at the bit-reversed position of k in (A, B): the first step of
  /// num::FFTPlan::bluestein.
  void chirpIn(Value k, Value re, Value im, bool conjugate) {
    if (conjugate)
      im = arith::NegFOp::create(b, loc, im);
    auto [cr, ci] = complexTable(dctPlan->fftPlan().bluesteinChirp());
    auto [pr, pi] =
        conv::emitComplexMul(b, loc, re, im, load(cr, k), load(ci, k));
    storeReversed(k, pr, pi);
  }
  /// (re, im) stored at the bit-reversed position of k in (A, B).
  void storeReversed(Value k, Value re, Value im) {
    Value q = reversed(k);
    store(re, A, q);
    store(im, B, q);
  }
  /// Input k of the FFT: through the chirp for Bluestein's algorithm,
  /// otherwise directly (bit-reversed).
  void fftInput(Value k, Value re, Value im, bool conjugate) {
    if (bluestein)
      chirpIn(k, re, im, conjugate);
    else
      storeReversed(k, re, im);
  }
  /// The zero padding of the Bluestein buffer, k in [n, m).
  void zeroPad() {
    forLoop(n, len, [&](Value k) { storeReversed(k, cF64(0.0), cF64(0.0)); });
  }
  /// (Y[k] * chirp[k]) * (1/m): the last step of Bluestein, before the
  /// conjugation of the inverse.
  std::pair<Value, Value> chirpOut(Value k) {
    auto [cr, ci] = complexTable(dctPlan->fftPlan().bluesteinChirp());
    auto [tr, ti] = conv::emitComplexMul(b, loc, load(Y, k), load(Z, k),
                                         load(cr, k), load(ci, k));
    Value sc = cF64(1.0 / double(len));
    return {mulF(tr, sc), mulF(ti, sc)};
  }

  /// The v centroids of the vector (transformActivations: the activations,
  /// times the signs for Hadamard), in the input order of the transform:
  /// A (Hadamard), or the DCT's reordering into the FFT's bit-reversed
  /// input (radix 2) or Bluestein's chirped buffer.
  void loadV() {
    forLoop(0, n, [&](Value j) {
      Value x = fromLanes([&](int64_t l) {
        Value idx = flat(j, laneGroup(l));
        if (!act)
          return centroidV(idx, l);
        Value a = tensor::ExtractOp::create(
            b, loc, act, ValueRange{divI(idx, cols), remI(idx, cols)});
        return arith::ExtFOp::create(b, loc, b.getF64Type(), a).getResult();
      });
      if (act && !dct)
        x = mulF(x, sign(j));
      if (!dct) {
        store(x, A, j);
        return;
      }
      Value p = conv::emitDCTPosition(b, loc, j, n);
      fftInput(p, x, cF64(0.0), /*conjugate=*/false);
    });
    if (bluestein)
      zeroPad();
  }

  /// The radix-2 passes of num::FFTPlan::radix2 on (re, im), already in
  /// bit-reversed order.
  void fftStages(Value re, Value im, bool inverse) {
    const num::FFTPlan &fp =
        bluestein ? *dctPlan->fftPlan().bluesteinPlan() : dctPlan->fftPlan();
    if (logLen == 0)
      return;
    auto [twr, twi] = complexTable(fp.twiddles());
    for (unsigned s = 0; s < logLen; ++s) {
      int64_t span = int64_t(2) << s, half = span / 2, step = len / span;
      forLoop(0, len / 2, [&](Value t) {
        Value j = remI(t, half);
        Value i0 = arith::AddIOp::create(b, loc, mulI(divI(t, half), span), j);
        Value i1 = addI(i0, half);
        Value w = mulI(j, step);
        Value wr = load(twr, w), wi = load(twi, w);
        if (inverse)
          wi = arith::NegFOp::create(b, loc, wi);
        auto r = conv::emitFFTButterfly(b, loc, load(re, i0), load(im, i0),
                                        load(re, i1), load(im, i1), wr, wi);
        store(r[0], re, i0);
        store(r[1], im, i0);
        store(r[2], re, i1);
        store(r[3], im, i1);
      });
    }
  }

  /// num::FFTPlan forward/inverse of the loaded data: the result in natural
  /// order in (A, B) (radix 2) or, for Bluestein, in (Y, Z) before its last
  /// step (chirpOut).
  void fft(bool inverse) {
    if (!bluestein) {
      fftStages(A, B, inverse);
      return;
    }
    fftStages(A, B, /*inverse=*/false);
    auto [kr, ki] = complexTable(dctPlan->fftPlan().bluesteinKernel());
    forLoop(0, len, [&](Value k) {
      auto [pr, pi] = conv::emitComplexMul(b, loc, load(A, k), load(B, k),
                                           load(kr, k), load(ki, k));
      Value q = reversed(k);
      store(pr, Y, q);
      store(pi, Z, q);
    });
    fftStages(Y, Z, /*inverse=*/true);
  }

  /// The end of DCTPlan::forward, the signs, and the start of
  /// DCTPlan::inverse (into the input order of the inverse FFT).
  void dctMiddle() {
    double dn = static_cast<double>(n);
    double s0 = std::sqrt(1.0 / dn), s1 = std::sqrt(2.0 / dn);
    double s0i = std::sqrt(dn), s1i = std::sqrt(dn / 2.0);
    auto [rr, ri] = complexTable(dctPlan->rotations());
    if (bluestein)
      forLoop(0, n, [&](Value k) {
        auto [re, im] = chirpOut(k);
        store(re, A, k);
        store(im, B, k);
      });
    // tmp[k] = (v[k] * rot[k]).real() * (k == 0 ? s0 : s1); tmp[k] *= eps[k].
    forLoop(0, n, [&](Value k) {
      auto [x, unused] = conv::emitComplexMul(b, loc, load(A, k), load(B, k),
                                              load(rr, k), load(ri, k));
      (void)unused;
      Value s = arith::SelectOp::create(b, loc, isZero(k), cF64(s0), cF64(s1));
      x = mulF(x, s);
      x = mulF(x, sign(k));
      store(x, C, k);
    });
    // v[k] = conj(rot[k]) * (tmp[k] * s_k, -(k ? tmp[n - k] * s1i : 0)).
    forLoop(0, n, [&](Value k) {
      Value z = isZero(k);
      Value xk = mulF(load(C, k),
                      arith::SelectOp::create(b, loc, z, cF64(s0i), cF64(s1i)));
      Value nk = arith::SelectOp::create(
          b, loc, z, cIdx(b, loc, 0),
          arith::SubIOp::create(b, loc, cIdx(b, loc, n), k));
      Value xnk = arith::SelectOp::create(b, loc, z, cF64(0.0),
                                          mulF(load(C, nk), cF64(s1i)));
      Value nri = arith::NegFOp::create(b, loc, load(ri, k));
      Value nxnk = arith::NegFOp::create(b, loc, xnk);
      auto [re, im] = conv::emitComplexMul(b, loc, load(rr, k), nri, xk, nxnk);
      fftInput(k, re, im, /*conjugate=*/true);
    });
    if (bluestein)
      zeroPad();
  }

  /// num::fwht's passes on A.
  void fwhtStages() {
    for (unsigned s = 0; s < logLen; ++s) {
      int64_t half = int64_t(1) << s;
      forLoop(0, n / 2, [&](Value t) {
        Value j = arith::AddIOp::create(b, loc, mulI(divI(t, half), 2 * half),
                                        remI(t, half));
        Value j2 = addI(j, half);
        Value x = load(A, j), y = load(A, j2);
        store(arith::AddFOp::create(b, loc, x, y), A, j);
        store(arith::SubFOp::create(b, loc, x, y), A, j2);
      });
    }
  }

  /// x[i] = u[i] + (P^T v)[i], rounded to f32 (then to `elemType`), into
  /// the [rows, cols] tensor `out`.
  Value writeOutput(Value out, Type elemType) {
    double dn = static_cast<double>(n);
    auto l = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, n),
                                cIdx(b, loc, 1), ValueRange{out});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(l.getBody());
    Value i = l.getInductionVar();
    Value back;
    if (dct) {
      // out[i] = v[pos(i)].real() * (1 / n); Bluestein's v[k] is
      // conj(Y[k] chirp[k] / m), of real part (Y[k] chirp[k]).real / m.
      Value p = conv::emitDCTPosition(b, loc, i, n);
      Value x = bluestein ? chirpOut(p).first : load(A, p);
      back = mulF(x, cF64(1.0 / dn));
    } else {
      // out[i] *= s * eps[i] (activations: s, the signs came first).
      Value x = load(A, i);
      Value s = cF64(1.0 / std::sqrt(dn));
      back = mulF(x, act ? s : mulF(s, sign(i)));
    }
    SmallVector<Value> idx;
    for (int64_t l = 0; l < W; ++l)
      idx.push_back(flat(i, laneGroup(l)));
    Value x = back;
    if (!act) {
      Value u = fromLanes([&](int64_t l) { return centroidU(idx[l], l); });
      x = arith::AddFOp::create(b, loc, u, back);
    }
    Value w = conv::emitTruncF32Saturated(b, loc, x);
    w = conv::emitConvertResult(b, loc, w, elemType);
    Value res = l.getRegionIterArg(0);
    for (int64_t ln = 0; ln < W; ++ln) {
      Value wl = W == 1 ? w : vector::ExtractOp::create(b, loc, w, ln);
      res = tensor::InsertOp::create(
          b, loc, wl, res,
          ValueRange{divI(idx[ln], cols), remI(idx[ln], cols)});
    }
    scf::YieldOp::create(b, loc, res);
    return l.getResult(0);
  }

  OpBuilder &b;
  Location loc;
  const FormatSpec &f;
  SectionValues sec;
  num::GroupGeometry G;
  std::unique_ptr<num::DCTPlan> dctPlan;
  /// Groups decoded together by the main loop, and by the current one.
  int64_t vectorLanes, W = 1;
  int64_t n = 0, cols = 1, ku = 1, perGroup = 0, len = 1;
  unsigned bu = 0, bv = 0, logLen = 0;
  bool joint = false, dct = false, bluestein = false;
  Value T, A, B, C, Y, Z, seed, gid;
  /// The activations being transformed (transformActivations), else null.
  Value act;
};

LogicalResult lowerDequantize(qf::DequantizeOp op, const SectionValues &sec,
                              const std::string &target,
                              int64_t nontemporalBytes) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = cast<qf::QuantizedTensorType>(op.getInput().getType());
  FormatSpec f = qt.getFormat().getFormat();
  auto resTy = cast<RankedTensorType>(op.getType());
  if (resTy.getRank() == 0)
    return op.emitOpError("rank-0 tensors are not lowered");
  Type elemTy = resTy.getElementType();
  bufferization::MaterializeInDestinationOp mat;
  Value dest = destinationFor(b, loc, op.getResult(), mat);
  if (f.kind == num::ElementKind::Kashin) {
    KashinDecoder kd(b, loc, f, qt.getShape(), sec, target);
    Value res = kd.decodeInto(to2D(b, loc, dest), elemTy);
    replaceWithDest(op, from2D(b, loc, res, resTy), mat);
    op.erase();
    return success();
  }
  WeightDecoder dec(b, loc, f, qt.getShape(), sec, target);
  int64_t cols = dec.cols, rows = dec.numel / cols;
  int64_t V = dec.vectorWidth();
  int64_t vecEnd = V ? cols / V * V : 0;

  Value out2 = to2D(b, loc, dest);
  auto rowLoop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, rows),
                                    cIdx(b, loc, 1), ValueRange{out2});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    Value r = rowLoop.getInductionVar();
    Value rowBase = arith::MulIOp::create(b, loc, r, cIdx(b, loc, cols));
    Value acc = rowLoop.getRegionIterArg(0);
    if (V) {
      auto vl =
          scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, vecEnd),
                             cIdx(b, loc, V), ValueRange{acc});
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(vl.getBody());
      Value c = vl.getInductionVar();
      Value e = arith::AddIOp::create(b, loc, rowBase, c);
      Value w = conv::emitConvertResult(b, loc, dec.decodeChunk(e, V), elemTy);
      Value t = vector::TransferWriteOp::create(
                    b, loc, w, vl.getRegionIterArg(0), ValueRange{r, c},
                    ArrayRef<bool>{true})
                    .getResult();
      scf::YieldOp::create(b, loc, t);
      b.setInsertionPointAfter(vl);
      acc = vl.getResult(0);
      // A result larger than the caches is written around them
      // (qf-nontemporal-stores, after bufferization).
      int64_t eb = elemTy.getIntOrFloatBitWidth() / 8;
      if (nontemporalBytes > 0 && dec.numel * eb >= nontemporalBytes &&
          V * eb >= 32)
        vl->setAttr(kNontemporalAttr, b.getUnitAttr());
    }
    if (vecEnd < cols) {
      auto sl =
          scf::ForOp::create(b, loc, cIdx(b, loc, vecEnd), cIdx(b, loc, cols),
                             cIdx(b, loc, 1), ValueRange{acc});
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(sl.getBody());
      Value c = sl.getInductionVar();
      Value e = arith::AddIOp::create(b, loc, rowBase, c);
      Value w = conv::emitConvertResult(b, loc, dec.decodeElement(e), elemTy);
      Value t = tensor::InsertOp::create(b, loc, w, sl.getRegionIterArg(0),
                                         ValueRange{r, c});
      scf::YieldOp::create(b, loc, t);
      b.setInsertionPointAfter(sl);
      acc = sl.getResult(0);
    }
    scf::YieldOp::create(b, loc, acc);
  }
  Value res = dec.patchOutliers(rowLoop.getResult(0), elemTy);
  res = from2D(b, loc, res, resTy);
  replaceWithDest(op, res, mat);
  op.erase();
  return success();
}

/// The f32 operands of a fused or tiled matmul: the activations (widened
/// from f16/bf16 by an elementwise arith.extf if needed), the destination
/// (the materialize destination for f32 results, else a fresh f32 tensor
/// that finishMatmul narrows).
struct F32Matmul {
  Value x, dest;
  bufferization::MaterializeInDestinationOp mat;
};

F32Matmul prepareF32Matmul(OpBuilder &b, Location loc, qf::MatmulOp op) {
  F32Matmul r;
  Type f32 = b.getF32Type();
  Value lhs = op.getLhs();
  auto lhsTy = cast<RankedTensorType>(lhs.getType());
  if (!lhsTy.getElementType().isF32()) {
    auto wideTy = cast<RankedTensorType>(lhsTy.clone(f32));
    MLIRContext *ctx = b.getContext();
    auto id = AffineMap::getMultiDimIdentityMap(wideTy.getRank(), ctx);
    lhs = linalg::GenericOp::create(
              b, loc, TypeRange{wideTy}, ValueRange{lhs},
              ValueRange{allocTemporary(b, loc, wideTy)},
              ArrayRef<AffineMap>{id, id},
              SmallVector<utils::IteratorType>(wideTy.getRank(),
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    nb, l,
                    ValueRange{arith::ExtFOp::create(nb, l, f32, args[0])});
              })
              .getResult(0);
  }
  r.x = to2D(b, loc, lhs);
  auto resTy = cast<RankedTensorType>(op.getType());
  if (resTy.getElementType().isF32())
    r.dest = destinationFor(b, loc, op.getResult(), r.mat);
  else
    r.dest = allocTemporary(b, loc, cast<RankedTensorType>(resTy.clone(f32)));
  return r;
}

/// Replaces `op` by the 2-D f32 result `res2`, narrowed to the result type.
void finishMatmul(OpBuilder &b, Location loc, qf::MatmulOp op, Value res2,
                  const F32Matmul &p) {
  auto resTy = cast<RankedTensorType>(op.getType());
  Value res = from2D(b, loc, res2, resTy.clone(b.getF32Type()));
  // Narrowed into a fresh tensor; the f32 result is a temporary.
  if (!resTy.getElementType().isF32())
    res = arith::TruncFOp::create(b, loc, resTy, res);
  replaceWithDest(op, res, p.mat);
  op.erase();
}

/// Copies the activations x [M, K] (f32) into plane order for chunks of
/// `p.codes` elements: within each chunk, element p.element(s, j) moves to
/// s * lanes + j, so that the plane vectors of the weight decoder meet the
/// activations they multiply in the same lanes. Only [0, vecEnd) of each
/// row is written; the scalar tail reads x itself.
Value permuteActivations(OpBuilder &b, Location loc, Value x,
                         const WeightDecoder::Planes &p, int64_t vecEnd) {
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t M = xTy.getShape()[0];
  Type f32 = b.getF32Type();
  auto vt = VectorType::get({p.codes}, f32);
  SmallVector<int64_t> mask = p.planeOrder();
  Value dst = allocTemporary(b, loc, cast<RankedTensorType>(xTy.clone(f32)));
  auto ml = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, M),
                               cIdx(b, loc, 1), ValueRange{dst});
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ml.getBody());
  Value m = ml.getInductionVar();
  auto cl = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, vecEnd),
                               cIdx(b, loc, p.codes),
                               ValueRange{ml.getRegionIterArg(0)});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(cl.getBody());
    Value c = cl.getInductionVar();
    Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value v = vector::TransferReadOp::create(b, loc, vt, x, ValueRange{m, c},
                                             pad, ArrayRef<bool>{true});
    Value sh = vector::ShuffleOp::create(b, loc, v, v, mask);
    Value t =
        vector::TransferWriteOp::create(b, loc, sh, cl.getRegionIterArg(0),
                                        ValueRange{m, c}, ArrayRef<bool>{true})
            .getResult();
    scf::YieldOp::create(b, loc, t);
  }
  scf::YieldOp::create(b, loc, cl.getResult(0));
  return ml.getResult(0);
}

/// Activations of the bf16-pair GEMV (`dot-precision=bf16x2`).
struct BF16Activations {
  /// [M, 2 * vecEnd] bf16: chunk c (p.codes elements) at 2 * c; plane s of
  /// it at 2 * c + 2 * L * s as L high halves, then L low halves, in the
  /// lane order of the weight planes (L = p.planeLanes()).
  Value pairs;
  /// [M] f32: the factor each row's dot products are multiplied by to undo
  /// the range scaling of its activations (1, 2^64 or 2^-64).
  Value unscale;
};

/// Splits the f32 activations x [M, K] into bf16 pairs hi + lo (hi = x
/// rounded to bf16, lo = x - hi rounded to bf16: 16 significant bits, a
/// relative error of at most 2^-16 per element) in the lane order of the
/// bf16 weight planes. A row whose largest magnitude is below 2^-64 is
/// first multiplied by 2^64 (above 2^64: by 2^-64), exactly, so that the
/// low halves stay clear of the bf16 dot product's flushing of subnormals
/// and the high halves of overflow; `unscale` undoes it.
BF16Activations splitActivationsBF16(OpBuilder &b, Location loc, Value x,
                                     const WeightDecoder::Planes &p,
                                     int64_t vecEnd) {
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t M = xTy.getShape()[0], C = p.codes, L = p.planeLanes();
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
  auto vt = VectorType::get({C}, f32);
  auto bvt = VectorType::get({C}, bf16);
  auto i32v = VectorType::get({C}, b.getI32Type());
  SmallVector<int64_t> order = p.planeOrder();
  // Plane s of the result: hi lanes [s L, s L + L), then lo lanes.
  SmallVector<int64_t> merge;
  for (int64_t s = 0; s < p.planes; ++s) {
    for (int64_t j = 0; j < L; ++j)
      merge.push_back(s * L + j);
    for (int64_t j = 0; j < L; ++j)
      merge.push_back(C + s * L + j);
  }
  auto pairTy = RankedTensorType::get({M, 2 * vecEnd}, bf16);
  auto scaleTy = RankedTensorType::get({M}, f32);
  Value pairs = allocTemporary(b, loc, pairTy);
  Value unscale = allocTemporary(b, loc, scaleTy);
  auto fc = [&](float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)).getResult();
  };
  Value pad = fc(0.0f);
  auto ml = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, M),
                               cIdx(b, loc, 1), ValueRange{pairs, unscale});
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ml.getBody());
  Value m = ml.getInductionVar();
  // The row's largest magnitude (NaN lanes are ignored by maxnumf).
  Value absMask = arith::ConstantOp::create(
      b, loc, i32v,
      DenseElementsAttr::get(i32v, b.getI32IntegerAttr(0x7fffffff)));
  auto accTy = VectorType::get({C}, f32);
  Value zero = arith::ConstantOp::create(
      b, loc, accTy, DenseElementsAttr::get(accTy, b.getF32FloatAttr(0)));
  auto mx = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, vecEnd),
                               cIdx(b, loc, C), ValueRange{zero});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(mx.getBody());
    Value v = vector::TransferReadOp::create(
        b, loc, vt, x, ValueRange{m, mx.getInductionVar()}, pad,
        ArrayRef<bool>{true});
    Value a = vector::BitCastOp::create(
        b, loc, vt,
        arith::AndIOp::create(
            b, loc, vector::BitCastOp::create(b, loc, i32v, v), absMask));
    scf::YieldOp::create(
        b, loc,
        ValueRange{arith::MaxNumFOp::create(b, loc, mx.getRegionIterArg(0), a)
                       .getResult()});
  }
  Value big = vector::ReductionOp::create(
      b, loc, vector::CombiningKind::MAXNUMF, mx.getResult(0));
  float up = std::ldexp(1.0f, 64), down = std::ldexp(1.0f, -64);
  Value tiny = arith::AndIOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, big, fc(down)),
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, big, fc(0.0f)));
  Value huge = arith::AndIOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, big, fc(up)),
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, big,
                            fc(std::numeric_limits<float>::infinity())));
  Value factor = arith::SelectOp::create(
      b, loc, tiny, fc(up),
      arith::SelectOp::create(b, loc, huge, fc(down), fc(1.0f)));
  Value inverse = arith::SelectOp::create(
      b, loc, tiny, fc(down),
      arith::SelectOp::create(b, loc, huge, fc(up), fc(1.0f)));
  Value newUnscale = tensor::InsertOp::create(
      b, loc, inverse, ml.getRegionIterArg(1), ValueRange{m});
  Value fv = vector::BroadcastOp::create(b, loc, vt, factor);
  auto cl =
      scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, vecEnd),
                         cIdx(b, loc, C), ValueRange{ml.getRegionIterArg(0)});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(cl.getBody());
    Value c = cl.getInductionVar();
    Value v = vector::TransferReadOp::create(b, loc, vt, x, ValueRange{m, c},
                                             pad, ArrayRef<bool>{true});
    v = arith::MulFOp::create(
        b, loc, vector::ShuffleOp::create(b, loc, v, v, order), fv);
    Value hi = arith::TruncFOp::create(b, loc, bvt, v);
    Value lo = arith::TruncFOp::create(
        b, loc, bvt,
        arith::SubFOp::create(b, loc, v,
                              arith::ExtFOp::create(b, loc, vt, hi)));
    Value both = vector::ShuffleOp::create(b, loc, hi, lo, merge);
    Value at = arith::MulIOp::create(b, loc, c, cIdx(b, loc, 2));
    Value t =
        vector::TransferWriteOp::create(b, loc, both, cl.getRegionIterArg(0),
                                        ValueRange{m, at}, ArrayRef<bool>{true})
            .getResult();
    scf::YieldOp::create(b, loc, t);
  }
  scf::YieldOp::create(b, loc, ValueRange{cl.getResult(0), newUnscale});
  return {ml.getResult(0), ml.getResult(1)};
}

/// Activations of the int8 GEMV (`dot-precision=i8`).
struct I8Activations {
  /// [M, K] i8: chunk c (p.codes elements) at c; plane s of it at
  /// c + 64 s, byte j holding element p.element(s, j).
  Value codes;
  /// [M, K / p.codes * 16] f32: for lane j of chunk c (at c / p.codes * 16
  /// + j), the scale of the activation block its elements belong to, times
  /// I8Codes::unit.
  Value scales;
  /// [M, K / p.codes * 16] i32: -I8Codes::offset times the sum of the lane's
  /// codes (the start value of the lane's dot products).
  Value corrections;
  /// q4_k (p.q4kWords), instead of `corrections`: [M, K / 32] f32, minus
  /// the sum of each activation block's quantized values (scale times the
  /// sum of its codes), for the sub-blocks' mins. `scales` then has
  /// 16 lanes per plane: chunk c's plane s at c / p.codes * 64 + 16 s.
  Value blockSums;
};

/// Quantizes the f32 activations x [M, K] (K a multiple of p.codes) to int8
/// as qforge::num::quantizeActivationsInt8 does (blocks of 32 elements,
/// scale m / 127, codes roundeven(x * (127 / m)) in f32; zero blocks: scale
/// 0, non-finite blocks: scale NaN and codes 0), in the byte order of the
/// weight planes.
I8Activations quantizeActivationsI8(OpBuilder &b, Location loc, Value x,
                                    const WeightDecoder::Planes &p, int64_t K,
                                    float unit, int64_t offset) {
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t M = xTy.getShape()[0], C = p.codes, L = p.lanes, P = p.planes;
  int64_t B = num::kInt8ActivationBlock, nb = C / B;
  // q4_k: a scale per lane of every plane (the planes' lanes lie in
  // different blocks), and block sums instead of lane corrections.
  bool q4k = p.q4kWords;
  int64_t lanesOut = K / C * L * (q4k ? P : 1);
  Type f32 = b.getF32Type(), i8 = b.getI8Type(), i32 = b.getI32Type();
  auto vt = VectorType::get({C}, f32);
  auto i32v = VectorType::get({C}, i32);
  auto fc = [&](float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)).getResult();
  };
  auto splat = [&](VectorType t, Attribute a) {
    return arith::ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, a))
        .getResult();
  };
  SmallVector<int64_t> order = p.planeOrder(), blockOf, laneBlock;
  for (int64_t i = 0; i < C; ++i)
    blockOf.push_back(i / B);
  for (int64_t s = 0; s < (q4k ? P : 1); ++s)
    for (int64_t j = 0; j < L; ++j)
      laneBlock.push_back(p.element(s, 4 * j) / B);
  Value codes = allocTemporary(b, loc, RankedTensorType::get({M, K}, i8));
  Value scales =
      allocTemporary(b, loc, RankedTensorType::get({M, lanesOut}, f32));
  Value corr = allocTemporary(b, loc,
                              q4k ? RankedTensorType::get({M, K / B}, f32)
                                  : RankedTensorType::get({M, lanesOut}, i32));
  Value pad = fc(0.0f), inf = fc(std::numeric_limits<float>::infinity());
  Value absMask = splat(i32v, b.getI32IntegerAttr(0x7fffffff));
  // y + 1.5 * 2^23 rounds y (|y| <= 127) to an integer, to nearest even,
  // which is then the low byte of the sum's bits.
  Value magic = splat(vt, b.getF32FloatAttr(12582912.0f));
  Value zeroV = splat(vt, b.getF32FloatAttr(0.0f));
  auto ml =
      scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, M),
                         cIdx(b, loc, 1), ValueRange{codes, scales, corr});
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ml.getBody());
  Value m = ml.getInductionVar();
  auto cl = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, K),
                               cIdx(b, loc, C), ml.getRegionIterArgs());
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(cl.getBody());
    Value c = cl.getInductionVar();
    Value v = vector::TransferReadOp::create(b, loc, vt, x, ValueRange{m, c},
                                             pad, ArrayRef<bool>{true});
    Value a = vector::BitCastOp::create(
        b, loc, vt,
        arith::AndIOp::create(
            b, loc, vector::BitCastOp::create(b, loc, i32v, v), absMask));
    // Per block: its largest magnitude (NaN if it has a NaN), the factor
    // 127 / m (0 unless 0 < m < inf) and the scale.
    SmallVector<Value> inv, ok, sc;
    for (int64_t k = 0; k < nb; ++k) {
      Value blk = vector::ExtractStridedSliceOp::create(
          b, loc, a, ArrayRef<int64_t>{k * B}, ArrayRef<int64_t>{B},
          ArrayRef<int64_t>{1});
      Value mx = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::MAXIMUMF, blk);
      Value good = arith::AndIOp::create(
          b, loc,
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, mx,
                                fc(0.0f)),
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, mx, inf));
      ok.push_back(good);
      inv.push_back(arith::SelectOp::create(
          b, loc, good, arith::DivFOp::create(b, loc, fc(127.0f), mx),
          fc(0.0f)));
      Value s = arith::SelectOp::create(
          b, loc,
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mx, inf),
          fc(std::numeric_limits<float>::quiet_NaN()),
          arith::DivFOp::create(b, loc, mx, fc(127.0f)));
      sc.push_back(arith::MulFOp::create(b, loc, s, fc(unit)));
    }
    auto nbF = VectorType::get({nb}, f32);
    auto nbB = VectorType::get({nb}, b.getI1Type());
    Value invB = vector::FromElementsOp::create(b, loc, nbF, inv);
    Value okB = vector::FromElementsOp::create(b, loc, nbB, ok);
    Value invV = vector::ShuffleOp::create(b, loc, invB, invB, blockOf);
    Value okV = vector::ShuffleOp::create(b, loc, okB, okB, blockOf);
    Value y = arith::SelectOp::create(
        b, loc, okV, arith::MulFOp::create(b, loc, v, invV), zeroV);
    Value q = arith::TruncIOp::create(
        b, loc, VectorType::get({C}, i8),
        vector::BitCastOp::create(b, loc, i32v,
                                  arith::AddFOp::create(b, loc, y, magic)));
    Value qElems = q;
    q = vector::ShuffleOp::create(b, loc, q, q, order);
    Value newCodes =
        vector::TransferWriteOp::create(b, loc, q, cl.getRegionIterArg(0),
                                        ValueRange{m, c}, ArrayRef<bool>{true})
            .getResult();
    Value newCorr;
    if (q4k) {
      // Minus each block's scale times the sum of its codes (element
      // order, before the shuffle).
      Value wide = arith::ExtSIOp::create(b, loc, i32v, qElems);
      SmallVector<Value> bs;
      for (int64_t k = 0; k < nb; ++k) {
        Value blk = vector::ExtractStridedSliceOp::create(
            b, loc, wide, ArrayRef<int64_t>{k * B}, ArrayRef<int64_t>{B},
            ArrayRef<int64_t>{1});
        Value n = vector::ReductionOp::create(b, loc,
                                              vector::CombiningKind::ADD, blk);
        bs.push_back(arith::NegFOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, sc[k],
                                  arith::SIToFPOp::create(b, loc, f32, n))));
      }
      newCorr =
          vector::TransferWriteOp::create(
              b, loc, vector::FromElementsOp::create(b, loc, nbF, bs),
              cl.getRegionIterArg(2),
              ValueRange{m, arith::DivUIOp::create(b, loc, c, cIdx(b, loc, B))},
              ArrayRef<bool>{true})
              .getResult();
    } else {
      // Lane sums: bytes 4j .. 4j + 3 of every plane.
      auto lv = VectorType::get({L}, i32);
      Value wide = arith::ExtSIOp::create(b, loc, i32v, q);
      Value sum;
      for (int64_t s = 0; s < P; ++s)
        for (int64_t t = 0; t < 4; ++t) {
          SmallVector<int64_t> pick;
          for (int64_t j = 0; j < L; ++j)
            pick.push_back(s * p.bytes + 4 * j + t);
          Value part = vector::ShuffleOp::create(b, loc, wide, wide, pick);
          sum =
              sum ? arith::AddIOp::create(b, loc, sum, part).getResult() : part;
        }
      sum = arith::MulIOp::create(
          b, loc, sum,
          splat(lv, b.getI32IntegerAttr(static_cast<int32_t>(-offset))));
      newCorr = vector::TransferWriteOp::create(
                    b, loc, sum, cl.getRegionIterArg(2),
                    ValueRange{m, arith::DivUIOp::create(b, loc, c,
                                                         cIdx(b, loc, C / L))},
                    ArrayRef<bool>{true})
                    .getResult();
    }
    Value at = arith::DivUIOp::create(b, loc, c,
                                      cIdx(b, loc, C / (L * (q4k ? P : 1))));
    Value scB = vector::FromElementsOp::create(b, loc, nbF, sc);
    Value scL = vector::ShuffleOp::create(b, loc, scB, scB, laneBlock);
    Value newScales =
        vector::TransferWriteOp::create(b, loc, scL, cl.getRegionIterArg(1),
                                        ValueRange{m, at}, ArrayRef<bool>{true})
            .getResult();
    scf::YieldOp::create(b, loc, ValueRange{newCodes, newScales, newCorr});
  }
  scf::YieldOp::create(b, loc, cl.getResults());
  I8Activations r{ml.getResult(0), ml.getResult(1), Value(), Value()};
  (q4k ? r.blockSums : r.corrections) = ml.getResult(2);
  return r;
}

/// out[m, n] += (v - w[n, k]) * x[m, k] for every sparse outlier (flat
/// index n * K + k, exact value v) of a [N, K] weight whose dense decode
/// w the fused loop has used.
Value correctOutliers(OpBuilder &b, Location loc, WeightDecoder &dec, Value out,
                      Value x, int64_t M, int64_t K) {
  int64_t k = dec.numOutliers();
  if (k == 0)
    return out;
  auto loop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, k),
                                 cIdx(b, loc, 1), ValueRange{out});
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  auto [idx, v] = dec.readOutlier(loop.getInductionVar());
  Value n = arith::DivUIOp::create(b, loc, idx, cIdx(b, loc, K));
  Value kk = arith::RemUIOp::create(b, loc, idx, cIdx(b, loc, K));
  Value delta = arith::SubFOp::create(b, loc, v, dec.decodeElement(idx));
  auto ml =
      scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, M),
                         cIdx(b, loc, 1), ValueRange{loop.getRegionIterArg(0)});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ml.getBody());
    Value mi = ml.getInductionVar();
    Value acc = ml.getRegionIterArg(0);
    Value cur = tensor::ExtractOp::create(b, loc, acc, ValueRange{mi, n});
    Value xs = tensor::ExtractOp::create(b, loc, x, ValueRange{mi, kk});
    acc = tensor::InsertOp::create(b, loc, scalarFma(b, loc, delta, xs, cur),
                                   acc, ValueRange{mi, n});
    scf::YieldOp::create(b, loc, acc);
  }
  scf::YieldOp::create(b, loc, ml.getResult(0));
  return loop.getResult(0);
}

/// Fused dequant-GEMV / small-M GEMM for weights [N, K] (transpose_weight).
///
/// Where the format allows (WeightDecoder::planeGeometry: 1/2/4/8-bit plain
/// codes and the q4_0/iq4_nl/q8_0 blocks, groups covering whole chunks),
/// each chunk of packed bytes is decoded as planes without shuffles, the
/// activations having been permuted into plane order once, and the group
/// scale multiplies the chunk's partial dot product instead of every
/// weight:  sum_k w_k x_k = sum_chunks scale * sum_(k in chunk) c_k x_k.
/// Other formats decode chunks in element order and scale every weight.
/// Sparse outliers are added afterwards as a correction.
/// Software prefetch for kernels that stream the weight sections. The fused
/// GEMV reads R rows side by side, i.e. R short streams per section; the
/// hardware prefetchers track them poorly, and at two threads the kernel
/// reached about 0.35 of the read bandwidth although it runs at about
/// twice that on cache-resident weights. Every iteration of the K loop
/// therefore prefetches, for every row-aligned section of at least 1/8 bit
/// per element (codes, scales, GGUF blocks; not a per-tensor scale), the R
/// rows' slices of `step` elements that a later iteration reads, one
/// prefetch per 64 bytes, at constant offsets from the first row's
/// position (no address arithmetic of their own). Where a row has at least
/// 2 `delta` iterations, that is iteration i + delta of the same rows
/// (delta: about kPrefetchRowBytes of the largest section's row), or of the
/// next group of rows in the group's last delta iterations: one select and
/// one clamp per section and iteration. In interleaved runs from DRAM this
/// gained 0-15% over prefetching the same iteration of the next group
/// (docs/benchmarks.md), presumably because the lines arrive shortly
/// before their use and stay in L1. Shorter rows prefetch the same
/// iteration `ahead` groups later (at least kPrefetchElements elements
/// ahead), clamped once per group. The K loop covers at least 2 chunks per
/// iteration where a section has less than a cache line per row and chunk.
class SectionPrefetcher {
public:
  /// Rows of K elements, R rows per group, `step` elements of every row per
  /// iteration, `iters` iterations per group.
  SectionPrefetcher(OpBuilder &b, Location loc, const SectionValues &sec,
                    int64_t N, int64_t K, int64_t R, int64_t step,
                    int64_t iters)
      : R(R), step(step), iters(iters) {
    if (N <= 0 || K <= 0 || R <= 0 || step <= 0 || iters <= 0)
      return;
    ahead = std::max<int64_t>(1, llvm::divideCeil(kPrefetchElements, R * K));
    // Iterations ahead within the rows: about kPrefetchRowBytes of the
    // largest section's row.
    int64_t maxSlice = 0;
    for (Value t : sec)
      if (int64_t rb = sectionRowBytes(t, N, K))
        maxSlice = std::max<int64_t>(maxSlice, llvm::divideCeil(step * rb, K));
    if (maxSlice > 0) {
      int64_t d =
          std::max<int64_t>(1, llvm::divideCeil(kPrefetchRowBytes, maxSlice));
      if (2 * d <= iters)
        delta = d;
    }
    for (Value t : sec) {
      int64_t rowBytes = sectionRowBytes(t, N, K);
      if (!rowBytes || rowBytes > INT64_MAX / step)
        continue;
      auto tt = cast<RankedTensorType>(t.getType());
      int64_t bytes = tt.getDimSize(0);
      int64_t slice = llvm::divideCeil(step * rowBytes, K);
      // One prefetch per 64 bytes of the R rows' slices; rows closer than
      // a line apart (short rows) share their prefetches.
      SmallVector<int64_t> offsets;
      for (int64_t r = 0, next = 0; r < R; ++r)
        for (int64_t o = std::max(r * rowBytes, next); o < r * rowBytes + slice;
             o += 64) {
          offsets.push_back(o);
          next = o + 64;
        }
      // The last address of the last iteration stays in the section (in
      // the rows: the last address of every iteration).
      int64_t limit = bytes - 1 - offsets.back();
      if (!delta)
        limit -= (iters - 1) * slice;
      if (limit < 0)
        continue;
      auto mt = MemRefType::get(
          {bytes}, tt.getElementType(),
          StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {1}));
      Value buf = bufferization::ToBufferOp::create(b, loc, mt, t,
                                                    /*read_only=*/true);
      streams.push_back({buf, rowBytes, slice, limit, std::move(offsets)});
    }
  }

  /// The bytes per row of section `t` for N rows of K elements if it is
  /// prefetched (a static 1-D section of whole bytes per row, at least 1/8
  /// bit per element), else 0.
  static int64_t sectionRowBytes(Value t, int64_t N, int64_t K) {
    auto tt = t ? dyn_cast<RankedTensorType>(t.getType()) : nullptr;
    if (!tt || tt.getRank() != 1 || !tt.hasStaticShape() || N <= 0)
      return 0;
    int64_t bytes = tt.getDimSize(0);
    return bytes % N == 0 && bytes / N * 64 >= K ? bytes / N : 0;
  }

  /// The first row's position in each section for the group of rows at
  /// `n0`, to be passed to emit().
  SmallVector<Value> groupStarts(OpBuilder &b, Location loc, Value n0) const {
    SmallVector<Value> starts;
    if (delta) {
      // Per section: iteration i prefetches i + delta of this group, or
      // i + delta - iters of the next, i.e. from these two bases plus
      // i * slice.
      for (const Stream &s : streams) {
        Value base =
            arith::MulIOp::create(b, loc, n0, cIdx(b, loc, s.rowBytes));
        starts.push_back(
            arith::AddIOp::create(b, loc, base, cIdx(b, loc, delta * s.slice)));
        starts.push_back(arith::AddIOp::create(
            b, loc, base,
            cIdx(b, loc, R * s.rowBytes - (iters - delta) * s.slice)));
      }
      return starts;
    }
    for (const Stream &s : streams) {
      Value row = arith::AddIOp::create(b, loc, n0, cIdx(b, loc, ahead * R));
      Value pos = arith::MulIOp::create(b, loc, row, cIdx(b, loc, s.rowBytes));
      starts.push_back(
          arith::MinUIOp::create(b, loc, pos, cIdx(b, loc, s.limit)));
    }
    return starts;
  }

  /// Prefetches the slices of iteration `c` / step (c: the K loop's index).
  void emit(OpBuilder &b, Location loc, ArrayRef<Value> starts, Value c) const {
    if (streams.empty())
      return;
    Value iter = arith::DivUIOp::create(b, loc, c, cIdx(b, loc, step));
    Value inGroup =
        delta ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, iter,
                                      cIdx(b, loc, iters - delta))
                    .getResult()
              : Value();
    for (auto [k, s] : llvm::enumerate(streams)) {
      Value start =
          delta ? arith::SelectOp::create(b, loc, inGroup, starts[2 * k],
                                          starts[2 * k + 1])
                      .getResult()
                : starts[k];
      Value pos = arith::AddIOp::create(
          b, loc, start,
          arith::MulIOp::create(b, loc, iter, cIdx(b, loc, s.slice)));
      if (delta)
        pos = arith::MinUIOp::create(b, loc, pos, cIdx(b, loc, s.limit));
      for (int64_t off : s.offsets) {
        Value p = off ? arith::AddIOp::create(b, loc, pos, cIdx(b, loc, off))
                            .getResult()
                      : pos;
        memref::PrefetchOp::create(b, loc, s.buf, ValueRange{p},
                                   /*isWrite=*/false, /*localityHint=*/3,
                                   /*isDataCache=*/true);
      }
    }
  }

private:
  /// At least 32768 elements (16 KiB of 4-bit codes) ahead.
  static constexpr int64_t kPrefetchElements = 32768;
  struct Stream {
    Value buf;
    int64_t rowBytes, slice, limit;
    SmallVector<int64_t> offsets; ///< from the first row's position
  };
  /// About 1 KiB of the largest section's rows ahead.
  static constexpr int64_t kPrefetchRowBytes = 1024;
  int64_t R, step, iters, ahead = 1;
  /// Iterations ahead in the same rows (0: `ahead` groups ahead, same
  /// iteration; for rows of fewer than 2 delta iterations).
  int64_t delta = 0;
  SmallVector<Stream> streams;
};

/// acc + the bf16 dot products of the pairs of lanes of `a` and `b`
/// (vector<32xbf16> each, acc vector<16xf32>): vdpbf16ps.
Value dotBF16(OpBuilder &b, Location loc, Value acc, Value x, Value y) {
  return callIntrinsic(b, loc, acc.getType(),
                       "llvm.x86.avx512bf16.dpbf16ps.512",
                       ValueRange{acc, x, y});
}

/// The fused GEMV's dot products (the pass option `dot-precision`).
enum class DotPrecision { F32, BF16x2, I8 };

/// acc + the sums of the products of the unsigned bytes 4j .. 4j + 3 of
/// `u` with the signed bytes of `s` into i32 lane j (vector<64xi8> each,
/// acc vector<16xi32>): vpdpbusd.
Value dotU8S8(OpBuilder &b, Location loc, Value acc, Value u, Value s) {
  return callIntrinsic(b, loc, acc.getType(), "llvm.x86.avx512.vpdpbusd.512",
                       ValueRange{acc, u, s});
}

/// The fused GEMV / small-M matmul out[m, n] = sum_k x[m, k] w[n, k] of the
/// f32 activations x [M, K] and the quantized weight w ([N, K], format `f`,
/// its sections `sec`), written into the f32 tensor `out` [M, N]; returns
/// the result tensor. `cb` describes where learned codes find their
/// codebooks (a view of another format's codebooks, e.g. a Kashin factor's).
Value emitFusedGemv(OpBuilder &b, Location loc, Value x, Value out,
                    const FormatSpec &f, ArrayRef<int64_t> shape,
                    const SectionValues &sec, const std::string &target,
                    DotPrecision dot,
                    std::optional<LearnedCodebooks> cb = std::nullopt) {
  int64_t N = shape[0], K = shape[1];
  int64_t M = cast<RankedTensorType>(x.getType()).getShape()[0];
  Type f32 = b.getF32Type();
  WeightDecoder dec(b, loc, f, shape, sec, target);
  if (cb)
    dec.setLearnedCodebooks(*cb);
  std::optional<WeightDecoder::Planes> pg = dec.planeGeometry();
  // dot-precision=bf16x2: bf16 weight planes and activation pairs where the
  // format's values are exact in bf16 (else the f32 planes).
  if (dot == DotPrecision::BF16x2 && pg)
    if (std::optional<WeightDecoder::Planes> bp = dec.bf16PairGeometry(*pg))
      pg = bp;
  // dot-precision=i8: int8 weight bytes and activations where the format's
  // values are small integers (times a power of two) and K is a multiple of
  // the chunk (else the f32 planes).
  if (dot == DotPrecision::I8 && pg)
    if (std::optional<WeightDecoder::Planes> ip = dec.i8Geometry(*pg))
      if (K % ip->codes == 0)
        pg = ip;
  // q4_k: word lanes over whole super-blocks, the f32 dot products summed
  // per lane class before the sub-blocks' scales and mins are applied:
  // sum (dsc q - mmin) x = dsc sum q x - mmin sum x.
  if (pg && !pg->bf16Pairs && !pg->i8Bytes)
    if (std::optional<WeightDecoder::Planes> kp = dec.q4kWordGeometry())
      pg = kp;
  bool q4kWords = pg && pg->q4kWords && !pg->i8Bytes;
  bool pairs = pg && pg->bf16Pairs;
  bool bytesI8 = pg && pg->i8Bytes;
  // q4_k with int8 bytes: one vpdpbusd chain per plane (its lanes' own
  // sub-blocks and activation blocks), the mins through the activation
  // blocks' sums.
  bool q4kI8 = bytesI8 && pg->q4kWords;
  bool wideI8 = bytesI8 && dec.i8Codes()->wide;
  // Zero points: the activations' lane corrections are -sum q (offset 1),
  // multiplied per row and chunk by the lanes' zero points.
  bool zpI8 = bytesI8 && !q4kI8 && dec.hasZeroPoints();
  // Zero points on the f32 word lanes: the planes are the codes' values,
  // and each row and chunk subtracts zp * (the lane's sum of activations):
  // sum (c - zp) x = sum c x - zp sum x, one multiply-add instead of a
  // conversion and a subtraction per plane.
  bool zpF32 = pg && pg->wordLanes && !pairs && !bytesI8 && !q4kWords &&
               dec.hasZeroPoints();
  // C elements per step, decoded as P vectors of L lanes (bf16 pairs: P
  // vectors of 2 L bf16 lanes, summed pairwise into L f32 lanes).
  int64_t C = pg ? pg->codes : dec.vectorWidth();
  int64_t L = pg ? pg->lanes : C, P = pg ? pg->planes : 1;
  int64_t vecEnd = C ? K / C * C : 0;
  auto accTy = VectorType::get({L ? L : 1}, f32);
  Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value xs = x, unscale, xScales, xCorr, xBlockSums;
  // Wide i8 maps: the high bytes' chains start at 0 and are shifted by 8.
  Value zeroI32, eight;
  if (wideI8 || q4kI8) {
    auto l32 = VectorType::get({L}, b.getI32Type());
    zeroI32 = arith::ConstantOp::create(
        b, loc, l32, DenseElementsAttr::get(l32, b.getI32IntegerAttr(0)));
    eight = arith::ConstantOp::create(
        b, loc, l32, DenseElementsAttr::get(l32, b.getI32IntegerAttr(8)));
  }
  if (bytesI8) {
    const WeightDecoder::I8Codes &ic = *dec.i8Codes();
    I8Activations ia =
        quantizeActivationsI8(b, loc, x, *pg, K, ic.unit, zpI8 ? 1 : ic.offset);
    xs = ia.codes;
    xScales = ia.scales;
    xCorr = ia.corrections;
    xBlockSums = ia.blockSums;
  } else if (pairs && vecEnd) {
    BF16Activations ba = splitActivationsBF16(b, loc, x, *pg, vecEnd);
    xs = ba.pairs;
    unscale = ba.unscale;
  } else if (pg && pg->interleaved && vecEnd) {
    xs = permuteActivations(b, loc, x, *pg, vecEnd);
  }

  // R weight rows per iteration share every activation load (R = 4 or 8
  // for M <= 2). Each iteration decodes U (1 or 2) chunks per row: 2 where
  // a prefetched section has less than a cache line per row and chunk
  // (the scales of int4:g32, nf4:g64, mxfp4), so that its prefetches
  // (issued once per iteration) are repeated less often. With one row the
  // U chunks go into two sets of accumulators (A = 2), so that the
  // multiply-add chains are independent; with four rows, the rows' chains
  // are.
  int64_t R = (M <= 2 && N % 4 == 0) ? 4 : 1;
  // Eight rows for the bf16 pairs and the q4_0 / iq4_nl word lanes: half
  // the activation loads per weight; from DRAM +10-30% for these kernels
  // in interleaved A/B runs, against no gain for the f32 int4 planes
  // (docs/benchmarks.md).
  if (M <= 2 && N % 8 == 0 && pg &&
      (pg->bf16Pairs || pg->ggufWords || pg->i8Bytes))
    R = 8;
  int64_t U = 1;
  if (C) {
    // Bytes per row of the prefetched sections, in all and the smallest.
    int64_t rowBytes = 0, minRowBytes = 0;
    for (Value t : sec)
      if (int64_t rb = SectionPrefetcher::sectionRowBytes(t, N, K)) {
        rowBytes += rb;
        minRowBytes = minRowBytes ? std::min(minRowBytes, rb) : rb;
      }
    // Less than a line per row of all sections (small chunks, e.g. one
    // q4_0 block): up to 8 chunks; of the smallest section: 2.
    auto lessThanALine = [&](int64_t bytes) {
      return bytes > 0 && C * U * bytes < 64 * K;
    };
    int64_t chunks = vecEnd / C;
    int64_t want = R == 1 ? 2 : 1;
    while (chunks % (2 * U) == 0 && U < 8 &&
           (U < want || lessThanALine(rowBytes) ||
            (U < 2 && lessThanALine(minRowBytes))))
      U *= 2;
  }
  SectionPrefetcher prefetch(b, loc, sec, N, K, R, C * U,
                             C ? vecEnd / (C * U) : 0);
  int64_t A = (R == 1 && U >= 2) ? 2 : 1;
  auto rowLoop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, N),
                                    cIdx(b, loc, R), ValueRange{out});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    Value n0 = rowLoop.getInductionVar();
    SmallVector<Value> starts = prefetch.groupStarts(b, loc, n0);
    SmallVector<Value> rowIdx, rowBase;
    for (int64_t r = 0; r < R; ++r) {
      rowIdx.push_back(arith::AddIOp::create(b, loc, n0, cIdx(b, loc, r)));
      rowBase.push_back(
          arith::MulIOp::create(b, loc, rowIdx.back(), cIdx(b, loc, K)));
    }
    // sums[r * M + m]
    SmallVector<Value> sums(R * M, zeroF);
    if (C) {
      Value zv = arith::ConstantOp::create(
          b, loc, accTy, DenseElementsAttr::get(accTy, b.getF32FloatAttr(0)));
      // Accumulator (a, r, m) at (a * R + r) * M + m; chunk u uses set
      // u % A.
      SmallVector<Value> init(A * R * M, zv);
      auto kl =
          scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, vecEnd),
                             cIdx(b, loc, C * U), init);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(kl.getBody());
        Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
        SmallVector<Value> next(kl.getRegionIterArgs().begin(),
                                kl.getRegionIterArgs().end());
        auto fm = arith::FastMathFlags::contract;
        for (int64_t u = 0; u < U; ++u) {
          Value c = arith::AddIOp::create(b, loc, kl.getInductionVar(),
                                          cIdx(b, loc, u * C));
          // xv[m * P + s]: the activations plane s of chunk c multiplies
          // (bf16 pairs: xv[2 (m * P + s) + h], h = 0 the high halves).
          SmallVector<Value> xv;
          // int8 bytes: per m, the lanes' scales and correction starts
          // (q4_k: per m and plane the lanes' scales, per m the blocks'
          // negated sums in xcorF).
          SmallVector<Value> xsc, xcor, xcorF;
          if (bytesI8) {
            auto v8 = VectorType::get({pg->bytes}, b.getI8Type());
            auto l32 = VectorType::get({L}, b.getI32Type());
            Value pad8 =
                arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
            Value pad32 =
                arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
            Value at = arith::DivUIOp::create(b, loc, c, cIdx(b, loc, C / L));
            for (int64_t m = 0; m < M; ++m) {
              for (int64_t s = 0; s < P; ++s)
                xv.push_back(vector::TransferReadOp::create(
                    b, loc, v8, xs,
                    ValueRange{cIdx(b, loc, m),
                               arith::AddIOp::create(
                                   b, loc, c, cIdx(b, loc, s * pg->bytes))},
                    pad8, ArrayRef<bool>{true}));
              if (q4kI8) {
                // Per plane its lanes' scales; the 8 blocks' negated sums
                // in lanes 0-7 (lanes 8-15 zero).
                Value at4 = arith::DivUIOp::create(b, loc, c, cIdx(b, loc, 4));
                for (int64_t s = 0; s < P; ++s)
                  xsc.push_back(vector::TransferReadOp::create(
                      b, loc, accTy, xScales,
                      ValueRange{cIdx(b, loc, m),
                                 arith::AddIOp::create(b, loc, at4,
                                                       cIdx(b, loc, L * s))},
                      pad, ArrayRef<bool>{true}));
                auto f8 = VectorType::get({8}, f32);
                Value bs = vector::TransferReadOp::create(
                    b, loc, f8, xBlockSums,
                    ValueRange{
                        cIdx(b, loc, m),
                        arith::DivUIOp::create(b, loc, c, cIdx(b, loc, 32))},
                    pad, ArrayRef<bool>{true});
                Value z8 = arith::ConstantOp::create(
                    b, loc, f8,
                    DenseElementsAttr::get(f8, b.getF32FloatAttr(0)));
                SmallVector<int64_t> both;
                for (int64_t j = 0; j < 16; ++j)
                  both.push_back(j);
                xcorF.push_back(
                    vector::ShuffleOp::create(b, loc, bs, z8, both));
                continue;
              }
              xsc.push_back(vector::TransferReadOp::create(
                  b, loc, accTy, xScales, ValueRange{cIdx(b, loc, m), at}, pad,
                  ArrayRef<bool>{true}));
              xcor.push_back(vector::TransferReadOp::create(
                  b, loc, l32, xCorr, ValueRange{cIdx(b, loc, m), at}, pad32,
                  ArrayRef<bool>{true}));
            }
          }
          Value c2 = pairs ? arith::MulIOp::create(b, loc, c, cIdx(b, loc, 2))
                                 .getResult()
                           : Value();
          auto pairTy = VectorType::get({2 * L}, b.getBF16Type());
          Value padB = pairs ? arith::ConstantOp::create(
                                   b, loc, b.getBF16Type(),
                                   b.getFloatAttr(b.getBF16Type(), 0.0))
                                   .getResult()
                             : Value();
          for (int64_t m = 0; m < M && !bytesI8; ++m)
            for (int64_t s = 0; s < P; ++s) {
              if (pairs) {
                for (int64_t h = 0; h < 2; ++h) {
                  Value cs = arith::AddIOp::create(
                      b, loc, c2, cIdx(b, loc, 4 * L * s + 2 * L * h));
                  xv.push_back(vector::TransferReadOp::create(
                      b, loc, pairTy, xs, ValueRange{cIdx(b, loc, m), cs}, padB,
                      ArrayRef<bool>{true}));
                }
                continue;
              }
              Value cs = arith::AddIOp::create(b, loc, c, cIdx(b, loc, s * L));
              xv.push_back(vector::TransferReadOp::create(
                  b, loc, accTy, xs, ValueRange{cIdx(b, loc, m), cs}, pad,
                  ArrayRef<bool>{true}));
            }
          // zpF32: per m, the lanes' sums of the chunk's activations;
          // q4_k: per m and plane class k, at m * NK + k.
          SmallVector<Value> xsum;
          for (int64_t m = 0; m < M && zpF32; ++m) {
            Value t = xv[m * P];
            for (int64_t s = 1; s < P; ++s)
              t = arith::AddFOp::create(b, loc, t, xv[m * P + s], fm);
            xsum.push_back(t);
          }
          int64_t NK = q4kWords ? 2 * (P / 8) : 0;
          for (int64_t m = 0; m < M && q4kWords; ++m)
            for (int64_t k = 0; k < NK; ++k) {
              Value t;
              for (int64_t s = 0; s < P; ++s)
                if (WeightDecoder::q4kClass(s) == k)
                  t = t ? arith::AddFOp::create(b, loc, t, xv[m * P + s], fm)
                              .getResult()
                        : xv[m * P + s];
              xsum.push_back(t);
            }
          if (u == 0)
            prefetch.emit(b, loc, starts, c);
          for (int64_t r = 0; r < R; ++r) {
            Value e = arith::AddIOp::create(b, loc, rowBase[r], c);
            SmallVector<Value> planes, kDsc, kNmin;
            Value scale, zpLanes;
            if (q4kWords) {
              planes = dec.decodeQ4KWordPlanes(e, *pg);
              dec.q4kLaneFactors(e, *pg, kDsc, kNmin);
            } else if (pairs) {
              planes = dec.decodeBF16Planes(e, *pg);
              scale = dec.chunkScaleVector(e, *pg);
            } else if (q4kI8) {
              planes = dec.decodeQ4KI8Planes(e);
              auto [dsc8, mmin8] = dec.q4kScalesMins(e);
              for (int64_t s = 0; s < P; ++s) {
                SmallVector<int64_t> mask;
                for (int64_t j = 0; j < L; ++j)
                  mask.push_back(WeightDecoder::q4kSubBlock(*pg, s, j));
                kDsc.push_back(
                    vector::ShuffleOp::create(b, loc, dsc8, dsc8, mask));
              }
              SmallVector<int64_t> twice;
              for (int64_t j = 0; j < 16; ++j)
                twice.push_back(j % 8);
              kNmin.push_back(
                  vector::ShuffleOp::create(b, loc, mmin8, mmin8, twice));
            } else if (bytesI8) {
              planes = dec.decodeI8Planes(e, *pg);
              scale = dec.chunkScaleVector(e, *pg);
              if (zpI8)
                zpLanes = arith::ExtUIOp::create(
                    b, loc, VectorType::get({L}, b.getI32Type()),
                    dec.zeroPointLanes(e, *pg));
            } else if (pg) {
              planes = dec.decodePlanes(e, *pg);
              scale = dec.chunkScaleVector(e, *pg);
              if (zpF32)
                zpLanes = arith::NegFOp::create(
                    b, loc,
                    arith::UIToFPOp::create(
                        b, loc, accTy,
                        arith::ExtUIOp::create(
                            b, loc, VectorType::get({L}, b.getI32Type()),
                            dec.zeroPointLanes(e, *pg))));
            } else {
              planes.push_back(dec.decodeChunk(e, C));
            }
            for (int64_t m = 0; m < M; ++m) {
              int64_t i = ((u % A) * R + r) * M + m;
              Value acc = next[i];
              if (q4kI8) {
                // Per plane: the exact i32 lane sums of c q, times the
                // lanes' activation scales and d * sc; then dmin * m of
                // each sub-block times minus its block's sum (lanes 0-7).
                for (int64_t s = 0; s < P; ++s) {
                  Value d = dotU8S8(b, loc, zeroI32, planes[s], xv[m * P + s]);
                  Value t = arith::MulFOp::create(
                      b, loc, arith::SIToFPOp::create(b, loc, accTy, d),
                      xsc[m * P + s]);
                  acc = vector::FMAOp::create(b, loc, t, kDsc[s], acc);
                }
                acc = vector::FMAOp::create(b, loc, kNmin[0], xcorF[m], acc);
              } else if (bytesI8) {
                // Exact i32 dot products of the lanes, started at the
                // offset correction, then scaled by the activation blocks'
                // and the weight groups' scales.
                Value d = xcor[m];
                if (zpLanes) // sum (c - zp) q = sum c q - zp sum q
                  d = arith::MulIOp::create(b, loc, zpLanes, d);
                if (wideI8) {
                  // Low and high bytes of u(c) in two chains, then
                  // d + 256 h (below 2^31: docs/passes.md).
                  Value h;
                  for (int64_t s = 0; s < P; ++s) {
                    d = dotU8S8(b, loc, d, planes[2 * s], xv[m * P + s]);
                    h = dotU8S8(b, loc, h ? h : zeroI32, planes[2 * s + 1],
                                xv[m * P + s]);
                  }
                  d = arith::AddIOp::create(
                      b, loc, d, arith::ShLIOp::create(b, loc, h, eight));
                } else {
                  for (int64_t s = 0; s < P; ++s)
                    d = dotU8S8(b, loc, d, planes[s], xv[m * P + s]);
                }
                Value t = arith::MulFOp::create(
                    b, loc, arith::SIToFPOp::create(b, loc, accTy, d), xsc[m]);
                acc =
                    scale
                        ? vector::FMAOp::create(b, loc, t, scale, acc)
                              .getResult()
                        : arith::AddFOp::create(b, loc, acc, t, fm).getResult();
              } else if (pairs) {
                // High and low activation halves in two chains of P bf16
                // dot products each.
                Value part[2] = {zv, zv};
                for (int64_t s = 0; s < P; ++s)
                  for (int64_t h = 0; h < 2; ++h)
                    part[h] = dotBF16(b, loc, part[h], planes[s],
                                      xv[2 * (m * P + s) + h]);
                Value sum = arith::AddFOp::create(b, loc, part[0], part[1], fm);
                acc = scale ? vector::FMAOp::create(b, loc, sum, scale, acc)
                                  .getResult()
                            : arith::AddFOp::create(b, loc, acc, sum, fm)
                                  .getResult();
              } else if (q4kWords) {
                // Per class k: sum q x over its planes, times the lanes'
                // d * sc, plus -(dmin * m) times the lanes' sums of x.
                for (int64_t k = 0; k < NK; ++k) {
                  Value part;
                  for (int64_t s = 0; s < P; ++s) {
                    if (WeightDecoder::q4kClass(s) != k)
                      continue;
                    part = part ? vector::FMAOp::create(b, loc, planes[s],
                                                        xv[m * P + s], part)
                                      .getResult()
                                : arith::MulFOp::create(b, loc, planes[s],
                                                        xv[m * P + s], fm)
                                      .getResult();
                  }
                  acc = vector::FMAOp::create(b, loc, part, kDsc[k], acc);
                  acc = vector::FMAOp::create(b, loc, kNmin[k],
                                              xsum[m * NK + k], acc);
                }
              } else if (!scale && P == 1) {
                acc = vector::FMAOp::create(b, loc, planes[0], xv[m * P], acc);
              } else {
                // With 4 or more planes, even and odd planes go into two
                // partial sums: one chain of P dependent multiply-adds left
                // the kernel bound by their latency (+25% on cache-resident
                // int4 weights); 2 planes keep one chain (one op fewer).
                Value part[2];
                int64_t chains = P >= 4 ? 2 : 1;
                for (int64_t s = 0; s < P; ++s)
                  part[s % chains] =
                      part[s % chains]
                          ? vector::FMAOp::create(b, loc, planes[s],
                                                  xv[m * P + s],
                                                  part[s % chains])
                                .getResult()
                          : arith::MulFOp::create(b, loc, planes[s],
                                                  xv[m * P + s], fm)
                                .getResult();
                Value sum = part[1] ? arith::AddFOp::create(b, loc, part[0],
                                                            part[1], fm)
                                          .getResult()
                                    : part[0];
                if (zpF32) // - zp * sum x
                  sum = vector::FMAOp::create(b, loc, zpLanes, xsum[m], sum);
                acc = scale ? vector::FMAOp::create(b, loc, sum, scale, acc)
                                  .getResult()
                            : arith::AddFOp::create(b, loc, acc, sum, fm)
                                  .getResult();
              }
              next[i] = acc;
            }
          }
        }
        scf::YieldOp::create(b, loc, next);
      }
      for (int64_t r = 0; r < R; ++r)
        for (int64_t m = 0; m < M; ++m) {
          Value acc = kl.getResult(r * M + m);
          for (int64_t a = 1; a < A; ++a)
            acc = arith::AddFOp::create(b, loc, acc,
                                        kl.getResult((a * R + r) * M + m));
          sums[r * M + m] =
              vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                          acc, arith::FastMathFlags::reassoc);
          if (unscale)
            sums[r * M + m] = arith::MulFOp::create(
                b, loc, sums[r * M + m],
                tensor::ExtractOp::create(b, loc, unscale,
                                          ValueRange{cIdx(b, loc, m)}));
        }
    }
    if (vecEnd < K)
      sums = scalarKTail(
          b, loc, vecEnd, K, sums, M, R,
          [&](int64_t m, Value c) -> Value {
            return tensor::ExtractOp::create(b, loc, x,
                                             ValueRange{cIdx(b, loc, m), c});
          },
          [&](int64_t r, Value c) {
            return dec.decodeElement(
                arith::AddIOp::create(b, loc, rowBase[r], c));
          },
          [&](int64_t m, int64_t r) { return r * M + m; });
    Value acc = rowLoop.getRegionIterArg(0);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t m = 0; m < M; ++m)
        acc = tensor::InsertOp::create(b, loc, sums[r * M + m], acc,
                                       ValueRange{cIdx(b, loc, m), rowIdx[r]});
    scf::YieldOp::create(b, loc, acc);
  }
  return correctOutliers(b, loc, dec, rowLoop.getResult(0), x, M, K);
}

LogicalResult lowerFusedMatmul(qf::MatmulOp op, const SectionValues &sec,
                               const std::string &target, DotPrecision dot) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = cast<qf::QuantizedTensorType>(op.getWeight().getType());
  F32Matmul io = prepareF32Matmul(b, loc, op);
  Value res = emitFusedGemv(b, loc, io.x, to2D(b, loc, io.dest),
                            qt.getFormat().getFormat(), qt.getShape(), sec,
                            target, dot);
  finishMatmul(b, loc, op, res, io);
  return success();
}

/// Whether a Kashin weight [N, K] has its vectors along K (rows, or blocks
/// of rows), as the fused Kashin GEMV needs.
bool kashinVectorsAlongRows(const FormatSpec &f, ArrayRef<int64_t> shape) {
  num::GroupGeometry G(f, std::vector<int64_t>(shape.begin(), shape.end()));
  return shape.size() == 2 && G.groups > 0 &&
         G.gran != num::Granularity::Tensor && G.contiguous() && G.size > 0 &&
         shape[1] % G.size == 0;
}

/// Fused GEMV / small-M matmul on a Kashin weight whose vectors lie along K:
/// each vector is u + P^T v, so w . x = u . x + v . (P x). The activations'
/// runs are transformed once (KashinDecoder::transformActivations, f64,
/// rounded to f32), then two fused learned-codebook GEMVs read the u codes
/// against x and the v codes against P x, each factor's centroids read as
/// a learned codebook inside the Kashin layout, and the two results are
/// added. No weight is decoded to memory and no transform runs per row.
LogicalResult lowerKashinGemv(qf::MatmulOp op, const SectionValues &sec,
                              const std::string &target, DotPrecision dot) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = cast<qf::QuantizedTensorType>(op.getWeight().getType());
  FormatSpec f = qt.getFormat().getFormat();
  ArrayRef<int64_t> shape = qt.getShape();
  int64_t N = shape[0], K = shape[1];
  int64_t M =
      cast<RankedTensorType>(op.getLhs().getType()).getNumElements() / K;
  Type f32 = b.getF32Type();
  F32Matmul io = prepareF32Matmul(b, loc, op);
  KashinDecoder kd(b, loc, f, shape, sec, target);
  Value z = kd.transformActivations(io.x, M);

  // The factors as learned formats: codes of bu (bv) bits per element,
  // codebooks of f32 values, grouped as the Kashin vectors.
  unsigned bu = f.kashinBitsU, bv = f.kashinJoint ? bu : f.kashinBitsV;
  auto factor = [&](unsigned bits) {
    FormatSpec g = f;
    g.kind = num::ElementKind::Learned;
    g.bits = bits;
    g.levels = 1u << bits;
    g.scaleType = num::ScaleType::F32;
    g.kashinBitsU = g.kashinBitsV = 0;
    g.kashinJoint = false;
    return g;
  };
  FormatSpec fu = factor(bu), fv = factor(bv);
  // Sections: the codes of each factor (the joint code serves both) and
  // the codebooks after the 8-byte seed.
  auto slice = [&](Value t, int64_t off, int64_t size) -> Value {
    return tensor::ExtractSliceOp::create(
        b, loc, t, ArrayRef<OpFoldResult>{b.getIndexAttr(off)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  };
  int64_t uBytes = kd.codeBytesU();
  Value codes = sec[unsigned(Section::Codes)];
  Value cbs = slice(sec[unsigned(Section::Codebooks)], 8, kd.codebookBytes());
  SectionValues su{}, sv{};
  su[unsigned(Section::Codes)] = slice(codes, 0, uBytes);
  sv[unsigned(Section::Codes)] = f.kashinJoint
                                     ? su[unsigned(Section::Codes)]
                                     : slice(codes, uBytes, kd.codeBytesV());
  su[unsigned(Section::Codebooks)] = sv[unsigned(Section::Codebooks)] = cbs;
  LearnedCodebooks cbU = kd.factorCodebooks(false);
  LearnedCodebooks cbV = kd.factorCodebooks(true);

  Value out = to2D(b, loc, io.dest);
  Value yu = emitFusedGemv(b, loc, io.x, out, fu, shape, su, target, dot, cbU);
  Value yv = emitFusedGemv(
      b, loc, z, allocTemporary(b, loc, RankedTensorType::get({M, N}, f32)), fv,
      shape, sv, target, dot, cbV);
  auto id = AffineMap::getMultiDimIdentityMap(2, b.getContext());
  Value res =
      linalg::GenericOp::create(
          b, loc, TypeRange{yu.getType()}, ValueRange{yv}, ValueRange{yu},
          ArrayRef<AffineMap>{id, id},
          SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::AddFOp::create(nb, l, args[1], args[0])});
          })
          .getResult(0);
  finishMatmul(b, loc, op, res, io);
  return success();
}

/// Large-M GEMM for weights [N, K] (transpose_weight): the weight is
/// dequantized Nt rows at a time into a tile that stays in the L2 cache
/// (at most 256 KiB of f32), and a register-blocked micro-kernel computes
/// 4 x 4 outputs at a time from it: 16 vector accumulators of 16 lanes, per
/// step 4 activation and 4 weight loads for 16 multiply-adds. Sparse
/// outliers are added afterwards as in the fused GEMV.
LogicalResult lowerTiledMatmul(qf::MatmulOp op, const SectionValues &sec,
                               const std::string &target) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = cast<qf::QuantizedTensorType>(op.getWeight().getType());
  FormatSpec f = qt.getFormat().getFormat();
  int64_t N = qt.getShape()[0], K = qt.getShape()[1];
  Type f32 = b.getF32Type();
  F32Matmul io = prepareF32Matmul(b, loc, op);
  Value x = io.x, dest = io.dest;
  int64_t M = cast<RankedTensorType>(x.getType()).getShape()[0];
  Value out = to2D(b, loc, dest);
  WeightDecoder dec(b, loc, f, qt.getShape(), sec, target);
  int64_t V = dec.vectorWidth();
  int64_t decEnd = V ? K / V * V : 0;

  // Tile rows: a multiple of 4 dividing N, the tile at most 256 KiB.
  int64_t Nt = 1;
  if (N % 4 == 0) {
    int64_t cap = std::max<int64_t>(4, (256 * 1024 / 4) / K / 4 * 4);
    for (int64_t t = std::min(cap, N) / 4 * 4; t >= 4; t -= 4)
      if (N % t == 0) {
        Nt = t;
        break;
      }
  }
  int64_t NR = Nt % 4 == 0 ? 4 : 1;
  const int64_t VW = 16;
  int64_t kEnd = K / VW * VW;
  auto vTy = VectorType::get({VW}, f32);
  Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value zeroV = arith::ConstantOp::create(
      b, loc, vTy, DenseElementsAttr::get(vTy, b.getF32FloatAttr(0.0f)));

  // Kashin vectors need their whole inverse transform: the weight is
  // dequantized once, and the tiles are slices of it.
  Value kashinW;
  if (f.kind == num::ElementKind::Kashin) {
    KashinDecoder kd(b, loc, f, qt.getShape(), sec, target);
    kashinW = kd.decodeInto(
        allocTemporary(b, loc, RankedTensorType::get({N, K}, f32)), f32);
  }

  auto tileLoop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, N),
                                     cIdx(b, loc, Nt), ValueRange{out});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(tileLoop.getBody());
    Value n0 = tileLoop.getInductionVar();
    // Dequantize rows [n0, n0 + Nt) into the tile.
    Value tile =
        kashinW ? Value()
                : allocTemporary(b, loc, RankedTensorType::get({Nt, K}, f32));
    if (kashinW)
      tile = tensor::ExtractSliceOp::create(
          b, loc, kashinW, ArrayRef<OpFoldResult>{n0, b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(Nt), b.getIndexAttr(K)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    if (!kashinW) {
      auto rl = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, Nt),
                                   cIdx(b, loc, 1), ValueRange{tile});
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(rl.getBody());
        Value r = rl.getInductionVar();
        Value rowBase = arith::MulIOp::create(
            b, loc, arith::AddIOp::create(b, loc, n0, r), cIdx(b, loc, K));
        Value t = rl.getRegionIterArg(0);
        if (V) {
          auto vl =
              scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, decEnd),
                                 cIdx(b, loc, V), ValueRange{t});
          OpBuilder::InsertionGuard g3(b);
          b.setInsertionPointToStart(vl.getBody());
          Value c = vl.getInductionVar();
          Value w =
              dec.decodeChunk(arith::AddIOp::create(b, loc, rowBase, c), V);
          Value tw = vector::TransferWriteOp::create(
                         b, loc, w, vl.getRegionIterArg(0), ValueRange{r, c},
                         ArrayRef<bool>{true})
                         .getResult();
          scf::YieldOp::create(b, loc, tw);
          b.setInsertionPointAfter(vl);
          t = vl.getResult(0);
        }
        if (decEnd < K) {
          auto sl =
              scf::ForOp::create(b, loc, cIdx(b, loc, decEnd), cIdx(b, loc, K),
                                 cIdx(b, loc, 1), ValueRange{t});
          OpBuilder::InsertionGuard g3(b);
          b.setInsertionPointToStart(sl.getBody());
          Value c = sl.getInductionVar();
          Value w =
              dec.decodeElement(arith::AddIOp::create(b, loc, rowBase, c));
          Value ti = tensor::InsertOp::create(b, loc, w, sl.getRegionIterArg(0),
                                              ValueRange{r, c});
          scf::YieldOp::create(b, loc, ti);
          b.setInsertionPointAfter(sl);
          t = sl.getResult(0);
        }
        scf::YieldOp::create(b, loc, t);
      }
      tile = rl.getResult(0);
    }

    // out[m0 + i, n0 + nn + j] for an MR x NR block.
    auto microKernel = [&](Value acc, Value m0, Value nn, int64_t MR) {
      SmallVector<Value> sums(MR * NR, zeroF);
      Value pad = zeroF;
      if (kEnd) {
        SmallVector<Value> init(MR * NR, zeroV);
        auto kl =
            scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, kEnd),
                               cIdx(b, loc, VW), init);
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(kl.getBody());
        Value k = kl.getInductionVar();
        SmallVector<Value> xv, wv, next(MR * NR);
        for (int64_t i = 0; i < MR; ++i)
          xv.push_back(vector::TransferReadOp::create(
              b, loc, vTy, x,
              ValueRange{arith::AddIOp::create(b, loc, m0, cIdx(b, loc, i)), k},
              pad, ArrayRef<bool>{true}));
        for (int64_t j = 0; j < NR; ++j)
          wv.push_back(vector::TransferReadOp::create(
              b, loc, vTy, tile,
              ValueRange{arith::AddIOp::create(b, loc, nn, cIdx(b, loc, j)), k},
              pad, ArrayRef<bool>{true}));
        for (int64_t i = 0; i < MR; ++i)
          for (int64_t j = 0; j < NR; ++j)
            next[i * NR + j] = vector::FMAOp::create(
                b, loc, xv[i], wv[j], kl.getRegionIterArg(i * NR + j));
        scf::YieldOp::create(b, loc, next);
        b.setInsertionPointAfter(kl);
        for (int64_t i = 0; i < MR * NR; ++i)
          sums[i] = vector::ReductionOp::create(
              b, loc, vector::CombiningKind::ADD, kl.getResult(i),
              arith::FastMathFlags::reassoc);
      }
      if (kEnd < K)
        sums = scalarKTail(
            b, loc, kEnd, K, sums, MR, NR,
            [&](int64_t i, Value k) -> Value {
              return tensor::ExtractOp::create(
                  b, loc, x,
                  ValueRange{arith::AddIOp::create(b, loc, m0, cIdx(b, loc, i)),
                             k});
            },
            [&](int64_t j, Value k) -> Value {
              return tensor::ExtractOp::create(
                  b, loc, tile,
                  ValueRange{arith::AddIOp::create(b, loc, nn, cIdx(b, loc, j)),
                             k});
            },
            [&](int64_t i, int64_t j) { return i * NR + j; });
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t j = 0; j < NR; ++j) {
          Value row = arith::AddIOp::create(b, loc, m0, cIdx(b, loc, i));
          Value col = arith::AddIOp::create(
              b, loc, n0, arith::AddIOp::create(b, loc, nn, cIdx(b, loc, j)));
          acc = tensor::InsertOp::create(b, loc, sums[i * NR + j], acc,
                                         ValueRange{row, col});
        }
      return acc;
    };

    // Row blocks of 4 activations, then the remaining rows one at a time.
    int64_t mEnd = M / 4 * 4;
    Value acc = tileLoop.getRegionIterArg(0);
    for (auto [lo, hi, MR] :
         {std::tuple<int64_t, int64_t, int64_t>{0, mEnd, 4}, {mEnd, M, 1}}) {
      if (lo == hi)
        continue;
      auto ml = scf::ForOp::create(b, loc, cIdx(b, loc, lo), cIdx(b, loc, hi),
                                   cIdx(b, loc, MR), ValueRange{acc});
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(ml.getBody());
      auto nl = scf::ForOp::create(b, loc, cIdx(b, loc, 0), cIdx(b, loc, Nt),
                                   cIdx(b, loc, NR),
                                   ValueRange{ml.getRegionIterArg(0)});
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(nl.getBody());
        scf::YieldOp::create(b, loc,
                             microKernel(nl.getRegionIterArg(0),
                                         ml.getInductionVar(),
                                         nl.getInductionVar(), MR));
      }
      scf::YieldOp::create(b, loc, nl.getResult(0));
      b.setInsertionPointAfter(ml);
      acc = ml.getResult(0);
    }
    scf::YieldOp::create(b, loc, acc);
  }
  Value res = correctOutliers(b, loc, dec, tileLoop.getResult(0), x, M, K);
  finishMatmul(b, loc, op, res, io);
  return success();
}

/// Any other matmul: dequantize the weight, then a linalg contraction.
LogicalResult lowerUnfusedMatmul(qf::MatmulOp op, const SectionValues &sec,
                                 const std::string &target) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = cast<qf::QuantizedTensorType>(op.getWeight().getType());
  auto resTy = cast<RankedTensorType>(op.getType());
  Type f32 = b.getF32Type();
  auto wTy = RankedTensorType::get(qt.getShape(), f32);
  auto deq = qf::DequantizeOp::create(b, loc, wTy, op.getWeight());
  Value x = to2D(b, loc, op.getLhs());
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t M = xTy.getShape()[0], N = op.getN();
  auto outTy = RankedTensorType::get({M, N}, f32);
  Value empty = tensor::EmptyOp::create(b, loc, outTy.getShape(), f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto mapX = AffineMap::get(3, 0, {m, k}, ctx);
  auto mapW = op.getTransposeWeight() ? AffineMap::get(3, 0, {n, k}, ctx)
                                      : AffineMap::get(3, 0, {k, n}, ctx);
  auto mapO = AffineMap::get(3, 0, {m, n}, ctx);
  SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                            utils::IteratorType::parallel,
                                            utils::IteratorType::reduction};
  auto gen = linalg::GenericOp::create(
      b, loc, TypeRange{outTy}, ValueRange{x, deq.getResult()},
      ValueRange{init}, ArrayRef<AffineMap>{mapX, mapW, mapO}, iters,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value xv = args[0];
        if (xv.getType() != nb.getF32Type())
          xv = arith::ExtFOp::create(nb, l, nb.getF32Type(), xv);
        Value r = scalarFma(nb, l, xv, args[1], args[2]);
        linalg::YieldOp::create(nb, l, r);
      });
  Value res = gen.getResult(0);
  if (resTy.getElementType() != f32) {
    auto vt = RankedTensorType::get(outTy.getShape(), resTy.getElementType());
    Value e2 =
        tensor::EmptyOp::create(b, loc, vt.getShape(), vt.getElementType());
    res =
        linalg::GenericOp::create(
            b, loc, TypeRange{vt}, ValueRange{res}, ValueRange{e2},
            ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(2, ctx),
                                AffineMap::getMultiDimIdentityMap(2, ctx)},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value t =
                  arith::TruncFOp::create(nb, l, vt.getElementType(), args[0]);
              linalg::YieldOp::create(nb, l, t);
            })
            .getResult(0);
  }
  res = from2D(b, loc, res, resTy);
  op.getResult().replaceAllUsesWith(res);
  op.erase();
  // The dequantized weight is multiplied right away: no streaming stores.
  return lowerDequantize(deq, sec, target, /*nontemporalBytes=*/0);
}

/// The storage sections of a quantized tensor type that are non-empty.
SmallVector<Section> presentSections(qf::QuantizedTensorType qt) {
  auto bytes = num::sectionBytes(
      qt.getFormat().getFormat(),
      std::vector<int64_t>(qt.getShape().begin(), qt.getShape().end()));
  SmallVector<Section> out;
  for (unsigned s = 0; s < num::kNumSections; ++s)
    if (bytes[s])
      out.push_back(static_cast<Section>(s));
  return out;
}

RankedTensorType sectionType(qf::QuantizedTensorType qt, Section s) {
  auto bytes = num::sectionBytes(
      qt.getFormat().getFormat(),
      std::vector<int64_t>(qt.getShape().begin(), qt.getShape().end()));
  return RankedTensorType::get({static_cast<int64_t>(bytes[unsigned(s)])},
                               IntegerType::get(qt.getContext(), 8));
}

LogicalResult checkDecodable(Operation *op, qf::QuantizedTensorType qt) {
  std::string why;
  const FormatSpec &f = qt.getFormat().getFormat();
  // Learned codebooks are read by WeightDecoder::learnedLookup, q4_k
  // super-blocks by WeightDecoder::decodeQ4KBlock.
  if ((f.kind == num::ElementKind::Learned && f.layout == Layout::Plain &&
       f.bits <= 8) ||
      f.layout == Layout::Q4_K)
    return success();
  // Kashin vectors are decoded with their inverse transform by
  // KashinDecoder.
  if (f.kind == num::ElementKind::Kashin)
    return KashinDecoder::check(op, f, qt.getShape());
  if (!conv::isDecodable(f, why))
    return op->emitOpError("cannot lower format '")
           << qt.getFormat().getFormat().str() << "': " << why;
  return success();
}

struct QFLowerToVectorPass
    : public qforge::impl::QFLowerToVectorBase<QFLowerToVectorPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!llvm::is_contained({"avx2", "avx512", "neon", "generic", "host"},
                            StringRef(target))) {
      module.emitError("qf-lower-to-vector: unknown target '")
          << target << "' (expected avx2, avx512, neon, generic or host)";
      return signalPassFailure();
    }
    if (nontemporalBytes < 0) {
      module.emitError("qf-lower-to-vector: nontemporal-bytes must be >= 0, "
                       "got ")
          << static_cast<int64_t>(nontemporalBytes);
      return signalPassFailure();
    }
    std::string tgt = resolveCPUTarget(target);
    if (dotPrecision != "f32" && dotPrecision != "bf16x2" &&
        dotPrecision != "i8") {
      module.emitError("qf-lower-to-vector: unknown dot-precision '")
          << dotPrecision << "' (expected f32, bf16x2 or i8)";
      return signalPassFailure();
    }
    dot = dotPrecision == "bf16x2" ? DotPrecision::BF16x2
          : dotPrecision == "i8"   ? DotPrecision::I8
                                   : DotPrecision::F32;
    StringRef feature = dot == DotPrecision::I8 ? "AVX512_VNNI" : "AVX512_BF16";
    if (dot != DotPrecision::F32 && tgt != "avx512") {
      module.emitError("qf-lower-to-vector: dot-precision=")
          << dotPrecision << " needs the avx512 target (x86 with " << feature
          << "), got '" << target << "'"
          << (target == "host" ? " (resolved to '" + tgt + "')" : "");
      return signalPassFailure();
    }
    if (dot != DotPrecision::F32 && target == "host" &&
        !(dot == DotPrecision::I8 ? hostHasAVX512VNNI()
                                  : hostHasAVX512BF16())) {
      module.emitError("qf-lower-to-vector: dot-precision=")
          << dotPrecision << ": this CPU has no " << feature
          << " (target=avx512 compiles for one that has)";
      return signalPassFailure();
    }
    // The lowering adds private declarations of intrinsics to the module.
    SmallVector<func::FuncOp> fns;
    module.walk([&](func::FuncOp fn) {
      if (!fn.isExternal())
        fns.push_back(fn);
    });
    for (func::FuncOp fn : fns)
      if (::mlir::failed(lowerFunction(fn, tgt)))
        return signalPassFailure();
  }

  /// dot-precision.
  DotPrecision dot = DotPrecision::F32;

  LogicalResult lowerFunction(func::FuncOp fn, const std::string &tgt) {
    DenseMap<Value, SectionValues> sections;
    for (Type t : fn.getFunctionType().getResults())
      if (isa<qf::QuantizedTensorType>(t))
        return fn.emitOpError("returning a quantized tensor is not lowered by "
                              "qf-lower-to-vector");
    // Function arguments: one i8 tensor per present section.
    Block &entry = fn.getBody().front();
    for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
      BlockArgument arg = entry.getArgument(i);
      auto qt = dyn_cast<qf::QuantizedTensorType>(arg.getType());
      if (!qt)
        continue;
      SectionValues sv{};
      unsigned pos = i + 1;
      for (Section s : presentSections(qt)) {
        RankedTensorType st = sectionType(qt, s);
        if (::mlir::failed(fn.insertArgument(pos, st, {}, arg.getLoc())))
          return failure();
        sv[unsigned(s)] = entry.getArgument(pos++);
      }
      sections[entry.getArgument(i)] = sv;
    }
    // Float weights stored in files (qf.external_constant) become
    // arith.constants over the memory-mapped data.
    SmallVector<qf::ExternalConstantOp> externals;
    fn.walk([&](qf::ExternalConstantOp e) { externals.push_back(e); });
    for (qf::ExternalConstantOp e : externals) {
      std::string error;
      ElementsAttr value = e.materialize(error);
      if (!value)
        return e.emitOpError("cannot read ") << e.getValue() << ": " << error;
      OpBuilder b(e);
      Value v = arith::ConstantOp::create(b, e.getLoc(), e.getType(),
                                          cast<TypedAttr>(value));
      e.getResult().replaceAllUsesWith(v);
      e.erase();
    }
    // Constants: one arith.constant per section (inline sections, or blobs
    // over the weight file of external storage).
    SmallVector<qf::ConstantOp> consts;
    fn.walk([&](qf::ConstantOp c) { consts.push_back(c); });
    for (qf::ConstantOp c : consts) {
      OpBuilder b(c);
      SectionValues sv{};
      SmallVector<ElementsAttr> attrs;
      std::string error;
      if (::mlir::failed(c.getSectionAttrs(attrs, error)))
        return c.emitOpError("cannot read ")
               << c.getExternalAttr() << ": " << error;
      for (Section s : presentSections(c.getType())) {
        ElementsAttr attr = attrs[unsigned(s)];
        if (!attr)
          return c.emitOpError("missing section '")
                 << qf::ConstantOp::getSectionAttrName(s) << "'";
        RankedTensorType st = sectionType(c.getType(), s);
        TypedAttr value = cast<TypedAttr>(attr);
        if (value.getType() != st)
          return c.emitOpError("section '")
                 << qf::ConstantOp::getSectionAttrName(s) << "' must be " << st;
        sv[unsigned(s)] = arith::ConstantOp::create(b, c.getLoc(), st, value);
      }
      sections[c.getResult()] = sv;
    }
    // The ops.
    SmallVector<Operation *> work;
    WalkResult wr = fn.walk([&](Operation *op) {
      if (isa<qf::DequantizeOp, qf::MatmulOp>(op)) {
        work.push_back(op);
        return WalkResult::advance();
      }
      if (isa<qf::QFDialect>(op->getDialect()) && !isa<qf::ConstantOp>(op)) {
        op->emitOpError("is not lowered by qf-lower-to-vector");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (wr.wasInterrupted())
      return failure();
    for (Operation *op : work) {
      Value q =
          isa<qf::DequantizeOp>(op) ? op->getOperand(0) : op->getOperand(1);
      auto it = sections.find(q);
      if (it == sections.end())
        return op->emitOpError("quantized operand must be a function "
                               "argument or a qf.constant");
      auto qt = cast<qf::QuantizedTensorType>(q.getType());
      if (::mlir::failed(checkDecodable(op, qt)))
        return failure();
      if (auto d = dyn_cast<qf::DequantizeOp>(op)) {
        if (::mlir::failed(
                lowerDequantize(d, it->second, tgt, nontemporalBytes)))
          return failure();
        continue;
      }
      auto mm = cast<qf::MatmulOp>(op);
      auto lhsTy = cast<RankedTensorType>(mm.getLhs().getType());
      auto resTy = cast<RankedTensorType>(mm.getType());
      int64_t M = lhsTy.getNumElements() / mm.getK();
      auto floatOk = [](Type t) {
        return t.isF32() || t.isF16() || t.isBF16();
      };
      bool direct = mm.getTransposeWeight() && qt.getRank() == 2 &&
                    floatOk(lhsTy.getElementType()) &&
                    floatOk(resTy.getElementType());
      // Kashin weights: fused for small M when the vectors lie along K
      // (W x = U x + V (P x)); otherwise dequantized whole (every vector
      // needs its inverse transform) and multiplied by the tiled kernel.
      const FormatSpec &wf = qt.getFormat().getFormat();
      bool kashin = wf.kind == num::ElementKind::Kashin;
      bool small = M <= 16 && lhsTy.getRank() <= 2;
      LogicalResult lowered =
          !direct ? lowerUnfusedMatmul(mm, it->second, tgt)
          : small && kashin && kashinVectorsAlongRows(wf, qt.getShape())
              ? lowerKashinGemv(mm, it->second, tgt, dot)
          : small && !kashin ? lowerFusedMatmul(mm, it->second, tgt, dot)
                             : lowerTiledMatmul(mm, it->second, tgt);
      if (::mlir::failed(lowered))
        return failure();
    }
    // Remove the quantized arguments and constants.
    for (qf::ConstantOp c : consts) {
      if (!c.getResult().use_empty())
        return c.emitOpError("has uses that qf-lower-to-vector cannot lower");
      c.erase();
    }
    llvm::BitVector erase(entry.getNumArguments());
    for (BlockArgument arg : entry.getArguments())
      if (isa<qf::QuantizedTensorType>(arg.getType())) {
        if (!arg.use_empty())
          return fn.emitOpError("quantized argument #")
                 << arg.getArgNumber()
                 << " has uses that qf-lower-to-vector cannot lower";
        erase.set(arg.getArgNumber());
      }
    if (::mlir::failed(fn.eraseArguments(erase)))
      return failure();
    if (fn.isPublic())
      fn->setAttr("llvm.emit_c_interface", UnitAttr::get(fn.getContext()));
    return success();
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Pipeline
//===----------------------------------------------------------------------===//

namespace {
struct QFForwardArgumentResultsPass
    : public qforge::impl::QFForwardArgumentResultsBase<
          QFForwardArgumentResultsPass> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal() || !fn.isPublic())
        continue;
      fn.walk([&](func::ReturnOp ret) {
        for (OpOperand &operand : ret->getOpOperands()) {
          // Only a copy made for the return: the caller would free it.
          auto clone = operand.get().getDefiningOp<bufferization::CloneOp>();
          if (!clone || !clone->hasOneUse())
            continue;
          Value src = clone.getInput();
          while (auto cast = src.getDefiningOp<memref::CastOp>())
            src = cast.getSource();
          auto arg = dyn_cast<BlockArgument>(src);
          if (!arg || arg.getOwner() != &fn.getBody().front())
            continue;
          Value repl = clone.getInput();
          if (repl.getType() != clone.getType()) {
            OpBuilder b(clone);
            repl = memref::CastOp::create(b, clone.getLoc(), clone.getType(),
                                          repl);
          }
          operand.set(repl);
          clone->erase();
        }
      });
    }
  }
};

struct QFNontemporalStoresPass
    : public qforge::impl::QFNontemporalStoresBase<QFNontemporalStoresPass> {
  /// The alignment a non-temporal store of `w` needs, or 0 when `w` is not
  /// a candidate.
  static unsigned streamAlignment(vector::TransferWriteOp w) {
    auto mt = dyn_cast<MemRefType>(w.getBase().getType());
    VectorType vt = w.getVectorType();
    if (!mt || vt.getRank() != 1 || w.getMask() ||
        !w.getPermutationMap().isMinorIdentity() ||
        llvm::any_of(w.getInBoundsValues(), [](bool b) { return !b; }) ||
        !vt.getElementType().isIntOrFloat() ||
        vt.getElementType().getIntOrFloatBitWidth() % 8 != 0)
      return 0;
    int64_t strideInner;
    SmallVector<int64_t> strides;
    if (failed(mt.getStridesAndOffset(strides, strideInner)) ||
        strides.empty() || strides.back() != 1)
      return 0;
    int64_t bytes =
        vt.getNumElements() * vt.getElementType().getIntOrFloatBitWidth() / 8;
    int64_t align = std::min<int64_t>(bytes, 64);
    if (bytes < 32 || !llvm::isPowerOf2_64(align) || bytes % align != 0)
      return 0;
    return static_cast<unsigned>(align);
  }

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->hasAttr(kNontemporalAttr))
        loops.push_back(loop);
    });
    // One fence after the outermost operation of the function holding
    // streaming loops: a fence waits for every streamed line to reach
    // memory, and one per row of the dequantization cost about a third
    // of its speed.
    llvm::SetVector<Operation *> fenceAfter;
    for (scf::ForOp loop : loops) {
      loop->removeAttr(kNontemporalAttr);
      SmallVector<vector::TransferWriteOp> writes;
      for (auto w : loop.getBody()->getOps<vector::TransferWriteOp>())
        if (streamAlignment(w))
          writes.push_back(w);
      if (writes.empty())
        continue;
      for (vector::TransferWriteOp w : writes)
        stream(w, streamAlignment(w));
      Operation *top = loop;
      while (top->getParentOp() != getOperation())
        top = top->getParentOp();
      fenceAfter.insert(top);
    }
    for (Operation *top : fenceAfter) {
      OpBuilder b(top->getContext());
      b.setInsertionPointAfter(top);
      LLVM::FenceOp::create(b, top->getLoc(), LLVM::AtomicOrdering::seq_cst);
    }
  }

  /// Rewrites `w` into an aligned non-temporal vector.store when its
  /// address is `align`-aligned at run time, and keeps it otherwise.
  static void stream(vector::TransferWriteOp w, unsigned align) {
    OpBuilder b(w);
    Location loc = w.getLoc();
    Value base = w.getBase();
    auto mt = cast<MemRefType>(base.getType());
    int64_t eb = mt.getElementTypeBitWidth() / 8;
    auto md = memref::ExtractStridedMetadataOp::create(b, loc, base);
    Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, base);
    Value elem = md.getOffset();
    for (auto [idx, stride] : llvm::zip(w.getIndices(), md.getStrides()))
      elem = arith::AddIOp::create(b, loc, elem,
                                   arith::MulIOp::create(b, loc, idx, stride));
    Value addr = arith::AddIOp::create(
        b, loc, ptr, arith::MulIOp::create(b, loc, elem, cIdx(b, loc, eb)));
    Value low = arith::AndIOp::create(b, loc, addr, cIdx(b, loc, align - 1));
    Value aligned = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, low,
                                          cIdx(b, loc, 0));
    // x86 llc drops the non-temporal hint of half/bfloat vector stores,
    // and of integer ones whose value is a bitcast of such a vector made
    // in the same block (the bitcast is folded into the store); the same
    // bits as i32 lanes, cast before the branch, keep it (vmovntps). They
    // are stored to the aligned address computed above.
    auto vt = cast<VectorType>(w.getVector().getType());
    Value bits;
    if (isa<Float16Type, BFloat16Type>(vt.getElementType()))
      bits = vector::BitCastOp::create(
          b, loc, VectorType::get({vt.getNumElements() / 2}, b.getI32Type()),
          w.getVector());
    auto ifOp = scf::IfOp::create(b, loc, aligned, /*withElseRegion=*/true);
    b.setInsertionPointToStart(ifOp.thenBlock());
    if (bits) {
      Value i64Addr = arith::IndexCastOp::create(b, loc, b.getI64Type(), addr);
      Value p = LLVM::IntToPtrOp::create(
          b, loc, LLVM::LLVMPointerType::get(b.getContext()),
          ValueRange{i64Addr});
      LLVM::StoreOp::create(b, loc, bits, p, align, /*isVolatile=*/false,
                            /*isNonTemporal=*/true);
    } else {
      vector::StoreOp::create(b, loc, w.getVector(), base, w.getIndices(),
                              /*nontemporal=*/true, llvm::MaybeAlign(align));
    }
    w->moveBefore(ifOp.elseBlock()->getTerminator());
  }
};
} // namespace

void qforge::buildQFCPUPipeline(OpPassManager &pm,
                                const QFCPUPipelineOptions &options) {
  // The passes are created directly (not parsed from a pipeline string),
  // so the pipeline also works in tools that register none of them.
  QFLowerToVectorOptions lo;
  lo.target = options.target;
  lo.nontemporalBytes = options.nontemporalBytes;
  lo.dotPrecision = options.dotPrecision;
  pm.addPass(createQFLowerToVector(lo));
  // Elementwise arith on tensors (residual adds, activations) becomes
  // linalg so that bufferization covers whole models, not only qf ops.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bo;
  bo.bufferizeFunctionBoundaries = true;
  bo.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A loop over layers yields a fresh tensor per iteration (a matmul's
  // result is not its input); the deallocation below frees the previous.
  bo.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bo));
  // Folds the loops' memref iter_args, so that a result written in place
  // into an argument is seen as that argument and dropped (and not cloned
  // by the deallocation below).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  // One-shot bufferization frees nothing: the model's intermediate tensors
  // and the lowering's temporaries (activations in plane order, f32
  // results narrowed afterwards, GEMM tiles) would leak on every call.
  // Returned buffers belong to the caller; one that is a copy of an
  // argument (a result written into its destination) is returned as the
  // argument itself, as before deallocation (qf-forward-argument-results).
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(qforge::createQFForwardArgumentResults());
  pm.addPass(createConvertBufferizationToMemRefPass());
  // After the deallocation, which rejects the fence (an op without a
  // memory-effect interface) that this pass emits.
  pm.addNestedPass<func::FuncOp>(qforge::createQFNontemporalStores());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void qforge::registerQFCPUPipeline() {
  PassPipelineRegistration<QFCPUPipelineOptions>(
      "qf-cpu-pipeline",
      "Lower qf + linalg/tensor/func to the LLVM dialect for CPUs "
      "(qf-lower-to-vector, bufferization, ownership-based buffer "
      "deallocation, conversions to LLVM)",
      buildQFCPUPipeline);
}
