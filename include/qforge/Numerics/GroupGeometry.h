//===- GroupGeometry.h - Where the elements of a scale group lie -*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The one mapping between scale groups and flat element indices (docs/
// formats.md, "Groups"): groups in row-major order of the group grid,
// elements of a group in increasing flat index. Used by every quantizer.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_NUMERICS_GROUPGEOMETRY_H
#define QFORGE_NUMERICS_GROUPGEOMETRY_H

#include "qforge/Numerics/Format.h"

#include <cstdint>
#include <vector>

namespace qforge::num {

/// Which flat indices form each scale group (docs/formats.md, "Groups").
struct GroupGeometry {
  int64_t numel = 0, outer = 1, A = 1, inner = 1, g = 1;
  int64_t groups = 0, size = 0;
  Granularity gran = Granularity::Tensor;

  GroupGeometry(const FormatSpec &f, const std::vector<int64_t> &shape) {
    numel = checkedNumElements(shape);
    gran = f.granularity;
    if (gran == Granularity::Tensor || shape.empty()) {
      gran = Granularity::Tensor;
      groups = numel > 0 ? 1 : 0;
      size = numel;
      A = numel;
      g = numel;
      return;
    }
    int a = f.resolvedAxis(shape.size());
    for (int i = 0; i < a; ++i)
      outer *= shape[i];
    A = shape[a];
    for (size_t i = a + 1; i < shape.size(); ++i)
      inner *= shape[i];
    if (gran == Granularity::Channel) {
      groups = A;
      size = outer * inner;
    } else {
      g = f.blockSize;
      groups = numel / g;
      size = g;
    }
  }

  /// Whether group `gid`'s elements are flat indices base, base+1, ...
  bool contiguous() const {
    return gran == Granularity::Tensor ||
           (gran == Granularity::Channel && outer == 1) ||
           (gran == Granularity::Block && inner == 1);
  }
  int64_t base(int64_t gid) const {
    switch (gran) {
    case Granularity::Tensor:
      return 0;
    case Granularity::Channel:
      return gid * inner;
    case Granularity::Block:
      return gid * g;
    }
    return 0;
  }
  /// Flat index of element j of group gid.
  int64_t flat(int64_t gid, int64_t j) const {
    switch (gran) {
    case Granularity::Tensor:
      return j;
    case Granularity::Channel: {
      int64_t o = j / inner, n = j % inner;
      return (o * A + gid) * inner + n;
    }
    case Granularity::Block: {
      int64_t nb = A / g;
      int64_t n = gid % inner, ob = gid / inner;
      int64_t bi = ob % nb, o = ob / nb;
      return (o * A + bi * g + j) * inner + n;
    }
    }
    return j;
  }
  /// Group of a flat index.
  int64_t groupOf(int64_t idx) const {
    switch (gran) {
    case Granularity::Tensor:
      return 0;
    case Granularity::Channel:
      return (idx / inner) % A;
    case Granularity::Block: {
      int64_t n = idx % inner, r = idx / inner;
      int64_t i = r % A, o = r / A;
      return (o * (A / g) + i / g) * inner + n;
    }
    }
    return 0;
  }
};

} // namespace qforge::num

#endif // QFORGE_NUMERICS_GROUPGEOMETRY_H
