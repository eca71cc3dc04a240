//===- Kashin.cpp - Kashin (overdetermined basis) quantization ------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Numerics/Kashin.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

using namespace qforge::num;

namespace {
inline double sgn(double a) { return a > 0 ? 1.0 : (a < 0 ? -1.0 : 0.0); }

/// Rounds to f32, saturating to +-FLT_MAX instead of overflowing to +-inf
/// (identical to static_cast<float> inside the f32 range; NaN stays NaN).
inline float toF32Saturated(double a) {
  const double m = std::numeric_limits<float>::max();
  return static_cast<float>(a > m ? m : (a < -m ? -m : a));
}

double norm2(const std::vector<double> &a) {
  double s = 0;
  for (double v : a)
    s += v * v;
  return std::sqrt(s);
}
double norm1(const std::vector<double> &a) {
  double s = 0;
  for (double v : a)
    s += std::fabs(v);
  return s;
}

/// The greedy loop over any orthogonal transform T (apply / adjoint).
Status greedy(const double *x, int64_t N,
              const std::function<void(const double *, double *)> &T,
              const std::function<void(const double *, double *)> &Tt,
              const KashinOptions &opts, KashinDecomposition &out) {
  out = KashinDecomposition();
  out.u.assign(N, 0.0);
  out.v.assign(N, 0.0);
  std::vector<double> r(x, x + N), pr(N), back(N), step(N);
  double nx = norm2(r);
  double nr = nx;
  int it = 0;
  for (; it < opts.maxIterations; ++it) {
    if (nr <= opts.tol * nx || nr == 0)
      break;
    T(r.data(), pr.data());
    double l1r = norm1(r), l1p = norm1(pr);
    if (l1r >= l1p) {
      double c = l1r / double(N);
      for (int64_t i = 0; i < N; ++i) {
        double s = c * sgn(r[i]);
        out.u[i] += s;
        r[i] -= s;
      }
      out.uSteps.push_back(c);
    } else {
      double c = l1p / double(N);
      for (int64_t i = 0; i < N; ++i) {
        step[i] = c * sgn(pr[i]);
        out.v[i] += step[i];
      }
      Tt(step.data(), back.data());
      for (int64_t i = 0; i < N; ++i)
        r[i] -= back[i];
      out.vSteps.push_back(c);
    }
    nr = norm2(r);
    out.residuals.push_back(nx > 0 ? nr / nx : 0.0);
  }
  out.iterations = it;
  out.converged = nr <= opts.tol * nx || nr == 0;
  if (!out.converged) {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "Kashin decomposition did not converge: residual %.3g of "
                  "the norm after %d steps (tolerance %.3g)",
                  nx > 0 ? nr / nx : 0.0, it, opts.tol);
    return Status::error(buf);
  }
  return Status::success();
}
} // namespace

Status qforge::num::kashinDecompose(const double *x,
                                    const RandomizedTransform &P,
                                    const KashinOptions &opts,
                                    KashinDecomposition &out) {
  if (!P.ok())
    return Status::error("Kashin: invalid transform (Hadamard needs a "
                         "power-of-two length)");
  return greedy(
      x, P.size(), [&](const double *a, double *b) { P.apply(a, b); },
      [&](const double *a, double *b) { P.applyT(a, b); }, opts, out);
}

