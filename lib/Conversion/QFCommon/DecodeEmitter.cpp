//===- DecodeEmitter.cpp - Target-independent decode IR emission ----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Conversion/QFCommon/DecodeEmitter.h"

#include "qforge/Numerics/GGUF.h"
#include "qforge/Numerics/Scaling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

using namespace mlir;
using namespace qforge;
using namespace qforge::conv;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// `elem` with the shape of `like` (scalar or vector).
static Type withShapeOf(Value like, Type elem) {
  if (auto vt = dyn_cast<VectorType>(like.getType()))
    return VectorType::get(vt.getShape(), elem);
  return elem;
}

/// An integer/float constant splatted to `type` (scalar or vector).
static Value constInt(OpBuilder &b, Location loc, Type type, int64_t v) {
  Type elem = getElementTypeOrSelf(type);
  if (auto vt = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(
        b, loc, vt, DenseElementsAttr::get(vt, b.getIntegerAttr(elem, v)));
  return arith::ConstantOp::create(b, loc, type, b.getIntegerAttr(elem, v));
}

static Value constF32(OpBuilder &b, Location loc, Type type, float v) {
  Type elem = b.getF32Type();
  if (auto vt = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(
        b, loc, vt, DenseElementsAttr::get(vt, b.getF32FloatAttr(v)));
  return arith::ConstantOp::create(b, loc, elem, b.getF32FloatAttr(v));
}

/// Zero-extends or truncates an integer scalar/vector to `width` bits.
static Value toWidth(OpBuilder &b, Location loc, Value v, unsigned width) {
  unsigned w = getElementTypeOrSelf(v.getType()).getIntOrFloatBitWidth();
  Type t = withShapeOf(v, b.getIntegerType(width));
  if (w == width)
    return v;
  if (w < width)
    return arith::ExtUIOp::create(b, loc, t, v);
  return arith::TruncIOp::create(b, loc, t, v);
}

static Value broadcastLike(OpBuilder &b, Location loc, Value scalar,
                           Value like) {
  auto vt = dyn_cast<VectorType>(like.getType());
  if (!vt || isa<VectorType>(scalar.getType()))
    return scalar;
  return vector::BroadcastOp::create(
      b, loc, VectorType::get(vt.getShape(), scalar.getType()), scalar);
}

/// Concatenates two 1-D vectors of equal length.
static Value concat(OpBuilder &b, Location loc, Value lo, Value hi) {
  int64_t n = cast<VectorType>(lo.getType()).getNumElements();
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < 2 * n; ++i)
    mask.push_back(i);
  return vector::ShuffleOp::create(b, loc, lo, hi, mask);
}

//===----------------------------------------------------------------------===//
// Queries
//===----------------------------------------------------------------------===//

bool qforge::conv::isDecodable(const num::FormatSpec &spec, std::string &why) {
  using namespace num;
  switch (spec.layout) {
  case Layout::Plain:
    break;
  case Layout::Q4_0:
  case Layout::Q8_0:
  case Layout::IQ4_NL:
    return true;
  case Layout::Q4_K:
    why = "the q4_k layout (super-blocks with 6-bit sub-scales) has no "
          "decoder yet";
    return false;
  }
  if (spec.kind == ElementKind::Learned || spec.kind == ElementKind::Kashin) {
    why = "learned (asq) and kashin codes have no decoder yet";
    return false;
  }
  if (spec.bits > 8) {
    why = "codes wider than 8 bits";
    return false;
  }
  return true;
}

SmallVector<float> qforge::conv::decodeTable(const num::FormatSpec &spec) {
  using namespace num;
  SmallVector<float> t;
  switch (spec.layout) {
  case Layout::Q4_0:
    for (int c = 0; c < 16; ++c)
      t.push_back(static_cast<float>(c - 8));
    return t;
  case Layout::Q8_0:
    for (int c = 0; c < 256; ++c)
      t.push_back(static_cast<float>(static_cast<int8_t>(c)));
    return t;
  case Layout::IQ4_NL: {
    // tableValues() of iq4_nl is ggml's kvalues divided by 127; the blocks
    // use the integers themselves.
    std::vector<double> v = spec.tableValues();
    for (double x : v)
      t.push_back(static_cast<float>(std::nearbyint(x * 127.0)));
    return t;
  }
  default:
    break;
  }
  ElementGrid grid(spec);
  unsigned n = 1u << spec.bits;
  for (unsigned c = 0; c < n; ++c)
    t.push_back(grid.table()[c]);
  return t;
}

//===----------------------------------------------------------------------===//
// Unpacking
//===----------------------------------------------------------------------===//

Value qforge::conv::emitExtractField(OpBuilder &b, Location loc, Value word,
                                     unsigned bitOffset, unsigned bits) {
  Type t = word.getType();
  unsigned w = getElementTypeOrSelf(t).getIntOrFloatBitWidth();
  Value v = word;
  if (bitOffset)
    v = arith::ShRUIOp::create(b, loc, v, constInt(b, loc, t, bitOffset));
  if (bitOffset + bits < w || bits < w)
    v = arith::AndIOp::create(b, loc, v,
                              constInt(b, loc, t, (int64_t(1) << bits) - 1));
  return v;
}

/// 3-, 5-, 6- and 7-bit codes: code j starts at bit j * bits and spans at
/// most two bytes. One shuffle gathers, for every code, the byte holding its
/// first bit and the next one into an i16 lane (little-endian); a shift by
/// the per-lane bit offset and a mask leave the code.
static Value unpackOddCodes(OpBuilder &b, Location loc, unsigned bits,
                            Value bytes) {
  auto vt = cast<VectorType>(bytes.getType());
  int64_t n = vt.getNumElements();
  int64_t codes = n * 8 / bits;
  SmallVector<int64_t> pairs;
  SmallVector<int16_t> shifts;
  for (int64_t j = 0; j < codes; ++j) {
    int64_t bit = j * bits;
    // The code of the last byte ends inside it: its second byte is unused.
    pairs.push_back(bit / 8);
    pairs.push_back(std::min(bit / 8 + 1, n - 1));
    shifts.push_back(static_cast<int16_t>(bit % 8));
  }
  Value gathered = vector::ShuffleOp::create(b, loc, bytes, bytes, pairs);
  auto i16v = VectorType::get({codes}, b.getI16Type());
  Value words = vector::BitCastOp::create(b, loc, i16v, gathered);
  Value sh = arith::ConstantOp::create(
      b, loc, i16v, DenseElementsAttr::get(i16v, ArrayRef<int16_t>(shifts)));
  Value mask = arith::ConstantOp::create(
      b, loc, i16v,
      DenseElementsAttr::get(
          i16v, b.getI16IntegerAttr(static_cast<int16_t>((1 << bits) - 1))));
  Value c = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, words, sh), mask);
  return arith::TruncIOp::create(b, loc,
                                 VectorType::get({codes}, b.getI8Type()), c);
}

