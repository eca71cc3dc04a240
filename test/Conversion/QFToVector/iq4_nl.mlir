// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=generic | FileCheck %s --check-prefix=GENERIC

// iq4_nl (GGUF blocks of 18 bytes: f16 d, 16 bytes of nibbles): one codes
// section (2 rows x 2 blocks x 18 = 72 bytes), no scales section. The f16 d
// is read from the block head; low nibbles (elements 0..15) and high
// nibbles (16..31) are concatenated with a shuffle (not interleaved as in
// the plain layout) and looked up in the 16-entry kvalues table.
// CHECK-LABEL: func.func @dequant_iq4_nl
// CHECK-SAME: (%[[C:.*]]: tensor<72xi8>) -> tensor<2x64xf32>
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<72xi8>, vector<2xi8>
// CHECK: arith.bitcast {{.*}} : i16 to f16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: vector.transfer_read %[[C]]{{.*}} : tensor<72xi8>, vector<16xi8>
// CHECK-NOT: vector.interleave
// CHECK: vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// CHECK-COUNT-2: call @llvm.x86.avx512.permvar.sf.512
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// GENERIC-LABEL: func.func @dequant_iq4_nl
// GENERIC-NOT: call @llvm.
// GENERIC: vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// GENERIC: arith.select
func.func @dequant_iq4_nl(%q: !qf.tensor<2x64xf32, #qf.format<"iq4_nl">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"iq4_nl">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// The plain-layout iq4nl element (iq4nl:g32:f16) keeps separate codes and
// scales sections and interleaves the nibbles.
// CHECK-LABEL: func.func @dequant_iq4nl_plain
// CHECK-SAME: (%{{.*}}: tensor<64xi8>, %{{.*}}: tensor<8xi8>) -> tensor<2x64xf32>
// CHECK: vector.interleave {{.*}} : vector<16xi8> -> vector<32xi8>
// CHECK: call @llvm.x86.avx512.permvar.sf.512
func.func @dequant_iq4nl_plain(%q: !qf.tensor<2x64xf32, #qf.format<"iq4nl:g32:f16">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"iq4nl:g32:f16">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// CHECK-LABEL: func.func @gemv_iq4_nl
// CHECK-SAME: (%{{.*}}: tensor<1x64xf32>, %{{.*}}: tensor<72xi8>) -> tensor<1x2xf32>
// The low and high nibbles of a block are elements 0-15 and 16-31: the
// activations need no permutation.
// CHECK-NOT: vector.shuffle
// CHECK: call @llvm.x86.avx512.permvar.sf.512
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>
func.func @gemv_iq4_nl(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"iq4_nl">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"iq4_nl">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
