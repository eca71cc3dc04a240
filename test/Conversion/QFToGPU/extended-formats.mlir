// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu=chip=sm_90 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-gpu=chip=sm_80 | FileCheck %s --check-prefix=SM80

// The formats qf-lower-to-gpu decodes beyond 1/2/4/8-bit codes with plain
// scales: odd code widths, q4_k, double quantization, sparse outliers,
// learned codebooks and Kashin codes. Their arithmetic is checked against
// the reference decoder by unittests/Conversion/QFToGPUEmulationTest.cpp;
// the PTX by extended-formats-ptx.mlir and extended-formats-ptxas.mlir.

// 3-bit codes: a thread reads 32 codes as a bit stream from 3 whole words
// (96 bits); codes straddling two words combine a right and a left shift.
// CHECK-LABEL: func.func @dq_int3
// CHECK-SAME: (%{{.*}}: memref<768xi32>, %{{.*}}: memref<256xf32>, %{{.*}}: memref<8192xf16>)
// CHECK: gpu.func @dq_int3_dequant0
// CHECK-SAME: qf.kernel_args = ["codes", "scales", "out"]
// CHECK-COUNT-3: memref.load %{{.*}} : memref<768xi32>
// CHECK: %[[LO:.*]] = arith.shrui %{{.*}}, %c30_i32 : i32
// CHECK: %[[HI:.*]] = arith.shli %{{.*}}, %c2_i32 : i32
// CHECK: arith.ori %[[LO]], %[[HI]] : i32
// CHECK: vector.store %{{.*}} : memref<8192xf16>, vector<8xf16>
func.func @dq_int3(%w: !qf.tensor<64x128xf16, "int3:g32">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "int3:g32"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// mxfp6 (e2m3 codes, e8m0 scales per 32): 32 codes per thread from 6 words
// (24 bytes, read with three 64-bit loads).
// CHECK-LABEL: func.func @dq_mxfp6
// CHECK-SAME: memref<1536xi32>, %{{.*}}: memref<256xi8>
// CHECK: gpu.func @dq_mxfp6_dequant0
// CHECK-COUNT-3: vector.load %{{.*}} {alignment = 8 : i64} : memref<1536xi32>, vector<2xi32>
// CHECK-COUNT-8: vector.store %{{.*}} : memref<8192xf32>, vector<4xf32>
func.func @dq_mxfp6(%w: !qf.tensor<64x128xf32, "mxfp6">) -> tensor<64x128xf32> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf32, "mxfp6"> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// -----

// q4_k: 144-byte super-blocks read as 36 words; a thread decodes 64
// elements: the f16 d and dmin, the 6-bit scale/min pairs of its two
// sub-blocks, then d*sc*q - dmin*m (a multiply and a subtraction).
// CHECK-LABEL: func.func @dq_q4k
// CHECK-SAME: (%{{.*}}: memref<4608xi32>, %{{.*}}: memref<32768xf16>)
// CHECK: gpu.func @dq_q4k_dequant0
// CHECK-SAME: known_grid_size = array<i32: 2, 1, 1>
// CHECK-SAME: qf.kernel_args = ["codes", "out"]
// CHECK: arith.constant 36 : index
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<4608xi32>, vector<4xi32>
// CHECK-COUNT-2: arith.extf %{{.*}} : f16 to f32
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<4608xi32>, vector<4xi32>
// CHECK: arith.uitofp
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.subf
// CHECK-COUNT-8: vector.store %{{.*}} : memref<32768xf16>, vector<8xf16>
func.func @dq_q4k(%w: !qf.tensor<64x512xf16, "q4_k">) -> tensor<64x512xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x512xf16, "q4_k"> -> tensor<64x512xf16>
  return %0 : tensor<64x512xf16>
}

// -----