Value qforge::conv::emitUnpackCodes(OpBuilder &b, Location loc, unsigned bits,
                                    Value packedBytes) {
  Value bytes = packedBytes;
  if (!isa<VectorType>(bytes.getType()))
    bytes = vector::BroadcastOp::create(
        b, loc, VectorType::get({1}, bytes.getType()), bytes);
  if (bits == 8)
    return bytes;
  if (8 % bits != 0)
    return unpackOddCodes(b, loc, bits, bytes);
  unsigned per = 8 / bits;
  SmallVector<Value> fields;
  for (unsigned j = 0; j < per; ++j)
    fields.push_back(emitExtractField(b, loc, bytes, j * bits, bits));
  // Interleave the fields so that byte i field j lands at i*per + j:
  // interleave(a, b) = a0 b0 a1 b1 ..., applied as a perfect shuffle tree.
  std::function<Value(unsigned, unsigned)> tree = [&](unsigned first,
                                                      unsigned stride) {
    if (stride >= per)
      return Value(fields[first]);
    Value lo = tree(first, stride * 2);
    Value hi = tree(first + stride, stride * 2);
    return Value(vector::InterleaveOp::create(b, loc, lo, hi).getResult());
  };
  return tree(0, 1);
}

Value qforge::conv::emitSplitNibbles(OpBuilder &b, Location loc,
                                     Value packedBytes) {
  Value lo = emitExtractField(b, loc, packedBytes, 0, 4);
  Value hi = emitExtractField(b, loc, packedBytes, 4, 4);
  return concat(b, loc, lo, hi);
}

//===----------------------------------------------------------------------===//
// Element decoding
//===----------------------------------------------------------------------===//

