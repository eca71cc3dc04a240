// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s

// q4_k: 144-byte super-blocks of 256 elements. Each super-block reads d
// and dmin (f16), its 12 scale bytes as three i32 words, and 4 x 32 bytes
// of nibbles; sub-block j (elements 32j..32j+31) gets its 6-bit scale and
// min unpacked as ggml does and decodes as (d*sc)*q - dmin*m, eight
// vector<32xf32> in element order.
// CHECK-LABEL: func.func @dequant_q4_k
// CHECK-SAME: (%{{.*}}: tensor<576xi8>) -> tensor<2x512xf32>
// CHECK: scf.for {{.*}} step %c256
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: arith.extui {{.*}} : vector<32xi8> to vector<32xi32>
// CHECK: arith.uitofp {{.*}} : i32 to f32
// CHECK: arith.mulf {{.*}} : f32
// CHECK: arith.uitofp {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK: arith.subf {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<256xf32>, tensor<2x512xf32>
func.func @dequant_q4_k(%q: !qf.tensor<2x512xf32, #qf.format<"q4_k">>) -> tensor<2x512xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x512xf32, #qf.format<"q4_k">> -> tensor<2x512xf32>
  return %d : tensor<2x512xf32>
}

// -----

// Fused GEMV: the eight decoded sub-blocks multiply the activations in
// place (no permutation), one accumulator per sub-block width.
// CHECK-LABEL: func.func @gemv_q4_k
// CHECK-NOT: vector.shuffle
// CHECK: scf.for {{.*}} step %c256{{.*}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-COUNT-8: arith.subf {{.*}} : vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.reduction <add>
func.func @gemv_q4_k(%x: tensor<1x256xf32>, %w: !qf.tensor<4x256xf32, #qf.format<"q4_k">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<4x256xf32, #qf.format<"q4_k">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