// nvfp4: e4m3 scales relative to one f32 super-scale, the decoded scale is
// super * decode(stored).
// CHECK-LABEL: func.func @dq_nvfp4
// CHECK-SAME: (%{{.*}}: memref<1024xi32>, %{{.*}}: memref<512xi8>, %[[SUP:.*]]: memref<1xf32>, %{{.*}}: memref<8192xbf16>)
// CHECK: gpu.func @dq_nvfp4_dequant0
// CHECK-SAME: qf.kernel_args = ["codes", "scales", "super_scales", "out"]
// CHECK: memref.load %{{.*}} : memref<512xi8>
// CHECK: %[[S:.*]] = memref.load %{{.*}} : memref<1xf32>
// CHECK-NEXT: arith.mulf %[[S]], %{{.*}} : f32
func.func @dq_nvfp4(%w: !qf.tensor<64x128xbf16, "nvfp4">) -> tensor<64x128xbf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xbf16, "nvfp4"> -> tensor<64x128xbf16>
  return %0 : tensor<64x128xbf16>
}

// -----

// Sparse outliers: the dense kernel, then a scatter kernel (one thread per
// outlier) writes the stored values over the decoded tensor.
// CHECK-LABEL: func.func @dq_outliers
// CHECK-SAME: (%[[C:.*]]: memref<1024xi32>, %[[S:.*]]: memref<128xf32>, %[[OUT:.*]]: memref<192xi16>, %[[O:.*]]: memref<8192xf16>)
// CHECK: gpu.launch_func @qf_kernels::@dq_outliers_dequant0
// CHECK-SAME: args(%[[C]] : memref<1024xi32>, %[[S]] : memref<128xf32>, %[[O]] : memref<8192xf16>)
// CHECK-NEXT: arith.constant
// CHECK: gpu.launch_func @qf_kernels::@dq_outliers_dequant0_outliers
// CHECK-SAME: args(%[[OUT]] : memref<192xi16>, %[[O]] : memref<8192xf16>)
// CHECK: gpu.func @dq_outliers_dequant0_outliers
// CHECK-SAME: qf.kernel_args = ["outliers", "out"]
// CHECK: memref.load %{{.*}} : memref<192xi16>
// CHECK: arith.shli
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: vector.load %{{.*}} : memref<192xi16>, vector<2xi16>
// CHECK: vector.bitcast %{{.*}} : vector<2xi16> to vector<1xi32>
// CHECK: memref.store %{{.*}} : memref<8192xf16>
func.func @dq_outliers(%w: !qf.tensor<64x128xf16, "int4:g64:outliers=2^-7">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "int4:g64:outliers=2^-7"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// Learned codebooks (12 f16 levels per block of 64): the block stages the
// codebooks of the groups it covers in shared memory, then looks codes up
// there (clamped to 11, as the reference reads them).
// CHECK-LABEL: func.func @dq_asq
// CHECK-SAME: (%{{.*}}: memref<1024xi32>, %{{.*}}: memref<1536xi16>, %{{.*}}: memref<8192xf16>)
// CHECK: gpu.func @dq_asq_dequant0
// CHECK-SAME: workgroup(%[[CB:[^ ]*]] : memref<{{[0-9]+}}xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: qf.kernel_args = ["codes", "codebooks", "out"]
// CHECK: memref.load %{{.*}} : memref<1536xi16>
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: memref.store %{{.*}}, %[[CB]]
// CHECK: gpu.barrier
// CHECK: arith.minui %{{.*}}, %c11_i32 : i32
// CHECK: memref.load %[[CB]]
func.func @dq_asq(%w: !qf.tensor<64x128xf16, "asq:12:g64:f16">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "asq:12:g64:f16"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// Learned codebooks with sparse outliers: the codebook kernel, then the
// scatter kernel that every format with outliers uses.
// CHECK-LABEL: func.func @dq_asq_outliers
// CHECK-SAME: (%[[C:.*]]: memref<1024xi32>, %[[CB:.*]]: memref<2048xf32>, %[[OUT:.*]]: memref<192xi16>, %[[O:.*]]: memref<8192xf16>)
// CHECK: gpu.launch_func @qf_kernels::@dq_asq_outliers_dequant0
// CHECK-SAME: args(%[[C]] : memref<1024xi32>, %[[CB]] : memref<2048xf32>, %[[O]] : memref<8192xf16>)
// CHECK: gpu.launch_func @qf_kernels::@dq_asq_outliers_dequant0_outliers
// CHECK-SAME: args(%[[OUT]] : memref<192xi16>, %[[O]] : memref<8192xf16>)
// CHECK: gpu.func @dq_asq_outliers_dequant0(
// CHECK-SAME: qf.kernel_args = ["codes", "codebooks", "out"]
// CHECK: gpu.func @dq_asq_outliers_dequant0_outliers(
// CHECK-SAME: qf.kernel_args = ["outliers", "out"]
func.func @dq_asq_outliers(%w: !qf.tensor<64x128xf16, "asq:16:g64:outliers=2^-7">) -> tensor<64x128xf16> {
  %0 = qf.dequantize %w : !qf.tensor<64x128xf16, "asq:16:g64:outliers=2^-7"> -> tensor<64x128xf16>
  return %0 : tensor<64x128xf16>
}

// -----

// Kashin (DCT, rows of 256): one block per row; the v factor goes through
// P^T = IDCT(eps . DCT(.)) in f64 shared memory (real and imaginary parts
// and a scratch row: 3 x 256 f64; 8 radix-2 passes each way,
// with twiddle tables from num::FFTPlan; 20 barriers: input, 8 passes, the
// two DCT steps, 8 passes, output), then u is added and the sum is rounded
// to f32.
// CHECK-LABEL: func.func @dq_kashin_dct
// CHECK-SAME: (%{{.*}}: memref<512xi32>, %{{.*}}: memref<130xi32>, %{{.*}}: memref<4096xf32>)
// CHECK: gpu.launch_func @qf_kernels::@dq_kashin_dct_dequant0 blocks in (%c16, %c1, %c1{{.*}})
// CHECK: memref.global "private" constant @qf_fft_twiddle_256_re : memref<128xf64>
// CHECK: memref.global "private" constant @qf_dct_rot_256_re : memref<256xf64>
// CHECK: gpu.func @dq_kashin_dct_dequant0
// CHECK-SAME: workgroup(%{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<768xf64, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-COUNT-20: gpu.barrier
// CHECK-NOT: gpu.barrier
// Rounded to f32 saturating at +-FLT_MAX, as num::kashinReconstruct does.
// CHECK: %[[R:.*]] = arith.addf %{{.*}} : f64
// CHECK: %[[HI:.*]] = arith.cmpf ogt, %[[R]], %{{.*}} : f64
// CHECK: %[[LO:.*]] = arith.cmpf olt, %[[R]], %{{.*}} : f64
// CHECK: %[[F:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK-NEXT: memref.store %[[F]], %{{.*}} : memref<4096xf32>
// CHECK: gpu.return
func.func @dq_kashin_dct(%w: !qf.tensor<16x256xf32, "kashin:2+2">) -> tensor<16x256xf32> {
  %0 = qf.dequantize %w : !qf.tensor<16x256xf32, "kashin:2+2"> -> tensor<16x256xf32>
  return %0 : tensor<16x256xf32>
}

// -----

// Kashin vectors of 4096: 96 KiB of f64 shared memory, so dynamic shared
// memory passed at launch.
// CHECK-LABEL: func.func @dq_kashin_4096
// CHECK: %[[DYN:.*]] = arith.constant 98336 : i32
// CHECK: gpu.launch_func @qf_kernels::@dq_kashin_4096_dequant0 {{.*}} dynamic_shared_memory_size %[[DYN]]
// CHECK: gpu.func @dq_kashin_4096_dequant0
// CHECK-SAME: qf.dynamic_shared_bytes = 98336 : i64
// CHECK: gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: memref.view
func.func @dq_kashin_4096(%w: !qf.tensor<8x4096xf16, "kashin:2+2">) -> tensor<8x4096xf16> {
  %0 = qf.dequantize %w : !qf.tensor<8x4096xf16, "kashin:2+2"> -> tensor<8x4096xf16>
  return %0 : tensor<8x4096xf16>
}

// -----

// Kashin (Hadamard, joint codes): f64 butterflies x + y, x - y, then the
// signs eps (splitmix64 of the stored seed) times 1/sqrt(n).
// CHECK-LABEL: func.func @dq_kashin_hadamard
// CHECK: gpu.func @dq_kashin_hadamard_dequant0
// CHECK-SAME: workgroup(%{{.*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<256xf64, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: %[[SUM:.*]] = arith.addf %[[X:.*]], %[[Y:.*]] : f64
// CHECK: memref.store %[[SUM]]
// CHECK: arith.subf %[[X]], %[[Y]] : f64
// CHECK: arith.constant -7046029254386353131 : i64
// CHECK: arith.mulf %{{.*}} : f64
func.func @dq_kashin_hadamard(%w: !qf.tensor<16x256xf16, "kashin:3:joint:hadamard">) -> tensor<16x256xf16> {
  %0 = qf.dequantize %w : !qf.tensor<16x256xf16, "kashin:3:joint:hadamard"> -> tensor<16x256xf16>
  return %0 : tensor<16x256xf16>
}

// -----

// GEMV on 5-bit codes: each lane reads 64 codes (10 words) of its row.
// CHECK-LABEL: func.func @gemv_int5
// CHECK: gpu.func @gemv_int5_gemv0
// CHECK-SAME: qf.kernel_args = ["codes", "scales", "lhs", "out"]
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} : memref<1024xf16>, vector<8xf16>
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<40960xi32>, vector<2xi32>
// CHECK: arith.mulf {{.*}} fastmath<contract>
// CHECK-COUNT-5: gpu.shuffle  xor
func.func @gemv_int5(%x: tensor<1x1024xf16>, %w: !qf.tensor<256x1024xf16, "int5:g64:f16">) -> tensor<1x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x1024xf16>, !qf.tensor<256x1024xf16, "int5:g64:f16"> -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}

