//===- QForgeModule.cpp - pybind11 bindings of QForge (qforge._qforge) ----===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The native half of the `qforge` package: quantize/dequantize through the
// format library, the ASQ and Kashin solvers, Fisher bit allocation and
// ModCap, the weight-file readers/writers of QForgeIO, and compile(). Every
// error becomes a Python exception (qforge.QForgeError, a ValueError, or
// TypeError for wrong dtypes); the GIL is released around the numerics.
//
//===----------------------------------------------------------------------===//

#include "Compile.h"

#include "qforge/IO/GGUF.h"
#include "qforge/IO/Npy.h"
#include "qforge/IO/SafeTensors.h"
#include "qforge/Numerics/ASQ.h"
#include "qforge/Numerics/Allocation.h"
#include "qforge/Numerics/Kashin.h"
#include "qforge/Numerics/ModCap.h"
#include "qforge/Numerics/Quantizer.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace py = pybind11;
namespace num = qforge::num;
namespace io = qforge::io;

namespace {

/// qforge.QForgeError (a ValueError) and qforge.CompileError; created once
/// at import and kept for the life of the process (never decref'd at exit).
PyObject *gError = nullptr;
PyObject *gCompileError = nullptr;

[[noreturn]] void raise(const std::string &msg) {
  PyErr_SetString(gError, msg.c_str());
  throw py::error_already_set();
}

void check(const num::Status &s, const std::string &context = "") {
  if (!s.ok())
    raise(context.empty() ? s.message() : context + ": " + s.message());
}

num::FormatSpec parseSpec(const std::string &text) {
  num::FormatSpec spec;
  check(num::FormatSpec::parse(text, spec),
        "invalid format spec '" + text + "'");
  check(spec.verify(), "invalid format spec '" + text + "'");
  return spec;
}

std::vector<int64_t> shapeOf(const py::array &a) {
  return std::vector<int64_t>(a.shape(), a.shape() + a.ndim());
}

/// A C-contiguous float32 array for `obj`: the array itself when it already
/// is one (no copy), a converted copy for float16/float64. Raises TypeError
/// for non-float dtypes and ValueError for non-contiguous arrays.
py::array_t<float> floatArray(const py::handle &obj, const char *what) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(what) + " must be a numpy.ndarray, got " +
                         std::string(py::str(obj.get_type().attr("__name__"))));
  py::array a = py::reinterpret_borrow<py::array>(obj);
  char kind = a.dtype().kind();
  if (kind != 'f')
    throw py::type_error(std::string(what) +
                         " must have a floating-point dtype (float16, "
                         "float32, float64), got " +
                         std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(what) + " is not C-contiguous; pass "
                                              "numpy.ascontiguousarray(x)");
  if (a.dtype().is(py::dtype::of<float>()) && a.dtype().byteorder() != '>')
    return py::reinterpret_borrow<py::array_t<float>>(a);
  if (a.dtype().byteorder() == '>')
    throw py::type_error(std::string(what) +
                         " is big-endian; convert it with .astype('<f4')");
  return py::array_t<float>(a.attr("astype")("float32"));
}

/// A Python-visible quantized tensor (qforge.QTensor).
struct PyQTensor {
  num::QuantizedTensor q;

  py::tuple shape() const { return py::cast(q.shape); }
  std::string format() const { return q.format.str(); }
  int64_t numel() const { return num::checkedNumElements(q.shape); }
  double bitsPerWeight() const {
    int64_t n = numel();
    return n > 0 ? 8.0 * static_cast<double>(q.totalBytes()) /
                       static_cast<double>(n)
                 : 0.0;
  }

  py::array_t<float> dequantize(unsigned threads) const {
    py::array_t<float> out(q.shape);
    float *dst = out.mutable_data();
    num::Status s;
    {
      py::gil_scoped_release release;
      s = num::dequantize(q, dst, threads);
    }
    check(s, "dequantize");
    return out;
  }
};

