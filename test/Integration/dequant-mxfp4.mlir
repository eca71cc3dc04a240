// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: quant-opt %s -canonicalize | quant-opt -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// mxfp4: e2m1 codes 0..15 twice (sign bit 8; magnitudes 0, .5, 1, 1.5, 2,
// 3, 4, 6), e8m0 scale 0x80 = 2^(128 - 127) = 2.
// Code 8 (sign bit, magnitude 0) is matched as 0 or -0.
// The compiled decoder and the folded constant (the reference decoder) must
// give the same numbers.
// FOLD-LABEL: func.func @dq
// FOLD-NOT: qf.
// FOLD: arith.constant dense<
// FOLD-NOT: qf.
// FOLD: return

// CHECK: sizes = [1, 32]
// CHECK-NEXT: {{\[\[}}0,   1,   2,   3,   4,   6,   8,   12,   {{-?}}0,   -1,   -2,   -3,   -4,   -6,   -8,   -12,   0,   1,   2,   3,   4,   6,   8,   12,   {{-?}}0,   -1,   -2,   -3,   -4,   -6,   -8,   -12{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @dq() -> tensor<1x32xf32> {
  %q = qf.constant {codes = dense<[16, 50, 84, 118, -104, -70, -36, -2, 16, 50, 84, 118, -104, -70, -36, -2]> : tensor<16xi8>,
                    scales = dense<[-128]> : tensor<1xi8>}
      : !qf.tensor<1x32xf32, #qf.format<"mxfp4">>
  %d = qf.dequantize %q : !qf.tensor<1x32xf32, #qf.format<"mxfp4">> -> tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

func.func @main() {
  %d = call @dq() : () -> tensor<1x32xf32>
  %m = bufferization.to_buffer %d : tensor<1x32xf32> to memref<1x32xf32>
  %u = memref.cast %m : memref<1x32xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