// -----

// GEMV with outliers: after the dense sum, each warp finds its row's
// outliers by binary search and adds x_k * (outlier - dense value).
// CHECK-LABEL: func.func @gemv_outliers
// CHECK: gpu.func @gemv_outliers_gemv0
// CHECK-SAME: qf.kernel_args = ["codes", "scales", "outliers", "lhs", "out"]
// CHECK: scf.while
// CHECK: scf.condition
// CHECK: scf.while
// CHECK: scf.for
// CHECK: arith.subf
// CHECK: gpu.shuffle  xor
func.func @gemv_outliers(%x: tensor<1x1024xf16>, %w: !qf.tensor<256x1024xf16, "nf4:g64:outliers=2^-10">) -> tensor<1x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x1024xf16>, !qf.tensor<256x1024xf16, "nf4:g64:outliers=2^-10"> -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}

// -----

// GEMV with learned codebooks: every warp stages the codebooks of the groups
// of its step in its slice of shared memory.
// CHECK-LABEL: func.func @gemv_asq
// CHECK: gpu.func @gemv_asq_gemv0
// CHECK-SAME: workgroup(%{{.*}} : memref<{{[0-9]+}}xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[CB:.*]] : memref<{{[0-9]+}}xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: qf.kernel_args = ["codes", "codebooks", "lhs", "out"]
// CHECK: memref.store %{{.*}}, %[[CB]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[CB]]
func.func @gemv_asq(%x: tensor<1x1024xf16>, %w: !qf.tensor<256x1024xf16, "asq:16:g128:bf16">) -> tensor<1x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x1024xf16>, !qf.tensor<256x1024xf16, "asq:16:g128:bf16"> -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}

