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

#include <array>
#include <string>
#include <utility>

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
/// in 1..8: `packedBytes` is `i8` or `vector<Nxi8>` (for 3, 5, 6 and 7 bits
/// a vector whose N * 8 bits hold whole codes), the result is
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

//===----------------------------------------------------------------------===//
// Extended decoders: odd code widths, q4_k, learned codebooks, Kashin codes
//===----------------------------------------------------------------------===//
//
// The functions below extend the ones above to the formats isDecodable()
// rejects; isDecodable() itself is unchanged (the CPU lowering relies on
// it). They follow the same rules: arith and vector operations only, scalar
// or vector operands, and the
// arithmetic of the reference decoder operation for operation, so that the
// values are bit-identical to qforge::num::dequantize on every target. No
// emitted floating-point operation carries fast-math flags, so none may be
// contracted into an FMA.

/// Whether the element codes of `spec` can be decoded with the functions of
/// this header, the extended ones included: everything isDecodable()
/// accepts, plus the q4_k layout, learned (asq) codebooks (the codebook is a
/// runtime table the caller loads) and Kashin codes (the caller applies the
/// inverse transform, see emitKashinSign and the FFT helpers). Outliers are
/// patched by the caller. On false, `why` says what is missing.
bool isDecodableExtended(const num::FormatSpec &spec, std::string &why);

/// Extracts the `bits`-bit code (1 <= bits <= word width) that starts at bit
/// `bitOffset` of a Plain-layout LSB-first code stream held in `words`:
/// words[0] holds stream bits [0, W), words[1] bits [W, 2W), ... (W = the
/// words' integer width; the stream's bytes read little-endian). A code
/// that straddles two words is assembled from both:
///   ((words[k] >> s) | (words[k + 1] << (W - s))) & (2^bits - 1)
/// with k = bitOffset / W, s = bitOffset % W. `words` are integer scalars or
/// vectors of one type (vector lanes are independent streams); the result
/// has that type, code in the low bits, upper bits zero. Requires
/// bitOffset + bits <= W * words.size(). Equal to num::unpackCodes for
/// every width 1..8, the odd ones (3, 5, 6, 7) included.
mlir::Value emitExtractStreamCode(mlir::OpBuilder &b, mlir::Location loc,
                                  llvm::ArrayRef<mlir::Value> words,
                                  uint64_t bitOffset, unsigned bits);

/// All floor(W * words.size() / bits) codes of `words`, in stream order
/// (emitExtractStreamCode at offsets 0, bits, 2 bits, ...). With
/// words.size() a multiple of `bits`, that is 32 * words.size() / bits
/// codes for i32 words, every one of them inside the words.
void emitUnpackStreamCodes(mlir::OpBuilder &b, mlir::Location loc,
                           llvm::ArrayRef<mlir::Value> words, unsigned bits,
                           llvm::SmallVectorImpl<mlir::Value> &codes);

/// The `bits`-bit code at a runtime bit offset `shift` (0 <= shift < W, same
/// integer type as the words) of the two consecutive stream words `lo`
/// (stream bits [kW, kW + W)) and `hi` (the next W bits; any value when the
/// code ends inside `lo`):
///   trunc((zext(hi) << W | zext(lo)) >> shift) & (2^bits - 1).
/// Used to decode one element at a runtime index (e.g. under an outlier).
mlir::Value emitExtractStreamCodeAt(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value lo, mlir::Value hi,
                                    mlir::Value shift, unsigned bits);

/// q4_k: the 6-bit scale and min of sub-block `subBlock` (0..7) of a
/// super-block, from its 12 `scales` bytes given as three little-endian
/// 32-bit words (`scaleWords`, i32 scalars or vectors; for a 144-byte block
/// read as 36 words these are words 1, 2 and 3). Unpacks as ggml's
/// get_scale_min_k4 / num::unpackQ4KScales:
///   j < 4:  sc = q[j] & 63,                        m = q[j+4] & 63
///   j >= 4: sc = (q[j+4] & 15) | ((q[j-4] >> 6) << 4),
///           m  = (q[j+4] >> 4) | ((q[j] >> 6) << 4).
/// Returns {sc, m} in the type of the words.
std::pair<mlir::Value, mlir::Value>
emitQ4KScaleMin(mlir::OpBuilder &b, mlir::Location loc,
                llvm::ArrayRef<mlir::Value> scaleWords, unsigned subBlock);

