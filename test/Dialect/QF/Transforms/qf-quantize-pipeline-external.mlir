// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// The whole pipeline on weights kept in files: sensitivities, ModCap,
// rd-exact allocation (which measures every candidate on the data read
// from the files), quantization into a GGUF file the IR then references,
// fusion and the report (whose entropy figures read the codes back from
// the GGUF file).
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-pipeline="avg-bits=6.5 method=rd-exact candidates=q4_0,q8_0 output-file=p.gguf report=%t/ext.json" -o %t/ext.mlir
// RUN: FileCheck %s --input-file=%t/ext.mlir
// RUN: %python %S/../Inputs/dump_weights.py %t/p.gguf | FileCheck %s --check-prefix=GGUF
// The same pipeline with embedded blobs reports the same figures.
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-pipeline="avg-bits=6.5 method=rd-exact candidates=q4_0,q8_0 report=%t/emb.json" -o /dev/null
// RUN: diff %t/ext.json %t/emb.json
// RUN: FileCheck %s --input-file=%t/ext.json --check-prefix=JSON
// The closed form reads the data (mean squares) from the files too.
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-pipeline="avg-bits=5 candidates=q4_0,q8_0 output-file=c.safetensors" | FileCheck %s --check-prefix=CLOSED

// CHECK-LABEL: func.func @fc
// CHECK: %[[W1:.*]] = qf.constant {{{.*}}qf.name = "fc.weight"{{.*}}} #qf.external<"p.gguf", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"q{{[48]}}_0">>
// CHECK: qf.matmul %{{.*}}, %[[W1]] {transpose_weight}
// CHECK-LABEL: func.func @big
// CHECK: %[[W2:.*]] = qf.constant {{{.*}}qf.name = "big"{{.*}}} #qf.external<"p.gguf", "big"> : !qf.tensor<8x256xf32, #qf.format<"q{{[48]}}_0">>
// CHECK: qf.matmul %{{.*}}, %[[W2]] {transpose_weight}

// GGUF: gguf version 3
// GGUF-NEXT: tensor big Q{{[48]}}_0 [8, 256]
// GGUF-NEXT: tensor fc.weight Q{{[48]}}_0 [4, 64]
// GGUF-NOT: tensor

// JSON: "name": "fc.weight",
// JSON: "entropy_bits_per_weight": {{[0-9]+\.[0-9]+}},
// JSON: "budget_bits_per_weight": 6.5

// CLOSED: qf.constant {{{.*}}} #qf.external<"c.safetensors", "fc.weight">
// CLOSED: qf.constant {{{.*}}} #qf.external<"c.safetensors", "big">
func.func @fc(%x: tensor<2x64xf32>) -> tensor<2x4xf32> {
  %w = qf.external_constant #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
  %z = arith.constant dense<0.0> : tensor<2x4xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %w : tensor<2x64xf32>, tensor<4x64xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

func.func @big(%x: tensor<2x256xf32>) -> tensor<2x8xf32> {
  %v = qf.external_constant #qf.external<"w.safetensors", "big"> : tensor<8x256xf32>
  %z = arith.constant dense<0.0> : tensor<2x8xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %v : tensor<2x256xf32>, tensor<8x256xf32>) outs(%z : tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
