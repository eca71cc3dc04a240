//===- FuseDequantMatmul.cpp - qf-fuse-dequant-matmul ---------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Rewrites a linalg contraction (named matmul / matvec / vecmat /
// batch_matmul / transposed variants, or the equivalent linalg.generic) whose
// weight operand is a qf.dequantize of a 2-D quantized tensor and whose init
// is zero into qf.matmul. The structure is checked on the indexing maps, so
// every op form is handled by one matcher:
//   * the body is a multiply-accumulate (linalg::isaContractionOpInterface);
//   * one reduction dim k; the weight map is (k, n) or (n, k) (transposed);
//   * the activation map is (d..., k) with k last and n absent;
//   * the output map is (d..., n): the activation's dims with k replaced by n.
//
//===----------------------------------------------------------------------===//

#include "qforge/Dialect/QF/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "qf-fuse"

namespace qforge::qf {
#define GEN_PASS_DEF_QFFUSEDEQUANTMATMUL
#include "qforge/Dialect/QF/Transforms/Passes.h.inc"
} // namespace qforge::qf

using namespace mlir;
using namespace qforge::qf;

/// True if `v` is known to be all zeros.
static bool isZeroInit(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  Attribute a;
  if (matchPattern(v, m_Constant(&a)))
    if (auto d = llvm::dyn_cast<DenseFPElementsAttr>(a))
      return d.isSplat() && d.getSplatValue<APFloat>().isZero();
  return false;
}

namespace {
struct Match {
  Value lhs;
  DequantizeOp dequant;
  bool transpose = false;
};
} // namespace

/// Returns the reason the op cannot be fused, or empty on success.
static std::string matchContraction(linalg::LinalgOp op, Match &m) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1)
    return "not a two-input, one-output contraction on tensors";
  int weightIdx = -1;
  for (int i = 0; i < 2; ++i)
    if (op.getDpsInputs()[i].getDefiningOp<DequantizeOp>()) {
      weightIdx = i;
      break;
    }
  if (weightIdx < 0)
    return "no operand is a qf.dequantize";
  if (!linalg::isaContractionOpInterface(op))
    return "the body is not a multiply-accumulate contraction";
  m.dequant = op.getDpsInputs()[weightIdx].getDefiningOp<DequantizeOp>();
  m.lhs = op.getDpsInputs()[1 - weightIdx];
  auto qType = llvm::cast<QuantizedTensorType>(m.dequant.getInput().getType());
  if (qType.getRank() != 2)
    return "the weight is batched (rank " + std::to_string(qType.getRank()) +
           "), qf.matmul takes a 2-D weight";
  auto lhsType = llvm::dyn_cast<RankedTensorType>(m.lhs.getType());
  auto outType =
      llvm::dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  auto wType = llvm::cast<RankedTensorType>(m.dequant.getType());
  if (!lhsType || !outType)
    return "operands are not ranked tensors";
  Type elt = outType.getElementType();
  if (lhsType.getElementType() != elt || wType.getElementType() != elt ||
      qType.getElementType() != elt)
    return "mixed element types";
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap lm = maps[1 - weightIdx], wm = maps[weightIdx], om = maps[2];
  if (!lm.isProjectedPermutation() || !wm.isProjectedPermutation() ||
      !om.isProjectedPermutation())
    return "indexing maps are not projections";
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  int k = -1;
  for (auto [i, it] : llvm::enumerate(iters))
    if (it == utils::IteratorType::reduction) {
      if (k >= 0)
        return "more than one reduction dimension";
      k = static_cast<int>(i);
    }
  if (k < 0)
    return "no reduction dimension";
  auto dim = [](AffineMap map, unsigned r) { return map.getDimPosition(r); };
  if (wm.getNumResults() != 2)
    return "the weight map is not 2-D";
  int n;
  if (static_cast<int>(dim(wm, 0)) == k) {
    n = dim(wm, 1);
  } else if (static_cast<int>(dim(wm, 1)) == k) {
    n = dim(wm, 0);
    m.transpose = true;
  } else {
    return "the weight is not indexed by the reduction dimension";
  }
  unsigned lr = lm.getNumResults();
  if (lr == 0 || static_cast<int>(dim(lm, lr - 1)) != k)
    return "the activation's last dimension is not the reduction dimension";
  if (om.getNumResults() != lr)
    return "the output rank differs from the activation rank";
  for (unsigned r = 0; r + 1 < lr; ++r) {
    if (static_cast<int>(dim(lm, r)) == n)
      return "the activation is indexed by the weight's output dimension";
    if (dim(om, r) != dim(lm, r))
      return "output and activation dimensions are not in the same order";
  }
  if (static_cast<int>(dim(om, lr - 1)) != n)
    return "the output's last dimension is not the weight's output dimension";
  if (!isZeroInit(op.getDpsInits()[0]))
    return "the init is not a zero fill (qf.matmul does not accumulate)";
  return "";
}

namespace {
struct FuseDequantMatmul
    : public qforge::qf::impl::QFFuseDequantMatmulBase<FuseDequantMatmul> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      for (Value in : op.getDpsInputs())
        if (in.getDefiningOp<DequantizeOp>()) {
          candidates.push_back(op);
          return;
        }
    });
    for (linalg::LinalgOp op : candidates) {
      Match m;
      std::string why = matchContraction(op, m);
      if (!why.empty()) {
        LLVM_DEBUG(llvm::dbgs()
                   << "qf-fuse: not fused: " << why << ": " << *op << "\n");
        if (remarks)
          op->emitRemark("qf-fuse-dequant-matmul: not fused: ") << why;
        continue;
      }
      OpBuilder b(op);
      auto fused = MatmulOp::create(b, op->getLoc(), op->getResult(0).getType(),
                                    m.lhs, m.dequant.getInput(),
                                    m.transpose ? b.getUnitAttr() : UnitAttr());
      op->getResult(0).replaceAllUsesWith(fused.getResult());
      op->erase();
      if (m.dequant->use_empty())
        m.dequant->erase();
    }
  }
};
} // namespace