Value qforge::conv::emitTableLookup(OpBuilder &b, Location loc,
                                    ArrayRef<float> table, Value indices,
                                    LookupFn lookup) {
  if (lookup)
    if (Value v = lookup(b, loc, table, indices))
      return v;
  Type f32 = b.getF32Type();
  Type resTy = withShapeOf(indices, f32);
  size_t n = table.size();
  if (n <= 16) {
    // Select tree over the index bits: level t halves the candidates.
    Value idx = toWidth(b, loc, indices, 32);
    SmallVector<Value> cand;
    for (float v : table)
      cand.push_back(constF32(b, loc, resTy, v));
    while (cand.size() & (cand.size() - 1))
      cand.push_back(cand.back());
    Value zero = constInt(b, loc, idx.getType(), 0);
    for (unsigned bit = 0; cand.size() > 1; ++bit) {
      Value m = arith::AndIOp::create(
          b, loc, idx, constInt(b, loc, idx.getType(), int64_t(1) << bit));
      Value set =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, m, zero);
      SmallVector<Value> next;
      for (size_t i = 0; i < cand.size(); i += 2)
        next.push_back(
            arith::SelectOp::create(b, loc, set, cand[i + 1], cand[i]));
      cand = std::move(next);
    }
    return cand.front();
  }
  // Larger tables: per-element dynamic extraction from a constant vector.
  auto tableTy = VectorType::get({static_cast<int64_t>(n)}, f32);
  Value tv = arith::ConstantOp::create(b, loc, tableTy,
                                       DenseElementsAttr::get(tableTy, table));
  auto lookupOne = [&](Value idx) -> Value {
    Value i = arith::IndexCastUIOp::create(b, loc, b.getIndexType(),
                                           toWidth(b, loc, idx, 32));
    return vector::ExtractOp::create(b, loc, tv, OpFoldResult(i));
  };
  auto vt = dyn_cast<VectorType>(indices.getType());
  if (!vt)
    return lookupOne(indices);
  Value res = constF32(b, loc, resTy, 0.0f);
  for (int64_t l = 0; l < vt.getNumElements(); ++l) {
    Value idx = vector::ExtractOp::create(b, loc, indices, l);
    res = vector::InsertOp::create(b, loc, lookupOne(idx), res, l);
  }
  return res;
}

Value qforge::conv::emitDecodeMiniFloat(OpBuilder &b, Location loc,
                                        num::MiniFloatKind kind, Value codes) {
  using num::MiniFloatKind;
  unsigned E = 0, M = 0;
  switch (kind) {
  case MiniFloatKind::E2M1:
    E = 2;
    M = 1;
    break;
  case MiniFloatKind::E3M2:
    E = 3;
    M = 2;
    break;
  case MiniFloatKind::E2M3:
    E = 2;
    M = 3;
    break;
  case MiniFloatKind::E4M3FN:
    E = 4;
    M = 3;
    break;
  case MiniFloatKind::E5M2:
    E = 5;
    M = 2;
    break;
  }
  int bias = (1 << (E - 1)) - 1;
  Value c = toWidth(b, loc, codes, 32);
  Type i32T = c.getType();
  Type f32T = withShapeOf(c, b.getF32Type());
  Value e = emitExtractField(b, loc, c, M, E);
  Value m = emitExtractField(b, loc, c, 0, M);
  Value s = emitExtractField(b, loc, c, E + M, 1);
  Value zero = constInt(b, loc, i32T, 0);
  // Operations are created in separate statements: the evaluation order of
  // function arguments is unspecified (GCC and clang differ), and the
  // emitted IR must not depend on the host compiler.
  // Normal: re-bias the exponent into f32 and align the mantissa.
  Value eF =
      arith::AddIOp::create(b, loc, e, constInt(b, loc, i32T, 127 - bias));
  Value mAligned =
      arith::ShLIOp::create(b, loc, m, constInt(b, loc, i32T, 23 - M));
  Value eAligned =
      arith::ShLIOp::create(b, loc, eF, constInt(b, loc, i32T, 23));
  Value normal = arith::OrIOp::create(b, loc, eAligned, mAligned);
  // Subnormal: m * 2^(1 - bias - M), exact in f32.
  Value subUnit = constF32(b, loc, f32T, std::ldexp(1.0f, 1 - bias - int(M)));
  Value mF = arith::UIToFPOp::create(b, loc, f32T, m);
  Value sub = arith::MulFOp::create(b, loc, mF, subUnit);
  Value subBits = arith::BitcastOp::create(b, loc, i32T, sub);
  Value isSub =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, zero);
  Value mag = arith::SelectOp::create(b, loc, isSub, subBits, normal);
  // The reference grid decodes -0, NaN and infinity codes to +0.
  Value isZeroMag =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            arith::OrIOp::create(b, loc, e, m), zero);
  Value special;
  if (kind == MiniFloatKind::E4M3FN) {
    Value nanCode = constInt(b, loc, i32T, (1 << (E + M)) - 1);
    Value eShifted =
        arith::ShLIOp::create(b, loc, e, constInt(b, loc, i32T, M));
    Value em = arith::OrIOp::create(b, loc, eShifted, m);
    special =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, em, nanCode);
  } else if (kind == MiniFloatKind::E5M2)
    special = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e,
                                    constInt(b, loc, i32T, (1 << E) - 1));
  Value signBit = arith::ShLIOp::create(b, loc, s, constInt(b, loc, i32T, 31));
  Value bits = arith::OrIOp::create(b, loc, mag, signBit);
  bits = arith::SelectOp::create(b, loc, isZeroMag, zero, bits);
  if (special)
    bits = arith::SelectOp::create(b, loc, special, zero, bits);
  return arith::BitcastOp::create(b, loc, f32T, bits);
}

