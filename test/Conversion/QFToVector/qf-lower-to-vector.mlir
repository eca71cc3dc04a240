// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=neon | FileCheck %s --check-prefix=NEON
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=generic | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector="target=avx512 nontemporal-bytes=4096" | FileCheck %s --check-prefix=NT

// int4 codes: bytes loaded as a vector, nibbles split and interleaved back
// into element order, decoded (one vpermps per 16 codes on AVX-512;
// sign-extended and converted on the generic target), scaled per group,
// stored.
// CHECK-LABEL: func.func @dequant_int4
// CHECK-SAME: (%[[CODES:.*]]: tensor<128xi8>, %[[SCALES:.*]]: tensor<32xi8>, %[[OUT:.*]]: tensor<4x64xf32> {bufferization.writable = true}) -> tensor<4x64xf32> attributes {llvm.emit_c_interface}
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[OUT]])
// CHECK: scf.for
// CHECK: vector.transfer_read %[[CODES]]{{.*}} : tensor<128xi8>, vector<16xi8>
// CHECK: vector.interleave {{.*}} : vector<16xi8> -> vector<32xi8>
// CHECK-COUNT-2: call @llvm.x86.avx512.permvar.sf.512
// GENERIC-LABEL: func.func @dequant_int4
// GENERIC: arith.shrsi {{.*}} : vector<32xi32>
// GENERIC: arith.sitofp {{.*}} : vector<32xi32> to vector<32xf32>
// GENERIC-NOT: call @llvm.
// CHECK: vector.transfer_read %[[SCALES]]{{.*}} : tensor<32xi8>, vector<4xi8>
// CHECK: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<32xf32>, tensor<4x64xf32>
// CHECK-NOT: qf.
func.func @dequant_int4(%q: !qf.tensor<4x64xf32, #qf.format<"int4:g32">>,
                        %out: tensor<4x64xf32> {bufferization.writable = true}) -> tensor<4x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32">> -> tensor<4x64xf32>
  %r = bufferization.materialize_in_destination %d in %out : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// -----

