// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s

// uint4:g32:f16:zp: unsigned nibbles converted with uitofp, the group's
// zero point (one byte per group, 4 groups) subtracted as a float, then
// the f16 scale.
// CHECK-LABEL: func.func @dequant_uint4_zp
// CHECK-SAME: (%[[C:.*]]: tensor<64xi8>, %[[S:.*]]: tensor<8xi8>, %[[ZP:.*]]: tensor<4xi8>) -> tensor<2x64xf32>
// CHECK: vector.transfer_read %[[C]]
// CHECK: vector.interleave {{.*}} : vector<16xi8> -> vector<32xi8>
// CHECK: arith.extui {{.*}} : vector<32xi8> to vector<32xi32>
// CHECK: arith.uitofp {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: tensor.extract %[[ZP]]
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.uitofp {{.*}} : i32 to f32
// CHECK: vector.broadcast
// CHECK: arith.subf {{.*}} : vector<32xf32>
// CHECK: vector.transfer_read %[[S]]{{.*}} : tensor<8xi8>, vector<2xi8>
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK-NOT: arith.sitofp
func.func @dequant_uint4_zp(%q: !qf.tensor<2x64xf32, #qf.format<"uint4:g32:f16:zp">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"uint4:g32:f16:zp">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// Fused GEMV: zero point subtracted before the FMA.
// CHECK-LABEL: func.func @gemv_uint4_zp
// CHECK-SAME: (%{{.*}}: tensor<1x64xf32>, %{{.*}}: tensor<64xi8>, %{{.*}}: tensor<8xi8>, %{{.*}}: tensor<4xi8>) -> tensor<1x2xf32>
// CHECK: arith.subf {{.*}} : vector<16xf32>
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>
func.func @gemv_uint4_zp(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"uint4:g32:f16:zp">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"uint4:g32:f16:zp">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
