// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -qf-cpu-pipeline="target=generic" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// Fused GEMV (qf.matmul transpose_weight) on a constant q4_0 weight, 2x32:
//   row 0: d = 0.25, qs[j] = j | (15 - j) << 4 -> w[j] = (j - 8) / 4,
//          w[j + 16] = (7 - j) / 4;
//   row 1: d = 0.5, every code 9 -> w = 0.5.
// x = [1] * 16 ++ [2] * 16:
//   y0 = 1 * (-2) + 2 * (-2) = -6,  y1 = 16 * 0.5 + 32 * 0.5 = 24.
// CHECK: sizes = [1, 2]
// CHECK-NEXT: {{\[\[}}-6,   24{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @gemv(%x: tensor<1x32xf32>) -> tensor<1x2xf32> {
  %w = qf.constant {codes = dense<[0, 52, -16, -31, -46, -61, -76, -91, -106, -121, 120, 105, 90, 75, 60, 45, 30, 15,
                                   0, 56, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103, -103]> : tensor<36xi8>}
      : !qf.tensor<2x32xf32, #qf.format<"q4_0">>
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x32xf32>, !qf.tensor<2x32xf32, #qf.format<"q4_0">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

func.func @main() {
  %x = arith.constant dense<[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
                              2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]> : tensor<1x32xf32>
  %y = call @gemv(%x) : (tensor<1x32xf32>) -> tensor<1x2xf32>
  %m = bufferization.to_buffer %y : tensor<1x2xf32> to memref<1x2xf32>
  %u = memref.cast %m : memref<1x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
