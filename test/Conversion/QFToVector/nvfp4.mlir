// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s

// nvfp4 = e2m1:g16:e4m3:dq=tensor (double quantization): codes (2x64 ->
// 64 bytes), one e4m3 relative scale per 16 elements (8 bytes) and one f32
// super-scale for the tensor (4 bytes). Groups of 16 -> 8 code bytes per
// step; the e4m3 scale byte is decoded to f32 bits in scalar code (exponent
// (s >> 3) & 15, mantissa (s & 7) << 20, sign << 31, NaN for s & 127 == 127)
// and multiplied by the f32 super-scale before scaling the 16 elements.
// CHECK-LABEL: func.func @dequant_nvfp4
// CHECK-SAME: (%[[C:.*]]: tensor<64xi8>, %[[S:.*]]: tensor<8xi8>, %[[SS:.*]]: tensor<4xi8>) -> tensor<2x64xf32>
// CHECK: scf.for {{.*}} step %c16
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<64xi8>, vector<8xi8>
// CHECK: vector.interleave {{.*}} : vector<8xi8> -> vector<16xi8>
// CHECK: call @llvm.x86.avx512.permvar.sf.512
// CHECK: tensor.extract %[[S]]
// CHECK: arith.shrui {{.*}}, %c3_i32 : i32
// CHECK: arith.andi {{.*}}, %c15_i32 : i32
// CHECK: arith.andi {{.*}}, %c7_i32 : i32
// CHECK: arith.shli {{.*}}, %c20_i32 : i32
// CHECK: arith.shli {{.*}}, %c23_i32 : i32
// CHECK: arith.shli {{.*}}, %c31_i32 : i32
// CHECK: arith.select {{.*}} : f32
// CHECK: vector.transfer_read %[[SS]]{{.*}} : tensor<4xi8>, vector<4xi8>
// CHECK: %[[SUPER:.*]] = arith.bitcast {{.*}} : i32 to f32
// CHECK: %[[SCALE:.*]] = arith.mulf %[[SUPER]], %{{.*}} : f32
// CHECK: vector.broadcast %[[SCALE]] : f32 to vector<16xf32>
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<2x64xf32>
func.func @dequant_nvfp4(%q: !qf.tensor<2x64xf32, #qf.format<"nvfp4">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"nvfp4">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// Fused GEMV: 16-wide accumulators (group size 16), two groups per step.
// CHECK-LABEL: func.func @gemv_nvfp4
// CHECK-SAME: (%{{.*}}: tensor<1x64xf32>, %{{.*}}: tensor<64xi8>, %{{.*}}: tensor<8xi8>, %{{.*}}: tensor<4xi8>) -> tensor<1x2xf32>
// Groups of 16 4-bit codes: chunks of 8 bytes, two planes of 8 lanes, the
// chunk's partial sum scaled by (f32 super-scale * e4m3 scale).
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
// CHECK: call @llvm.x86.avx2.permps
// CHECK: arith.mulf {{.*}} : f32
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>
func.func @gemv_nvfp4(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"nvfp4">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"nvfp4">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