// -----

// GEMV with learned codebooks and outliers: the correction reads the
// codebook entry of an outlier's dense code from global memory (its group
// need not be the one staged in shared memory).
// CHECK-LABEL: func.func @gemv_asq_outliers
// CHECK: gpu.func @gemv_asq_outliers_gemv0(%{{.*}}: memref<32768xi32>, %[[CB:.*]]: memref<32768xi16>, %[[OUT:.*]]: memref<768xi16>,
// CHECK-SAME: qf.kernel_args = ["codes", "codebooks", "outliers", "lhs", "out"]
// CHECK: scf.while
// CHECK: scf.while
// CHECK: scf.for
// CHECK: memref.load %[[OUT]]
// CHECK: memref.load %[[CB]][%{{.*}}] : memref<32768xi16>
// CHECK: arith.subf
// CHECK: gpu.shuffle  xor
func.func @gemv_asq_outliers(%x: tensor<1x1024xf16>, %w: !qf.tensor<256x1024xf16, "asq:16:g128:bf16:outliers=2^-10">) -> tensor<1x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x1024xf16>, !qf.tensor<256x1024xf16, "asq:16:g128:bf16:outliers=2^-10"> -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}

// -----

// Kashin GEMV: W x = U x + V (P x). A first kernel writes P x (f32) to a
// scratch buffer the host allocates; the GEMV stages x and P x.
// CHECK-LABEL: func.func @gemv_kashin
// CHECK-SAME: (%[[X:.*]]: memref<2048xf16>, %[[C:.*]]: memref<32768xi32>, %[[CB:.*]]: memref<2050xi32>, %[[Y:.*]]: memref<512xf16>)
// CHECK: %[[T:.*]] = gpu.wait async
// CHECK: %[[S:.*]], %{{.*}} = gpu.alloc async [%[[T]]] () : memref<2048xf32>
// CHECK: gpu.launch_func @qf_kernels::@gemv_kashin_gemv0_px blocks in (%c2,
// CHECK-SAME: args(%[[CB]] : memref<2050xi32>, %[[X]] : memref<2048xf16>, %[[S]] : memref<2048xf32>)
// CHECK: gpu.launch_func @qf_kernels::@gemv_kashin_gemv0
// CHECK-SAME: args(%[[C]] : memref<32768xi32>, %[[CB]] : memref<2050xi32>, %[[X]] : memref<2048xf16>, %[[S]] : memref<2048xf32>, %[[Y]] : memref<512xf16>)
// CHECK: gpu.dealloc async
// CHECK: gpu.func @gemv_kashin_gemv0_px
// CHECK-SAME: qf.kernel_args = ["codebooks", "lhs", "scratch"], qf.scratch_bytes = 8192 : i64
// CHECK: gpu.func @gemv_kashin_gemv0
// CHECK-SAME: workgroup(%{{.*}} : memref<2304xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<2304xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<64xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// SM80-LABEL: func.func @gemv_kashin
// SM80: gpu.func @gemv_kashin_gemv0_px
func.func @gemv_kashin(%x: tensor<2x1024xf16>, %w: !qf.tensor<256x1024xf16, "kashin:2+2">) -> tensor<2x256xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<2x1024xf16>, !qf.tensor<256x1024xf16, "kashin:2+2"> -> tensor<2x256xf16>
  return %y : tensor<2x256xf16>
}