// NF4: 16-entry table lookups through vpermps on AVX-512, tbl on NEON.
// CHECK-LABEL: func.func @dequant_nf4
// CHECK: call @llvm.x86.avx512.permvar.sf.512({{.*}}) : (vector<16xf32>, vector<16xi32>) -> vector<16xf32>
// NEON-LABEL: func.func @dequant_nf4
// NEON-COUNT-4: call @llvm.aarch64.neon.tbl1.v16i8({{.*}}) : (vector<16xi8>, vector<16xi8>) -> vector<16xi8>
// NEON: vector.bitcast {{.*}} : vector<64xi8> to vector<16xf32>
// GENERIC-LABEL: func.func @dequant_nf4
// GENERIC-NOT: call @llvm.
// GENERIC-COUNT-15: arith.select {{.*}} : vector<64xi1>, vector<64xf32>
func.func @dequant_nf4(%q: !qf.tensor<2x64xf32, #qf.format<"nf4:g64">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"nf4:g64">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// q4_0: the f16 block scale is decoded with extf, low and high nibbles are
// concatenated (elements 0..15, 16..31), q - 8 looked up (AVX-512) or
// converted (generic).
// CHECK-LABEL: func.func @dequant_q4_0
// CHECK-SAME: (%{{.*}}: tensor<36xi8>) -> tensor<2x32xf32>
// CHECK: tensor.empty() : tensor<2x32xf32>
// CHECK: vector.bitcast {{.*}} : vector<2xi8> to vector<1xi16>
// CHECK: arith.bitcast {{.*}} : i16 to f16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// CHECK: call @llvm.x86.avx512.permvar.sf.512
// GENERIC-LABEL: func.func @dequant_q4_0
// GENERIC: vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// GENERIC: arith.subi {{.*}} : vector<32xi32>
// GENERIC: arith.sitofp {{.*}} : vector<32xi32> to vector<32xf32>
func.func @dequant_q4_0(%q: !qf.tensor<2x32xf32, #qf.format<"q4_0">>) -> tensor<2x32xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x32xf32, #qf.format<"q4_0">> -> tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}

// -----

// Minifloat codes of 6 bits (e3m2) cross bytes: one shuffle gathers the
// two bytes of every code into an i16 lane (24 bytes -> 32 lanes), a
// per-lane shift and a mask leave the code; then exponent re-biasing.
// CHECK-LABEL: func.func @dequant_e3m2
// CHECK: vector.shuffle %[[B:.*]], %[[B]] [0, 1, 0, 1, 1, 2, 2, 3, {{.*}}, 23, 23] : vector<24xi8>, vector<24xi8>
// CHECK-NEXT: vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// CHECK: arith.shrui {{.*}} : vector<32xi16>
// CHECK-NEXT: arith.andi {{.*}} : vector<32xi16>
// CHECK-NEXT: arith.trunci {{.*}} : vector<32xi16> to vector<32xi8>
// CHECK: arith.cmpi eq, {{.*}} : vector<32xi32>
// CHECK: vector.transfer_write {{.*}} : vector<32xf32>, tensor<2x32xf32>
func.func @dequant_e3m2(%q: !qf.tensor<2x32xf32, #qf.format<"e3m2:g32">>) -> tensor<2x32xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x32xf32, #qf.format<"e3m2:g32">> -> tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}

// -----

// Zero points: float(code) - float(zp), then the scale; outliers patched
// after the main loop.
// CHECK-LABEL: func.func @dequant_zp_outliers
// CHECK-SAME: (%{{.*}}: tensor<128xi8>, %{{.*}}: tensor<32xi8>, %[[ZP:.*]]: tensor<8xi8>, %[[OUTL:.*]]: tensor<{{[0-9]+}}xi8>)
// CHECK: arith.uitofp {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: tensor.extract %[[ZP]]
// CHECK: arith.subf {{.*}} : vector<32xf32>
// CHECK: scf.for
// CHECK: vector.transfer_read %[[OUTL]]
// CHECK: tensor.insert
func.func @dequant_zp_outliers(%q: !qf.tensor<4x64xf32, #qf.format<"uint4:g32:zp:outliers=0.01">>) -> tensor<4x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"uint4:g32:zp:outliers=0.01">> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

// Constants: one arith.constant per section.
// CHECK-LABEL: func.func @dequant_constant
// CHECK-SAME: () -> tensor<1x16xf32>
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<8xi8>
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<4xi8>
func.func @dequant_constant() -> tensor<1x16xf32> {
  %q = qf.constant {codes = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>,
                    scales = dense<[0, 0, -128, 63]> : tensor<4xi8>}
      : !qf.tensor<1x16xf32, #qf.format<"int4:g16">>
  %d = qf.dequantize %q : !qf.tensor<1x16xf32, #qf.format<"int4:g16">> -> tensor<1x16xf32>
  return %d : tensor<1x16xf32>
}

// -----

// Fused GEMV (transpose_weight, M = 3) with K = 64, not a multiple of the
// 4-block chunks below: per weight row, each q4_0 block
// decodes as two planes of 16 lanes (elements 0-15 and 16-31, so the
// activations are read in place), multiplied by the activations into a
// partial sum that the block scale multiplies into one of six independent
// accumulators (two blocks per iteration, three rows of activations);
// no decoded weight is stored.
// CHECK-LABEL: func.func @gemv_q4_0
// CHECK-NOT: tensor.empty() : tensor<8x64xf32>
// CHECK-NOT: vector.shuffle
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[P:.*]] = arith.mulf {{.*}} fastmath<contract> : vector<16xf32>
// CHECK-NEXT: %[[S:.*]] = vector.fma {{.*}}, %[[P]] : vector<16xf32>
// CHECK-NEXT: vector.fma %[[S]], {{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK: tensor.insert {{.*}} : tensor<3x8xf32>
func.func @gemv_q4_0(%x: tensor<3x64xf32>, %w: !qf.tensor<8x64xf32, #qf.format<"q4_0">>) -> tensor<3x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<3x64xf32>, !qf.tensor<8x64xf32, #qf.format<"q4_0">> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// q4_0 GEMV with K a multiple of 128 on AVX-512: a chunk is 4 blocks
// (72 bytes), read as two overlapping 64-byte vectors; one shuffle picks
// the 64 code bytes (16 i32 word lanes of 8 nibbles: 8 planes, each a shift
// and a lookup), another the 4 f16 scales, spread over each block's 4
// lanes. The activations are permuted into plane order once; 8 rows per
// iteration. (The two reads are repeated for the scales here; CSE in
// qf-cpu-pipeline merges them.)
// CHECK-LABEL: func.func @gemv_q4_0_words
// CHECK: vector.shuffle {{.*}} : vector<128xf32>, vector<128xf32>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-DAG: %[[H:.*]] = vector.transfer_read {{.*}} : tensor<1152xi8>, vector<64xi8>
// CHECK-DAG: %[[T:.*]] = vector.transfer_read {{.*}} : tensor<1152xi8>, vector<64xi8>
// CHECK-DAG: %[[C:.*]] = vector.shuffle %[[H]], %[[T]] [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20,
// CHECK-DAG: vector.bitcast %[[C]] : vector<64xi8> to vector<16xi32>
// CHECK-DAG: %[[S:.*]] = vector.shuffle {{.*}} [0, 1, 18, 19, 36, 37, 54, 55] : vector<64xi8>, vector<64xi8>
// CHECK-DAG: vector.bitcast %[[S]] : vector<8xi8> to vector<4xi16>
// CHECK-DAG: vector.shuffle {{.*}} [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3] : vector<4xf32>, vector<4xf32>
// CHECK-DAG: arith.shrui {{.*}} : vector<16xi32>
// CHECK: vector.reduction <add>
func.func @gemv_q4_0_words(%x: tensor<1x128xf32>, %w: !qf.tensor<16x128xf32, #qf.format<"q4_0">>) -> tensor<1x16xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<16x128xf32, #qf.format<"q4_0">> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// Row tails (K = 100 is not a multiple of the vector width): chunks of 32
// elements up to 96 (the activations permuted into plane order only
// there), then a scalar multiply-add loop.
// CHECK-LABEL: func.func @gemv_tail
// CHECK: scf.for %{{.*}} = %{{.*}} to %c96 step %c32 {{.*}} -> (tensor<1x100xf32>)
// CHECK: vector.shuffle
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: scf.for %{{.*}} = %c96{{.*}} to %c100
// CHECK: arith.mulf {{.*}} fastmath<contract> : f32
func.func @gemv_tail(%x: tensor<100xf32>, %w: !qf.tensor<4x100xf32, #qf.format<"int4:tensor">>) -> tensor<4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<100xf32>, !qf.tensor<4x100xf32, #qf.format<"int4:tensor">> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A weight [K, N] (no transpose_weight) is dequantized, then contracted by
// linalg.
// CHECK-LABEL: func.func @matmul_unfused
// CHECK: vector.transfer_write {{.*}} : vector<32xf32>, tensor<64x32xf32>
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @matmul_unfused(%x: tensor<2x64xf32>, %w: !qf.tensor<64x32xf32, #qf.format<"int8:g32">>) -> tensor<2x32xf32> {
  %y = qf.matmul %x, %w : tensor<2x64xf32>, !qf.tensor<64x32xf32, #qf.format<"int8:g32">> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

// Large M (32 > 16) with transpose_weight: tiled GEMM. Tiles of 8 weight
// rows are dequantized into an f32 tile, then a 4 x 4 register-blocked
// micro-kernel (16 vector accumulators, 4 activation and 4 weight loads per
// step) computes the outputs.
// CHECK-LABEL: func.func @gemm_tiled
// CHECK: scf.for %{{.*}} = %{{.*}} to %c8{{.*}} step %c8{{.*}} -> (tensor<32x8xf32>)
// CHECK: bufferization.alloc_tensor() : tensor<8x64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<32xf32>, tensor<8x64xf32>
// CHECK: scf.for {{.*}} step %c4
// CHECK: scf.for {{.*}} step %c4
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-8: vector.transfer_read {{.*}} : tensor<{{.*}}x64xf32>, vector<16xf32>
// CHECK-COUNT-16: vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-16: vector.reduction <add>
// The tile is a fresh buffer (freed by the ownership-based deallocation
// that qf-cpu-pipeline runs after bufferization, as in
// qf-cpu-pipeline-dealloc.mlir); the lowering frees nothing itself.
// CHECK-NOT: linalg.generic
// CHECK-NOT: dealloc
func.func @gemm_tiled(%x: tensor<32x64xf32>, %w: !qf.tensor<8x64xf32, #qf.format<"int4:g32">>) -> tensor<32x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<32x64xf32>, !qf.tensor<8x64xf32, #qf.format<"int4:g32">> -> tensor<32x8xf32>
  return %y : tensor<32x8xf32>
}

// -----

// f16 activations and result: widened into a temporary f32 tensor and
// narrowed by an elementwise arith.truncf around the f32 fused GEMV. Both
// temporaries are fresh buffers, freed after bufferization by
// ownership-based deallocation (qf-cpu-pipeline-dealloc.mlir).
// CHECK-LABEL: func.func @gemv_f16
// CHECK: %[[WIDE:.*]] = linalg.generic
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: arith.truncf %[[ACC:.*]] : tensor<2x4xf32> to tensor<2x4xf16>
// CHECK-NOT: dealloc
func.func @gemv_f16(%x: tensor<2x64xf16>, %w: !qf.tensor<4x64xf32, #qf.format<"q4_0">>) -> tensor<2x4xf16> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<2x64xf16>, !qf.tensor<4x64xf32, #qf.format<"q4_0">> -> tensor<2x4xf16>
  return %y : tensor<2x4xf16>
}

// -----

// Word lanes: int4:g32 rows of 256 read the codes as 16 i32 lanes of 4
// bytes (eight nibble planes by shifts, 128 codes per chunk), the
// activations permuted so that lane j of plane s meets element 8j + s; each
// lane takes the scale of its own group (4 groups per chunk, 4 lanes each).
// CHECK-LABEL: func.func @gemv_word_lanes
// CHECK: vector.shuffle {{.*}} [0, 8, 16, {{.*}}, 120, 1, 9, {{.*}}, 127] : vector<128xf32>, vector<128xf32>
// CHECK: vector.bitcast {{.*}} : vector<64xi8> to vector<16xi32>
// CHECK-COUNT-8: call @llvm.x86.avx512.permvar.sf.512
// CHECK: vector.shuffle {{.*}} [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3] : vector<4xf32>, vector<4xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
func.func @gemv_word_lanes(%x: tensor<1x256xf32>, %w: !qf.tensor<4x256xf32, #qf.format<"int4:g32">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<4x256xf32, #qf.format<"int4:g32">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Results of at least nontemporal-bytes (default 32 MiB; 4096 in the NT
// run) mark their vector loop for streaming stores; smaller ones and the
// dequantization feeding an unfused matmul do not. The fused GEMV
// prefetches the code and scale sections ahead of each row.
// CHECK-LABEL: func.func @streaming
// CHECK-NOT: qf.nontemporal_stores
// CHECK: memref.prefetch
// NT-LABEL: func.func @streaming
// NT: vector.transfer_write
// NT: } {qf.nontemporal_stores}
// NT-NOT: qf.nontemporal_stores
// NT: return
func.func @streaming(%big: !qf.tensor<16x256xf32, #qf.format<"int4:g32">>,
                     %small: !qf.tensor<2x256xf32, #qf.format<"int4:g32">>,
                     %x: tensor<1x256xf32>)
    -> (tensor<16x256xf32>, tensor<2x256xf32>, tensor<1x16xf32>) {
  %a = qf.dequantize %big : !qf.tensor<16x256xf32, #qf.format<"int4:g32">> -> tensor<16x256xf32>
  %b = qf.dequantize %small : !qf.tensor<2x256xf32, #qf.format<"int4:g32">> -> tensor<2x256xf32>
  %y = qf.matmul %x, %big {transpose_weight} : tensor<1x256xf32>, !qf.tensor<16x256xf32, #qf.format<"int4:g32">> -> tensor<1x16xf32>
  return %a, %b, %y : tensor<16x256xf32>, tensor<2x256xf32>, tensor<1x16xf32>
}

// -----

// Rows of at least twice 1 KiB of codes per prefetch distance: each
// iteration (2 chunks, 128 code bytes and 32 scale bytes per row)
// prefetches what iteration i + 8 of the same rows reads (about 1 KiB of
// codes ahead), or, in the last 8 iterations, iteration i + 8 - 16 of the
// next group of 4 rows; the position is clamped to the section. Per
// iteration: two prefetches per row's codes, one per row's scales.
// CHECK-LABEL: func.func @prefetch_in_rows
// CHECK: scf.for {{.*}} step %c256
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c8{{.*}} : index
// CHECK: arith.select %[[IN]]
// CHECK: arith.minui %{{.*}}, %c10175{{.*}} : index
// CHECK-COUNT-8: memref.prefetch %{{.*}} : memref<16384xi8
// CHECK: arith.select %[[IN]]
// CHECK: arith.minui %{{.*}}, %c2559{{.*}} : index
// CHECK-COUNT-4: memref.prefetch %{{.*}} : memref<4096xi8
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @prefetch_in_rows(%x: tensor<1x4096xf32>, %w: !qf.tensor<8x4096xf32, #qf.format<"int4:g32">>) -> tensor<1x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x4096xf32>, !qf.tensor<8x4096xf32, #qf.format<"int4:g32">> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