Value qforge::conv::emitDecodeElements(OpBuilder &b, Location loc,
                                       const num::FormatSpec &spec, Value codes,
                                       Type floatType, LookupFn lookup) {
  using namespace num;
  Type f32T = withShapeOf(codes, b.getF32Type());
  // Codes of at most 4 bits: a target lookup (one permute) replaces the
  // integer conversion when the target provides one.
  bool small =
      spec.layout == Layout::Q4_0 ||
      (spec.layout == Layout::Plain && spec.bits <= 4 &&
       (spec.kind == ElementKind::Int || spec.kind == ElementKind::Float));
  if (small && lookup)
    if (Value v = lookup(b, loc, decodeTable(spec), codes))
      return emitConvertResult(b, loc, v, floatType);
  Value res;
  if (spec.layout == Layout::Q4_0) {
    Value c = toWidth(b, loc, codes, 32);
    c = arith::SubIOp::create(b, loc, c, constInt(b, loc, c.getType(), 8));
    res = arith::SIToFPOp::create(b, loc, f32T, c);
  } else if (spec.layout == Layout::Q8_0) {
    Value c = codes;
    if (getElementTypeOrSelf(c.getType()).getIntOrFloatBitWidth() != 8)
      c = arith::TruncIOp::create(b, loc, withShapeOf(c, b.getI8Type()), c);
    res = arith::SIToFPOp::create(b, loc, f32T, c);
  } else if (spec.layout == Layout::IQ4_NL || spec.kind == ElementKind::Lut) {
    res = emitTableLookup(b, loc, decodeTable(spec), codes, lookup);
  } else if (spec.kind == ElementKind::Float) {
    res = emitDecodeMiniFloat(b, loc, spec.miniFloat, codes);
  } else {
    // Int codes.
    Value c = toWidth(b, loc, codes, 32);
    Type i32T = c.getType();
    unsigned sh = 32 - spec.bits;
    if (spec.bits < 8 ||
        getElementTypeOrSelf(codes.getType()).getIntOrFloatBitWidth() != 8)
      c = emitExtractField(b, loc, c, 0, spec.bits);
    if (spec.intKind == IntKind::Unsigned) {
      res = arith::UIToFPOp::create(b, loc, f32T, c);
    } else {
      Value sx = arith::ShRSIOp::create(
          b, loc, arith::ShLIOp::create(b, loc, c, constInt(b, loc, i32T, sh)),
          constInt(b, loc, i32T, sh));
      if (spec.intKind == IntKind::Symmetric) {
        // The unused most negative code decodes to 0 in the reference.
        Value isMin = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, sx,
            constInt(b, loc, i32T, -(int64_t(1) << (spec.bits - 1))));
        sx = arith::SelectOp::create(b, loc, isMin, constInt(b, loc, i32T, 0),
                                     sx);
      }
      res = arith::SIToFPOp::create(b, loc, f32T, sx);
    }
  }
  return emitConvertResult(b, loc, res, floatType);
}

//===----------------------------------------------------------------------===//
// Scales
//===----------------------------------------------------------------------===//

