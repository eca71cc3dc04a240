// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: quant-opt %s -canonicalize | quant-opt -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// nvfp4 (e2m1:g16:e4m3:dq=tensor): e2m1 codes 0..15 in each block of 16;
// e4m3 relative scales 0x38 = 1.0 and 0x40 = 2.0, f32 super-scale 0.5
// (0x3F000000): block scales 0.5 and 1.0; x = e2m1(q) * super * rel.

// Code 8 (sign bit, magnitude 0) is matched as 0 or -0.
// The compiled decoder and the folded constant (the reference decoder) must
// give the same numbers.
// FOLD-LABEL: func.func @dq
// FOLD-NOT: qf.
// FOLD: arith.constant dense<
// FOLD-NOT: qf.
// FOLD: return

// CHECK: sizes = [1, 32]
// CHECK-NEXT: {{\[\[}}0,   0.25,   0.5,   0.75,   1,   1.5,   2,   3,   {{-?}}0,   -0.25,   -0.5,   -0.75,   -1,   -1.5,   -2,   -3,   0,   0.5,   1,   1.5,   2,   3,   4,   6,   {{-?}}0,   -0.5,   -1,   -1.5,   -2,   -3,   -4,   -6{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @dq() -> tensor<1x32xf32> {
  %q = qf.constant {codes = dense<[16, 50, 84, 118, -104, -70, -36, -2, 16, 50, 84, 118, -104, -70, -36, -2]> : tensor<16xi8>,
                    scales = dense<[56, 64]> : tensor<2xi8>,
                    super_scales = dense<[0, 0, 0, 63]> : tensor<4xi8>}
      : !qf.tensor<1x32xf32, #qf.format<"nvfp4">>
  %d = qf.dequantize %q : !qf.tensor<1x32xf32, #qf.format<"nvfp4">> -> tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

func.func @main() {
  %d = call @dq() : () -> tensor<1x32xf32>
  %m = bufferization.to_buffer %d : tensor<1x32xf32> to memref<1x32xf32>
  %u = memref.cast %m : memref<1x32xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
