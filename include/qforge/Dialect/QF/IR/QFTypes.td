//===- QFTypes.td - qf types -------------------------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_IR_QFTYPES_TD
#define QFORGE_DIALECT_QF_IR_QFTYPES_TD

include "qforge/Dialect/QF/IR/QFAttrs.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

class QF_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<QF_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def QF_QuantizedTensorType : QF_Type<"QuantizedTensor", "tensor", [
    DeclareTypeInterfaceMethods<ShapedTypeInterface, ["cloneWith"]>]> {
  let summary = "A tensor of statically known shape stored in a quantized format";
  let description = [{
    `!qf.tensor<4096x4096xbf16, #qf.format<"nf4:g64">>` is a tensor whose
    logical elements are `bf16` and whose storage is the format's packed
    codes, scales and side data. The shape is static; the format must be
    able to encode it (blocks divide their dimension, axes in range). The
    format may also be written as a bare spec string:
    `!qf.tensor<64x128xf32, "int4:g32">`.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "::mlir::Type":$elementType,
    "::qforge::qf::FormatAttr":$format
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 0;
  let extraClassDeclaration = [{
    using ::mlir::ShapedType::Trait<QuantizedTensorType>::getNumElements;
    /// Storage of the whole tensor in bytes.
    uint64_t getStorageBytes() const {
      return getFormat().getStorageBytes(getShape());
    }
    /// The equivalent float tensor type.
    ::mlir::RankedTensorType getFloatType() const {
      return ::mlir::RankedTensorType::get(getShape(), getElementType());
    }
  }];
}

#endif // QFORGE_DIALECT_QF_IR_QFTYPES_TD
