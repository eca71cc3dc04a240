// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: quant-opt %s -canonicalize | quant-opt -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// q4_0 block: f16 d = 0.25 (0x3400 LE), qs[j] = j | (15 - j) << 4; low
// nibble -> element j, high nibble -> element j + 16; x = (q - 8) * d.
// The compiled decoder and the folded constant (the reference decoder) must
// give the same numbers.
// FOLD-LABEL: func.func @dq
// FOLD-NOT: qf.
// FOLD: arith.constant dense<
// FOLD-NOT: qf.
// FOLD: return

// CHECK: sizes = [1, 32]
// CHECK-NEXT: {{\[\[}}-2,   -1.75,   -1.5,   -1.25,   -1,   -0.75,   -0.5,   -0.25,   0,   0.25,   0.5,   0.75,   1,   1.25,   1.5,   1.75,   1.75,   1.5,   1.25,   1,   0.75,   0.5,   0.25,   0,   -0.25,   -0.5,   -0.75,   -1,   -1.25,   -1.5,   -1.75,   -2{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @dq() -> tensor<1x32xf32> {
  %q = qf.constant {codes = dense<[0, 52, -16, -31, -46, -61, -76, -91, -106, -121, 120, 105, 90, 75, 60, 45, 30, 15]> : tensor<18xi8>}
      : !qf.tensor<1x32xf32, #qf.format<"q4_0">>
  %d = qf.dequantize %q : !qf.tensor<1x32xf32, #qf.format<"q4_0">> -> tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

func.func @main() {
  %d = call @dq() : () -> tensor<1x32xf32>
  %m = bufferization.to_buffer %d : tensor<1x32xf32> to memref<1x32xf32>
  %u = memref.cast %m : memref<1x32xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
