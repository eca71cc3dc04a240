// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=generic | FileCheck %s --check-prefix=GENERIC

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

// Fused GEMV, x86: word lanes over whole super-blocks. The activations
// are permuted once into the planes' lane order; per m the lanes' sums of
// activations of each of the 4 plane classes (word 0 or 1, even or odd
// nibbles) are shared by the rows. Per row and super-block the 8 scales
// and mins are unpacked together in 8 i32 lanes and spread over the lanes
// of each class (sub-blocks 0/2, 1/3, 4/6, 5/7); each 64-byte word gives 8
// planes (a shift and a vpermps lookup of the code values each), summed
// per class, times d * sc, plus -(dmin * m) times the class's x sums.
// CHECK-LABEL: func.func @gemv_q4_k
// CHECK: vector.shuffle {{.*}} : vector<256xf32>, vector<256xf32>
// CHECK: scf.for {{.*}} step %c256{{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<576xi8>, vector<64xi8>
// CHECK: llvm.x86.avx512.permvar.sf.512
// CHECK: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: vector.shuffle {{.*}} [0, 1, 2, 3, 8, 9, 10, 11] : vector<16xi32>, vector<16xi32>
// CHECK: arith.uitofp {{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: %[[NM:.*]] = arith.negf {{.*}} : vector<8xf32>
// CHECK: %[[D0:.*]] = vector.shuffle %[[DSC:.*]], %[[DSC]] [0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2] : vector<8xf32>, vector<8xf32>
// CHECK: %[[M0:.*]] = vector.shuffle %[[NM]], %[[NM]] [0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %[[DSC]], %[[DSC]] [5, 5, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7]
// CHECK-COUNT-3: vector.fma {{.*}} : vector<16xf32>
// CHECK-NEXT: %[[A:.*]] = vector.fma %{{.*}}, %[[D0]], %{{.*}} : vector<16xf32>
// CHECK-NEXT: vector.fma %[[M0]], %{{.*}}, %[[A]] : vector<16xf32>
// CHECK: vector.reduction <add>
// The other targets decode the eight sub-blocks in element order
// (vector<32xf32> each) and multiply the activations in place.
// GENERIC-LABEL: func.func @gemv_q4_k
// GENERIC-NOT: vector.shuffle
// GENERIC: scf.for {{.*}} step %c256{{.*}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// GENERIC-COUNT-8: arith.subf {{.*}} : vector<32xf32>
// GENERIC: vector.fma {{.*}} : vector<32xf32>
// GENERIC: vector.reduction <add>
func.func @gemv_q4_k(%x: tensor<1x256xf32>, %w: !qf.tensor<4x256xf32, #qf.format<"q4_k">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<4x256xf32, #qf.format<"q4_k">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