/// Section views share the QTensor's memory (read-only, no copy).
py::array sectionView(py::object self, num::Section sec) {
  PyQTensor &t = self.cast<PyQTensor &>();
  const std::vector<uint8_t> &bytes = t.q.section(sec);
  py::array a(py::dtype::of<uint8_t>(),
              {static_cast<py::ssize_t>(bytes.size())}, {1}, bytes.data(),
              self);
  py::detail::array_proxy(a.ptr())->flags &=
      ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

const char *kSectionNames[num::kNumSections] = {
    "codes", "scales", "zero_points", "codebooks", "super_scales", "outliers"};

PyQTensor quantizeArray(py::handle array, const std::string &specText,
                        const std::string &rounding, uint64_t seed,
                        py::object importance, py::object actSq,
                        unsigned threads) {
  num::FormatSpec spec = parseSpec(specText);
  py::array_t<float> x = floatArray(array, "array");
  std::vector<int64_t> shape = shapeOf(x);
  check(spec.verifyShape(shape),
        "format '" + spec.str() + "' cannot encode this shape");
  num::QuantizeOptions opts;
  if (rounding == "nearest")
    opts.rounding = num::Rounding::Nearest;
  else if (rounding == "stochastic")
    opts.rounding = num::Rounding::Stochastic;
  else
    throw py::value_error("rounding must be 'nearest' or 'stochastic', got '" +
                          rounding + "'");
  opts.seed = seed;
  opts.threads = threads;
  py::array_t<float> imp, act;
  if (!importance.is_none()) {
    imp = floatArray(importance, "importance");
    if (imp.size() != x.size())
      throw py::value_error("importance must have one value per element (" +
                            std::to_string(x.size()) + "), got " +
                            std::to_string(imp.size()));
    opts.importance = imp.data();
  }
  if (!actSq.is_none()) {
    act = floatArray(actSq, "act_sq");
    int64_t cols = shape.empty() ? 1 : shape.back();
    if (act.size() != cols)
      throw py::value_error("act_sq must have one value per input channel (" +
                            std::to_string(cols) + "), got " +
                            std::to_string(act.size()));
    opts.actSq = act.data();
  }
  PyQTensor out;
  const float *data = x.data();
  num::Status s;
  {
    py::gil_scoped_release release;
    s = num::quantize(data, shape, spec, opts, out.q);
  }
  check(s, "quantize '" + spec.str() + "'");
  return out;
}

PyQTensor fromSections(const std::string &specText,
                       const std::vector<int64_t> &shape,
                       const py::dict &sections) {
  PyQTensor t;
  t.q.format = parseSpec(specText);
  t.q.shape = shape;
  check(t.q.format.verifyShape(shape),
        "format '" + t.q.format.str() + "' cannot encode this shape");
  for (auto item : sections) {
    std::string name = py::str(item.first);
    unsigned idx = num::kNumSections;
    for (unsigned i = 0; i < num::kNumSections; ++i)
      if (name == kSectionNames[i])
        idx = i;
    if (idx == num::kNumSections)
      throw py::value_error("unknown section '" + name + "'");
    py::buffer_info info =
        py::reinterpret_borrow<py::buffer>(item.second).request();
    const auto *p = static_cast<const uint8_t *>(info.ptr);
    t.q.sections[idx].assign(p, p + info.size * info.itemsize);
  }
  check(t.q.verify(), "QTensor.from_sections");
  return t;
}

double mse(const PyQTensor &t, py::handle array) {
  py::array_t<float> x = floatArray(array, "array");
  if (shapeOf(x) != t.q.shape)
    throw py::value_error("array shape does not match the QTensor's shape");
  std::vector<float> y(static_cast<size_t>(x.size()));
  num::Status s;
  double acc = 0;
  {
    py::gil_scoped_release release;
    s = num::dequantize(t.q, y.data());
    if (s.ok()) {
      const float *a = x.data();
      for (size_t i = 0; i < y.size(); ++i) {
        double d = static_cast<double>(a[i]) - static_cast<double>(y[i]);
        acc += d * d;
      }
    }
  }
  check(s, "dequantize");
  return y.empty() ? 0.0 : acc / static_cast<double>(y.size());
}

//===----------------------------------------------------------------------===//
// ASQ, Kashin, allocation, ModCap
//===----------------------------------------------------------------------===//

num::ASQSolver parseSolver(const std::string &m) {
  static const std::pair<const char *, num::ASQSolver> kSolvers[] = {
      {"exact", num::ASQSolver::Exact},
      {"exact-smawk", num::ASQSolver::ExactSMAWK},
      {"exact-pairwise", num::ASQSolver::ExactPairwise},
      {"exact-lagrange", num::ASQSolver::ExactLagrange},
      {"grid", num::ASQSolver::Grid},
      {"vmix", num::ASQSolver::VMix},
      {"refine", num::ASQSolver::Refine},
  };
  for (const auto &[name, solver] : kSolvers)
    if (m == name)
      return solver;
  throw py::value_error("unknown ASQ method '" + m +
                        "' (exact, exact-smawk, exact-pairwise, "
                        "exact-lagrange, grid, vmix, refine)");
}

/// A float array as doubles (float64 input is read exactly).
std::vector<double> doubles(py::handle obj, const char *what) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(what) + " must be a numpy.ndarray");
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (a.dtype().kind() != 'f')
    throw py::type_error(std::string(what) +
                         " must have a floating-point dtype, got " +
                         std::string(py::str(a.dtype())));
  auto d = py::array_t<double, py::array::c_style | py::array::forcecast>(a);
  std::vector<double> v(d.data(), d.data() + d.size());
  for (double x : v)
    if (!std::isfinite(x))
      throw py::value_error(std::string(what) + " contains NaN or Inf");
  return v;
}

