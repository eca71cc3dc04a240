// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx2 | FileCheck %s --check-prefix=AVX2

// Kashin codes: per vector (a row here) x = u + P^T v. The v centroids are
// read (f32, widened to f64) into an f64 scratch buffer, the inverse
// transform runs on it in f64, and u + P^T v is rounded to f32.

// Hadamard: the Walsh-Hadamard passes (3 for vectors of 8), then
// out[i] * (1/sqrt(8) * eps[i]) with eps recomputed from the seed (the
// first 8 bytes of the Codebooks section) by splitmix64.
// CHECK-LABEL: func.func @dequant_hadamard
// CHECK-SAME: (%[[CODES:.*]]: tensor<4xi8>, %[[CB:.*]]: tensor<40xi8>) -> tensor<2x8xf32>
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<8xf64>
// CHECK: scf.for %[[G:.*]] = {{.*}} iter_args
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK: arith.extf {{.*}} : f32 to f64
// CHECK: memref.store {{.*}}, %[[BUF]]
// CHECK-COUNT-3: arith.subf {{.*}} : f64
// CHECK: %[[S:.*]] = arith.constant 0.35355339059327373 : f64
// CHECK: arith.constant -7046029254386353131 : i64
// CHECK: %[[EPS:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK: %[[SE:.*]] = arith.mulf %[[S]], %[[EPS]] : f64
// CHECK: arith.mulf %{{.*}}, %[[SE]] : f64
// CHECK: arith.addf {{.*}} : f64
// CHECK: arith.truncf {{.*}} : f64 to f32
// CHECK: tensor.insert
// CHECK-NOT: memref.dealloc
// CHECK-NOT: math.fma
// CHECK-NOT: fastmath
func.func @dequant_hadamard(%q: !qf.tensor<2x8xf32, #qf.format<"kashin:1+1:hadamard">>) -> tensor<2x8xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x8xf32, #qf.format<"kashin:1+1:hadamard">> -> tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}

// -----

// DCT of a power-of-two length: the DCT reordering into the bit-reversed
// input of a radix-2 FFT (3 passes of butterflies for 8), the rotations
// e^{-i pi k/2n}, the signs, the inverse FFT's passes, and v[pos(i)] / n.
// CHECK-LABEL: func.func @dequant_dct
// CHECK-COUNT-3: memref.alloc() : memref<8xf64>
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.store
// CHECK: arith.constant dense<{{.*}}> : tensor<4xf64>
// CHECK: scf.for
// CHECK: arith.subf {{.*}} : f64
// CHECK: arith.addf {{.*}} : f64
// CHECK: arith.negf
// CHECK: arith.constant 1.250000e-01 : f64
// CHECK: arith.truncf {{.*}} : f64 to f32
// CHECK-NOT: fastmath
func.func @dequant_dct(%q: !qf.tensor<2x8xf32, #qf.format<"kashin:2+2">>) -> tensor<2x8xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x8xf32, #qf.format<"kashin:2+2">> -> tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}

// -----

// Other lengths: Bluestein's chirp-z through a radix-2 FFT of length
// 32 >= 2 * 12 - 1: the buffers (A, B) and (Y, Z) hold 32 values each.
// CHECK-LABEL: func.func @dequant_bluestein
// CHECK: memref.alloc() : memref<32xf64>
// CHECK: memref.alloc() : memref<32xf64>
// CHECK: memref.alloc() : memref<12xf64>
// CHECK: memref.alloc() : memref<32xf64>
// CHECK: memref.alloc() : memref<32xf64>
// CHECK: arith.constant 3.125000e-02 : f64
func.func @dequant_bluestein(%q: !qf.tensor<3x12xf32, #qf.format<"kashin:4:joint">>) -> tensor<3x12xf32> {
  %d = qf.dequantize %q : !qf.tensor<3x12xf32, #qf.format<"kashin:4:joint">> -> tensor<3x12xf32>
  return %d : tensor<3x12xf32>
}

// -----

// A GEMV on a Kashin weight whose vectors are its rows: w . x =
// u . x + v . (P x). The activations are transformed once (Hadamard: the
// signs on the input, the passes, 1/sqrt(n)); then two fused GEMVs read the
// u and the v codes (slices of the Codes section) against x and P x, each
// factor's centroids read from the codebooks after the 8-byte seed as a
// learned codebook (looked up by vpermps), and their results are added. No
// weight row is decoded to memory.
// CHECK-LABEL: func.func @gemv
// CHECK-SAME: (%[[X:.*]]: tensor<1x64xf32>, %[[CODES:.*]]: tensor<128xi8>, %[[CB:.*]]: tensor<136xi8>)
// CHECK: %[[Z0:.*]] = bufferization.alloc_tensor() : tensor<1x64xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[Z0]]) -> (tensor<1x64xf32>)
// CHECK: tensor.extract %[[X]]
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: arith.subf {{.*}} : f64
// CHECK: arith.constant 1.250000e-01 : f64
// CHECK: arith.truncf {{.*}} : f64 to f32
// CHECK: %[[CBS:.*]] = tensor.extract_slice %[[CB]][8] [128] [1]
// CHECK: %[[U:.*]] = tensor.extract_slice %[[CODES]][0] [64] [1]
// CHECK: %[[V:.*]] = tensor.extract_slice %[[CODES]][64] [64] [1]
// CHECK: vector.transfer_read %[[U]]
// CHECK: vector.transfer_read %[[CBS]]
// CHECK: llvm.x86.avx512.permvar.sf.512
// CHECK: vector.fma
// CHECK: vector.transfer_read %[[V]]
// CHECK: vector.transfer_read %[[CBS]]
// CHECK: vector.shuffle {{.*}} [4, 5, 6, 7, 4, 4, {{.*}} : vector<8xf32>, vector<8xf32>
// CHECK: llvm.x86.avx512.permvar.sf.512
// CHECK: vector.fma
// CHECK: linalg.generic
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NOT: memref<4x64xf32>
// CHECK-NOT: tensor<4x64xf32>
func.func @gemv(%x: tensor<1x64xf32>, %w: !qf.tensor<4x64xf32, #qf.format<"kashin:2+2:hadamard">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<4x64xf32, #qf.format<"kashin:2+2:hadamard">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Columns as vectors (ch@1) do not lie along K: the weight is dequantized
// once (its 8 column vectors lane-parallel) and the tiled GEMM multiplies
// it (here all in its scalar K tail, K = 8).
// CHECK-LABEL: func.func @gemv_columns
// CHECK: %[[W0:.*]] = bufferization.alloc_tensor() : tensor<16x8xf32>
// CHECK: %[[W:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[W0]]) -> (tensor<16x8xf32>)
// CHECK: vector<8xf64>
// CHECK: tensor.extract_slice %[[W]]
// CHECK: arith.mulf {{.*}} fastmath<contract> : f32
func.func @gemv_columns(%x: tensor<1x8xf32>, %w: !qf.tensor<16x8xf32, #qf.format<"kashin:2+2:hadamard:ch@1">>) -> tensor<1x16xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x8xf32>, !qf.tensor<16x8xf32, #qf.format<"kashin:2+2:hadamard:ch@1">> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// Ten vectors: the first eight are decoded lane-parallel, one vector per
// f64 lane (eight at a time in vector<8xf64> with AVX-512, four at a time in
// vector<4xf64> with AVX2): their codebooks are
// widened once into a [slots, lanes] table, the centroids gathered lane by
// lane, the Walsh-Hadamard passes run on [8, lanes] rows of the scratch
// buffer, and each lane's result goes to its own row. The last two vectors
// take the one-vector loop.
// CHECK-LABEL: func.func @lanes
// CHECK: %[[TAB:.*]] = memref.alloc() : memref<4x8xf64>
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<8x8xf64>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8:.*]] iter_args
// CHECK: vector.store %{{.*}}, %[[TAB]][%{{.*}}, %{{.*}}] : memref<4x8xf64>, vector<8xf64>
// CHECK: memref.load %[[TAB]][%{{.*}}, %{{.*}}] : memref<4x8xf64>
// CHECK: vector.from_elements {{.*}} : vector<8xf64>
// CHECK: vector.store %{{.*}}, %[[BUF]]
// CHECK: %[[X:.*]] = vector.load %[[BUF]][%{{.*}}, %{{.*}}] : memref<8x8xf64>, vector<8xf64>
// CHECK: %[[Y:.*]] = vector.load %[[BUF]][%{{.*}}, %{{.*}}] : memref<8x8xf64>, vector<8xf64>
// CHECK: arith.addf %[[X]], %[[Y]] : vector<8xf64>
// CHECK: arith.subf %[[X]], %[[Y]] : vector<8xf64>
// CHECK: vector.broadcast %{{.*}} : f64 to vector<8xf64>
// CHECK: arith.truncf %{{.*}} : vector<8xf64> to vector<8xf32>
// CHECK-COUNT-8: tensor.insert
// CHECK: memref.alloc() : memref<4xf64>
// CHECK: memref.alloc() : memref<8xf64>
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.truncf {{.*}} : f64 to f32
// CHECK-NOT: fastmath
// AVX2-LABEL: func.func @lanes
// AVX2: memref.alloc() : memref<8x4xf64>
// AVX2: scf.for %{{.*}} = %{{.*}} to %[[END:.*]] step %[[C4:.*]] iter_args
// AVX2: arith.subf {{.*}} : vector<4xf64>
// AVX2: memref.alloc() : memref<8xf64>
// AVX2: arith.subf {{.*}} : f64
func.func @lanes(%q: !qf.tensor<10x8xf32, #qf.format<"kashin:1+1:hadamard">>) -> tensor<10x8xf32> {
  %d = qf.dequantize %q : !qf.tensor<10x8xf32, #qf.format<"kashin:1+1:hadamard">> -> tensor<10x8xf32>
  return %d : tensor<10x8xf32>
}
