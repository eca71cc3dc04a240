// RUN: quant-opt %s -qf-quantize-weights -canonicalize | FileCheck %s
// Values exactly on a format's grid survive quantization unchanged
// (qf.dequantize of the packed qf.constant is folded back to floats):
// e2m1 with an f32 block scale of 1, uint2 with zero point 0, sint3 (the
// symmetric range -3..3), nf4 (levels -1, 0, 1 are in the table).
// CHECK-LABEL: func.func @ka
// CHECK: arith.constant dense<{{\[\[}}6.000000e+00, -6.000000e+00, 5.000000e-01, 1.500000e+00, -3.000000e+00, 4.000000e+00, 0.000000e+00, 2.000000e+00]]>
// CHECK: arith.constant dense<{{\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00]]>
// CHECK: arith.constant dense<{{\[\[}}3.000000e+00, -3.000000e+00, 2.000000e+00, -2.000000e+00, 1.000000e+00, -1.000000e+00, 0.000000e+00, 3.000000e+00]]>
// CHECK: arith.constant dense<{{\[\[}}1.000000e+00, -1.000000e+00, 0.000000e+00, 1.000000e+00, -1.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00]]>
// CHECK-NOT: qf.constant
func.func @ka() -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>) {
  %a = arith.constant {qf.format = #qf.format<"e2m1:g8:f32">, qf.name = "a"} dense<[[6.0, -6.0, 0.5, 1.5, -3.0, 4.0, 0.0, 2.0]]> : tensor<1x8xf32>
  %b = arith.constant {qf.format = #qf.format<"uint2:g8:f32:zp">, qf.name = "b"} dense<[[0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0]]> : tensor<1x8xf32>
  %c = arith.constant {qf.format = #qf.format<"sint3:g8">, qf.name = "c"} dense<[[3.0, -3.0, 2.0, -2.0, 1.0, -1.0, 0.0, 3.0]]> : tensor<1x8xf32>
  %d = arith.constant {qf.format = #qf.format<"nf4:g8">, qf.name = "d"} dense<[[1.0, -1.0, 0.0, 1.0, -1.0, 0.0, 1.0, 0.0]]> : tensor<1x8xf32>
  return %a, %b, %c, %d : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>
}
