// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: quant-opt %s -canonicalize | quant-opt -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// uint4:g32:f16:zp: unsigned codes 0..15 twice (low nibble = even
// element), f16 scale 0.5 (0x3800 LE), zero point 8: x = (q - 8) * 0.5.

// The compiled decoder and the folded constant (the reference decoder) must
// give the same numbers.
// FOLD-LABEL: func.func @dq
// FOLD-NOT: qf.
// FOLD: arith.constant dense<
// FOLD-NOT: qf.
// FOLD: return

// CHECK: sizes = [1, 32]
// CHECK-NEXT: {{\[\[}}-4,   -3.5,   -3,   -2.5,   -2,   -1.5,   -1,   -0.5,   0,   0.5,   1,   1.5,   2,   2.5,   3,   3.5,   -4,   -3.5,   -3,   -2.5,   -2,   -1.5,   -1,   -0.5,   0,   0.5,   1,   1.5,   2,   2.5,   3,   3.5{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @dq() -> tensor<1x32xf32> {
  %q = qf.constant {codes = dense<[16, 50, 84, 118, -104, -70, -36, -2, 16, 50, 84, 118, -104, -70, -36, -2]> : tensor<16xi8>,
                    scales = dense<[0, 56]> : tensor<2xi8>,
                    zero_points = dense<[8]> : tensor<1xi8>}
      : !qf.tensor<1x32xf32, #qf.format<"uint4:g32:f16:zp">>
  %d = qf.dequantize %q : !qf.tensor<1x32xf32, #qf.format<"uint4:g32:f16:zp">> -> tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

func.func @main() {
  %d = call @dq() : () -> tensor<1x32xf32>
  %m = bufferization.to_buffer %d : tensor<1x32xf32> to memref<1x32xf32>
  %u = memref.cast %m : memref<1x32xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
