// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s

// mxfp4 = e2m1:g32:e8m0: nibbles looked up in the 16-entry e2m1 table; the
// e8m0 scale byte is turned into an f32 by placing it in the exponent field
// (zext, shl 23, bitcast), with 0x00 -> 2^-127 (0x00400000, a subnormal)
// and 0xFF -> NaN (0x7FC00000).
// CHECK-LABEL: func.func @dequant_mxfp4
// CHECK-SAME: (%[[C:.*]]: tensor<64xi8>, %[[S:.*]]: tensor<4xi8>) -> tensor<2x64xf32>
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<64xi8>, vector<16xi8>
// CHECK: vector.interleave {{.*}} : vector<16xi8> -> vector<32xi8>
// CHECK-COUNT-2: call @llvm.x86.avx512.permvar.sf.512
// CHECK: tensor.extract %[[S]]
// CHECK: %[[Z:.*]] = arith.extui {{.*}} : i8 to i32
// CHECK: %[[SH:.*]] = arith.shli %[[Z]], %c23_i32 : i32
// CHECK: %[[SUB:.*]] = arith.select {{.*}}, %c4194304_i32, %[[SH]] : i32
// CHECK: %[[NAN:.*]] = arith.select {{.*}}, %c2143289344_i32, %[[SUB]] : i32
// CHECK: %[[F:.*]] = arith.bitcast %[[NAN]] : i32 to f32
// CHECK: vector.broadcast %[[F]] : f32 to vector<32xf32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
func.func @dequant_mxfp4(%q: !qf.tensor<2x64xf32, #qf.format<"mxfp4">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"mxfp4">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// Fused GEMV: the same e8m0 decode feeds the FMA.
// CHECK-LABEL: func.func @gemv_mxfp4
// CHECK: call @llvm.x86.avx512.permvar.sf.512
// CHECK: arith.shli {{.*}}, %c23_i32 : i32
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>
func.func @gemv_mxfp4(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"mxfp4">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"mxfp4">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