// -----

// Activation tiles beyond 48 KiB go to dynamic shared memory: 3-bit codes are
// read 32 per lane, so 16 rows take 72 KiB; a Kashin GEMV stages x and P x
// (144 KiB for 16 rows).
// CHECK-LABEL: func.func @int3_m16
// CHECK: gpu.launch_func @qf_kernels::@int3_m16_gemv0 {{.*}} dynamic_shared_memory_size
// CHECK: gpu.func @int3_m16_gemv0(
// CHECK-SAME: qf.dynamic_shared_bytes = 73728 : i64
func.func @int3_m16(%x: tensor<16x1024xf16>, %w: !qf.tensor<64x1024xf16, "int3:g32">) -> tensor<16x64xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<16x1024xf16>, !qf.tensor<64x1024xf16, "int3:g32"> -> tensor<16x64xf16>
  return %y : tensor<16x64xf16>
}

// -----

// CHECK-LABEL: func.func @kashin_m16
// CHECK: gpu.func @kashin_m16_gemv0(
// CHECK-SAME: qf.dynamic_shared_bytes = 147712 : i64
func.func @kashin_m16(%x: tensor<16x1024xf16>, %w: !qf.tensor<64x1024xf16, "kashin:2+2">) -> tensor<16x64xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<16x1024xf16>, !qf.tensor<64x1024xf16, "kashin:2+2"> -> tensor<16x64xf16>
  return %y : tensor<16x64xf16>
}

