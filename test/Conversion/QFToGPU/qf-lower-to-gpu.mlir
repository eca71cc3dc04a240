// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu="chip=sm_90 block-size=128 warps-per-block=4" | FileCheck %s --check-prefix=SM90

// int4 with f16 scales per 128: one thread decodes 32 codes from one 128-bit
// load into four 16-byte slots of a shared staging buffer; after a barrier
// the block copies its contiguous output out, lane-consecutive 128-bit
// stores.
// CHECK-LABEL: func.func @dq_int4
// CHECK-SAME: (%[[C:.*]]: memref<8192xi32>, %[[S:.*]]: memref<512xi16>, %[[O:.*]]: memref<65536xf16>)
// CHECK: gpu.launch_func @qf_kernels::@dq_int4_dequant0 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in
// CHECK-SAME: args(%[[C]] : memref<8192xi32>, %[[S]] : memref<512xi16>, %[[O]] : memref<65536xf16>)
// CHECK: gpu.module @qf_kernels
// CHECK: gpu.func @dq_int4_dequant0(%{{.*}}: memref<8192xi32>, %{{.*}}: memref<512xi16>, %[[OUT:.*]]: memref<65536xf16>)
// CHECK-SAME: workgroup(%[[STAGE:[^ ]*]] : memref<8192xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME: known_grid_size = array<i32: 8, 1, 1>
// CHECK-SAME: qf.kernel_args = ["codes", "scales", "out"]
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<8192xi32>, vector<4xi32>
// CHECK: llvm.inline_asm "lop3.b32 $0, $1, $2, $3, 106;"
// CHECK-COUNT-4: vector.store %{{.*}}, %[[STAGE]][%{{.*}}] {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK: gpu.barrier
// CHECK: %[[V:.*]] = vector.load %[[STAGE]][%{{.*}}] {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK: vector.store %[[V]], %[[OUT]][%{{.*}}] {alignment = 16 : i64} : memref<65536xf16>, vector<8xf16>
// CHECK: %[[V:.*]] = vector.load %[[STAGE]][%{{.*}}] {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK: vector.store %[[V]], %[[OUT]][%{{.*}}] {alignment = 16 : i64} : memref<65536xf16>, vector<8xf16>
// CHECK: %[[V:.*]] = vector.load %[[STAGE]][%{{.*}}] {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK: vector.store %[[V]], %[[OUT]][%{{.*}}] {alignment = 16 : i64} : memref<65536xf16>, vector<8xf16>
// CHECK: %[[V:.*]] = vector.load %[[STAGE]][%{{.*}}] {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK: vector.store %[[V]], %[[OUT]][%{{.*}}] {alignment = 16 : i64} : memref<65536xf16>, vector<8xf16>
// SM90-LABEL: func.func @dq_int4
// SM90: known_block_size = array<i32: 128, 1, 1>
// SM90-SAME: known_grid_size = array<i32: 16, 1, 1>
func.func @dq_int4(%w: !qf.tensor<256x256xf16, "int4:g128:f16">) -> tensor<256x256xf16> {
  %0 = qf.dequantize %w : !qf.tensor<256x256xf16, "int4:g128:f16"> -> tensor<256x256xf16>
  return %0 : tensor<256x256xf16>
}

// -----

// NF4: table lookups in shared memory, filled from a constant global.
// CHECK-LABEL: func.func @dq_nf4
// CHECK: gpu.module @qf_kernels
// CHECK: memref.global "private" constant @dq_nf4_dequant0_table : memref<16xf32> = dense<[-1.000000e+00,
// CHECK: gpu.func @dq_nf4_dequant0
// CHECK-SAME: workgroup(%[[T:[^ ]*]] : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<8192xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: memref.get_global @dq_nf4_dequant0_table
// CHECK: gpu.barrier
// CHECK: memref.load %[[T]]
// CHECK: vector.store {{.*}} vector<4xf32>
func.func @dq_nf4(%w: !qf.tensor<64x128xf32, "nf4:g64">) -> tensor<64x128xf32> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf32, "nf4:g64"> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// -----

// q4_0 blocks are 18 bytes: the codes are read as i16, one block per thread.
// CHECK-LABEL: func.func @dq_q4_0
// CHECK-SAME: memref<2304xi16>
// CHECK: gpu.func @dq_q4_0_dequant0
// CHECK-SAME: known_grid_size = array<i32: 1, 1, 1>
// CHECK: vector.load %{{.*}} : memref<2304xi16>, vector<8xi16>
// CHECK-COUNT-32: llvm.inline_asm "lop3.b32
func.func @dq_q4_0(%w: !qf.tensor<64x128xbf16, "q4_0">) -> tensor<64x128xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xbf16, "q4_0"> -> tensor<64x128xbf16>
  return %0 : tensor<64x128xbf16>
}

// -----

// int8 per output channel: prmt moves each byte under the exponent of 2^23.
// CHECK-LABEL: func.func @dq_int8
// CHECK: gpu.func @dq_int8_dequant0
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK-COUNT-16: llvm.inline_asm "prmt.b32 $0, $1, $2, $3;"
func.func @dq_int8(%w: !qf.tensor<32x64xf16, "int8:ch@0">) -> tensor<32x64xf16> {
  %0 = qf.dequantize %w : !qf.tensor<32x64xf16, "int8:ch@0"> -> tensor<32x64xf16>
  return %0 : tensor<32x64xf16>
}

