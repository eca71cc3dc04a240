//===- QFAttrs.td - qf attributes --------------------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_IR_QFATTRS_TD
#define QFORGE_DIALECT_QF_IR_QFATTRS_TD

include "qforge/Dialect/QF/IR/QFDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class QF_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<QF_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def QF_FormatAttr : QF_Attr<"Format", "format"> {
  let summary = "How the elements of a quantized tensor are encoded";
  let description = [{
    A quantization format, written as the compact spec string that the
    command line and the Python API accept (grammar in docs/formats.md):

    ```mlir
    #qf.format<"int4:g128:f16">        // signed int4, blocks of 128, f16 scales
    #qf.format<"nf4:g64">              // NF4 table, blocks of 64
    #qf.format<"mxfp4">                // e2m1, blocks of 32, e8m0 scales
    #qf.format<"crd-t5:4:g64:bf16">    // cube-root-density Student-t(5) table
    #qf.format<"asq:16:ch">            // learned 16-value codebook per row
    #qf.format<"kashin:2+2">           // Kashin two-factor 2+2-bit code
    #qf.format<"q4_0">                 // GGUF Q4_0 blocks, byte-compatible
    ```

    The attribute stores the canonical form of the spec, so equal formats
    are the same attribute and print identically. It answers the bits per
    weight (scales, zero points, codebooks and outliers included) and the
    storage size of a tensor of a given shape.
  }];
  let parameters = (ins StringRefParameter<"canonical format spec">:$spec);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "const ::qforge::num::FormatSpec &":$format), [{
      return $_get($_ctxt, format.str());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The decoded format descriptor (the spec is always valid here).
    ::qforge::num::FormatSpec getFormat() const;
    /// Bits per weight, amortised over the nominal block size.
    double getBitsPerWeight() const;
    /// Bits per weight for a tensor of this shape, overheads included.
    double getBitsPerWeight(::llvm::ArrayRef<int64_t> shape) const;
    /// Exact storage of a tensor of this shape in bytes.
    uint64_t getStorageBytes(::llvm::ArrayRef<int64_t> shape) const;
    /// Parses a spec string into an attribute, reporting errors through
    /// `emitError`.
    static FormatAttr parseSpec(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        ::mlir::MLIRContext *context, ::llvm::StringRef spec);
  }];
}

def QF_ExternalAttr : QF_Attr<"External", "external", [TypedAttrInterface]> {
  let summary = "A tensor stored in a weight file, referenced by file and key";
  let description = [{
    Names a tensor kept outside the IR: the path of a `.safetensors`,
    `.gguf`, `.npz` or `.npy` file, the tensor's key in it (omitted for a
    `.npy` file, which holds one array), and, like `dense_resource`, the
    type of the value it stands for:

    ```mlir
    #qf.external<"weights/model.safetensors", "layers.0.mlp.up.weight"> : tensor<128x64xf32>
    #qf.external<"/data/bias.npy"> : tensor<128xf16>
    #qf.external<"model.q.gguf", "fc1"> : !qf.tensor<128x64xf32, #qf.format<"q4_0">>
    ```

    A float tensor type makes it the value of `qf.external_constant`; a
    `!qf.tensor` type the external storage of `qf.constant` (sections a
    QForge writer stored, e.g. `qf-quantize-weights output-file=...`).

    Relative paths are resolved, when a pass needs the data, against the
    weights directory of the context (`quant-opt --qf-weights-dir=DIR`,
    `qforge.compile(..., weights_dir=DIR)`,
    `ExternalWeightResolver::setDirectory`), else against the directory of
    the file the IR was parsed from (the file location of the top-level
    op), else against the current directory. Files are opened lazily,
    memory-mapped once per context, and never by the verifier: the
    attribute checks only the extension, the key and the type.
  }];
  let parameters = (ins
    StringRefParameter<"path of the weight file">:$path,
    StringRefParameter<"key of the tensor in the file", "\"\"">:$key,
    AttributeSelfTypeParameter<"the value's type">:$type);
  let assemblyFormat = "`<` $path (`,` $key^)? `>`";
  let genVerifyDecl = 1;
}

#endif // QFORGE_DIALECT_QF_IR_QFATTRS_TD