Status qforge::num::kashinDecomposeMatrix(const double *X, int64_t rows,
                                          int64_t cols,
                                          const RandomizedTransform &Pr,
                                          const RandomizedTransform &Pc,
                                          const KashinOptions &opts,
                                          KashinDecomposition &out) {
  if (!Pr.ok() || !Pc.ok() || Pr.size() != rows || Pc.size() != cols)
    return Status::error("Kashin: transforms do not match the matrix shape");
  // With row r_i of R, (R Pc^T)_i = Pc r_i: the forward pass applies Pc to
  // every row and Pr to every column; the adjoint Pr^T V Pc applies Pc^T to
  // the rows and Pr^T to the columns.
  auto forward = [&](const double *a, double *b) {
    for (int64_t i = 0; i < rows; ++i)
      Pc.apply(a + i * cols, b + i * cols);
    std::vector<double> col(rows), colOut(rows);
    for (int64_t j = 0; j < cols; ++j) {
      for (int64_t i = 0; i < rows; ++i)
        col[i] = b[i * cols + j];
      Pr.apply(col.data(), colOut.data());
      for (int64_t i = 0; i < rows; ++i)
        b[i * cols + j] = colOut[i];
    }
  };
  auto adjoint = [&](const double *a, double *b) {
    for (int64_t i = 0; i < rows; ++i)
      Pc.applyT(a + i * cols, b + i * cols);
    std::vector<double> col(rows), colOut(rows);
    for (int64_t j = 0; j < cols; ++j) {
      for (int64_t i = 0; i < rows; ++i)
        col[i] = b[i * cols + j];
      Pr.applyT(col.data(), colOut.data());
      for (int64_t i = 0; i < rows; ++i)
        b[i * cols + j] = colOut[i];
    }
  };
  return greedy(X, rows * cols, forward, adjoint, opts, out);
}

//===----------------------------------------------------------------------===//
// Factor quantization
//===----------------------------------------------------------------------===//

std::vector<double>
qforge::num::kashinInitialCentroids(const std::vector<double> &steps,
                                    unsigned bits) {
  std::vector<double> c(bits);
  for (unsigned k = 0; k < bits; ++k) {
    if (k < steps.size())
      c[k] = steps[k];
    else if (k == 0)
      c[k] = 0.0; // the factor was never used: it is all zeros
    else if (k >= 2 && c[k - 2] > 0)
      c[k] = c[k - 1] * (c[k - 1] / c[k - 2]);
    else
      c[k] = c[k - 1] * 0.5;
  }
  std::vector<double> out(size_t(1) << bits);
  for (size_t m = 0; m < out.size(); ++m) {
    double v = 0;
    for (unsigned k = 0; k < bits; ++k)
      v += ((m >> (bits - 1 - k)) & 1) ? c[k] : -c[k];
    out[m] = v;
  }
  std::sort(out.begin(), out.end());
  return out;
}

static uint32_t nearest1D(const std::vector<double> &c, double x) {
  size_t i = std::upper_bound(c.begin(), c.end(), x) - c.begin();
  if (i == 0)
    return 0;
  if (i == c.size())
    return static_cast<uint32_t>(c.size() - 1);
  return static_cast<uint32_t>((x - c[i - 1] <= c[i] - x) ? i - 1 : i);
}

void qforge::num::kmeans1D(const double *f, int64_t n, std::vector<double> &c,
                           int iters, uint32_t *codes) {
  size_t k = c.size();
  std::vector<double> sum(k);
  std::vector<int64_t> cnt(k);
  for (int it = 0; it < iters; ++it) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(cnt.begin(), cnt.end(), 0);
    for (int64_t i = 0; i < n; ++i) {
      uint32_t a = nearest1D(c, f[i]);
      sum[a] += f[i];
      ++cnt[a];
    }
    bool moved = false;
    for (size_t j = 0; j < k; ++j)
      if (cnt[j]) {
        double m = sum[j] / double(cnt[j]);
        moved |= m != c[j];
        c[j] = m;
      }
    std::sort(c.begin(), c.end());
    if (!moved)
      break;
  }
  for (double &v : c)
    v = toF32Saturated(v);
  for (int64_t i = 0; i < n; ++i)
    codes[i] = nearest1D(c, f[i]);
}

