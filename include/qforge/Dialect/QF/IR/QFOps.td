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
  let summary = "A quantized constant: packed codes and side data";
  let description = [{
    A quantized tensor whose storage sections (docs/formats.md) are given
    either inline as byte tensors, normally `dense_resource` blobs:

    ```mlir
    %w = qf.constant {codes = dense_resource<w_codes> : tensor<4096xi8>,
                      scales = dense_resource<w_scales> : tensor<256xi8>}
        : !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16">>
    ```

    or in a weight file that a QForge writer produced (the section
    convention of include/qforge/IO/Weights.h: a ggml block tensor of a
    GGUF file for the q4_0/q8_0/iq4_nl/q4_k layouts, else the tensors
    `<key>.qf.<section>` with `<key>.qf_format`/`<key>.qf_shape` metadata in
    a `.safetensors` or `.gguf` file):

    ```mlir
    %w = qf.constant {qf.name = "fc"} #qf.external<"w.gguf", "fc">
        : !qf.tensor<64x128xf32, #qf.format<"q4_0">>
    ```

    (the type after the external reference is the attribute's type, which
    is the result type).

    Inline: exactly the sections the format needs must be present, each
    with exactly the number of bytes the format demands for the shape.
    External: no inline section may be present; the verifier does not open
    the file. The passes that need the data resolve the reference lazily
    and diagnose a missing file or key, a stored format or shape other than
    the type's, and sections of the wrong size. `qf.name` may name the
    weight.
  }];
  let arguments = (ins
    OptionalAttr<ElementsAttr>:$codes,
    OptionalAttr<ElementsAttr>:$scales,
    OptionalAttr<ElementsAttr>:$zero_points,
    OptionalAttr<ElementsAttr>:$codebooks,
    OptionalAttr<ElementsAttr>:$super_scales,
    OptionalAttr<ElementsAttr>:$outliers,
    OptionalAttr<QF_ExternalAttr>:$external);
  let results = (outs QF_QTensor:$result);
  let assemblyFormat =
      "attr-dict custom<ConstantStorage>($external, type($result))";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The section attribute for a Numerics section (null if absent or
    /// external).
    ::mlir::ElementsAttr getSection(::qforge::num::Section section);
    /// Reads the inline section bytes (from the blob or the dense
    /// elements); returns false if the data is not available (an elided
    /// blob, or external storage: use readData).
    bool readSection(::qforge::num::Section section,
                     std::vector<uint8_t> &bytes);
    /// Reads the whole tensor (format and shape from the type) from the
    /// inline sections or, for external storage, from the weight file
    /// (opened lazily through the context's ExternalWeightResolver). On
    /// failure `error` says why (an elided blob, a missing file or key, a
    /// stored format, shape or size other than the type's).
    ::llvm::LogicalResult readData(::qforge::num::QuantizedTensor &out,
                                   std::string &error);
    /// One attribute per section (null for the sections the format does
    /// not have): the inline attributes, or for external storage
    /// `dense_resource` blobs over the memory-mapped file (no copy when the
    /// mapping is suitably aligned).
    ::llvm::LogicalResult getSectionAttrs(
        ::llvm::SmallVectorImpl<::mlir::ElementsAttr> &out,
        std::string &error);
    /// Attribute name of a section (`codes`, `scales`, ...).
    static ::llvm::StringRef getSectionAttrName(::qforge::num::Section section);
  }];
}

//===----------------------------------------------------------------------===//
// qf.external_constant
//===----------------------------------------------------------------------===//

def QF_ExternalConstantOp : QF_Op<"external_constant",
    [Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A float tensor stored in a weight file";
  let description = [{
    The float tensor `key` of a `.safetensors`, `.gguf`, `.npz` or `.npy`
    file, as `arith.constant` would give it if the data were embedded (the
    result type is the type of the `#qf.external` attribute):

    ```mlir
    %w = qf.external_constant #qf.external<"model.safetensors", "fc1.weight">
        : tensor<128x64xf32>
    %b = qf.external_constant {qf.name = "fc1.bias"}
        #qf.external<"model.npz", "fc1.bias"> : tensor<128xf16>
    ```

    The stored tensor must have exactly the result's shape and element type
    (`F32`, `F16`, `BF16` or `F64`; no conversion). The verifier does not
    open the file: the passes that need the values (`qf-allocate-bits`,
    `qf-quantize-weights`, `qf-lower-to-vector`) resolve the reference
    lazily (see `#qf.external` for relative paths) and diagnose a missing
    file or key and a stored dtype or shape other than the result's. It is
    a weight for the quantization passes like a float `arith.constant`: it
    can carry `qf.name`, `qf.fisher`, `qf.format`, ..., and
    `qf-quantize-weights` quantizes it from the file.
  }];
  let arguments = (ins QF_ExternalAttr:$value);
  let results = (outs StaticShapeTensorOf<[F16, BF16, F32, F64]>:$result);
  let assemblyFormat = "attr-dict qualified($value)";
  let extraClassDeclaration = [{
    /// Resolves the reference: the stored tensor, checked against the
    /// result type. On failure `error` says why.
    ::llvm::LogicalResult resolve(::qforge::io::ExternalTensor &out,
                                  std::string &error);
    /// The value as a `dense_resource` attribute of the result type over
    /// the memory-mapped file (no copy when the mapping is aligned for the
    /// element type), for lowerings that need an `arith.constant`.
    ::mlir::ElementsAttr materialize(std::string &error);
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