Value qforge::conv::emitDecodeScale(OpBuilder &b, Location loc,
                                    num::ScaleType type, Value rawBits) {
  using num::ScaleType;
  Type f32T = withShapeOf(rawBits, b.getF32Type());
  switch (type) {
  case ScaleType::None:
    return constF32(b, loc, f32T, 1.0f);
  case ScaleType::F32:
    return arith::BitcastOp::create(b, loc, f32T, toWidth(b, loc, rawBits, 32));
  case ScaleType::F16: {
    Value h =
        arith::BitcastOp::create(b, loc, withShapeOf(rawBits, b.getF16Type()),
                                 toWidth(b, loc, rawBits, 16));
    return arith::ExtFOp::create(b, loc, f32T, h);
  }
  case ScaleType::BF16: {
    Value w = toWidth(b, loc, toWidth(b, loc, rawBits, 16), 32);
    w = arith::ShLIOp::create(b, loc, w, constInt(b, loc, w.getType(), 16));
    return arith::BitcastOp::create(b, loc, f32T, w);
  }
  case ScaleType::E8M0: {
    Value e = toWidth(b, loc, toWidth(b, loc, rawBits, 8), 32);
    Type i32T = e.getType();
    Value bits = arith::ShLIOp::create(b, loc, e, constInt(b, loc, i32T, 23));
    Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e,
                                         constInt(b, loc, i32T, 0));
    bits = arith::SelectOp::create(b, loc, isZero,
                                   constInt(b, loc, i32T, 0x00400000), bits);
    Value isNaN = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e,
                                        constInt(b, loc, i32T, 255));
    bits = arith::SelectOp::create(b, loc, isNaN,
                                   constInt(b, loc, i32T, 0x7FC00000), bits);
    return arith::BitcastOp::create(b, loc, f32T, bits);
  }
  case ScaleType::E4M3: {
    // Decoded as num::decodeScale does (the codec, NaN kept as NaN).
    Value c = toWidth(b, loc, toWidth(b, loc, rawBits, 8), 32);
    Value v = emitDecodeMiniFloat(b, loc, num::MiniFloatKind::E4M3FN, c);
    Type i32T = c.getType();
    Value mag = arith::AndIOp::create(b, loc, c, constInt(b, loc, i32T, 0x7F));
    Value isNaN = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, mag,
                                        constInt(b, loc, i32T, 0x7F));
    Value nan = arith::BitcastOp::create(b, loc, f32T,
                                         constInt(b, loc, i32T, 0x7FC00000));
    Value isNegZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, c,
                                            constInt(b, loc, i32T, 0x80));
    Value negZero = arith::BitcastOp::create(
        b, loc, f32T, constInt(b, loc, i32T, int32_t(0x80000000u)));
    v = arith::SelectOp::create(b, loc, isNegZero, negZero, v);
    return arith::SelectOp::create(b, loc, isNaN, nan, v);
  }
  }
  llvm_unreachable("unknown scale type");
}

Value qforge::conv::emitApplyZeroPoint(OpBuilder &b, Location loc,
                                       Value decoded, Value zeroPoint) {
  Value z = toWidth(b, loc, zeroPoint, 32);
  Value zf = arith::UIToFPOp::create(b, loc, withShapeOf(z, b.getF32Type()), z);
  return arith::SubFOp::create(b, loc, decoded,
                               broadcastLike(b, loc, zf, decoded));
}

Value qforge::conv::emitScale(OpBuilder &b, Location loc, Value decoded,
                              Value scale, Value superScale) {
  if (superScale)
    scale = arith::MulFOp::create(
        b, loc, broadcastLike(b, loc, superScale, scale), scale);
  return arith::MulFOp::create(b, loc, broadcastLike(b, loc, scale, decoded),
                               decoded);
}

Value qforge::conv::emitConvertResult(OpBuilder &b, Location loc,
                                      Value f32Value, Type floatType) {
  if (!floatType || getElementTypeOrSelf(f32Value.getType()) == floatType)
    return f32Value;
  return arith::TruncFOp::create(b, loc, withShapeOf(f32Value, floatType),
                                 f32Value);
}

//===----------------------------------------------------------------------===//
// Extended decoders
//===----------------------------------------------------------------------===//

