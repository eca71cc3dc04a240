// RUN: quant-opt %s -split-input-file -canonicalize | FileCheck %s

// A small qf.constant decodes at compile time, exactly as the format
// library's reference decoder does: int4 codes (LSB-first nibbles) times f16
// block scales 1.0 and 0.5.
// CHECK-LABEL: func.func @fold_small_constant
// CHECK: %[[C:.*]] = arith.constant dense<{{\[}}[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, -1.000000e+00, -2.000000e+00, -3.000000e+00, -8.000000e+00], [3.500000e+00, 3.500000e+00, 3.500000e+00, 3.500000e+00, 3.500000e+00, 3.500000e+00, 3.500000e+00, 3.500000e+00]]> : tensor<2x8xf32>
// CHECK-NEXT: return %[[C]]
func.func @fold_small_constant() -> tensor<2x8xf32> {
  %w = qf.constant {codes = dense<[16, 50, -17, -115, 119, 119, 119, 119]> : tensor<8xi8>, scales = dense<[0, 60, 0, 56]> : tensor<4xi8>} : !qf.tensor<2x8xf32, #qf.format<"int4:g8:f16">>
  %d = qf.dequantize %w : !qf.tensor<2x8xf32, #qf.format<"int4:g8:f16">> -> tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}

// -----

// Quantize -> dequantize is never folded away: it changes the values.
// CHECK-LABEL: func.func @no_fold_roundtrip
// CHECK: qf.quantize
// CHECK: qf.dequantize
func.func @no_fold_roundtrip(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %q = qf.quantize %x : tensor<2x8xf32> -> !qf.tensor<2x8xf32, #qf.format<"int4:g8:f16">>
  %d = qf.dequantize %q : !qf.tensor<2x8xf32, #qf.format<"int4:g8:f16">> -> tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}

// -----

// Large weights stay packed (more than 1024 elements).
// CHECK-LABEL: func.func @no_fold_large
// CHECK: qf.constant
// CHECK: qf.dequantize
func.func @no_fold_large() -> tensor<32x64xf32> {
  %w = qf.constant {codes = dense<0> : tensor<1024xi8>, scales = dense<0> : tensor<128xi8>} : !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">>
  %d = qf.dequantize %w : !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">> -> tensor<32x64xf32>
  return %d : tensor<32x64xf32>
}

// -----

// Blob data that is not available (elided) is not folded.
// CHECK-LABEL: func.func @no_fold_elided
// CHECK: qf.dequantize
func.func @no_fold_elided() -> tensor<2x8xf32> {
  %w = qf.constant {codes = dense_resource<__elided__> : tensor<8xi8>, scales = dense_resource<__elided__> : tensor<4xi8>} : !qf.tensor<2x8xf32, #qf.format<"int4:g8:f16">>
  %d = qf.dequantize %w : !qf.tensor<2x8xf32, #qf.format<"int4:g8:f16">> -> tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}
