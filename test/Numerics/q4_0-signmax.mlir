// RUN: quant-opt %s -qf-quantize-weights -canonicalize | FileCheck %s
// q4_0 uses the ggml signmax convention: the element of largest |x| (8)
// maps to the grid extreme -8 with a negative scale d = 8 / -8 = -1, so +8
// is representable although int4 codes stop at +7; x = (q - 8) * d, and a 0
// decodes as -0 ((8 - 8) * -1). All 32 values come back exactly.
// CHECK-LABEL: func.func @q4_0_signmax
// CHECK: arith.constant dense<{{\[\[}}8.000000e+00, -7.000000e+00, 7.000000e+00, -0.000000e+00, 1.000000e+00, -1.000000e+00, 2.000000e+00, -2.000000e+00, 3.000000e+00, -3.000000e+00, 4.000000e+00, -4.000000e+00, 5.000000e+00, -5.000000e+00, 6.000000e+00, -6.000000e+00, 8.000000e+00, -7.000000e+00, 7.000000e+00, -0.000000e+00,
// CHECK-SAME: 6.000000e+00, -6.000000e+00]]> : tensor<1x32xf32>
// Plain int4 absmax on the same data: scale 8/7 (rounded to f32), so 7
// is not exact and 8 is (the absmax element).
// CHECK: arith.constant dense<{{\[\[}}8.000000e+00, -6.8571434, 6.8571434, 0.000000e+00,
// CHECK-NOT: qf.constant
func.func @q4_0_signmax() -> (tensor<1x32xf32>, tensor<1x32xf32>) {
  %a = arith.constant {qf.format = #qf.format<"q4_0">, qf.name = "a"} dense<[[8.0, -7.0, 7.0, 0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0, 5.0, -5.0, 6.0, -6.0, 8.0, -7.0, 7.0, 0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0, 5.0, -5.0, 6.0, -6.0]]> : tensor<1x32xf32>
  %b = arith.constant {qf.format = #qf.format<"int4:g32">, qf.name = "b"} dense<[[8.0, -7.0, 7.0, 0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0, 5.0, -5.0, 6.0, -6.0, 8.0, -7.0, 7.0, 0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0, 5.0, -5.0, 6.0, -6.0]]> : tensor<1x32xf32>
  return %a, %b : tensor<1x32xf32>, tensor<1x32xf32>
}