// -----

// Kashin DCT vectors of 96 (not a power of two): Bluestein's FFT (inner
// length 256) as num::FFTPlan runs it, its chirp and kernel as constant
// tables, the f64 arrays (4 x 256 + 96 per vector) in a global workspace the
// host allocates; one block per vector up to 256 blocks.
// CHECK-LABEL: func.func @dq_kashin_bluestein
// CHECK: %[[WS:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<8960xf64>
// CHECK: gpu.launch_func @qf_kernels::@dq_kashin_bluestein_dequant0 blocks in (%c8, %c1, %c1{{.*}}) threads in (%c128,
// CHECK-SAME: %[[WS]] : memref<8960xf64>)
// CHECK: gpu.dealloc async [%{{.*}}] %[[WS]] : memref<8960xf64>
// CHECK: memref.global "private" constant @qf_bluestein_chirp_96_re : memref<96xf64>
// CHECK: memref.global "private" constant @qf_fft_twiddle_256_re : memref<128xf64>
// CHECK: memref.global "private" constant @qf_bluestein_kernel_96_re : memref<256xf64>
// CHECK: gpu.func @dq_kashin_bluestein_dequant0
// CHECK-SAME: workgroup(%{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: qf.kernel_args = ["codes", "codebooks", "out", "workspace"]
// CHECK-SAME: qf.workspace_bytes = 71680 : i64
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}} : memref<8960xf64>
func.func @dq_kashin_bluestein(%w: !qf.tensor<8x96xf32, "kashin:2+2">) -> tensor<8x96xf32> {
  %0 = qf.dequantize %w : !qf.tensor<8x96xf32, "kashin:2+2"> -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}

// -----

// Kashin vectors of 16384 (3 x 128 KiB of f64, more than any chip's shared
// memory): the radix-2 path in the global workspace.
// CHECK-LABEL: func.func @dq_kashin_16384
// CHECK: gpu.alloc async [%{{.*}}] () : memref<98304xf64>
// CHECK: gpu.func @dq_kashin_16384_dequant0
// CHECK-SAME: qf.kernel_args = ["codes", "codebooks", "out", "workspace"]
// SM80-LABEL: func.func @dq_kashin_16384
// SM80: gpu.alloc async [%{{.*}}] () : memref<98304xf64>
func.func @dq_kashin_16384(%w: !qf.tensor<2x16384xf16, "kashin:2+2">) -> tensor<2x16384xf16> {
  %0 = qf.dequantize %w : !qf.tensor<2x16384xf16, "kashin:2+2"> -> tensor<2x16384xf16>
  return %0 : tensor<2x16384xf16>
}

// -----

// Kashin GEMV on vectors of 96: the transform of the activations also runs
// Bluestein's FFT in a workspace; the host allocates scratch and workspace.
// CHECK-LABEL: func.func @gemv_kashin_bluestein
// CHECK: %[[S:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<96xf32>
// CHECK: %[[WS:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<1120xf64>
// CHECK: gpu.launch_func @qf_kernels::@gemv_kashin_bluestein_gemv0_px
// CHECK-SAME: %[[S]] : memref<96xf32>, %[[WS]] : memref<1120xf64>)
// CHECK: gpu.launch_func @qf_kernels::@gemv_kashin_bluestein_gemv0
// CHECK-SAME: %[[S]] : memref<96xf32>
func.func @gemv_kashin_bluestein(%x: tensor<1x96xf16>, %w: !qf.tensor<64x96xf16, "kashin:2+2">) -> tensor<1x64xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x96xf16>, !qf.tensor<64x96xf16, "kashin:2+2"> -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}
