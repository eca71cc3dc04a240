//===- QFToVectorTest.cpp - Execute the generated CPU kernels -------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every kernel of tools/qforge-bench/kernels (TestKernels.inc) was compiled
// by quant-opt --qf-cpu-pipeline + llc. Dequantization kernels must decode
// bit-exactly like qforge::num::dequantize; fused GEMV/GEMM kernels must
// match an f64 reference within 1e-5 of sum |x * w| (dot-precision=i8: with
// the activations quantized by qforge::num::quantizeActivationsInt8).
//
//===----------------------------------------------------------------------===//

#include "SameBits.h"
#include "qforge/Numerics/Activations.h"
#include "qforge/Numerics/Format.h"
#include "qforge/Numerics/MiniFloat.h"
#include "qforge/Numerics/Quantizer.h"
#include "qforge/Numerics/Random.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

using namespace qforge::num;

namespace {

/// dequant / gemv produce f32; the _f16 / _bf16 kinds take (gemv) and
/// produce 16-bit floats.
enum class Kind {
  dequant,
  gemv,
  dequant_f16,
  dequant_bf16,
  gemv_f16,
  gemv_bf16
};

bool isGemv(Kind k) {
  return k == Kind::gemv || k == Kind::gemv_f16 || k == Kind::gemv_bf16;
}

/// 0 for f32, 1 for f16, 2 for bf16.
int narrowType(Kind k) {
  if (k == Kind::dequant_f16 || k == Kind::gemv_f16)
    return 1;
  if (k == Kind::dequant_bf16 || k == Kind::gemv_bf16)
    return 2;
  return 0;
}

uint16_t toNarrow(int type, float v) {
  return type == 1 ? floatToHalf(v) : floatToBF16(v);
}

float fromNarrow(int type, uint16_t v) {
  return type == 1 ? halfToFloat(v) : bf16ToFloat(v);
}

#define QFORGE_CPU_KERNEL(NAME, FMT, KIND, R, C, M, T)                         \
  extern "C" void _mlir_ciface_##NAME();
#include "TestKernels.inc"
#undef QFORGE_CPU_KERNEL

struct KernelInfo {
  const char *name;
  const char *format;
  Kind kind;
  int64_t rows, cols, m;
  const char *target; ///< qf-cpu-pipeline target it was compiled for
  void (*fn)();
};

/// Readable test parameters in gtest output (instead of raw bytes).
[[maybe_unused]] void PrintTo(const KernelInfo &k, std::ostream *os) {
  *os << k.name << " (" << k.format << ", " << k.rows << "x" << k.cols
      << ", target " << k.target << ")";
}

const KernelInfo kKernels[] = {
#define QFORGE_CPU_KERNEL(NAME, FMT, KIND, R, C, M, T)                         \
  {#NAME, FMT, Kind::KIND, R, C, M, T, &_mlir_ciface_##NAME},
#include "TestKernels.inc"
#undef QFORGE_CPU_KERNEL
};

/// A ranked memref descriptor as the C interface passes it.
template <int N> struct MemRef {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizes[N] = {};
  int64_t strides[N] = {};
};

template <int N>
MemRef<N> describe(void *data, std::initializer_list<int64_t> shape) {
  MemRef<N> d;
  d.allocated = d.aligned = data;
  int i = 0;
  for (int64_t s : shape)
    d.sizes[i++] = s;
  int64_t stride = 1;
  for (int k = N - 1; k >= 0; --k) {
    d.strides[k] = stride;
    stride *= d.sizes[k];
  }
  return d;
}

/// Calls a C-interface kernel whose arguments are all descriptor pointers.
void callKernel(void (*fn)(), std::vector<void *> a) {
  using P = void *;
  switch (a.size()) {
  case 3:
    return reinterpret_cast<void (*)(P, P, P)>(fn)(a[0], a[1], a[2]);
  case 4:
    return reinterpret_cast<void (*)(P, P, P, P)>(fn)(a[0], a[1], a[2], a[3]);
  case 5:
    return reinterpret_cast<void (*)(P, P, P, P, P)>(fn)(a[0], a[1], a[2], a[3],
                                                         a[4]);
  case 6:
    return reinterpret_cast<void (*)(P, P, P, P, P, P)>(fn)(a[0], a[1], a[2],
                                                            a[3], a[4], a[5]);
  case 7:
    return reinterpret_cast<void (*)(P, P, P, P, P, P, P)>(fn)(
        a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  default:
    FAIL() << "unexpected kernel arity " << a.size();
  }
}

/// Runs a kernel on `q` (and activations `x` for GEMV) into `out` (f32, or
/// 16-bit elements for the narrow kinds).
void run(const KernelInfo &k, QuantizedTensor &q, void *x, void *out) {
  MemRef<2> result;
  std::vector<MemRef<1>> secs;
  secs.reserve(kNumSections);
  for (unsigned s = 0; s < kNumSections; ++s) {
    auto &bytes = q.sections[s];
    if (!bytes.empty())
      secs.push_back(describe<1>(bytes.data(), {int64_t(bytes.size())}));
  }
  std::vector<void *> args = {&result};
  MemRef<2> xd, od;
  if (isGemv(k.kind)) {
    xd = describe<2>(x, {k.m, k.cols});
    args.push_back(&xd);
  }
  for (auto &d : secs)
    args.push_back(&d);
  if (isGemv(k.kind))
    od = describe<2>(out, {k.m, k.rows});
  else
    od = describe<2>(out, {k.rows, k.cols});
  args.push_back(&od);
  callKernel(k.fn, args);
}

/// Test weights: normal values, or edge cases (a zero block, large and tiny
/// magnitudes, a few outliers).
std::vector<float> weights(const KernelInfo &k, bool edge, uint64_t seed) {
  int64_t n = k.rows * k.cols;
  std::vector<float> w = normalSamples(n, seed);
  if (!edge)
    return w;
  for (int64_t i = 0; i < std::min<int64_t>(n, 32); ++i)
    w[i] = 0.0f; // zero block
  for (int64_t i = 0; i < k.cols && k.rows > 1; ++i)
    w[k.cols + i] *= 1000.0f; // a row of large values
  if (k.rows > 2)
    for (int64_t i = 0; i < k.cols; ++i)
      w[2 * k.cols + i] *= 1e-3f; // a row of tiny values
  w[n - 1] = 300.0f;              // outlier
  w[n / 2] = -250.0f;
  return w;
}

/// out [m, rows] against the f64 dot products of x [m, cols] and the
/// dequantized weight ref [rows, cols]: |out - dot| <= tol * sum |x w|.
void checkGemv(const KernelInfo &k, const std::vector<float> &x,
               const std::vector<float> &ref, const std::vector<float> &out,
               double tol) {
  for (int64_t m = 0; m < k.m; ++m)
    for (int64_t n = 0; n < k.rows; ++n) {
      double dot = 0, mag = 0;
      for (int64_t c = 0; c < k.cols; ++c) {
        double p = double(x[m * k.cols + c]) * double(ref[n * k.cols + c]);
        dot += p;
        mag += std::fabs(p);
      }
      EXPECT_LE(std::fabs(out[m * k.rows + n] - dot), tol * mag + 1e-30)
          << "m=" << m << " n=" << n << " got " << out[m * k.rows + n]
          << " ref " << dot;
    }
}

/// x [m, cols] as dot-precision=i8 kernels see it: each row quantized by
/// quantizeActivationsInt8 and multiplied back (exact in f32).
std::vector<float> quantizedActivations(const KernelInfo &k,
                                        const std::vector<float> &x) {
  std::vector<float> out(x.size());
  std::vector<int8_t> q(k.cols);
  std::vector<float> s((k.cols + kInt8ActivationBlock - 1) /
                       kInt8ActivationBlock);
  for (int64_t m = 0; m < k.m; ++m) {
    quantizeActivationsInt8(x.data() + m * k.cols, k.cols, q.data(), s.data());
    for (int64_t c = 0; c < k.cols; ++c)
      out[m * k.cols + c] = s[c / kInt8ActivationBlock] * float(q[c]);
  }
  return out;
}

/// The weights as dot-precision=i8 kernels multiply them: `ref` itself,
/// except for formats with a wide Int8CodeMap (tables whose values are not
/// small integers, e.g. nf4), whose table values w(c) are rounded to
/// multiples of the map's unit: q dequantized with that table inline.
std::vector<float> i8Weights(const QuantizedTensor &q,
                             const std::vector<float> &ref) {
  const FormatSpec &f = q.format;
  if (f.kind != ElementKind::Lut || f.layout != Layout::Plain)
    return ref;
  std::vector<float> table;
  for (double v : f.tableValues())
    table.push_back(static_cast<float>(v));
  std::optional<Int8CodeMap> cm = int8CodeMap(table, table.size() <= 16);
  EXPECT_TRUE(cm.has_value()) << "no int8 code map";
  if (!cm || !cm->wide)
    return ref;
  QuantizedTensor r = q;
  r.format.table = TableKind::Inline;
  r.format.inlineTable.clear();
  for (size_t c = 0; c < table.size(); ++c)
    r.format.inlineTable.push_back(cm->value(c));
  std::vector<float> out(ref.size());
  Status st = dequantize(r, out.data(), 1);
  EXPECT_TRUE(st) << st.message();
  return out;
}

/// The i8 result against the exact activations and weights: every
/// activation is within half a block scale (max |x| of its block / 254) of
/// its quantized value, and the kernel multiplies the weights `refW`.
void checkI8AgainstExact(const KernelInfo &k, const std::vector<float> &x,
                         const std::vector<float> &ref,
                         const std::vector<float> &refW,
                         const std::vector<float> &out, double tol) {
  for (int64_t m = 0; m < k.m; ++m)
    for (int64_t n = 0; n < k.rows; ++n) {
      double dot = 0, bound = 0, mag = 0;
      for (int64_t c = 0; c < k.cols; ++c) {
        double w = refW[n * k.cols + c];
        // The weights' rounding (wide code maps).
        bound += std::fabs(double(x[m * k.cols + c])) *
                 std::fabs(w - double(ref[n * k.cols + c]));
        int64_t b0 = c / kInt8ActivationBlock * kInt8ActivationBlock;
        double mx = 0;
        for (int64_t i = b0; i < std::min(k.cols, b0 + kInt8ActivationBlock);
             ++i)
          mx = std::max(mx, std::fabs(double(x[m * k.cols + i])));
        dot += double(x[m * k.cols + c]) * double(ref[n * k.cols + c]);
        bound += std::fabs(w) * mx / 254;
        mag += std::fabs(double(x[m * k.cols + c]) * w);
      }
      EXPECT_LE(std::fabs(out[m * k.rows + n] - dot), bound + tol * mag)
          << "m=" << m << " n=" << n;
    }
}

/// i8 kernels: a block of zero activations, and a non-finite activation
/// (its row of outputs is NaN, the other rows unaffected).
void checkI8Special(const KernelInfo &k, QuantizedTensor &q,
                    const std::vector<float> &x0,
                    const std::vector<float> &ref) {
  std::vector<float> x(x0);
  for (int64_t c = 0; c < kInt8ActivationBlock; ++c)
    x[c] = 0.0f;
  std::vector<float> out(k.m * k.rows, -7.0f);
  run(k, q, x.data(), out.data());
  checkGemv(k, quantizedActivations(k, x), ref, out, 1e-5);
  for (float bad : {std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN()}) {
    SCOPED_TRACE(std::isnan(bad) ? "NaN activation" : "infinite activation");
    std::vector<float> xb(x0);
    xb[k.cols / 2] = bad; // row m = 0
    run(k, q, xb.data(), out.data());
    for (int64_t n = 0; n < k.rows; ++n)
      EXPECT_TRUE(std::isnan(out[n])) << "n=" << n << " got " << out[n];
    if (k.m > 1) {
      std::vector<float> rest(out.begin() + k.rows, out.end());
      KernelInfo tail = k;
      tail.m = k.m - 1;
      checkGemv(tail,
                quantizedActivations(
                    tail, std::vector<float>(x0.begin() + k.cols, x0.end())),
                ref, rest, 1e-5);
    }
  }
}

class CPUKernel : public ::testing::TestWithParam<KernelInfo> {};

TEST_P(CPUKernel, MatchesReference) {
  const KernelInfo &k = GetParam();
#if defined(__x86_64__)
  if (std::string(k.target) == "avx2" && !__builtin_cpu_supports("avx2"))
    GTEST_SKIP() << "kernel compiled for AVX2, CPU without AVX2";
  if (std::string(k.target) == "avx512bf16" &&
      !__builtin_cpu_supports("avx512bf16"))
    GTEST_SKIP() << "kernel compiled for AVX512_BF16, CPU without it";
  if (std::string(k.target) == "avx512vnni" &&
      !(__builtin_cpu_supports("avx512vnni") &&
        __builtin_cpu_supports("avx512bw")))
    GTEST_SKIP() << "kernel compiled for AVX512_VNNI, CPU without it";
#endif
  // dot-precision=bf16x2: activations carried to 16 significant bits
  // (hi + lo halves), at most 2^-16 relative error per product, plus the
  // f32 accumulation.
  bool bf16x2 = std::string(k.target) == "avx512bf16";
  // dot-precision=i8: the reference multiplies the weights by the
  // activations as the kernel quantized them (int8 blocks of 32).
  bool i8 = std::string(k.target) == "avx512vnni";
  FormatSpec f;
  ASSERT_TRUE(FormatSpec::parse(k.format, f)) << k.format;
  std::vector<int64_t> shape = {k.rows, k.cols};
  // Three weight sets: normal, edge cases, and random code bytes (every
  // code pattern, including NaN/-0 minifloat codes).
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::vector<float> w = weights(k, variant == 1, 11 + variant);
    QuantizedTensor q;
    QuantizeOptions opts;
    opts.threads = 1;
    Status st = quantize(w.data(), shape, f, opts, q);
    ASSERT_TRUE(st) << st.message();
    if (variant == 2) {
      Rng rng(99);
      for (uint8_t &b : q.section(Section::Codes))
        b = static_cast<uint8_t>(rng.next());
    }
    std::vector<float> ref(k.rows * k.cols);
    ASSERT_TRUE(dequantize(q, ref.data(), 1));
    int narrow = narrowType(k.kind);
    if (!isGemv(k.kind) && narrow) {
      // 16-bit outputs: the f32 reference rounded to nearest even; an
      // aligned and a misaligned buffer as for f32 below.
      std::vector<uint16_t> buf(ref.size() + 64, 0x7bff);
      uint16_t *aligned = reinterpret_cast<uint16_t *>(
          (reinterpret_cast<uintptr_t>(buf.data()) + 63) & ~uintptr_t(63));
      for (uint16_t *out : {aligned, aligned + 1}) {
        SCOPED_TRACE(out == aligned ? "aligned output" : "misaligned output");
        std::fill_n(out, ref.size(), uint16_t(0x7bff));
        run(k, q, nullptr, out);
        int64_t bad = 0;
        for (size_t i = 0; i < ref.size(); ++i) {
          uint16_t want = toNarrow(narrow, ref[i]);
          bool same =
              out[i] == want ||
              (std::isnan(ref[i]) && std::isnan(fromNarrow(narrow, out[i])));
          if (!same && bad++ < 5)
            ADD_FAILURE() << "element " << i << ": got 0x" << std::hex << out[i]
                          << ", reference 0x" << want << std::dec << " ("
                          << ref[i] << ")";
        }
        EXPECT_EQ(bad, 0);
      }
      continue;
    }
    if (k.kind == Kind::dequant) {
      // Once into a 64-byte aligned buffer and once 4 bytes past it: the
      // streaming stores of large results (qf-nontemporal-stores) are
      // taken only at aligned addresses, ordinary stores otherwise.
      std::vector<float> buf(ref.size() + 32, -7.0f);
      float *aligned = reinterpret_cast<float *>(
          (reinterpret_cast<uintptr_t>(buf.data()) + 63) & ~uintptr_t(63));
      for (float *out : {aligned, aligned + 1}) {
        SCOPED_TRACE(out == aligned ? "aligned output" : "misaligned output");
        std::fill_n(out, ref.size(), -7.0f);
        run(k, q, nullptr, out);
        int64_t bad = 0;
        for (size_t i = 0; i < ref.size(); ++i)
          if (!qforge::test::sameBits(out[i], ref[i]) && bad++ < 5)
            ADD_FAILURE() << "element " << i << ": got " << out[i]
                          << ", reference " << ref[i];
        EXPECT_EQ(bad, 0);
      }
      continue;
    }
    if (variant == 2)
      continue; // random bytes may decode to NaN/inf: no dot product check
    std::vector<float> x = normalSamples(k.m * k.cols, 5 + variant);
    std::vector<float> out(k.m * k.rows, -7.0f);
    // 16-bit activations and outputs: the reference uses the rounded
    // activations; the tolerance covers the final rounding (f32
    // accumulation inside).
    double tol = narrow == 0   ? (bf16x2 ? std::ldexp(1.0, -16) + 1e-6 : 1e-5)
                 : narrow == 1 ? 1e-3
                               : 8e-3;
    if (narrow) {
      std::vector<uint16_t> xn(x.size()), on(out.size(), 0);
      for (size_t i = 0; i < x.size(); ++i) {
        xn[i] = toNarrow(narrow, x[i]);
        x[i] = fromNarrow(narrow, xn[i]);
      }
      run(k, q, xn.data(), on.data());
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = fromNarrow(narrow, on[i]);
    } else {
      run(k, q, x.data(), out.data());
    }
    if (i8) {
      std::vector<float> xq = quantizedActivations(k, x);
      std::vector<float> refW = i8Weights(q, ref);
      checkGemv(k, xq, refW, out, tol);
      // And within a few activation scales (and the weights' rounding) of
      // the exact product.
      checkI8AgainstExact(k, x, ref, refW, out, tol);
      if (!narrow && variant == 0)
        checkI8Special(k, q, x, refW);
      continue;
    }
    checkGemv(k, x, ref, out, tol);
    if (bf16x2 && !narrow && variant == 0) {
      // Activations of 2^-120 (their low bf16 halves would be subnormal,
      // which vdpbf16ps flushes) and of 2^100: the rows are rescaled by an
      // exact power of two. Compared in units of the scale.
      for (int e : {-120, 100}) {
        SCOPED_TRACE("activations scaled by 2^" + std::to_string(e));
        std::vector<float> xs(x);
        for (float &v : xs)
          v = std::ldexp(v, e);
        run(k, q, xs.data(), out.data());
        for (float &v : out)
          v = std::ldexp(v, -e);
        checkGemv(k, x, ref, out, tol);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Generated, CPUKernel, ::testing::ValuesIn(kKernels),
                         [](const ::testing::TestParamInfo<KernelInfo> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
