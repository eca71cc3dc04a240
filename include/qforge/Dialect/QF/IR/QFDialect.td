//===- QFDialect.td - The qf dialect -----------------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_IR_QFDIALECT_TD
#define QFORGE_DIALECT_QF_IR_QFDIALECT_TD

include "mlir/IR/OpBase.td"

def QF_Dialect : Dialect {
  let name = "qf";
  let cppNamespace = "::qforge::qf";
  let summary = "Quantized weight tensors and the kernels that read them";
  let description = [{
    The `qf` dialect describes tensors whose elements are stored in a
    quantization format (`#qf.format`): integer, minifloat, lookup-table,
    learned-codebook (ASQ) or Kashin two-factor codes with block scales,
    zero points, double-quantized scales and sparse outliers. Quantized
    values have type `!qf.tensor<SHAPE x FLOAT, #qf.format<...>>`; their
    packed data lives in `dense_resource` blobs of `qf.constant` or in a
    weight file that `#qf.external` names (`qf.constant` with external
    storage; `qf.external_constant` for float tensors), never in a type.
    `qf.matmul` multiplies activations by a dequantized weight without
    materialising it, and is what the CPU and NVPTX lowerings generate
    kernels for.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    /// Resolves `#qf.external` references for the passes and folders of
    /// this context (lazily opened, memory-mapped weight files).
    ExternalWeightResolver &getExternalWeights() { return *externalWeights; }

  private:
    std::unique_ptr<ExternalWeightResolver> externalWeights;

  public:
  }];
}

class QF_Op<string mnemonic, list<Trait> traits = []>
    : Op<QF_Dialect, mnemonic, traits>;

#endif // QFORGE_DIALECT_QF_IR_QFDIALECT_TD