py::tuple asq(py::handle x, unsigned s, const std::string &method,
              py::object weights, int64_t gridBins) {
  if (s < 2)
    throw py::value_error("s must be at least 2");
  std::vector<double> v = doubles(x, "x");
  if (v.empty())
    throw py::value_error("x must not be empty");
  std::vector<double> w;
  if (!weights.is_none()) {
    w = doubles(weights, "weights");
    if (w.size() != v.size())
      throw py::value_error("weights must have one value per element");
    for (double d : w)
      if (d < 0)
        throw py::value_error("weights must be non-negative");
  }
  num::ASQOptions opts;
  opts.solver = parseSolver(method);
  if (gridBins < 1)
    throw py::value_error("grid_bins must be positive");
  opts.gridBins = gridBins;
  num::ASQResult r;
  num::Status st;
  {
    py::gil_scoped_release release;
    std::vector<int64_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return v[a] < v[b]; });
    std::vector<double> xs(v.size()), ws(w.size());
    for (size_t i = 0; i < order.size(); ++i) {
      xs[i] = v[order[i]];
      if (!w.empty())
        ws[i] = w[order[i]];
    }
    st = num::solveASQ(xs.data(), w.empty() ? nullptr : ws.data(),
                       static_cast<int64_t>(xs.size()), s, opts, r);
  }
  check(st, "asq");
  return py::make_tuple(py::array_t<double>(r.values.size(), r.values.data()),
                        r.cost);
}

py::dict kashin(py::handle x, unsigned bitsU, unsigned bitsV,
                const std::string &transform, uint64_t seed, bool joint,
                double tol, int maxIterations) {
  std::vector<double> v = doubles(x, "x");
  if (v.empty())
    throw py::value_error("x must not be empty");
  if (bitsU < 1 || bitsU > 8 || (!joint && (bitsV < 1 || bitsV > 8)))
    throw py::value_error("bits must be in 1..8");
  if (tol <= 0 || maxIterations < 1)
    throw py::value_error("tol must be > 0 and max_iterations >= 1");
  num::KashinTransform kind;
  if (transform == "dct")
    kind = num::KashinTransform::DCT;
  else if (transform == "hadamard")
    kind = num::KashinTransform::Hadamard;
  else
    throw py::value_error("transform must be 'dct' or 'hadamard'");
  num::RandomizedTransform P(static_cast<int64_t>(v.size()), kind, seed);
  if (!P.ok())
    raise("kashin: the Hadamard transform needs a power-of-two length, got " +
          std::to_string(v.size()));
  num::KashinOptions opts;
  opts.tol = tol;
  opts.maxIterations = maxIterations;
  num::KashinCode code;
  std::vector<double> rec(v.size());
  num::Status st;
  {
    py::gil_scoped_release release;
    st = num::kashinQuantizeVector(v.data(), P, bitsU, joint ? 0 : bitsV, joint,
                                   opts, code);
    if (st.ok())
      num::kashinReconstruct(code, P, joint, rec.data());
  }
  check(st, "kashin");
  double err = 0;
  for (size_t i = 0; i < v.size(); ++i)
    err += (v[i] - rec[i]) * (v[i] - rec[i]);
  py::dict d;
  d["reconstruction"] = py::array_t<double>(rec.size(), rec.data());
  d["codes_u"] = py::array_t<uint32_t>(code.codesU.size(), code.codesU.data());
  d["codes_v"] = py::array_t<uint32_t>(code.codesV.size(), code.codesV.data());
  d["centroids_u"] = py::array_t<float>(code.cu.size(), code.cu.data());
  d["centroids_v"] = py::array_t<float>(code.cv.size(), code.cv.data());
  d["iterations"] = code.iterations;
  d["mse"] = err / static_cast<double>(v.size());
  return d;
}

