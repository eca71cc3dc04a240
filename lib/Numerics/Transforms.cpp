//===- Transforms.cpp - FFT, DCT and Walsh-Hadamard transforms ------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Transforms.h"

#include <cmath>

using namespace qforge::num;
using cd = std::complex<double>;

static const double kPi = 3.14159265358979323846;

static bool isPow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

//===----------------------------------------------------------------------===//
// FFT
//===----------------------------------------------------------------------===//

FFTPlan::~FFTPlan() = default;
FFTPlan::FFTPlan(FFTPlan &&) noexcept = default;
FFTPlan &FFTPlan::operator=(FFTPlan &&) noexcept = default;

FFTPlan::FFTPlan(int64_t len) : n(std::max<int64_t>(len, 1)) {
  pow2 = isPow2(n);
  if (pow2) {
    twiddle.resize(n / 2);
    for (int64_t k = 0; k < n / 2; ++k) {
      double a = -2.0 * kPi * double(k) / double(n);
      twiddle[k] = cd(std::cos(a), std::sin(a));
    }
    int logn = 0;
    while ((int64_t(1) << logn) < n)
      ++logn;
    bitrev.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      uint32_t r = 0;
      for (int b = 0; b < logn; ++b)
        if (i & (int64_t(1) << b))
          r |= uint32_t(1) << (logn - 1 - b);
      bitrev[i] = r;
    }
    return;
  }
  // Bluestein: X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), c_k = e^{-pi i k^2/n}.
  int64_t m = 1;
  while (m < 2 * n - 1)
    m *= 2;
  inner = std::make_unique<FFTPlan>(m);
  chirp.resize(n);
  for (int64_t k = 0; k < n; ++k) {
    // k^2 mod 2n keeps the angle small and exact for large k.
    int64_t k2 = (k * k) % (2 * n);
    double a = -kPi * double(k2) / double(n);
    chirp[k] = cd(std::cos(a), std::sin(a));
  }
  kernel.assign(m, cd(0, 0));
  kernel[0] = std::conj(chirp[0]);
  for (int64_t k = 1; k < n; ++k)
    kernel[k] = kernel[m - k] = std::conj(chirp[k]);
  inner->forward(kernel.data());
}

void FFTPlan::radix2(cd *a, bool inv) const {
  for (int64_t i = 0; i < n; ++i)
    if (i < int64_t(bitrev[i]))
      std::swap(a[i], a[bitrev[i]]);
  for (int64_t len = 2; len <= n; len *= 2) {
    int64_t half = len / 2, step = n / len;
    for (int64_t i = 0; i < n; i += len) {
      for (int64_t j = 0; j < half; ++j) {
        cd w = twiddle[j * step];
        if (inv)
          w = std::conj(w);
        cd u = a[i + j], v = a[i + j + half] * w;
        a[i + j] = u + v;
        a[i + j + half] = u - v;
      }
    }
  }
}

void FFTPlan::bluestein(cd *a, bool inv) const {
  int64_t m = inner->size();
  std::vector<cd> buf(m, cd(0, 0));
  // The inverse is the conjugate of the forward transform of the conjugate.
  for (int64_t k = 0; k < n; ++k)
    buf[k] = (inv ? std::conj(a[k]) : a[k]) * chirp[k];
  inner->forward(buf.data());
  for (int64_t k = 0; k < m; ++k)
    buf[k] *= kernel[k];
  inner->inverse(buf.data());
  double scale = 1.0 / double(m);
  for (int64_t k = 0; k < n; ++k) {
    cd v = buf[k] * chirp[k] * scale;
    a[k] = inv ? std::conj(v) : v;
  }
}

void FFTPlan::forward(cd *data) const {
  if (n == 1)
    return;
  pow2 ? radix2(data, false) : bluestein(data, false);
}

void FFTPlan::inverse(cd *data) const {
  if (n == 1)
    return;
  pow2 ? radix2(data, true) : bluestein(data, true);
}

void qforge::num::naiveDFT(const cd *in, cd *out, int64_t n, bool inv) {
  for (int64_t k = 0; k < n; ++k) {
    cd s(0, 0);
    for (int64_t j = 0; j < n; ++j) {
      double a = (inv ? 2.0 : -2.0) * kPi * double((j * k) % n) / double(n);
      s += in[j] * cd(std::cos(a), std::sin(a));
    }
    out[k] = s;
  }
}

//===----------------------------------------------------------------------===//
// DCT
//===----------------------------------------------------------------------===//

DCTPlan::DCTPlan(int64_t len) : n(std::max<int64_t>(len, 1)), fft(n) {
  rot.resize(n);
  for (int64_t k = 0; k < n; ++k) {
    double a = -kPi * double(k) / (2.0 * double(n));
    rot[k] = cd(std::cos(a), std::sin(a));
  }
}

