// RUN: quant-opt %s -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
// RUN: quant-opt %s -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: quant-opt %s -canonicalize | quant-opt -qf-cpu-pipeline="target=host" | mlir-runner -e main -entry-point-result=void -shared-libs=%llvm_lib_dir/libmlir_runner_utils.so,%llvm_lib_dir/libmlir_c_runner_utils.so | FileCheck %s

// int4:g16 with f32 scales: nibbles LSB-first (low nibble = even element),
// two's complement codes 0..7, -8..-1; scale 0x3F000000 = 0.5.
// The compiled decoder and the folded constant (the reference decoder) must
// give the same numbers.
// FOLD-LABEL: func.func @dq
// FOLD-NOT: qf.
// FOLD: arith.constant dense<
// FOLD-NOT: qf.
// FOLD: return

// CHECK: sizes = [1, 16]
// CHECK-NEXT: {{\[\[}}0,   0.5,   1,   1.5,   2,   2.5,   3,   3.5,   -4,   -3.5,   -3,   -2.5,   -2,   -1.5,   -1,   -0.5{{\]\]}}

func.func private @printMemrefF32(memref<*xf32>)

func.func @dq() -> tensor<1x16xf32> {
  %q = qf.constant {codes = dense<[16, 50, 84, 118, -104, -70, -36, -2]> : tensor<8xi8>,
                    scales = dense<[0, 0, 0, 63]> : tensor<4xi8>}
      : !qf.tensor<1x16xf32, #qf.format<"int4:g16">>
  %d = qf.dequantize %q : !qf.tensor<1x16xf32, #qf.format<"int4:g16">> -> tensor<1x16xf32>
  return %d : tensor<1x16xf32>
}

func.func @main() {
  %d = call @dq() : () -> tensor<1x16xf32>
  %m = bufferization.to_buffer %d : tensor<1x16xf32> to memref<1x16xf32>
  %u = memref.cast %m : memref<1x16xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