/// units: list of (numel, [(rate, distortion), ...]).
std::vector<num::AllocUnit> toUnits(const py::list &units) {
  std::vector<num::AllocUnit> out;
  for (py::handle h : units) {
    auto t =
        h.cast<std::pair<int64_t, std::vector<std::pair<double, double>>>>();
    if (t.first <= 0)
      throw py::value_error("every unit needs a positive element count");
    if (t.second.empty())
      throw py::value_error("every unit needs at least one option");
    num::AllocUnit u;
    u.numel = t.first;
    for (auto [r, d] : t.second) {
      if (!(r >= 0) || !std::isfinite(r) || !(d >= 0) || !std::isfinite(d))
        throw py::value_error(
            "option rates and distortions must be finite and >= 0");
      u.options.push_back({r, d});
    }
    out.push_back(std::move(u));
  }
  return out;
}

py::dict allocResult(const num::AllocResult &r) {
  py::dict d;
  d["choice"] = r.choice;
  d["total_bits"] = r.totalBits;
  d["distortion"] = r.distortion;
  d["bits_per_param"] = r.bitsPerParam;
  d["exact"] = r.exact;
  return d;
}

py::dict rdExact(const py::list &units, double budgetBits) {
  std::vector<num::AllocUnit> u = toUnits(units);
  if (!(budgetBits >= 0))
    throw py::value_error("budget must be >= 0");
  num::AllocResult r;
  num::Status s;
  {
    py::gil_scoped_release release;
    s = num::rdExactAllocate(u, budgetBits, r);
  }
  check(s, "rd-exact allocation");
  return allocResult(r);
}

std::vector<num::AllocTensor> toModel(const py::list &model) {
  std::vector<num::AllocTensor> out;
  for (py::handle h : model) {
    auto [n, f, var] = h.cast<std::tuple<int64_t, double, double>>();
    if (n <= 0 || !(f >= 0) || !std::isfinite(f) || !(var >= 0) ||
        !std::isfinite(var))
      throw py::value_error("model entries are (numel > 0, fisher >= 0, "
                            "variance >= 0), finite");
    out.push_back({n, f, var});
  }
  return out;
}

py::dict closedForm(const py::list &units, const py::list &model,
                    double avgBits) {
  std::vector<num::AllocUnit> u = toUnits(units);
  std::vector<num::AllocTensor> m = toModel(model);
  if (m.size() != u.size())
    throw py::value_error("need one model entry per unit");
  num::AllocResult r;
  check(num::closedFormAllocate(u, m, avgBits, r), "closed-form allocation");
  return allocResult(r);
}

std::vector<double> closedFormBits(const py::list &model, double avgBits,
                                   py::object lo, py::object hi) {
  std::vector<num::AllocTensor> m = toModel(model);
  if (lo.is_none() && hi.is_none())
    return num::closedFormBits(m, avgBits);
  double l = lo.is_none() ? 0.0 : lo.cast<double>();
  double h = hi.is_none() ? 64.0 : hi.cast<double>();
  if (!(l <= avgBits && avgBits <= h))
    throw py::value_error("need lo <= avg_bits <= hi");
  return num::clampedClosedFormBits(m, avgBits, l, h);
}

