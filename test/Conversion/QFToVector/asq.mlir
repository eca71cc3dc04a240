// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=generic | FileCheck %s --check-prefix=GENERIC

// Learned (asq) codebooks: per group of 64, 16 f16 values in the Codebooks
// section. On x86 each chunk loads its group's codebook (32 bytes), decodes
// it to a vector<16xf32> at run time and looks the codes up with vpermps;
// no scale multiplies the values.
// CHECK-LABEL: func.func @dequant_asq16
// CHECK-SAME: (%{{.*}}: tensor<256xi8>, %[[CB:.*]]: tensor<256xi8>) -> tensor<4x128xf32>
// CHECK: vector.transfer_read %[[CB]][%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<256xi8>, vector<32xi8>
// CHECK: vector.bitcast {{.*}} : vector<32xi8> to vector<16xi16>
// CHECK: arith.extf {{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: call @llvm.x86.avx512.permvar.sf.512
// CHECK-NOT: arith.mulf
// CHECK: vector.transfer_write
// GENERIC-LABEL: func.func @dequant_asq16
// GENERIC-NOT: vector.transfer_write
// GENERIC: tensor.insert
func.func @dequant_asq16(%q: !qf.tensor<4x128xf32, #qf.format<"asq:16:g64:f16">>) -> tensor<4x128xf32> {
  %d = qf.dequantize %q : !qf.tensor<4x128xf32, #qf.format<"asq:16:g64:f16">> -> tensor<4x128xf32>
  return %d : tensor<4x128xf32>
}

// -----

// Six levels in 3-bit codes: codes clamp to 5 (min(c, levels - 1) as the
// reference reads them); odd code widths take the element-order path.
// CHECK-LABEL: func.func @dequant_asq6
// CHECK: arith.minui {{.*}} : i32
// CHECK: arith.extf {{.*}} : f16 to f32
func.func @dequant_asq6(%q: !qf.tensor<3x40xf32, #qf.format<"asq:6:ch:f16">>) -> tensor<3x40xf32> {
  %d = qf.dequantize %q : !qf.tensor<3x40xf32, #qf.format<"asq:6:ch:f16">> -> tensor<3x40xf32>
  return %d : tensor<3x40xf32>
}