/// Per-thread complex scratch (the plans are shared between threads).
static std::vector<cd> &complexScratch(int64_t n) {
  static thread_local std::vector<cd> buf;
  if (static_cast<int64_t>(buf.size()) < n)
    buf.resize(n);
  return buf;
}

void DCTPlan::forward(const double *in, double *out) const {
  // v = (x0, x2, x4, ..., x5, x3, x1); X_k = Re(e^{-i pi k/2n} FFT(v)_k).
  cd *v = complexScratch(n).data();
  for (int64_t i = 0; i < n; ++i) {
    int64_t pos = (i % 2 == 0) ? i / 2 : n - 1 - (i - 1) / 2;
    v[pos] = cd(in[i], 0);
  }
  fft.forward(v);
  double s0 = std::sqrt(1.0 / double(n)), s1 = std::sqrt(2.0 / double(n));
  for (int64_t k = 0; k < n; ++k)
    out[k] = (v[k] * rot[k]).real() * (k == 0 ? s0 : s1);
}

void DCTPlan::inverse(const double *in, double *out) const {
  // Unnormalised coefficients X, then V_k = e^{i pi k/2n} (X_k - i X_{n-k}).
  double s0 = std::sqrt(double(n)), s1 = std::sqrt(double(n) / 2.0);
  cd *v = complexScratch(n).data();
  for (int64_t k = 0; k < n; ++k) {
    double xk = in[k] * (k == 0 ? s0 : s1);
    double xnk = k == 0 ? 0.0 : in[n - k] * s1;
    v[k] = std::conj(rot[k]) * cd(xk, -xnk);
  }
  fft.inverse(v);
  double scale = 1.0 / double(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t pos = (i % 2 == 0) ? i / 2 : n - 1 - (i - 1) / 2;
    out[i] = v[pos].real() * scale;
  }
}

void qforge::num::naiveDCT(const double *in, double *out, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i)
      s += in[i] * std::cos(kPi * double((2 * i + 1) * k) / (2.0 * double(n)));
    out[k] =
        s * (k == 0 ? std::sqrt(1.0 / double(n)) : std::sqrt(2.0 / double(n)));
  }
}

void qforge::num::naiveIDCT(const double *in, double *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double s = in[0] * std::sqrt(1.0 / double(n));
    for (int64_t k = 1; k < n; ++k)
      s += in[k] * std::sqrt(2.0 / double(n)) *
           std::cos(kPi * double((2 * i + 1) * k) / (2.0 * double(n)));
    out[i] = s;
  }
}

//===----------------------------------------------------------------------===//
// Walsh-Hadamard and the randomised transforms
//===----------------------------------------------------------------------===//

void qforge::num::fwht(double *x, int64_t n) {
  for (int64_t len = 1; len < n; len *= 2)
    for (int64_t i = 0; i < n; i += 2 * len)
      for (int64_t j = i; j < i + len; ++j) {
        double a = x[j], b = x[j + len];
        x[j] = a + b;
        x[j + len] = a - b;
      }
}

std::vector<double> qforge::num::randomSigns(int64_t n, uint64_t seed) {
  std::vector<double> e(n);
  uint64_t state = seed ^ 0x6a09e667f3bcc909ULL;
  uint64_t bits = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 64 == 0) {
      // splitmix64 step
      uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      bits = z ^ (z >> 31);
    }
    e[i] = ((bits >> (i % 64)) & 1) ? -1.0 : 1.0;
  }
  return e;
}

RandomizedTransform::RandomizedTransform(int64_t len, KashinTransform k,
                                         uint64_t seed)
    : n(len), kind(k), eps(randomSigns(len, seed)) {
  if (kind == KashinTransform::Hadamard)
    valid = isPow2(n);
  else
    dct = std::make_unique<DCTPlan>(n);
}

void RandomizedTransform::apply(const double *in, double *out) const {
  if (kind == KashinTransform::DCT) {
    std::vector<double> tmp(n); // local: apply() is thread-safe
    dct->forward(in, tmp.data());
    for (int64_t i = 0; i < n; ++i)
      tmp[i] *= eps[i];
    dct->inverse(tmp.data(), out);
    return;
  }
  double s = 1.0 / std::sqrt(double(n));
  for (int64_t i = 0; i < n; ++i)
    out[i] = in[i] * eps[i];
  fwht(out, n);
  for (int64_t i = 0; i < n; ++i)
    out[i] *= s;
}

void RandomizedTransform::applyT(const double *in, double *out) const {
  if (kind == KashinTransform::DCT) {
    apply(in, out); // symmetric
    return;
  }
  double s = 1.0 / std::sqrt(double(n));
  if (out != in)
    for (int64_t i = 0; i < n; ++i)
      out[i] = in[i];
  fwht(out, n);
  for (int64_t i = 0; i < n; ++i)
    out[i] *= s * eps[i];
}
