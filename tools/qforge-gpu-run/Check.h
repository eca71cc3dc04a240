//===- Check.h - Comparing GPU results with the CPU reference ---*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The acceptance rules of qforge-gpu-run, kept free of CUDA so that they are
// exercised (`qforge-gpu-run --self-test`) on machines without a GPU:
//
//  * dequantization is bit-exact: every output element must have the bits
//    of the CPU reference (qforge::num::dequantize, f32) rounded to the
//    output type with round-to-nearest-even;
//  * GEMV / GEMM: |y - y_ref| <= tol * sum_k |x_k w_k| + ulp/2 of the output
//    type at |y_ref| (the rounding of the stored result), with y_ref computed
//    in double from the f32 reference weights and the activations as the
//    kernel sees them (rounded to their type). tol = 1e-5 for f32
//    activations and outputs, 1e-3 when either is f16 or bf16.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_TOOLS_QFORGE_GPU_RUN_CHECK_H
#define QFORGE_TOOLS_QFORGE_GPU_RUN_CHECK_H

#include <cstdint>
#include <string>
#include <vector>

namespace qforge::gpurun {

enum class DType { F32, F16, BF16 };

/// Parses "f32" / "f16" / "bf16".
bool parseDType(const std::string &s, DType &out);
const char *dtypeName(DType t);
unsigned dtypeBytes(DType t);

/// Raw bits of `x` rounded to `t` (RNE), in the low bytes.
uint32_t toBits(float x, DType t);
/// The float value of raw bits of type `t`.
float fromBits(uint32_t bits, DType t);
/// Encodes `n` floats as a byte buffer of type `t` (rounding RNE).
std::vector<uint8_t> encode(const float *x, int64_t n, DType t);
/// Decodes a byte buffer of type `t` to floats.
std::vector<float> decode(const std::vector<uint8_t> &bytes, DType t);

struct CheckResult {
  bool ok = true;
  int64_t mismatches = 0;
  int64_t firstBad = -1;
  double worst = 0; ///< largest error relative to the allowed bound
  std::string message;
};

/// Bit-exact comparison of a dequantization result.
CheckResult checkDequant(const float *reference,
                         const std::vector<uint8_t> &got, int64_t n,
                         DType outType);

/// Reference y[m][n] = sum_k x[m][k] * w[n][k] (double) and the bounds
/// sum_k |x w|; `x` already rounded to the activation type.
void referenceGemv(const float *x, const float *w, int64_t m, int64_t n,
                   int64_t k, std::vector<double> &y,
                   std::vector<double> &bound);

/// Tolerance-based comparison of a GEMV / GEMM result.
CheckResult checkGemv(const std::vector<double> &y,
                      const std::vector<double> &bound,
                      const std::vector<uint8_t> &got, DType lhsType,
                      DType outType);

/// Runs the checks above on synthetic data (exact results pass, results
/// one unit in the last place off or beyond tolerance fail). Returns an
/// empty string on success, else what went wrong.
std::string selfTestChecks();

} // namespace qforge::gpurun

#endif // QFORGE_TOOLS_QFORGE_GPU_RUN_CHECK_H