py::dict modcap(const py::list &modules, int64_t k) {
  std::vector<num::ModCapModule> mods;
  for (py::handle h : modules) {
    auto [name, layers] =
        h.cast<std::pair<std::string,
                         std::vector<std::tuple<int64_t, double, int64_t>>>>();
    num::ModCapModule m;
    m.name = name;
    for (auto [params, bits, stride] : layers) {
      if (params < 0 || !(bits > 0) || stride < 1)
        throw py::value_error("modcap layers are (params >= 0, bits > 0, "
                              "stride >= 1)");
      m.layers.push_back({params, bits, stride});
    }
    mods.push_back(std::move(m));
  }
  if (k < 0)
    throw py::value_error("k must be >= 0");
  num::ModCapResult r = num::modCapGroup(mods, k);
  py::dict d;
  d["capacity"] = r.capacity;
  d["differential"] = r.differential;
  d["merged"] = std::vector<bool>(r.merged.begin(), r.merged.end());
  d["unit"] = r.unit;
  d["num_units"] = r.numUnits;
  return d;
}

//===----------------------------------------------------------------------===//
// Weight files: raw tensors as (name, dtype, shape, uint8 view)
//===----------------------------------------------------------------------===//

/// A read-only uint8 view of `n` bytes at `p`, keeping `owner` alive.
py::array bytesView(const uint8_t *p, uint64_t n, py::object owner) {
  static const uint8_t empty = 0;
  py::array a(py::dtype::of<uint8_t>(), {static_cast<py::ssize_t>(n)}, {1},
              n ? p : &empty, owner);
  py::detail::array_proxy(a.ptr())->flags &=
      ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

io::DType dtypeOf(const std::string &name) {
  io::DType t;
  if (!io::parseDType(name, t))
    throw py::value_error("unknown dtype '" + name + "'");
  return t;
}

/// Keeps the Python objects behind TensorViews alive during a write.
struct ViewList {
  std::vector<io::TensorView> views;
  std::vector<py::buffer_info> buffers;
};

ViewList toViews(const py::list &tensors) {
  ViewList out;
  out.buffers.reserve(py::len(tensors));
  for (py::handle h : tensors) {
    py::tuple t = py::reinterpret_borrow<py::tuple>(h);
    if (t.size() != 4)
      throw py::value_error("tensors are (name, dtype, shape, buffer)");
    io::TensorView v;
    v.name = t[0].cast<std::string>();
    v.dtype = dtypeOf(t[1].cast<std::string>());
    v.shape = t[2].cast<std::vector<int64_t>>();
    py::buffer b = py::reinterpret_borrow<py::buffer>(t[3]);
    out.buffers.push_back(b.request());
    const py::buffer_info &bi = out.buffers.back();
    bool contiguous = true;
    py::ssize_t expect = bi.itemsize;
    for (py::ssize_t d = bi.ndim; d-- > 0;) {
      if (bi.shape[d] > 1 && bi.strides[d] != expect)
        contiguous = false;
      expect *= bi.shape[d];
    }
    if (!contiguous)
      throw py::value_error("tensor '" + v.name +
                            "': buffer is not C-contiguous");
    v.data = static_cast<const uint8_t *>(bi.ptr);
    v.nbytes = static_cast<uint64_t>(bi.size * bi.itemsize);
    out.views.push_back(std::move(v));
  }
  return out;
}

py::tuple readSafetensors(const std::string &path) {
  auto file = std::make_shared<io::SafeTensorsFile>();
  check(io::SafeTensorsFile::open(path, *file));
  py::object owner =
      py::capsule(new std::shared_ptr<io::SafeTensorsFile>(file), [](void *p) {
        delete static_cast<std::shared_ptr<io::SafeTensorsFile> *>(p);
      });
  py::list tensors;
  for (const auto &t : file->tensors())
    tensors.append(py::make_tuple(t.name, io::dtypeName(t.dtype),
                                  py::cast(t.shape),
                                  bytesView(t.data, t.nbytes(), owner)));
  return py::make_tuple(tensors, py::cast(file->metadata()));
}

void writeSafetensors(const std::string &path, const py::list &tensors,
                      const std::map<std::string, std::string> &metadata) {
  ViewList v = toViews(tensors);
  num::Status s;
  {
    py::gil_scoped_release release;
    s = io::writeSafeTensors(path, v.views, metadata);
  }
  check(s, path);
}

py::object ggufValueToPy(const io::GGUFValue &v) {
  switch (v.type) {
  case io::GGUFValue::String:
    return py::str(v.s);
  case io::GGUFValue::Bool:
    return py::bool_(v.u != 0);
  case io::GGUFValue::Float32:
  case io::GGUFValue::Float64:
    return py::float_(v.f);
  case io::GGUFValue::Int8:
  case io::GGUFValue::Int16:
  case io::GGUFValue::Int32:
  case io::GGUFValue::Int64:
    return py::int_(v.i);
  case io::GGUFValue::Array: {
    py::list l;
    for (const auto &e : v.array)
      l.append(ggufValueToPy(e));
    return l;
  }
  default:
    return py::int_(v.u);
  }
}

const std::pair<const char *, io::GGUFValue::Type> kGGUFTypes[] = {
    {"u8", io::GGUFValue::UInt8},    {"i8", io::GGUFValue::Int8},
    {"u16", io::GGUFValue::UInt16},  {"i16", io::GGUFValue::Int16},
    {"u32", io::GGUFValue::UInt32},  {"i32", io::GGUFValue::Int32},
    {"f32", io::GGUFValue::Float32}, {"bool", io::GGUFValue::Bool},
    {"str", io::GGUFValue::String},  {"u64", io::GGUFValue::UInt64},
    {"i64", io::GGUFValue::Int64},   {"f64", io::GGUFValue::Float64},
};

const char *ggufTypeName(io::GGUFValue::Type t) {
  for (const auto &[n, ty] : kGGUFTypes)
    if (ty == t)
      return n;
  return "array";
}

io::GGUFValue ggufScalar(const std::string &type, py::handle v) {
  io::GGUFValue out;
  bool found = false;
  for (const auto &[n, ty] : kGGUFTypes)
    if (type == n) {
      out.type = ty;
      found = true;
    }
  if (!found)
    throw py::value_error("unknown GGUF value type '" + type + "'");
  switch (out.type) {
  case io::GGUFValue::String:
    out.s = v.cast<std::string>();
    break;
  case io::GGUFValue::Float32:
  case io::GGUFValue::Float64:
    out.f = v.cast<double>();
    break;
  case io::GGUFValue::Int8:
  case io::GGUFValue::Int16:
  case io::GGUFValue::Int32:
  case io::GGUFValue::Int64:
    out.i = v.cast<int64_t>();
    break;
  case io::GGUFValue::Bool:
    out.u = v.cast<bool>();
    break;
  default:
    if (v.cast<py::int_>() < py::int_(0))
      throw py::value_error("negative value for unsigned GGUF type " + type);
    out.u = v.cast<uint64_t>();
  }
  return out;
}

/// metadata: list of (key, type, value); type "array:<elem>" for arrays.
std::vector<std::pair<std::string, io::GGUFValue>>
toGGUFMetadata(const py::list &md) {
  std::vector<std::pair<std::string, io::GGUFValue>> out;
  for (py::handle h : md) {
    auto [key, type, value] =
        h.cast<std::tuple<std::string, std::string, py::object>>();
    if (type.rfind("array:", 0) == 0) {
      std::string elem = type.substr(6);
      std::vector<io::GGUFValue> items;
      for (py::handle e : value)
        items.push_back(ggufScalar(elem, e));
      io::GGUFValue a = ggufScalar(
          elem, elem == "str" ? py::str("") : py::object(py::int_(0)));
      out.emplace_back(key, io::GGUFValue::ofArray(a.type, std::move(items)));
    } else {
      out.emplace_back(key, ggufScalar(type, value));
    }
  }
  return out;
}

py::tuple readGGUF(const std::string &path) {
  auto file = std::make_shared<io::GGUFFile>();
  check(io::GGUFFile::open(path, *file));
  py::object owner =
      py::capsule(new std::shared_ptr<io::GGUFFile>(file), [](void *p) {
        delete static_cast<std::shared_ptr<io::GGUFFile> *>(p);
      });
  py::list tensors, md;
  for (const auto &t : file->tensors())
    tensors.append(py::make_tuple(t.name, io::dtypeName(t.dtype),
                                  py::cast(t.shape),
                                  bytesView(t.data, t.nbytes, owner)));
  for (const auto &[k, v] : file->metadata()) {
    std::string type = v.type == io::GGUFValue::Array
                           ? std::string("array:") + ggufTypeName(v.arrayType)
                           : ggufTypeName(v.type);
    md.append(py::make_tuple(k, type, ggufValueToPy(v)));
  }
  return py::make_tuple(tensors, md, file->alignment());
}

void writeGGUF(const std::string &path, const py::list &tensors,
               const py::list &metadata) {
  ViewList v = toViews(tensors);
  auto md = toGGUFMetadata(metadata);
  num::Status s;
  {
    py::gil_scoped_release release;
    s = io::writeGGUF(path, v.views, md);
  }
  check(s, path);
}

py::list readNpz(const std::string &path, bool single) {
  auto file = std::make_shared<io::NpyFile>();
  check(single ? io::NpyFile::openNpy(path, *file)
               : io::NpyFile::openNpz(path, *file));
  py::object owner =
      py::capsule(new std::shared_ptr<io::NpyFile>(file), [](void *p) {
        delete static_cast<std::shared_ptr<io::NpyFile> *>(p);
      });
  py::list out;
  for (const auto &[name, a] : file->arrays())
    out.append(py::make_tuple(name, io::dtypeName(a.dtype), py::cast(a.shape),
                              bytesView(a.data, a.nbytes, owner)));
  return out;
}

void writeNpy(const std::string &path, const py::list &tensors, bool single) {
  ViewList v = toViews(tensors);
  if (single && v.views.size() != 1)
    throw py::value_error(".npy files hold exactly one array");
  num::Status s;
  {
    py::gil_scoped_release release;
    s = single ? io::writeNpy(path, v.views[0]) : io::writeNpz(path, v.views);
  }
  check(s, path);
}

py::str compile(const std::string &source, const std::string &name,
                const std::string &pipeline, bool verifyEach,
                const std::string &weightsDir) {
  std::string out, diag;
  bool ok;
  {
    py::gil_scoped_release release;
    ok = qforge::python::compileMLIR(source, name, pipeline, verifyEach,
                                     weightsDir, out, diag);
  }
  if (!ok) {
    if (diag.empty())
      diag = "compilation failed";
    PyErr_SetString(gCompileError, diag.c_str());
    throw py::error_already_set();
  }
  return py::str(out);
}

} // namespace

