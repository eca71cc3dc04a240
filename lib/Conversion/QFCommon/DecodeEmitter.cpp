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

Value qforge::conv::emitUnpackCodes(OpBuilder &b, Location loc, unsigned bits,
                                    Value packedBytes) {
  Value bytes = packedBytes;
  if (!isa<VectorType>(bytes.getType()))
    bytes = vector::BroadcastOp::create(
        b, loc, VectorType::get({1}, bytes.getType()), bytes);
  if (bits == 8)
    return bytes;
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
  // Normal: re-bias the exponent into f32 and align the mantissa.
  Value eF =
      arith::AddIOp::create(b, loc, e, constInt(b, loc, i32T, 127 - bias));
  Value normal = arith::OrIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, eF, constInt(b, loc, i32T, 23)),
      arith::ShLIOp::create(b, loc, m, constInt(b, loc, i32T, 23 - M)));
  // Subnormal: m * 2^(1 - bias - M), exact in f32.
  Value sub = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, f32T, m),
      constF32(b, loc, f32T, std::ldexp(1.0f, 1 - bias - int(M))));
  Value subBits = arith::BitcastOp::create(b, loc, i32T, sub);
  Value isSub =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, zero);
  Value mag = arith::SelectOp::create(b, loc, isSub, subBits, normal);
  // The reference grid decodes -0, NaN and infinity codes to +0.
  Value isZeroMag =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            arith::OrIOp::create(b, loc, e, m), zero);
  Value special;
  if (kind == MiniFloatKind::E4M3FN)
    special = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        arith::OrIOp::create(
            b, loc, arith::ShLIOp::create(b, loc, e, constInt(b, loc, i32T, M)),
            m),
        constInt(b, loc, i32T, (1 << (E + M)) - 1));
  else if (kind == MiniFloatKind::E5M2)
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
  bool small = spec.layout == Layout::Q4_0 ||
               (spec.layout == Layout::Plain && spec.bits <= 4 &&
                (spec.kind == ElementKind::Int ||
                 spec.kind == ElementKind::Float));
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
