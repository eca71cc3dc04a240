//===- QuantInterop.cpp - Convert between upstream quant and qf -----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// qf-from-quant and qf-to-quant: upstream `!quant.uniform` types carry their
// scales in the type; qf formats never do, so a quant.qcast becomes a
// qf.quantize with static `scales`/`zero_points` attributes and back.
//
//===----------------------------------------------------------------------===//

#include "qforge/Dialect/QF/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

namespace qforge::qf {
#define GEN_PASS_DEF_QFFROMQUANT
#define GEN_PASS_DEF_QFTOQUANT
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge;
using namespace qforge::qf;

namespace {

/// Static quantization parameters of a uniform type, in qf terms.
struct StaticParams {
  num::FormatSpec format;
  SmallVector<float> scales;
  SmallVector<int32_t> zeroPoints;
  bool anyZeroPoint = false;
};

/// Maps an upstream uniform quantized element type on a tensor of `shape` to
/// a qf format with static parameters; returns a reason on failure.
std::string toStatic(quant::QuantizedType qt, ArrayRef<int64_t> shape,
                     StaticParams &out) {
  num::FormatSpec &f = out.format;
  f.kind = num::ElementKind::Int;
  unsigned width = qt.getStorageTypeIntegralWidth();
  if (width < 2 || width > 8)
    return "storage width " + std::to_string(width) +
           " is outside qf's integer range [2, 8]";
  f.bits = width;
  int64_t lo = qt.getStorageTypeMin(), hi = qt.getStorageTypeMax();
  int64_t dlo = quant::QuantizedType::getDefaultMinimumForInteger(
      qt.isSigned(), width);
  int64_t dhi = quant::QuantizedType::getDefaultMaximumForInteger(
      qt.isSigned(), width);
  if (qt.isSigned() && lo == dlo + 1 && hi == dhi)
    f.intKind = num::IntKind::Symmetric;
  else if (lo == dlo && hi == dhi)
    f.intKind = qt.isSigned() ? num::IntKind::Signed : num::IntKind::Unsigned;
  else
    return "storage range [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "] is not a full or symmetric integer range";

