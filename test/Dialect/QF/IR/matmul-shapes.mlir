// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s
// qf.matmul shapes beyond roundtrip.mlir: rank-1 lhs ([K] -> [N]), two
// batch dimensions, several dynamic leading dimensions (also refined to a
// static result), f16 activations with the transposed weight.

!w = !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">>

// CHECK-LABEL: func.func @shapes
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<128xf32>
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<2x3x5x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<2x3x5x128xf32>
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<?x?x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<?x?x128xf32>
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<?x?x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<2x?x128xf32>
// CHECK: qf.matmul %{{.*}}, %{{.*}} {transpose_weight} : tensor<7x128xf16>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<7x64xf16>
// CHECK: qf.matmul %{{.*}}, %{{.*}} {transpose_weight} : tensor<128xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g64:f16">> -> tensor<64xf32>
func.func @shapes(%v: tensor<64xf32>, %b: tensor<2x3x5x64xf32>, %d: tensor<?x?x64xf32>, %h: tensor<7x128xf16>, %t: tensor<128xf32>, %w: !w) {
  %0 = qf.matmul %v, %w : tensor<64xf32>, !w -> tensor<128xf32>
  %1 = qf.matmul %b, %w : tensor<2x3x5x64xf32>, !w -> tensor<2x3x5x128xf32>
  %2 = qf.matmul %d, %w : tensor<?x?x64xf32>, !w -> tensor<?x?x128xf32>
  %3 = qf.matmul %d, %w : tensor<?x?x64xf32>, !w -> tensor<2x?x128xf32>
  %4 = qf.matmul %h, %w {transpose_weight} : tensor<7x128xf16>, !w -> tensor<7x64xf16>
  %5 = qf.matmul %t, %w {transpose_weight} : tensor<128xf32>, !w -> tensor<64xf32>
  return
}
