//===- QFOps.td - qf operations ----------------------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_IR_QFOPS_TD
#define QFORGE_DIALECT_QF_IR_QFOPS_TD

include "qforge/Dialect/QF/IR/QFTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

def QF_QTensor : Type<CPred<"::llvm::isa<::qforge::qf::QuantizedTensorType>($_self)">,
    "quantized tensor", "::qforge::qf::QuantizedTensorType">;

def QF_FloatTensor : TensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// qf.quantize
//===----------------------------------------------------------------------===//

def QF_QuantizeOp : QF_Op<"quantize", [Pure]> {
  let summary = "Quantize a float tensor into a format";
  let description = [{
    Encodes `input` in the result type's format. Scales are computed from the
    data with the format's statistic, unless static (calibrated) `scales`
    (one per scale group, in group order) and, for formats with a zero
    point, `zero_points` are given, as `quant.qcast` of `!quant.uniform`
    types requires.

    ```mlir
    %q = qf.quantize %w : tensor<64x128xf32> -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16">>
    %a = qf.quantize %x {scales = dense<0.05> : tensor<1xf32>}
        : tensor<8x16xf32> -> !qf.tensor<8x16xf32, #qf.format<"sint8">>
    ```

    `qf.dequantize` of a `qf.quantize` is never folded away: quantization
    changes the values.
  }];
  let arguments = (ins QF_FloatTensor:$input,
                       OptionalAttr<FloatElementsAttr<32>>:$scales,
                       OptionalAttr<I32ElementsAttr>:$zero_points);
  let results = (outs QF_QTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` qualified(type($result))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qf.dequantize
//===----------------------------------------------------------------------===//

def QF_DequantizeOp : QF_Op<"dequantize", [Pure]> {
  let summary = "Decode a quantized tensor to floats";
  let description = [{
    Decodes every element of `input`. The result has the input's shape; its
    element type may be any float type (the decoded values are rounded to
    it).

    ```mlir
    %w = qf.dequantize %q : !qf.tensor<64x128xf32, #qf.format<"nf4:g64">> -> tensor<64x128xf32>
    ```

    Folding: the dequantization of a `qf.constant` of at most 1024 elements
    whose data is available folds to the exactly decoded values (the
    reference decoder of the format library), so constant propagation sees
    small quantized constants; larger weights stay packed. A `qf.quantize`
    operand is never folded through: quantization changes the values.
  }];
  let arguments = (ins QF_QTensor:$input);
  let results = (outs QF_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// qf.constant
//===----------------------------------------------------------------------===//

def QF_ConstantOp : QF_Op<"constant", [Pure]> {
  let summary = "A quantized constant: packed codes and side data in blobs";
  let description = [{
    A quantized tensor whose storage sections (docs/formats.md) are given as
    byte tensors, normally `dense_resource` blobs:

    ```mlir
    %w = qf.constant {codes = dense_resource<w_codes> : tensor<4096xi8>,
                      scales = dense_resource<w_scales> : tensor<256xi8>}
        : !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16">>
    ```

    Exactly the sections the format needs must be present, each with exactly
    the number of bytes the format demands for the shape. `qf.name` may name
    the weight.
  }];
  let arguments = (ins
    OptionalAttr<ElementsAttr>:$codes,
    OptionalAttr<ElementsAttr>:$scales,
    OptionalAttr<ElementsAttr>:$zero_points,
    OptionalAttr<ElementsAttr>:$codebooks,
    OptionalAttr<ElementsAttr>:$super_scales,
    OptionalAttr<ElementsAttr>:$outliers);
  let results = (outs QF_QTensor:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The section attribute for a Numerics section (null if absent).
    ::mlir::ElementsAttr getSection(::qforge::num::Section section);
    /// Reads the section bytes (from the blob or the dense elements);
    /// returns false if the data is not available (e.g. an elided blob).
    bool readSection(::qforge::num::Section section,
                     std::vector<uint8_t> &bytes);
    /// Attribute name of a section (`codes`, `scales`, ...).
    static ::llvm::StringRef getSectionAttrName(::qforge::num::Section section);
  }];
}

//===----------------------------------------------------------------------===//
// qf.matmul
//===----------------------------------------------------------------------===//

def QF_MatmulOp : QF_Op<"matmul", [Pure]> {
  let summary = "Activations times a dequantized weight, fused";
  let description = [{
    Computes `result = lhs x dequantize(weight)` without materialising the
    decoded weight. `lhs` has shape `[..., M, K]` (or `[K]`); the weight is
    `[K, N]`, or `[N, K]` when `transpose_weight` is set (the layout of
    `nn.Linear` and GGUF). The result is `[..., M, N]` (or `[N]`).

    ```mlir
    %y = qf.matmul %x, %w {transpose_weight}
        : tensor<1x4096xf32>, !qf.tensor<14336x4096xf32, #qf.format<"q4_0">> -> tensor<1x14336xf32>
    ```
  }];
  let arguments = (ins QF_FloatTensor:$lhs, QF_QTensor:$weight,
                       UnitAttr:$transpose_weight);
  let results = (outs QF_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $weight attr-dict `:` type($lhs) `,` qualified(type($weight))
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getK();
    int64_t getN();
  }];
}

#endif // QFORGE_DIALECT_QF_IR_QFOPS_TD
