// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu -verify-diagnostics

// Formats the kernels reject are in unsupported-formats.mlir; this one reads
// blocks along the flat order only.
func.func @blocks_axis0(%w: !qf.tensor<64x32xf32, "int4:g32@0">) -> tensor<64x32xf32> {
  // expected-error @below {{cannot decode format 'int4:g32@0' on the GPU: blocks must run along the last dimension}}
  %0 = qf.dequantize %w : !qf.tensor<64x32xf32, "int4:g32@0"> -> tensor<64x32xf32>
  return %0 : tensor<64x32xf32>
}

// -----

func.func @not_transposed(%x: tensor<1x64xf32>, %w: !qf.tensor<64x32xf32, "int4:g32">) -> tensor<1x32xf32> {
  // expected-error @below {{only weights stored [N, K] (transpose_weight) are supported on the GPU}}
  %0 = qf.matmul %x, %w : tensor<1x64xf32>, !qf.tensor<64x32xf32, "int4:g32"> -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// -----

func.func @big_m(%x: tensor<32x64xf32>, %w: !qf.tensor<32x64xf32, "int4:g32">) -> tensor<32x32xf32> {
  // expected-error @below {{32 rows of activations exceed the small-M GEMM limit of 16}}
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<32x64xf32>, !qf.tensor<32x64xf32, "int4:g32"> -> tensor<32x32xf32>
  return %0 : tensor<32x32xf32>
}

// -----

func.func @other_op(%w: !qf.tensor<16x64xf32, "int4:g32">) -> (tensor<16x64xf32>, tensor<4xf32>) {
  // expected-error @below {{'tensor.empty' op cannot be lowered by qf-lower-to-gpu: a GPU entry function may only contain qf.dequantize and qf.matmul on its arguments}}
  %e = tensor.empty() : tensor<4xf32>
  %0 = qf.dequantize %w : !qf.tensor<16x64xf32, "int4:g32"> -> tensor<16x64xf32>
  return %0, %e : tensor<16x64xf32>, tensor<4xf32>
}

// -----

func.func @not_returned(%w: !qf.tensor<16x64xf32, "int4:g32">) {
  // expected-error @below {{the result must be returned exactly once}}
  %0 = qf.dequantize %w : !qf.tensor<16x64xf32, "int4:g32"> -> tensor<16x64xf32>
  return
}

// -----

// expected-error @below {{argument 0 must be a !qf.tensor or a static tensor of f32/f16/bf16}}
func.func @dynamic(%x: tensor<?x64xf32>, %w: !qf.tensor<32x64xf32, "int4:g32">) -> tensor<1x32xf32> {
  %c = tensor.cast %x : tensor<?x64xf32> to tensor<1x64xf32>
  %0 = qf.matmul %c, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<32x64xf32, "int4:g32"> -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}
