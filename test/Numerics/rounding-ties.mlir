// RUN: quant-opt %s -qf-quantize-weights -canonicalize | FileCheck %s
// Round-to-nearest with ties to the even code (docs/formats.md, "Element
// grids and rounding"), observed by folding qf.dequantize of the packed
// qf.constant back to floats. Every group has scale 1 exactly:
//   int4:g8 absmax 7 / M 7;  e2m1:g8 absmax 6 / M 6, grid 0 .5 1 1.5 2 3 4 6;
//   uint2:g8:zp: lo 0, hi 3, s = 3/3, zp 0, c = rint(t) + zp.
// CHECK-LABEL: func.func @ties
// 0.5 -> 0, 1.5 -> 2, 2.5 -> 2 (half to even), symmetric for negatives.
// CHECK: arith.constant dense<{{\[\[}}7.000000e+00, {{-?}}0.000000e+00, 2.000000e+00, 2.000000e+00, {{-?}}0.000000e+00, -2.000000e+00, -2.000000e+00, 0.000000e+00]]>
// e2m1 ties: 2.5 -> 2 (code 4), 3.5 -> 4 (code 6), 5 -> 4 (code 6),
// 0.25 -> 0, 0.75 -> 1 (code 2), 1.25 -> 1 (code 2), 1.75 -> 2 (code 4).
// CHECK: arith.constant dense<{{\[\[}}6.000000e+00, 2.000000e+00, 4.000000e+00, 4.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00, 2.000000e+00]]>
// CHECK: arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00, 3.000000e+00, 3.000000e+00, 1.000000e+00, 2.000000e+00]]>
// CHECK-NOT: qf.
func.func @ties() -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>) {
  %a = arith.constant {qf.format = #qf.format<"int4:g8">, qf.name = "a"} dense<[[7.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4]]> : tensor<1x8xf32>
  %b = arith.constant {qf.format = #qf.format<"e2m1:g8">, qf.name = "b"} dense<[[6.0, 2.5, 3.5, 5.0, 0.25, 0.75, 1.25, 1.75]]> : tensor<1x8xf32>
  %c = arith.constant {qf.format = #qf.format<"uint2:g8:zp">, qf.name = "c"} dense<[[0.0, 0.5, 1.5, 2.5, 3.0, 3.0, 1.0, 2.0]]> : tensor<1x8xf32>
  return %a, %b, %c : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>
}
