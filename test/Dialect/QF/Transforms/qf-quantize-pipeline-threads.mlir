// Issue 9, determinism: qf-quantize-pipeline gives byte-identical output for
// 1 and 8 threads and across repeated runs, for every quantize method, on
// the two-layer MLP of qf-quantize-pipeline.mlir.
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=4.25 sensitivity=%S/Inputs/mlp-sensitivity.json threads=1" -o %t.rtn1.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=4.25 sensitivity=%S/Inputs/mlp-sensitivity.json threads=8" -o %t.rtn8.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=4.25 sensitivity=%S/Inputs/mlp-sensitivity.json threads=8" -o %t.rtn8b.mlir
// RUN: diff %t.rtn1.mlir %t.rtn8.mlir
// RUN: diff %t.rtn8.mlir %t.rtn8b.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=3 method=rd-exact quantize-method=search threads=1" -o %t.search1.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=3 method=rd-exact quantize-method=search threads=8" -o %t.search8.mlir
// RUN: diff %t.search1.mlir %t.search8.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=4 quantize-method=asq threads=1" -o %t.asq1.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=4 quantize-method=asq threads=8" -o %t.asq8.mlir
// RUN: diff %t.asq1.mlir %t.asq8.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=6 quantize-method=kashin threads=1" -o %t.kashin1.mlir
// RUN: quant-opt %S/qf-quantize-pipeline.mlir -qf-quantize-pipeline="avg-bits=6 quantize-method=kashin threads=8" -o %t.kashin8.mlir
// RUN: diff %t.kashin1.mlir %t.kashin8.mlir
// The outputs are real quantized modules, not empty files.
// RUN: FileCheck %s --input-file=%t.rtn8.mlir
// CHECK: qf.constant
// CHECK: qf.matmul
