// RUN: quant-opt %s -split-input-file -verify-diagnostics | FileCheck %s
// qf.constant section sizes follow the format for every element kind: each
// case gives exactly the bytes sectionBytes() demands.

// int3 codes pack as a bit stream: 4*64*3/8 = 96 bytes; 8 bf16 scales.
// CHECK-LABEL: @int3
func.func @int3() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<96xi8>, scales = dense<0> : tensor<16xi8>} : !qf.tensor<4x64xf32, #qf.format<"int3:g32:bf16">>
  return
}

// -----

// Zero points: one byte per group.
// CHECK-LABEL: @zp
func.func @zp() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>, scales = dense<0> : tensor<16xi8>, zero_points = dense<0> : tensor<8xi8>} : !qf.tensor<4x64xf32, #qf.format<"uint4:g32:f16:zp">>
  return
}

// -----

// Double quantization: e4m3 scales plus one f32 super-scale per tensor.
// CHECK-LABEL: @nvfp4
func.func @nvfp4() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>, scales = dense<0> : tensor<16xi8>, super_scales = dense<0> : tensor<4xi8>} : !qf.tensor<4x64xf32, #qf.format<"nvfp4">>
  return
}

// -----

// Outliers 2^-7 of 1024 elements = 8 entries of (u32 index, bf16 value).
// CHECK-LABEL: @outliers
func.func @outliers() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<512xi8>, scales = dense<0> : tensor<64xi8>, outliers = dense<0> : tensor<48xi8>} : !qf.tensor<16x64xf32, #qf.format<"int4:g32:f16:outliers=2^-7">>
  return
}

// -----

// GGUF q4_0: whole 18-byte blocks in the codes section only.
// CHECK-LABEL: @q4_0
func.func @q4_0() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<144xi8>} : !qf.tensor<4x64xf32, #qf.format<"q4_0">>
  return
}

// -----

// Learned codebooks: 4 rows x 16 levels x f16.
// CHECK-LABEL: @asq
func.func @asq() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>, codebooks = dense<0> : tensor<128xi8>} : !qf.tensor<4x64xf32, #qf.format<"asq:16:ch:f16">>
  return
}

// -----

// Kashin 2+2 per row: u and v codes, an 8-byte seed and 4+4 f32 centroids per row.
// CHECK-LABEL: @kashin
func.func @kashin() {
  // CHECK: qf.constant
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>, codebooks = dense<0> : tensor<136xi8>} : !qf.tensor<4x64xf32, #qf.format<"kashin:2+2">>
  return
}

// -----

func.func @q4_k_wrong() {
  // expected-error @+1 {{'qf.constant' op section 'codes' has 144 bytes but format 'q4_k' needs 288 for shape [2, 256]}}
  %0 = qf.constant {codes = dense<0> : tensor<144xi8>} : !qf.tensor<2x256xf32, #qf.format<"q4_k">>
  return
}