/// q4_k: the f32 factors of one sub-block, {d * float(sc), dmin * float(m)}
/// (one f32 multiply each), from the decoded f16 super-block scales `d`,
/// `dmin` (f32) and the integer `sc`, `m` of emitQ4KScaleMin.
std::pair<mlir::Value, mlir::Value>
emitQ4KSubBlockFactors(mlir::OpBuilder &b, mlir::Location loc, mlir::Value d,
                       mlir::Value dmin, mlir::Value sc, mlir::Value m);

/// q4_k elements: `dsc * float(q) - mmin`, an f32 multiply followed by an
/// f32 subtraction (never fused), as num::dequantizeGGUFBlock computes
/// `d1 * (q & 15) - m1`. `codes` are the 4-bit codes (integer scalar or
/// vector, upper bits zero); `dsc`, `mmin` f32 scalars (broadcast) or of
/// the codes' shape.
mlir::Value emitQ4KElements(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value codes, mlir::Value dsc,
                            mlir::Value mmin);

/// Learned codebooks: clamps `codeBits`-bit codes to `numEntries` - 1. The
/// reference reads code c of a codebook with s levels as entry
/// min(c, s - 1) (codes the quantizer never writes when s is not a power of
/// two). Returns `codes` unchanged when numEntries >= 2^codeBits. Integer
/// scalar or vector, unsigned compare.
mlir::Value emitClampCodes(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value codes, unsigned codeBits,
                           unsigned numEntries);

/// Looks `indices` (integer scalar or vector, each < N; clamp first) up in
/// a runtime table `table`, a 1-D vector<N x T> SSA value (e.g. a group's
/// learned codebook or Kashin centroids, loaded at run time and decoded);
/// returns values of type T with the shape of `indices`. One dynamic
/// vector.extract per lane. Decode stored learned codebook entries with
/// emitDecodeScale(spec.scaleType, raw): it is exact for f32, f16 and bf16,
/// as num::dequantize reads them.
mlir::Value emitRuntimeTableLookup(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Value table, mlir::Value indices);

/// Kashin: the sign eps[index] (f64, +1.0 or -1.0) of
/// num::randomSigns(n, seed) for any n > index: bit (index % 64) of the
/// (index / 64 + 1)-th output of splitmix64 started at
/// seed ^ 0x6a09e667f3bcc909 (the state after k + 1 steps is
/// state0 + (k + 1) * 0x9e3779b97f4a7c15, so any element is computed
/// directly). `seed` is an i64 scalar (read from the first 8 bytes of the
/// Codebooks section), `index` an i64 scalar or vector.
mlir::Value emitKashinSign(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value seed, mlir::Value index);

/// (ar + i ai) * (br + i bi) as std::complex<double> multiplies (the
/// textbook formula, each product rounded, no FMA):
///   re = ar*br - ai*bi,  im = ar*bi + ai*br.
/// f64 (or f32) scalars or vectors; returns {re, im}.
std::pair<mlir::Value, mlir::Value>
emitComplexMul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value ar,
               mlir::Value ai, mlir::Value br, mlir::Value bi);

/// One radix-2 butterfly of num::FFTPlan: t = v * w (emitComplexMul), then
/// u' = u + t, v' = u - t componentwise. Returns {u're, u'im, v're, v'im}.
/// For the inverse transform pass the conjugated twiddle (wi negated).
std::array<mlir::Value, 4> emitFFTButterfly(mlir::OpBuilder &b,
                                            mlir::Location loc, mlir::Value ur,
                                            mlir::Value ui, mlir::Value vr,
                                            mlir::Value vi, mlir::Value wr,
                                            mlir::Value wi);

/// The reordering of num::DCTPlan: element i of the DCT input goes to
/// position i / 2 (i even) or n - 1 - (i - 1) / 2 (i odd) of the FFT buffer,
/// and the inverse reads it back from there. `i` is an integer or index
/// scalar/vector; `n` a constant.
mlir::Value emitDCTPosition(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value i, int64_t n);

/// The radix-2 FFT input permutation of num::FFTPlan for a power-of-two
/// length 2^logN (logN <= 31): the low logN bits of `i` (i32 scalar or
/// vector) reversed (mask-and-shift swaps, arith only).
mlir::Value emitBitReverse(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value i, unsigned logN);

/// `x` (f64 scalar or vector) rounded to f32, saturated to +-FLT_MAX
/// instead of overflowing to +-inf (NaN stays NaN): how
/// num::kashinReconstruct turns a decoded Kashin value into f32.
mlir::Value emitTruncF32Saturated(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value x);

} // namespace qforge::conv

#endif // QFORGE_CONVERSION_QFCOMMON_DECODEEMITTER_H
