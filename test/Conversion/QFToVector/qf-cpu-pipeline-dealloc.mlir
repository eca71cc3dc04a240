// Buffers of a whole model compiled by qf-cpu-pipeline: every intermediate
// buffer (the model's tensors between qf ops, the lowering's temporaries)
// is freed by ownership-based buffer deallocation; a result written into a
// destination argument is returned as that argument, without a copy.
// RUN: quant-opt %s -split-input-file -qf-cpu-pipeline=target=avx512 | FileCheck %s --check-prefix=MALLOC
// RUN: quant-opt %s -split-input-file -qf-cpu-pipeline=target=avx512 | FileCheck %s --check-prefix=FREE
// RUN: quant-opt %s -split-input-file -qf-cpu-pipeline=target=avx512 | FileCheck %s --check-prefix=NOCOPY

// Two fused GEMVs with an activation between them. Four buffers: the q4_0
// activations in plane order, the first result, its negation, and the
// model's result; the first three are freed, the result is the caller's.
// MALLOC-LABEL: llvm.func @model(
// MALLOC-COUNT-4: llvm.call @malloc
// MALLOC-NOT: llvm.call @malloc
// MALLOC-LABEL: llvm.func @_mlir_ciface_model
// FREE-LABEL: llvm.func @model(
// FREE-COUNT-3: llvm.call @free
// FREE-NOT: llvm.call @free
// FREE-LABEL: llvm.func @_mlir_ciface_model
// NOCOPY-LABEL: llvm.func @model(
// NOCOPY-NOT: memcpy
// NOCOPY-LABEL: llvm.func @_mlir_ciface_model
func.func @model(%x: tensor<1x256xf32>, %w1: !qf.tensor<64x256xf32, #qf.format<"q4_0">>, %w2: !qf.tensor<256x64xf32, #qf.format<"int4:g32">>) -> tensor<1x256xf32> {
  %h = qf.matmul %x, %w1 {transpose_weight} : tensor<1x256xf32>, !qf.tensor<64x256xf32, #qf.format<"q4_0">> -> tensor<1x64xf32>
  %a = arith.negf %h : tensor<1x64xf32>
  %y = qf.matmul %a, %w2 {transpose_weight} : tensor<1x64xf32>, !qf.tensor<256x64xf32, #qf.format<"int4:g32">> -> tensor<1x256xf32>
  %r = arith.addf %y, %x : tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}

// -----

// Tiled GEMM into a destination: the dequantized tile is freed; the result
// is the destination argument, neither allocated nor copied.
// MALLOC-LABEL: llvm.func @gemm(
// MALLOC-COUNT-1: llvm.call @malloc
// MALLOC-NOT: llvm.call @malloc
// MALLOC-LABEL: llvm.func @_mlir_ciface_gemm
// FREE-LABEL: llvm.func @gemm(
// FREE-COUNT-1: llvm.call @free
// FREE-NOT: llvm.call @free
// FREE-LABEL: llvm.func @_mlir_ciface_gemm
// NOCOPY-LABEL: llvm.func @gemm(
// NOCOPY-NOT: memcpy
// NOCOPY-LABEL: llvm.func @_mlir_ciface_gemm
func.func @gemm(%x: tensor<32x64xf32>, %w: !qf.tensor<16x64xf32, #qf.format<"int4:g32">>, %out: tensor<32x16xf32> {bufferization.writable = true}) -> tensor<32x16xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<32x64xf32>, !qf.tensor<16x64xf32, #qf.format<"int4:g32">> -> tensor<32x16xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<32x16xf32>, tensor<32x16xf32>) -> tensor<32x16xf32>
  return %r : tensor<32x16xf32>
}

// -----

// A dequantization into its destination allocates nothing and copies
// nothing; neither does a function that returns its argument.
// MALLOC-LABEL: llvm.func @dequant(
// MALLOC-NOT: llvm.call @malloc
// MALLOC-LABEL: llvm.func @_mlir_ciface_id
// NOCOPY-LABEL: llvm.func @dequant(
// NOCOPY-NOT: memcpy
// NOCOPY-LABEL: llvm.func @_mlir_ciface_id
func.func @dequant(%q: !qf.tensor<4x128xf32, #qf.format<"nf4:g64">>, %out: tensor<4x128xf32> {bufferization.writable = true}) -> tensor<4x128xf32> {
  %d = qf.dequantize %q : !qf.tensor<4x128xf32, #qf.format<"nf4:g64">> -> tensor<4x128xf32>
  %r = bufferization.materialize_in_destination %d in %out : (tensor<4x128xf32>, tensor<4x128xf32>) -> tensor<4x128xf32>
  return %r : tensor<4x128xf32>
}
func.func @id(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A loop over layers yields a fresh tensor per iteration (bufferized with
// allow-return-allocs-from-loops); each iteration frees the previous one
// and its own temporaries, and the function frees the last where it
// returns the input instead.
// MALLOC-LABEL: llvm.func @layers(
// MALLOC: llvm.call @malloc
// MALLOC-LABEL: llvm.func @_mlir_ciface_layers
// FREE-LABEL: llvm.func @layers(
// FREE: llvm.br
// FREE: llvm.call @malloc
// FREE: llvm.call @free
// FREE-LABEL: llvm.func @_mlir_ciface_layers
func.func @layers(%x: tensor<1x256xf32>, %w: !qf.tensor<256x256xf32, #qf.format<"q4_0">>, %n: index, %flag: i1) -> tensor<1x256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<1x256xf32> {
    %y = qf.matmul %acc, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<256x256xf32, #qf.format<"q4_0">> -> tensor<1x256xf32>
    scf.yield %y : tensor<1x256xf32>
  }
  %s = scf.if %flag -> tensor<1x256xf32> {
    scf.yield %r : tensor<1x256xf32>
  } else {
    scf.yield %x : tensor<1x256xf32>
  }
  return %s : tensor<1x256xf32>
}