void qforge::num::kmeans2D(const double *u, const double *v, int64_t n,
                           std::vector<double> &cu, std::vector<double> &cv,
                           int iters, uint32_t *codes) {
  size_t k = cu.size();
  auto assign = [&](int64_t i) {
    uint32_t best = 0;
    double bd = std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < k; ++j) {
      double a = u[i] - cu[j], b = v[i] - cv[j];
      double dd = a * a + b * b;
      if (dd < bd) {
        bd = dd;
        best = static_cast<uint32_t>(j);
      }
    }
    return best;
  };
  std::vector<double> su(k), sv(k);
  std::vector<int64_t> cnt(k);
  for (int it = 0; it < iters; ++it) {
    std::fill(su.begin(), su.end(), 0.0);
    std::fill(sv.begin(), sv.end(), 0.0);
    std::fill(cnt.begin(), cnt.end(), 0);
    for (int64_t i = 0; i < n; ++i) {
      uint32_t a = assign(i);
      su[a] += u[i];
      sv[a] += v[i];
      ++cnt[a];
    }
    bool moved = false;
    for (size_t j = 0; j < k; ++j)
      if (cnt[j]) {
        double mu = su[j] / double(cnt[j]), mv = sv[j] / double(cnt[j]);
        moved |= mu != cu[j] || mv != cv[j];
        cu[j] = mu;
        cv[j] = mv;
      }
    if (!moved)
      break;
  }
  for (size_t j = 0; j < k; ++j) {
    cu[j] = toF32Saturated(cu[j]);
    cv[j] = toF32Saturated(cv[j]);
  }
  for (int64_t i = 0; i < n; ++i)
    codes[i] = assign(i);
}

Status qforge::num::kashinQuantizeVector(const double *x,
                                         const RandomizedTransform &P,
                                         unsigned bu, unsigned bv, bool joint,
                                         const KashinOptions &opts,
                                         KashinCode &out) {
  out = KashinCode();
  KashinDecomposition dec;
  Status st = kashinDecompose(x, P, opts, dec);
  out.iterations = dec.iterations;
  if (!st.ok())
    return st;
  int64_t N = P.size();
  if (joint) {
    unsigned b1 = (bu + 1) / 2, b2 = bu - b1;
    std::vector<double> iu = kashinInitialCentroids(dec.uSteps, b1);
    std::vector<double> iv = kashinInitialCentroids(dec.vSteps, b2);
    std::vector<double> cu, cv;
    for (double a : iu)
      for (double b : iv) {
        cu.push_back(a);
        cv.push_back(b);
      }
    out.codesU.resize(N);
    kmeans2D(dec.u.data(), dec.v.data(), N, cu, cv, opts.kmeansIterations,
             out.codesU.data());
    out.cu.assign(cu.begin(), cu.end());
    out.cv.assign(cv.begin(), cv.end());
    return Status::success();
  }
  std::vector<double> cu = kashinInitialCentroids(dec.uSteps, bu);
  std::vector<double> cv = kashinInitialCentroids(dec.vSteps, bv);
  out.codesU.resize(N);
  out.codesV.resize(N);
  kmeans1D(dec.u.data(), N, cu, opts.kmeansIterations, out.codesU.data());
  kmeans1D(dec.v.data(), N, cv, opts.kmeansIterations, out.codesV.data());
  out.cu.assign(cu.begin(), cu.end());
  out.cv.assign(cv.begin(), cv.end());
  return Status::success();
}

void qforge::num::kashinReconstruct(const KashinCode &c,
                                    const RandomizedTransform &P, bool joint,
                                    double *out) {
  int64_t N = P.size();
  std::vector<double> v(N);
  for (int64_t i = 0; i < N; ++i) {
    uint32_t a = c.codesU[i];
    uint32_t b = joint ? a : c.codesV[i];
    out[i] = c.cu[a];
    v[i] = c.cv[b];
  }
  std::vector<double> back(N);
  P.applyT(v.data(), back.data());
  for (int64_t i = 0; i < N; ++i)
    out[i] += back[i];
}

void qforge::num::kashinReconstruct(const KashinCode &c,
                                    const RandomizedTransform &P, bool joint,
                                    float *out) {
  std::vector<double> xr(P.size());
  kashinReconstruct(c, P, joint, xr.data());
  for (size_t i = 0; i < xr.size(); ++i)
    out[i] = toF32Saturated(xr[i]);
}
