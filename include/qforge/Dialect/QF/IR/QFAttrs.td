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

#endif // QFORGE_DIALECT_QF_IR_QFATTRS_TD
