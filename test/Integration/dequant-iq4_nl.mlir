// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: quant-opt %s -canonicalize | quant-opt -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// iq4_nl block: f16 d = 1 (0x3C00 LE), qs[j] = j | (15 - j) << 4 (nibbles
// as q4_0); x = d * kvalues_iq4nl[q] (the integer ggml table).

// The compiled decoder and the folded constant (the reference decoder) must
// give the same numbers.
// FOLD-LABEL: func.func @dq
// FOLD-NOT: qf.
// FOLD: arith.constant dense<
// FOLD-NOT: qf.
// FOLD: return

// CHECK: sizes = [1, 32]
// CHECK-NEXT: {{\[\[}}-127,   -104,   -83,   -65,   -49,   -35,   -22,   -10,   1,   13,   25,   38,   53,   69,   89,   113,   113,   89,   69,   53,   38,   25,   13,   1,   -10,   -22,   -35,   -49,   -65,   -83,   -104,   -127{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @dq() -> tensor<1x32xf32> {
  %q = qf.constant {codes = dense<[0, 60, -16, -31, -46, -61, -76, -91, -106, -121, 120, 105, 90, 75, 60, 45, 30, 15]> : tensor<18xi8>}
      : !qf.tensor<1x32xf32, #qf.format<"iq4_nl">>
  %d = qf.dequantize %q : !qf.tensor<1x32xf32, #qf.format<"iq4_nl">> -> tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

func.func @main() {
  %d = call @dq() : () -> tensor<1x32xf32>
  %m = bufferization.to_buffer %d : tensor<1x32xf32> to memref<1x32xf32>
  %u = memref.cast %m : memref<1x32xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