PYBIND11_MODULE(_qforge, m) {
  m.doc() = "Native bindings of QForge (use the `qforge` package).";
  gError = PyErr_NewExceptionWithDoc(
      "qforge.QForgeError",
      "An error reported by QForge (bad spec, shape, file, ...).",
      PyExc_ValueError, nullptr);
  gCompileError = PyErr_NewExceptionWithDoc(
      "qforge.CompileError", "MLIR parse, pipeline or pass diagnostics.",
      gError, nullptr);
  if (!gError || !gCompileError)
    throw py::error_already_set();
  m.attr("QForgeError") = py::handle(gError);
  m.attr("CompileError") = py::handle(gCompileError);

  py::class_<PyQTensor>(m, "QTensor",
                        "A quantized tensor: its format, logical shape and "
                        "packed storage sections.")
      .def_property_readonly("shape", &PyQTensor::shape)
      .def_property_readonly("format", &PyQTensor::format,
                             "Canonical format spec.")
      .def_property_readonly("numel", &PyQTensor::numel)
      .def_property_readonly("bits_per_weight", &PyQTensor::bitsPerWeight,
                             "Exact storage bits per element (all sections).")
      .def_property_readonly(
          "nbytes", [](const PyQTensor &t) { return t.q.totalBytes(); })
      .def_property_readonly("sections",
                             [](py::object self) {
                               py::dict d;
                               for (unsigned i = 0; i < num::kNumSections; ++i)
                                 d[kSectionNames[i]] = sectionView(
                                     self, static_cast<num::Section>(i));
                               return d;
                             })
      .def_property_readonly("codes",
                             [](py::object self) {
                               return sectionView(self, num::Section::Codes);
                             })
      .def_property_readonly("scales",
                             [](py::object self) {
                               return sectionView(self, num::Section::Scales);
                             })
      .def("dequantize", &PyQTensor::dequantize, py::arg("threads") = 0,
           "Decodes to a float32 array (bit-exact reference decoder).")
      .def("mse", &mse, py::arg("array"),
           "Mean squared error against `array` (same shape).")
      .def_static("from_sections", &fromSections, py::arg("format"),
                  py::arg("shape"), py::arg("sections"),
                  "Rebuilds a QTensor from its format, shape and a dict of "
                  "section bytes (sizes are checked).")
      .def("__repr__", [](const PyQTensor &t) {
        std::string s = "QTensor(format='" + t.format() + "', shape=(";
        for (size_t i = 0; i < t.q.shape.size(); ++i)
          s += std::to_string(t.q.shape[i]) +
               (i + 1 < t.q.shape.size() || t.q.shape.size() == 1 ? ", " : "");
        if (t.q.shape.size() == 1)
          s.resize(s.size() - 1);
        char buf[64];
        std::snprintf(buf, sizeof(buf), "), bits_per_weight=%.4f)",
                      t.bitsPerWeight());
        return s + buf;
      });

  m.def("quantize", &quantizeArray, py::arg("array"), py::arg("spec"),
        py::kw_only(), py::arg("rounding") = "nearest", py::arg("seed") = 0,
        py::arg("importance") = py::none(), py::arg("act_sq") = py::none(),
        py::arg("threads") = 0);
  m.def(
      "format_info",
      [](const std::string &text, py::object shape) {
        num::FormatSpec spec = parseSpec(text);
        py::dict d;
        d["spec"] = spec.str();
        d["bits"] = spec.bits;
        d["bits_per_weight"] = spec.bitsPerWeight();
        if (!shape.is_none()) {
          auto sh = shape.cast<std::vector<int64_t>>();
          check(spec.verifyShape(sh),
                "format '" + spec.str() + "' cannot encode this shape");
          d["bits_per_weight"] = spec.bitsPerWeight(sh);
          d["storage_bytes"] = num::storageBytes(spec, sh);
        }
        return d;
      },
      py::arg("spec"), py::arg("shape") = py::none());
  m.def("asq", &asq, py::arg("x"), py::arg("s"), py::arg("method") = "exact",
        py::arg("weights") = py::none(), py::arg("grid_bins") = 1000);
  m.def("kashin", &kashin, py::arg("x"), py::arg("bits_u") = 2,
        py::arg("bits_v") = 2, py::arg("transform") = "dct",
        py::arg("seed") = 0, py::arg("joint") = false, py::arg("tol") = 1e-3,
        py::arg("max_iterations") = 200);
  m.def("rd_exact_allocate", &rdExact, py::arg("units"), py::arg("budget"));
  m.def("closed_form_allocate", &closedForm, py::arg("units"), py::arg("model"),
        py::arg("avg_bits"));
  m.def("closed_form_bits", &closedFormBits, py::arg("model"),
        py::arg("avg_bits"), py::arg("lo") = py::none(),
        py::arg("hi") = py::none());
  m.def("modcap", &modcap, py::arg("modules"), py::arg("k") = 1);
  m.def("read_safetensors", &readSafetensors, py::arg("path"));
  m.def("write_safetensors", &writeSafetensors, py::arg("path"),
        py::arg("tensors"), py::arg("metadata"));
  m.def("read_gguf", &readGGUF, py::arg("path"));
  m.def("write_gguf", &writeGGUF, py::arg("path"), py::arg("tensors"),
        py::arg("metadata"));
  m.def(
      "read_npy", [](const std::string &p) { return readNpz(p, true); },
      py::arg("path"));
  m.def(
      "read_npz", [](const std::string &p) { return readNpz(p, false); },
      py::arg("path"));
  m.def(
      "write_npy",
      [](const std::string &p, const py::list &t) { writeNpy(p, t, true); },
      py::arg("path"), py::arg("tensors"));
  m.def(
      "write_npz",
      [](const std::string &p, const py::list &t) { writeNpy(p, t, false); },
      py::arg("path"), py::arg("tensors"));
  m.def("compile", &compile, py::arg("source"), py::arg("name"),
        py::arg("pipeline"), py::arg("verify_each") = true,
        py::arg("weights_dir") = "");
}