// -----

// mxfp8 (e4m3 codes, e8m0 scales): bit decode on sm_80, native conversion on
// sm_90.
// CHECK-LABEL: func.func @dq_mxfp8
// CHECK-NOT: cvt.rn.f16x2.e4m3x2
// CHECK: gpu.return
// SM90-LABEL: func.func @dq_mxfp8
// SM90-COUNT-8: llvm.inline_asm "cvt.rn.f16x2.e4m3x2 $0, $1;", "=r,h"
func.func @dq_mxfp8(%w: !qf.tensor<32x64xbf16, "mxfp8">) -> tensor<32x64xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<32x64xbf16, "mxfp8"> -> tensor<32x64xbf16>
  return %0 : tensor<32x64xbf16>
}

// -----

// Fused GEMV: one warp per row, activations staged in shared memory (four
// warp steps per tile), shuffle reduction, the output written by lane 0.
// CHECK-LABEL: func.func @gemv_int4
// CHECK-SAME: (%[[X:.*]]: memref<4096xf16>, %[[C:.*]]: memref<524288xi32>, %[[S:.*]]: memref<32768xi16>, %[[Y:.*]]: memref<1024xf16>)
// CHECK: gpu.launch_func @qf_kernels::@gemv_int4_gemv0
// CHECK-SAME: args(%[[C]] : memref<524288xi32>, %[[S]] : memref<32768xi16>, %[[X]] : memref<4096xf16>, %[[Y]] : memref<1024xf16>)
// CHECK: gpu.func @gemv_int4_gemv0
// CHECK-SAME: workgroup(%[[XS:.*]] : memref<4608xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME: known_grid_size = array<i32: 128, 1, 1>
// CHECK-SAME: qf.kernel_args = ["codes", "scales", "lhs", "out"]
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} : memref<4096xf16>, vector<8xf16>
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} : memref<524288xi32>, vector<4xi32>
// CHECK: vector.load %[[XS]]
// CHECK: arith.mulf {{.*}} fastmath<contract>
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: memref.store %{{.*}} : memref<1024xf16>
func.func @gemv_int4(%x: tensor<1x4096xf16>, %w: !qf.tensor<1024x4096xf16, "int4:g128:f16">) -> tensor<1x1024xf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf16>, !qf.tensor<1024x4096xf16, "int4:g128:f16"> -> tensor<1x1024xf16>
  return %0 : tensor<1x1024xf16>
}

// -----

// Small-M GEMM (M = 16): the activation tile of 16 rows does not fit in
// 48 KiB with 128-bit words, so each lane reads 64 bits (16 codes).
// CHECK-LABEL: func.func @gemm_m16
// CHECK: gpu.func @gemm_m16_gemv0
// CHECK-SAME: workgroup(%{{.*}} : memref<10240xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: vector.load %{{.*}} : memref<{{.*}}xi32>, vector<2xi32>
// CHECK-COUNT-80: gpu.shuffle  xor
func.func @gemm_m16(%x: tensor<16x4096xbf16>, %w: !qf.tensor<512x4096xbf16, "int4:g64:bf16">) -> tensor<16x512xbf16> {
  %0 = qf.matmul %x, %w {transpose_weight} : tensor<16x4096xbf16>, !qf.tensor<512x4096xbf16, "int4:g64:bf16"> -> tensor<16x512xbf16>
  return %0 : tensor<16x512xbf16>
}

// -----

// Functions without qf ops are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-NEXT: return %arg0 : tensor<4xf32>
// CHECK-NOT: gpu.module
func.func @untouched(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// Two ops on one weight: one launch each, in program order, sharing the
// weight's buffers; one output buffer per result.
// CHECK-LABEL: func.func @two
// CHECK-SAME: (%[[X:.*]]: memref<512xf32>, %[[C:.*]]: memref<4096xi32>, %[[S:.*]]: memref<256xf32>, %[[O0:.*]]: memref<16384xf32>, %[[O1:.*]]: memref<128xf32>)
// CHECK: gpu.launch_func @qf_kernels::@two_dequant0
// CHECK-SAME: args(%[[C]] : memref<4096xi32>, %[[S]] : memref<256xf32>, %[[O0]] : memref<16384xf32>)
// CHECK: gpu.launch_func @qf_kernels::@two_gemv1
// CHECK-SAME: args(%[[C]] : memref<4096xi32>, %[[S]] : memref<256xf32>, %[[X]] : memref<512xf32>, %[[O1]] : memref<128xf32>)
// CHECK-NEXT: return
func.func @two(%x: tensor<2x256xf32>, %w: !qf.tensor<64x256xf32, "int8:g64">) -> (tensor<64x256xf32>, tensor<2x64xf32>) {
  %0 = qf.dequantize %w : !qf.tensor<64x256xf32, "int8:g64"> -> tensor<64x256xf32>
  %1 = qf.matmul %x, %w {transpose_weight} : tensor<2x256xf32>, !qf.tensor<64x256xf32, "int8:g64"> -> tensor<2x64xf32>
  return %0, %1 : tensor<64x256xf32>, tensor<2x64xf32>
}