bool qforge::conv::isDecodableExtended(const num::FormatSpec &spec,
                                       std::string &why) {
  using namespace num;
  if (spec.layout == Layout::Q4_K)
    return true;
  if (spec.layout != Layout::Plain)
    return isDecodable(spec, why);
  switch (spec.kind) {
  case ElementKind::Learned:
    if (spec.levels < 2 || spec.levels > 256 || spec.bits > 8) {
      why = "learned codebooks of more than 256 levels";
      return false;
    }
    return true;
  case ElementKind::Kashin:
    if (spec.kashinJoint ? spec.kashinBitsU > 8
                         : spec.kashinBitsU > 4 || spec.kashinBitsV > 4) {
      why = "Kashin codes wider than the format allows";
      return false;
    }
    return true;
  default:
    return isDecodable(spec, why);
  }
}

Value qforge::conv::emitExtractStreamCode(OpBuilder &b, Location loc,
                                          ArrayRef<Value> words,
                                          uint64_t bitOffset, unsigned bits) {
  Type t = words.front().getType();
  unsigned w = getElementTypeOrSelf(t).getIntOrFloatBitWidth();
  assert(bits >= 1 && bits <= w && "code width out of range");
  assert(bitOffset + bits <= uint64_t(w) * words.size() &&
         "code beyond the words");
  size_t k = bitOffset / w;
  unsigned s = bitOffset % w;
  if (s + bits <= w)
    return emitExtractField(b, loc, words[k], s, bits);
  // The code straddles words k and k + 1.
  Value lo = arith::ShRUIOp::create(b, loc, words[k], constInt(b, loc, t, s));
  Value hi =
      arith::ShLIOp::create(b, loc, words[k + 1], constInt(b, loc, t, w - s));
  Value v = arith::OrIOp::create(b, loc, lo, hi);
  if (bits < w)
    v = arith::AndIOp::create(b, loc, v,
                              constInt(b, loc, t, (int64_t(1) << bits) - 1));
  return v;
}

void qforge::conv::emitUnpackStreamCodes(OpBuilder &b, Location loc,
                                         ArrayRef<Value> words, unsigned bits,
                                         SmallVectorImpl<Value> &codes) {
  unsigned w =
      getElementTypeOrSelf(words.front().getType()).getIntOrFloatBitWidth();
  uint64_t n = uint64_t(w) * words.size() / bits;
  for (uint64_t i = 0; i < n; ++i)
    codes.push_back(emitExtractStreamCode(b, loc, words, i * bits, bits));
}

Value qforge::conv::emitExtractStreamCodeAt(OpBuilder &b, Location loc,
                                            Value lo, Value hi, Value shift,
                                            unsigned bits) {
  unsigned w = getElementTypeOrSelf(lo.getType()).getIntOrFloatBitWidth();
  Value l = toWidth(b, loc, lo, 2 * w);
  Value h = toWidth(b, loc, hi, 2 * w);
  Value s = toWidth(b, loc, shift, 2 * w);
  Type t2 = l.getType();
  Value hiPart = arith::ShLIOp::create(b, loc, h, constInt(b, loc, t2, w));
  Value both = arith::OrIOp::create(b, loc, hiPart, l);
  Value v = arith::ShRUIOp::create(b, loc, both, s);
  v = toWidth(b, loc, v, w);
  if (bits < w)
    v = arith::AndIOp::create(
        b, loc, v, constInt(b, loc, v.getType(), (int64_t(1) << bits) - 1));
  return v;
}

std::pair<Value, Value>
qforge::conv::emitQ4KScaleMin(OpBuilder &b, Location loc,
                              ArrayRef<Value> scaleWords, unsigned j) {
  assert(scaleWords.size() == 3 && j < 8 && "q4_k has 8 sub-blocks");
  // Bits [first, first + n) of byte `byte` of the 12 scale bytes.
  auto bits = [&](unsigned byte, unsigned first, unsigned n) {
    return emitExtractField(b, loc, scaleWords[byte / 4],
                            8 * (byte % 4) + first, n);
  };
  Type t = scaleWords.front().getType();
  if (j < 4)
    return {bits(j, 0, 6), bits(j + 4, 0, 6)};
  Value four = constInt(b, loc, t, 4);
  Value scLo = bits(j + 4, 0, 4);
  Value scHi = arith::ShLIOp::create(b, loc, bits(j - 4, 6, 2), four);
  Value sc = arith::OrIOp::create(b, loc, scLo, scHi);
  Value mLo = bits(j + 4, 4, 4);
  Value mHi = arith::ShLIOp::create(b, loc, bits(j, 6, 2), four);
  Value m = arith::OrIOp::create(b, loc, mLo, mHi);
  return {sc, m};
}