  auto addZp = [&](int64_t zp) {
    out.zeroPoints.push_back(static_cast<int32_t>(zp));
    out.anyZeroPoint |= zp != 0;
  };
  if (auto u = llvm::dyn_cast<quant::UniformQuantizedType>(qt)) {
    f.granularity = num::Granularity::Tensor;
    out.scales.push_back(static_cast<float>(u.getScale()));
    addZp(u.getZeroPoint());
  } else if (auto pa = llvm::dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
    f.granularity = num::Granularity::Channel;
    f.axis = pa.getQuantizedDimension();
    for (double s : pa.getScales())
      out.scales.push_back(static_cast<float>(s));
    for (int64_t zp : pa.getZeroPoints())
      addZp(zp);
  } else if (auto sc =
                 llvm::dyn_cast<quant::UniformQuantizedSubChannelType>(qt)) {
    int blocked = -1;
    for (auto [dim, size] : sc.getBlockSizeInfo()) {
      if (size == 1)
        continue;
      if (blocked >= 0)
        return "sub-channel blocks along more than one axis";
      blocked = dim;
      f.blockSize = size;
    }
    if (blocked < 0) {
      // Every block has size 1 along the quantized axes: per element; qf has
      // no such format.
      return "sub-channel blocks of a single element";
    }
    // Axes with block size equal to the full dimension are not blocked; qf's
    // groups are 1-D blocks along one axis with all other indices distinct,
    // which is what a block size of 1 on every other axis means.
    for (size_t d = 0; d < shape.size(); ++d) {
      if (static_cast<int>(d) == blocked)
        continue;
      bool quantized = false;
      for (auto [dim, size] : sc.getBlockSizeInfo())
        if (dim == static_cast<int>(d))
          quantized = size == 1;
      if (!quantized && shape[d] != 1)
        return "sub-channel scales shared across axis " + std::to_string(d);
    }
    f.granularity = num::Granularity::Block;
    // Blocks along the last axis are spelled without an axis ('g<N>').
    f.axis = blocked + 1 == static_cast<int>(shape.size()) ? -1 : blocked;
    for (APFloat s : sc.getScales().getValues<APFloat>())
      out.scales.push_back(static_cast<float>(s.convertToDouble()));
    for (APInt zp : sc.getZeroPoints().getValues<APInt>())
      addZp(zp.getSExtValue());
  } else {
    return "unsupported quantized type";
  }
  f.zeroPoint = out.anyZeroPoint || f.intKind == num::IntKind::Unsigned;
  if (f.zeroPoint && f.intKind == num::IntKind::Symmetric)
    return "symmetric storage range with a non-zero zero point";
  if (f.zeroPoint && f.intKind == num::IntKind::Signed) {
    // qf zero points live in the unsigned code domain: signed storage q with
    // zero point z holds the same values as unsigned storage q + 2^(b-1)
    // with zero point z + 2^(b-1).
    f.intKind = num::IntKind::Unsigned;
    for (int32_t &zp : out.zeroPoints)
      zp += 1 << (width - 1);
  }
  if (!f.zeroPoint)
    out.zeroPoints.clear();
  f.tableScaling = num::TableScaling::AbsMax;
  num::Status s = f.verify();
  if (!s)
    return s.message();
  s = f.verifyShape(toVector(shape));
  if (!s)
    return s.message();
  return "";
}

struct QFFromQuantPass
    : public qforge::qf::impl::QFFromQuantBase<QFFromQuantPass> {
  void runOnOperation() override {
    SmallVector<quant::QuantizeCastOp> casts;
    getOperation()->walk([&](quant::QuantizeCastOp op) { casts.push_back(op); });
    for (quant::QuantizeCastOp op : casts)
      convert(op);
  }

  void convert(quant::QuantizeCastOp op) {
    auto inType = llvm::dyn_cast<RankedTensorType>(op.getInput().getType());
    auto outType = llvm::dyn_cast<RankedTensorType>(op.getResult().getType());
    if (!inType || !outType || !inType.hasStaticShape()) {
      op.emitRemark("qf-from-quant: left unchanged: needs a statically "
                    "shaped tensor");
      return;
    }
    auto qt = llvm::dyn_cast<quant::QuantizedType>(outType.getElementType());
    if (!qt)
      return;
    for (Operation *user : op->getUsers())
      if (!llvm::isa<quant::DequantizeCastOp>(user)) {
        op.emitRemark("qf-from-quant: left unchanged: the quantized value is "
                      "used by '")
            << user->getName() << "', not only by quant.dcast";
        return;
      }
    StaticParams params;
    std::string why = toStatic(qt, inType.getShape(), params);
    if (!why.empty()) {
      op.emitRemark("qf-from-quant: left unchanged: ") << why;
      return;
    }
    MLIRContext *ctx = op.getContext();
    auto fmt = FormatAttr::get(ctx, params.format);
    auto qType = QuantizedTensorType::get(ctx, inType.getShape(),
                                          inType.getElementType(), fmt);
    OpBuilder b(op);
    auto scalesType = RankedTensorType::get(
        {static_cast<int64_t>(params.scales.size())}, b.getF32Type());
    auto scales = DenseElementsAttr::get(scalesType, ArrayRef(params.scales));
    DenseIntElementsAttr zps;
    if (!params.zeroPoints.empty())
      zps = DenseIntElementsAttr::get(
          RankedTensorType::get(
              {static_cast<int64_t>(params.zeroPoints.size())},
              b.getI32Type()),
          ArrayRef(params.zeroPoints));
    auto q = QuantizeOp::create(b, op.getLoc(), qType, op.getInput(),
                                llvm::cast<DenseFPElementsAttr>(scales), zps);
    for (Operation *user : llvm::make_early_inc_range(op->getUsers())) {
      auto dcast = llvm::cast<quant::DequantizeCastOp>(user);
      OpBuilder ub(dcast);
      auto dq = DequantizeOp::create(ub, dcast.getLoc(),
                                     dcast.getResult().getType(), q);
      dcast.getResult().replaceAllUsesWith(dq.getResult());
      dcast.erase();
    }
    op.erase();
  }
};

struct QFToQuantPass : public qforge::qf::impl::QFToQuantBase<QFToQuantPass> {
  void runOnOperation() override {
    SmallVector<QuantizeOp> ops;
    getOperation()->walk([&](QuantizeOp op) { ops.push_back(op); });
    for (QuantizeOp op : ops)
      convert(op);
  }

