//===- DecodeEmitter.h - Target-independent decode IR emission --*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Builders that emit the arithmetic of decoding quantized weights, shared by
// the CPU (qf-lower-to-vector) and GPU (qf-lower-to-gpu) lowerings. Every
// function emits only `arith` and `vector` operations, so the result lowers
// to x86, AArch64 and NVVM alike, and every function accepts either a scalar
// or a vector value: the shape of the input is the shape of the output
// (`i8` -> `f32`, `vector<16xi8>` -> `vector<16xf32>`).
//
// The arithmetic reproduces qforge::num::dequantize bit for bit:
//   value = scale * decode(code)           (Int, Float and Lut codes)
//   value = scale * (float(code) - zp)     (unsigned codes with a zero point)
//   scale = super * decodeScale(bits)      (double quantization)
// GGUF layouts decode as ggml does: q4_0 (q - 8) * d, q8_0 q * d, iq4_nl
// d * kvalues[q], with d the block's f16 scale.
//
// Typical use for a block of 4-bit codes:
//
//   Value bytes = vector.load ...                 : vector<16xi8>
//   Value codes = emitUnpackCodes(b, loc, 4, bytes); // vector<32xi8>
//   Value vals  = emitDecodeElements(b, loc, spec, codes, f32);
//   Value scale = emitDecodeScale(b, loc, spec.scaleType, rawScale, f32);
//   Value w     = emitScale(b, loc, vals, scale);   // vector<32xf32>
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_CONVERSION_QFCOMMON_DECODEEMITTER_H
#define QFORGE_CONVERSION_QFCOMMON_DECODEEMITTER_H

#include "qforge/Numerics/Format.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace qforge::conv {

/// A target hook for table lookups: given the table (at most 256 f32
/// values) and integer indices (scalar or vector), returns the looked-up
/// f32 values, or a null Value to fall back to the portable lowering. The
/// CPU lowering passes a hook emitting vpermps/vpermi2ps; the GPU lowering
/// may pass none.
using LookupFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, llvm::ArrayRef<float> table,
    mlir::Value indices)>;

/// Whether the emitters below can decode `spec` (Int, Float and Lut codes in
/// the Plain layout with any scale type, zero points and double
/// quantization; the q4_0, q8_0 and iq4_nl GGUF layouts). Outliers are not
/// decoded here (callers patch them afterwards). On false, `why` says what
/// is missing.
bool isDecodable(const num::FormatSpec &spec, std::string &why);

/// The f32 values that codes index into, as num::dequantize uses them: the
/// rounded table of Lut formats, the decoded minifloat values of Float
/// formats, the integer values of Int formats and of GGUF layouts (q4_0:
/// code - 8; iq4_nl: ggml's kvalues). Indexed by the raw code.
llvm::SmallVector<float> decodeTable(const num::FormatSpec &spec);

/// `(word >> bitOffset) & (2^bits - 1)` in the type of `word` (any integer
/// scalar or vector).
mlir::Value emitExtractField(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value word, unsigned bitOffset,
                             unsigned bits);

/// Unpacks a Plain-layout LSB-first code stream of `bits`-bit codes, `bits`
/// in {1, 2, 4, 8}: `packedBytes` is `i8` or `vector<Nxi8>`, the result is
/// `vector<(N*8/bits)xi8>` holding the codes in element order (code in the
/// low bits, upper bits zero).
mlir::Value emitUnpackCodes(mlir::OpBuilder &b, mlir::Location loc,
                            unsigned bits, mlir::Value packedBytes);

/// Splits bytes of a GGUF q4_0/iq4_nl block into its 4-bit codes: the low
/// nibbles (elements 0..15 of the block) followed by the high nibbles
/// (16..31). `vector<16xi8>` -> `vector<32xi8>`.
mlir::Value emitSplitNibbles(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value packedBytes);

/// Decodes codes (integer scalar or vector, code in the low `spec.bits`
/// bits, upper bits zero; `i8` codes of 8-bit formats may carry the code in
/// all 8 bits) into unscaled values of `floatType` (f32, or a narrower
/// float the f32 value is rounded to):
///   Int: the code as a (sign-extended for Signed/Symmetric) integer;
///   Float: the OCP minifloat value, by exponent re-biasing (subnormals,
///     e4m3 NaN, e5m2 inf/NaN handled exactly);
///   Lut and GGUF layouts: table lookup through `lookup` when given and
///     successful, otherwise a portable select tree (<= 16 entries) or
///     per-element extraction from a constant vector.
/// Int and Float codes of at most 4 bits (and q4_0) are also looked up in
/// decodeTable(spec) through `lookup` when it succeeds (one permute instead
/// of the integer/bit arithmetic); the values are identical.
mlir::Value emitDecodeElements(mlir::OpBuilder &b, mlir::Location loc,
                               const num::FormatSpec &spec, mlir::Value codes,
                               mlir::Type floatType, LookupFn lookup = nullptr);

/// Decodes an OCP minifloat code (integer scalar/vector) to f32 exactly.
mlir::Value emitDecodeMiniFloat(mlir::OpBuilder &b, mlir::Location loc,
                                num::MiniFloatKind kind, mlir::Value codes);

/// Looks `indices` up in `table` (f32), as emitDecodeElements does.
mlir::Value emitTableLookup(mlir::OpBuilder &b, mlir::Location loc,
                            llvm::ArrayRef<float> table, mlir::Value indices,
                            LookupFn lookup = nullptr);

/// Decodes the raw little-endian bits of a stored scale (integer
/// scalar/vector, at least as wide as the scale type: i8 for e8m0/e4m3, i16
/// for f16/bf16, i32 for f32) to f32, exactly as num::decodeScale.
/// ScaleType::None yields the constant 1.
mlir::Value emitDecodeScale(mlir::OpBuilder &b, mlir::Location loc,
                            num::ScaleType type, mlir::Value rawBits);

/// `decoded - float(zeroPoint)`; `zeroPoint` is the stored byte (i8, read
/// as unsigned), broadcast to the shape of `decoded` if it is a scalar.
mlir::Value emitApplyZeroPoint(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value decoded, mlir::Value zeroPoint);

/// `scale * decoded`, broadcasting a scalar scale to a vector `decoded`.
/// With double quantization pass `superScale` (f32) to form
/// `(superScale * scale) * decoded` as the reference does.
mlir::Value emitScale(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::Value decoded, mlir::Value scale,
                      mlir::Value superScale = nullptr);

/// Converts an f32 scalar/vector to `floatType` (truncf) if it differs.
mlir::Value emitConvertResult(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value f32Value, mlir::Type floatType);

} // namespace qforge::conv

#endif // QFORGE_CONVERSION_QFCOMMON_DECODEEMITTER_H
