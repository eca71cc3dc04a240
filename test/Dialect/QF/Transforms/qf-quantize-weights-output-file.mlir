// RUN: rm -rf %t && %python %S/../Inputs/make_weights.py %t
// qf-quantize-weights output-file=: the packed sections go to a GGUF or
// safetensors file that the IR references; the weights themselves come
// from files here (qf.external_constant) and from the IR (arith.constant).
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-weights=output-file=q.gguf -o %t/ext-gguf.mlir
// RUN: FileCheck %s --check-prefix=IR --input-file=%t/ext-gguf.mlir
// RUN: %python %S/../Inputs/dump_weights.py %t/q.gguf | FileCheck %s --check-prefix=GGUF
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-weights=output-file=q.safetensors -o %t/ext-st.mlir
// RUN: %python %S/../Inputs/dump_weights.py %t/q.safetensors | FileCheck %s --check-prefix=ST
// Lowered, the external forms give exactly the constants (blob bytes
// included) of the embedded form.
// RUN: quant-opt %s --qf-weights-dir=%t -qf-quantize-weights -qf-lower-to-vector=target=avx2 -o %t/emb.low.mlir
// RUN: quant-opt %t/ext-gguf.mlir -qf-lower-to-vector=target=avx2 -o %t/gguf.low.mlir
// RUN: quant-opt %t/ext-st.mlir --qf-weights-dir=%t -qf-lower-to-vector=target=avx2 -o %t/st.low.mlir
// RUN: diff %t/emb.low.mlir %t/gguf.low.mlir
// RUN: diff %t/emb.low.mlir %t/st.low.mlir
// RUN: FileCheck %s --check-prefix=LOW --input-file=%t/gguf.low.mlir
// The file is written next to the input file when no directory is given.
// RUN: cp %s %t/model.mlir && cd / && quant-opt %t/model.mlir -qf-quantize-weights=output-file=rel.gguf -o /dev/null
// RUN: %python %S/../Inputs/dump_weights.py %t/rel.gguf | FileCheck %s --check-prefix=GGUF

// IR-LABEL: func.func @mlp
// IR: %[[W:.*]] = qf.constant {{{.*}}qf.name = "fc.weight"{{.*}}} #qf.external<"q.gguf", "fc.weight"> : !qf.tensor<4x64xf32, #qf.format<"q4_0">>
// IR: qf.dequantize %[[W]]
// The bias has no qf.format: it stays where it is.
// IR: qf.external_constant {qf.name = "fc.bias"} #qf.external<"w.safetensors", "fc.bias"> : tensor<4xf32>
// IR: qf.constant {{{.*}}qf.name = "fc.half"{{.*}}} #qf.external<"q.gguf", "fc.half"> : !qf.tensor<4x64xf16, #qf.format<"int4:g32:f16">>
// IR: qf.constant {{{.*}}qf.name = "emb"{{.*}}} #qf.external<"q.gguf", "emb"> : !qf.tensor<2x32xf32, #qf.format<"q8_0">>
// IR: qf.constant {{{.*}}qf.name = "big"{{.*}}} #qf.external<"q.gguf", "big"> : !qf.tensor<8x256xf32, #qf.format<"mxfp4">>
// IR: qf.constant {{{.*}}qf.name = "inline"{{.*}}} #qf.external<"q.gguf", "inline"> : !qf.tensor<1x32xf32, #qf.format<"iq4_nl">>
// IR-NOT: dense_resource

// ggml block types for the GGUF layouts, the section convention (I8
// tensors, string KV pairs) for the others.
// GGUF: gguf version 3
// GGUF-NEXT: tensor big.qf.codes I8 [1024] 1024 bytes
// GGUF-NEXT: tensor big.qf.scales I8 [64] 64 bytes
// GGUF-NEXT: tensor emb Q8_0 [2, 32] 68 bytes
// GGUF-NEXT: tensor fc.half.qf.codes I8 [128] 128 bytes
// GGUF-NEXT: tensor fc.half.qf.scales I8 [16] 16 bytes
// GGUF-NEXT: tensor fc.weight Q4_0 [4, 64] 144 bytes
// GGUF-NEXT: tensor inline IQ4_NL [1, 32] 18 bytes
// GGUF-NEXT: meta big.qf_format = mxfp4
// GGUF-NEXT: meta big.qf_shape = [8,256]
// GGUF-NEXT: meta fc.half.qf_format = int4:g32:f16
// GGUF-NEXT: meta fc.half.qf_shape = [4,64]

// ST: tensor big.qf.codes U8 [1024] 1024 bytes
// ST: tensor big.qf.scales U8 [64] 64 bytes
// ST: tensor emb.qf.codes U8 [68] 68 bytes
// ST: tensor fc.half.qf.codes U8 [128] 128 bytes
// ST: tensor fc.half.qf.scales U8 [16] 16 bytes
// ST: tensor fc.weight.qf.codes U8 [144] 144 bytes
// ST: tensor inline.qf.codes U8 [18] 18 bytes
// ST: meta big.qf_format = mxfp4
// ST: meta big.qf_shape = [8,256]
// ST: meta fc.weight.qf_format = q4_0

// LOW-LABEL: func.func @mlp
// LOW-NOT: qf.
// LOW: arith.constant dense_resource<fc.weight.codes> : tensor<144xi8>
// LOW: arith.constant dense_resource<fc.bias> : tensor<4xf32>
func.func @mlp() -> (tensor<4x64xf32>, tensor<4xf32>, tensor<4x64xf16>, tensor<2x32xf32>, tensor<8x256xf32>, tensor<1x32xf32>) {
  %w = qf.external_constant {qf.format = #qf.format<"q4_0">} #qf.external<"w.safetensors", "fc.weight"> : tensor<4x64xf32>
  %b = qf.external_constant #qf.external<"w.safetensors", "fc.bias"> : tensor<4xf32>
  %h = qf.external_constant {qf.format = #qf.format<"int4:g32:f16">} #qf.external<"w.safetensors", "fc.half"> : tensor<4x64xf16>
  %e = qf.external_constant {qf.format = #qf.format<"q8_0">} #qf.external<"w.npz", "emb"> : tensor<2x32xf32>
  %g = qf.external_constant {qf.format = #qf.format<"mxfp4">} #qf.external<"w.safetensors", "big"> : tensor<8x256xf32>
  %i = arith.constant {qf.format = #qf.format<"iq4_nl">, qf.name = "inline"} dense<[[0.5, -1.0, 0.25, 2.0, 0.0, 1.5, -0.75, 0.125, 0.5, -1.0, 0.25, 2.0, 0.0, 1.5, -0.75, 0.125, 0.5, -1.0, 0.25, 2.0, 0.0, 1.5, -0.75, 0.125, 0.5, -1.0, 0.25, 2.0, 0.0, 1.5, -0.75, 0.125]]> : tensor<1x32xf32>
  return %w, %b, %h, %e, %g, %i : tensor<4x64xf32>, tensor<4xf32>, tensor<4x64xf16>, tensor<2x32xf32>, tensor<8x256xf32>, tensor<1x32xf32>
}