  void convert(QuantizeOp op) {
    auto qType = llvm::cast<QuantizedTensorType>(op.getResult().getType());
    num::FormatSpec f = qType.getFormat().getFormat();
    auto remark = [&](StringRef why) {
      op.emitRemark("qf-to-quant: left unchanged: ") << why;
    };
    if (f.kind != num::ElementKind::Int || f.layout != num::Layout::Plain ||
        f.doubleQuant || f.outlierFraction > 0) {
      remark("format '" + qType.getFormat().getSpec().str() +
             "' has no upstream !quant.uniform equivalent");
      return;
    }
    auto scales = op.getScalesAttr();
    if (!scales) {
      remark("no static scales (quant.uniform types need them)");
      return;
    }
    for (Operation *user : op->getUsers())
      if (!llvm::isa<DequantizeOp>(user)) {
        remark("the quantized value is used by '" +
               user->getName().getStringRef().str() +
               "', not only by qf.dequantize");
        return;
      }
    MLIRContext *ctx = op.getContext();
    bool isSigned = f.intKind != num::IntKind::Unsigned;
    Type storage = IntegerType::get(ctx, f.bits);
    int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(isSigned,
                                                                   f.bits);
    int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(isSigned,
                                                                   f.bits);
    if (f.intKind == num::IntKind::Symmetric)
      ++lo;
    unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
    Type expressed = qType.getElementType();
    SmallVector<double> sc;
    for (APFloat v : scales.getValues<APFloat>())
      sc.push_back(v.convertToDouble());
    SmallVector<int64_t> zp(sc.size(), 0);
    if (auto zps = op.getZeroPointsAttr()) {
      zp.clear();
      for (APInt v : zps.getValues<APInt>())
        zp.push_back(v.getSExtValue());
    }
    auto emitErr = [&] { return op.emitError(); };
    Type elem;
    ArrayRef<int64_t> shape = qType.getShape();
    switch (f.granularity) {
    case num::Granularity::Tensor:
      elem = quant::UniformQuantizedType::getChecked(
          emitErr, flags, storage, expressed, sc[0], zp[0], lo, hi);
      break;
    case num::Granularity::Channel:
      elem = quant::UniformQuantizedPerAxisType::getChecked(
          emitErr, flags, storage, expressed, sc, zp,
          f.resolvedAxis(shape.size()), lo, hi);
      break;
    case num::Granularity::Block: {
      int axis = f.resolvedAxis(shape.size());
      SmallVector<int64_t> gridShape(shape.begin(), shape.end());
      gridShape[axis] /= f.blockSize;
      SmallVector<int32_t> dims;
      SmallVector<int64_t> sizes;
      for (size_t d = 0; d < shape.size(); ++d) {
        dims.push_back(static_cast<int32_t>(d));
        sizes.push_back(static_cast<int>(d) == axis ? f.blockSize : 1);
      }
      auto scaleType = RankedTensorType::get(gridShape, expressed);
      SmallVector<APFloat> scaleVals;
      for (double s : sc) {
        APFloat v(s);
        bool lost;
        v.convert(llvm::cast<FloatType>(expressed).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &lost);
        scaleVals.push_back(v);
      }
      auto zpType = RankedTensorType::get(gridShape, storage);
      SmallVector<APInt> zpVals;
      for (int64_t z : zp)
        zpVals.push_back(APInt(f.bits, z, isSigned));
      elem = quant::UniformQuantizedSubChannelType::getChecked(
          emitErr, flags, storage, expressed,
          DenseElementsAttr::get(scaleType, scaleVals),
          DenseElementsAttr::get(zpType, zpVals), dims, sizes, lo, hi);
      break;
    }
    }
    if (!elem)
      return signalPassFailure();
    auto outType = RankedTensorType::get(shape, elem);
    OpBuilder b(op);
    auto qcast =
        quant::QuantizeCastOp::create(b, op.getLoc(), outType, op.getInput());
    for (Operation *user : llvm::make_early_inc_range(op->getUsers())) {
      auto dq = llvm::cast<DequantizeOp>(user);
      OpBuilder ub(dq);
      auto dcast = quant::DequantizeCastOp::create(
          ub, dq.getLoc(), dq.getResult().getType(), qcast);
      dq.getResult().replaceAllUsesWith(dcast.getResult());
      dq.erase();
    }
    op.erase();
  }
};

} // namespace
