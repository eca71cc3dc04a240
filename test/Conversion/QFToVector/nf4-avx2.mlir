// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx2 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=neon | FileCheck %s --check-prefix=NEON

// nf4:g64 on AVX2 (vpermps has 8 lanes): the 16 NF4 values are split into
// two 8-entry tables (-1 ... 0 and 0.0796 ... 1); each 8-code slice is
// looked up in both (permps uses the low 3 bits) and bit 3 of the code
// selects the half. f32 group scales.
// CHECK-LABEL: func.func @dequant_nf4_avx2
// CHECK-SAME: (%{{.*}}: tensor<128xi8>, %{{.*}}: tensor<16xi8>) -> tensor<2x128xf32>
// CHECK: scf.for {{.*}} step %c64
// CHECK: vector.interleave {{.*}} : vector<32xi8> -> vector<64xi8>
// CHECK: %[[LO:.*]] = arith.constant dense<[-1.000000e+00, -0.6961928, -0.525073051, -0.394917488, -0.284441382, -0.18477343, -0.0910500362, 0.000000e+00]> : vector<8xf32>
// CHECK: %[[HI:.*]] = arith.constant dense<[0.0795802995, 0.160930201, 0.246112302, 0.337915242, 0.440709829, 5.626170e-01, 0.722956836, 1.000000e+00]> : vector<8xf32>
// CHECK: %[[IDX:.*]] = arith.extui {{.*}} : vector<8xi8> to vector<8xi32>
// CHECK: %[[A:.*]] = {{.*}}call @llvm.x86.avx2.permps(%[[LO]], %[[IDX]]) : (vector<8xf32>, vector<8xi32>) -> vector<8xf32>
// CHECK: %[[B:.*]] = {{.*}}call @llvm.x86.avx2.permps(%[[HI]], %[[IDX]]) : (vector<8xf32>, vector<8xi32>) -> vector<8xf32>
// CHECK: %[[EIGHT:.*]] = arith.constant dense<8> : vector<8xi32>
// CHECK: %[[BIT:.*]] = arith.andi %[[IDX]], %[[EIGHT]] : vector<8xi32>
// CHECK: %[[SEL:.*]] = arith.cmpi ne, %[[BIT]]
// CHECK: arith.select %[[SEL]], %[[B]], %[[A]] : vector<8xi1>, vector<8xf32>
// CHECK-COUNT-14: call @llvm.x86.avx2.permps
// CHECK: arith.mulf {{.*}} : vector<64xf32>
// CHECK-NOT: llvm.x86.avx512

// On NEON the f32 table is looked up bytewise: four tbl1 per 16 codes (one
// per byte of the f32), reassembled with a bitcast to vector<16xf32>.
// NEON-LABEL: func.func @dequant_nf4_avx2
// NEON-COUNT-4: call @llvm.aarch64.neon.tbl1.v16i8
// NEON: vector.bitcast {{.*}} : vector<64xi8> to vector<16xf32>
func.func @dequant_nf4_avx2(%q: !qf.tensor<2x128xf32, #qf.format<"nf4:g64">>) -> tensor<2x128xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x128xf32, #qf.format<"nf4:g64">> -> tensor<2x128xf32>
  return %d : tensor<2x128xf32>
}

// -----

// Fused GEMV: two 64-wide accumulators (two groups per 128-element step).
// CHECK-LABEL: func.func @gemv_nf4_avx2
// The GEMV reads the codes as 8 i32 lanes of 4 bytes (8 nibble planes of
// 8 lanes, 64 codes per chunk, two chunks per iteration).
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
// CHECK: vector.bitcast {{.*}} : vector<32xi8> to vector<8xi32>
// CHECK: call @llvm.x86.avx2.permps
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>
// NEON-LABEL: func.func @gemv_nf4_avx2
// NEON: call @llvm.aarch64.neon.tbl1.v16i8
// NEON: vector.fma
func.func @gemv_nf4_avx2(%x: tensor<1x128xf32>, %w: !qf.tensor<2x128xf32, #qf.format<"nf4:g64">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<2x128xf32, #qf.format<"nf4:g64">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