std::pair<Value, Value>
qforge::conv::emitQ4KSubBlockFactors(OpBuilder &b, Location loc, Value d,
                                     Value dmin, Value sc, Value m) {
  Type f32T = withShapeOf(sc, b.getF32Type());
  Value scf = arith::UIToFPOp::create(b, loc, f32T, sc);
  Value mf = arith::UIToFPOp::create(b, loc, withShapeOf(m, b.getF32Type()), m);
  return {arith::MulFOp::create(b, loc, broadcastLike(b, loc, d, scf), scf),
          arith::MulFOp::create(b, loc, broadcastLike(b, loc, dmin, mf), mf)};
}

Value qforge::conv::emitQ4KElements(OpBuilder &b, Location loc, Value codes,
                                    Value dsc, Value mmin) {
  Value q = arith::UIToFPOp::create(b, loc, withShapeOf(codes, b.getF32Type()),
                                    toWidth(b, loc, codes, 32));
  Value p = arith::MulFOp::create(b, loc, broadcastLike(b, loc, dsc, q), q);
  return arith::SubFOp::create(b, loc, p, broadcastLike(b, loc, mmin, q));
}

Value qforge::conv::emitClampCodes(OpBuilder &b, Location loc, Value codes,
                                   unsigned codeBits, unsigned numEntries) {
  if (codeBits < 32 && (uint64_t(1) << codeBits) <= numEntries)
    return codes;
  return arith::MinUIOp::create(
      b, loc, codes, constInt(b, loc, codes.getType(), numEntries - 1));
}

Value qforge::conv::emitRuntimeTableLookup(OpBuilder &b, Location loc,
                                           Value table, Value indices) {
  auto tableTy = cast<VectorType>(table.getType());
  Type elem = tableTy.getElementType();
  auto lookupOne = [&](Value idx) -> Value {
    Value i = arith::IndexCastUIOp::create(b, loc, b.getIndexType(),
                                           toWidth(b, loc, idx, 32));
    return vector::ExtractOp::create(b, loc, table, OpFoldResult(i));
  };
  auto vt = dyn_cast<VectorType>(indices.getType());
  if (!vt)
    return lookupOne(indices);
  auto resTy = VectorType::get(vt.getShape(), elem);
  Value res = arith::ConstantOp::create(
      b, loc, resTy, DenseElementsAttr::get(resTy, b.getZeroAttr(elem)));
  for (int64_t l = 0; l < vt.getNumElements(); ++l) {
    Value idx = vector::ExtractOp::create(b, loc, indices, l);
    res = vector::InsertOp::create(b, loc, lookupOne(idx), res, l);
  }
  return res;
}

Value qforge::conv::emitKashinSign(OpBuilder &b, Location loc, Value seed,
                                   Value index) {
  Type t = index.getType();
  Type f64T = withShapeOf(index, b.getF64Type());
  auto c = [&](uint64_t v) {
    return constInt(b, loc, t, static_cast<int64_t>(v));
  };
  // State after (index / 64 + 1) splitmix64 steps.
  Value seedT = broadcastLike(b, loc, seed, index);
  Value state0 = arith::XOrIOp::create(b, loc, seedT, c(0x6a09e667f3bcc909ULL));
  Value word = arith::ShRUIOp::create(b, loc, index, c(6));
  Value steps = arith::AddIOp::create(b, loc, word, c(1));
  Value advance =
      arith::MulIOp::create(b, loc, steps, c(0x9e3779b97f4a7c15ULL));
  Value z = arith::AddIOp::create(b, loc, state0, advance);
  auto mix = [&](Value v, unsigned sh, uint64_t mul) {
    Value x = arith::XOrIOp::create(b, loc, v,
                                    arith::ShRUIOp::create(b, loc, v, c(sh)));
    return arith::MulIOp::create(b, loc, x, c(mul)).getResult();
  };
  z = mix(z, 30, 0xbf58476d1ce4e5b9ULL);
  z = mix(z, 27, 0x94d049bb133111ebULL);
  Value bits = arith::XOrIOp::create(b, loc, z,
                                     arith::ShRUIOp::create(b, loc, z, c(31)));
  Value lane = arith::AndIOp::create(b, loc, index, c(63));
  Value shifted = arith::ShRUIOp::create(b, loc, bits, lane);
  Value bit = arith::AndIOp::create(b, loc, shifted, c(1));
  Value neg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, bit, c(0));
  auto cf = [&](double v) -> Value {
    if (auto vt = dyn_cast<VectorType>(f64T))
      return arith::ConstantOp::create(
          b, loc, vt, DenseElementsAttr::get(vt, b.getF64FloatAttr(v)));
    return arith::ConstantOp::create(b, loc, f64T, b.getF64FloatAttr(v));
  };
  Value minus = cf(-1.0);
  Value plus = cf(1.0);
  return arith::SelectOp::create(b, loc, neg, minus, plus);
}

