// RUN: quant-opt %s -qf-lower-to-vector=target=avx512 | FileCheck %s

// int4:g32:f16:outliers=2^-7 on 2x64: ceil(128 * 2^-7) = 1 outlier, stored
// as a u32 index then a bf16 value (6 bytes). The dense loop runs first;
// a second loop over the 1 outlier reads the index, the bf16 bits
// (zext, shl 16, bitcast to f32) and overwrites the element with
// tensor.insert at (index / 64, index % 64).
// CHECK-LABEL: func.func @dequant_outliers
// CHECK-SAME: (%{{.*}}: tensor<64xi8>, %{{.*}}: tensor<8xi8>, %[[O:.*]]: tensor<6xi8>) -> tensor<2x64xf32>
// CHECK: %[[DENSE:.*]] = scf.for
// CHECK: vector.interleave
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: vector.transfer_write
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[DENSE]])
// CHECK: vector.transfer_read %[[O]]{{.*}} : tensor<6xi8>, vector<4xi8>
// CHECK: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: arith.index_castui {{.*}} : i32 to index
// CHECK: vector.transfer_read %[[O]]{{.*}} : tensor<6xi8>, vector<2xi8>
// CHECK: arith.shli {{.*}}, %c16_i32 : i32
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK: tensor.insert {{.*}} : tensor<2x64xf32>
func.func @dequant_outliers(%q: !qf.tensor<2x64xf32, #qf.format<"int4:g32:f16:outliers=2^-7">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"int4:g32:f16:outliers=2^-7">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}
