//===- Passes.td - qf transformation passes ----------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_TRANSFORMS_PASSES_TD
#define QFORGE_DIALECT_QF_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QFFromQuant : Pass<"qf-from-quant"> {
  let summary = "Rewrite upstream quant.qcast/quant.dcast into qf ops";
  let description = [{
    Rewrites `quant.qcast` to `!quant.uniform` types (per-tensor, per-axis
    and sub-channel with one blocked axis) whose results are only consumed by
    `quant.dcast` into `qf.quantize` with static scales and zero points, and
    the `quant.dcast`s into `qf.dequantize`. Values of `!quant` type that
    escape (function arguments and results, other users) and types `qf`
    cannot express are left unchanged, with a remark naming the reason.

    ```mlir
    %q = quant.qcast %x : tensor<4x8xf32> to tensor<4x8x!quant.uniform<i8:f32, 0.5:3>>
    %y = quant.dcast %q : tensor<4x8x!quant.uniform<i8:f32, 0.5:3>> to tensor<4x8xf32>
    // becomes
    %q = qf.quantize %x {scales = dense<5.000000e-01> : tensor<1xf32>,
                         zero_points = dense<3> : tensor<1xi32>}
        : tensor<4x8xf32> -> !qf.tensor<4x8xf32, #qf.format<"int8:zp">>
    %y = qf.dequantize %q : !qf.tensor<4x8xf32, #qf.format<"int8:zp">> -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["::qforge::qf::QFDialect"];
}

def QFToQuant : Pass<"qf-to-quant"> {
  let summary = "Rewrite qf.quantize/qf.dequantize into upstream quant ops";
  let description = [{
    The inverse of `qf-from-quant` for the formats upstream `!quant.uniform`
    can express: integer codes with static f32 scales, per tensor, per
    channel or in blocks along one axis. Each `qf.quantize` with static
    scales becomes `quant.qcast` and its `qf.dequantize` users `quant.dcast`.
    Anything else is left unchanged with a remark.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

#endif // QFORGE_DIALECT_QF_TRANSFORMS_PASSES_TD