std::pair<Value, Value> qforge::conv::emitComplexMul(OpBuilder &b, Location loc,
                                                     Value ar, Value ai,
                                                     Value br, Value bi) {
  // One statement per operation: the IR must not depend on the host
  // compiler's evaluation order of arguments.
  Value acBr = arith::MulFOp::create(b, loc, ar, br);
  Value aiBi = arith::MulFOp::create(b, loc, ai, bi);
  Value rr = arith::SubFOp::create(b, loc, acBr, aiBi);
  Value arBi = arith::MulFOp::create(b, loc, ar, bi);
  Value aiBr = arith::MulFOp::create(b, loc, ai, br);
  Value ri = arith::AddFOp::create(b, loc, arBi, aiBr);
  return {rr, ri};
}

std::array<Value, 4> qforge::conv::emitFFTButterfly(OpBuilder &b, Location loc,
                                                    Value ur, Value ui,
                                                    Value vr, Value vi,
                                                    Value wr, Value wi) {
  auto [tr, ti] = emitComplexMul(b, loc, vr, vi, wr, wi);
  return {arith::AddFOp::create(b, loc, ur, tr),
          arith::AddFOp::create(b, loc, ui, ti),
          arith::SubFOp::create(b, loc, ur, tr),
          arith::SubFOp::create(b, loc, ui, ti)};
}

Value qforge::conv::emitDCTPosition(OpBuilder &b, Location loc, Value i,
                                    int64_t n) {
  Type t = i.getType();
  auto c = [&](int64_t v) { return constInt(b, loc, t, v); };
  Value half = arith::ShRUIOp::create(b, loc, i, c(1));
  Value low = arith::AndIOp::create(b, loc, i, c(1));
  Value odd =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, low, c(0));
  // Odd i: n - 1 - (i - 1) / 2 = n - 1 - i / 2.
  Value back = arith::SubIOp::create(b, loc, c(n - 1), half);
  return arith::SelectOp::create(b, loc, odd, back, half);
}

Value qforge::conv::emitBitReverse(OpBuilder &b, Location loc, Value i,
                                   unsigned logN) {
  if (logN == 0)
    return constInt(b, loc, i.getType(), 0);
  Value x = toWidth(b, loc, i, 32);
  Type t = x.getType();
  auto c = [&](uint32_t v) {
    return constInt(b, loc, t, static_cast<int32_t>(v));
  };
  static const uint32_t masks[5] = {0x55555555u, 0x33333333u, 0x0F0F0F0Fu,
                                    0x00FF00FFu, 0x0000FFFFu};
  for (unsigned k = 0; k < 5; ++k) {
    unsigned sh = 1u << k;
    Value loBits = arith::AndIOp::create(b, loc, x, c(masks[k]));
    Value lo = arith::ShLIOp::create(b, loc, loBits, c(sh));
    Value hiBits = arith::ShRUIOp::create(b, loc, x, c(sh));
    Value hi = arith::AndIOp::create(b, loc, hiBits, c(masks[k]));
    x = arith::OrIOp::create(b, loc, lo, hi);
  }
  return arith::ShRUIOp::create(b, loc, x, c(32 - logN));
}

Value qforge::conv::emitTruncF32Saturated(OpBuilder &b, Location loc, Value x) {
  Type f64T = x.getType();
  auto cst = [&](double v) -> Value {
    if (auto vt = dyn_cast<VectorType>(f64T))
      return arith::ConstantOp::create(
          b, loc, vt, DenseElementsAttr::get(vt, b.getF64FloatAttr(v)));
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  };
  double m = std::numeric_limits<float>::max();
  Value hi = cst(m), lo = cst(-m);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hi);
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lo);
  Value inner = arith::SelectOp::create(b, loc, below, lo, x);
  Value clamped = arith::SelectOp::create(b, loc, above, hi, inner);
  return arith::TruncFOp::create(b, loc, withShapeOf(x, b.getF32Type()),
                                 clamped);
}
