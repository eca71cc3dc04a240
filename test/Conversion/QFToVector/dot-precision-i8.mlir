// RUN: quant-opt %s -split-input-file -qf-lower-to-vector="target=avx512 dot-precision=i8" | FileCheck %s
// RUN: quant-opt %s -qf-cpu-pipeline="target=avx512 dot-precision=i8" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mcpu=x86-64-v4 -mattr=+avx512vnni | FileCheck %s --check-prefix=ASM
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector="target=avx512" | FileCheck %s --check-prefix=F32

// dot-precision=i8, int4:g32: the activations are quantized once per call
// (blocks of 32: the largest magnitude, 127 / m, rounding by adding
// 1.5 * 2^23 and keeping the low byte), shuffled into the byte order of the
// weight planes, with the lanes' scales and offset corrections beside them.
// Each chunk of 128 codes is one vector of 64 bytes; plane 0 is its low
// nibbles, plane 1 its high nibbles, each mapped by vpshufb to code - 8 + 8
// (two's complement to offset binary); two vpdpbusd per row and chunk start
// at the correction, then one conversion, the activation scales and one
// multiply-add with the group scales; 8 rows per iteration.
// CHECK-LABEL: func.func @gemv_int4
// CHECK: vector.reduction <maximumf>
// CHECK: arith.divf
// CHECK: arith.addf {{.*}} : vector<128xf32>
// CHECK: arith.trunci {{.*}} : vector<128xi32> to vector<128xi8>
// CHECK: vector.transfer_write {{.*}} : vector<128xi8>, tensor<1x256xi8>
// CHECK: arith.muli {{.*}} : vector<16xi32>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: arith.andi {{.*}} : vector<64xi8>
// CHECK: call @llvm.x86.avx512.pshuf.b.512(%{{.*}}, %{{.*}}) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK: arith.shrui {{.*}} : vector<64xi8>
// CHECK: call @llvm.x86.avx512.pshuf.b.512
// CHECK: call @llvm.x86.avx512.vpdpbusd.512({{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: call @llvm.x86.avx512.vpdpbusd.512
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: arith.mulf
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// ASM-LABEL: gemv_int4:
// ASM-DAG: vpshufb {{.*}}%zmm
// ASM-DAG: vpdpbusd {{.*}}%zmm
// ASM-DAG: vcvtdq2ps {{.*}}%zmm
// ASM: retq
// The f32 default keeps the f32 planes.
// F32-LABEL: func.func @gemv_int4
// F32-NOT: vpdpbusd
// F32: llvm.x86.avx512.permvar.sf.512
// F32-NOT: vpdpbusd
// F32: return
func.func @gemv_int4(%x: tensor<1x256xf32>, %w: !qf.tensor<8x256xf32, #qf.format<"int4:g32">>) -> tensor<1x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<8x256xf32, #qf.format<"int4:g32">> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// q4_0: the bytes of 4 blocks picked as for the f32 word lanes; code - 8 + 8
// is the code itself, so there is no lookup.
// CHECK-LABEL: func.func @gemv_q4_0
// CHECK: vector.shuffle {{.*}} : vector<64xi8>, vector<64xi8>
// CHECK-NOT: pshuf.b
// CHECK: llvm.x86.avx512.vpdpbusd.512
// ASM-LABEL: gemv_q4_0:
// ASM: vpdpbusd
// ASM-NOT: vpshufb {{.*}}%zmm
// ASM: retq
func.func @gemv_q4_0(%x: tensor<2x256xf32>, %w: !qf.tensor<4x256xf32, #qf.format<"q4_0">>) -> tensor<2x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<2x256xf32>, !qf.tensor<4x256xf32, #qf.format<"q4_0">> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// int8 codes: 64 per chunk, one plane, the sign bit flipped (c + 128).
// CHECK-LABEL: func.func @gemv_int8
// CHECK: arith.xori {{.*}} : vector<64xi8>
// CHECK: llvm.x86.avx512.vpdpbusd.512
// ASM-LABEL: gemv_int8:
// ASM: vpdpbusd
// ASM: retq
func.func @gemv_int8(%x: tensor<1x256xf32>, %w: !qf.tensor<8x256xf32, #qf.format<"int8:g128">>) -> tensor<1x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<8x256xf32, #qf.format<"int8:g128">> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// q8_0: two 34-byte blocks per chunk, read as two overlapping 64-byte
// vectors (at the chunk's start and 4 bytes in) whose code bytes one
// shuffle puts side by side; the sign flip maps them to c + 128; the two
// f16 scales cover 8 lanes each.
// CHECK-LABEL: func.func @gemv_q8_0
// CHECK: scf.for
// CHECK: arith.constant 34 : index
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [2, 3, {{.*}}, 32, 33, 36, 37, {{.*}}, 62, 63, 124, 125, 126, 127] : vector<64xi8>, vector<64xi8>
// CHECK: arith.xori {{.*}} : vector<64xi8>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 34, 35] : vector<64xi8>, vector<64xi8>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1] : vector<2xf32>, vector<2xf32>
// CHECK: llvm.x86.avx512.vpdpbusd.512
// ASM-LABEL: gemv_q8_0:
// ASM: vpdpbusd
// ASM: retq
func.func @gemv_q8_0(%x: tensor<1x256xf32>, %w: !qf.tensor<8x256xf32, #qf.format<"q8_0">>) -> tensor<1x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<8x256xf32, #qf.format<"q8_0">> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// nf4: its values are not small integers times a power of two, so the
// table is rounded to multiples of 2^-14 (the activation scales carry the
// unit, 6.1035e-05) and each code maps to 16 bits, u = w / 2^-14 + 16384:
// per plane two vpshufb lookups (low and high bytes) into two vpdpbusd
// chains, the low one started at the correction, then low + (high << 8).
// CHECK-LABEL: func.func @gemv_nf4
// CHECK: arith.constant 6.10351563E-5 : f32
// CHECK: scf.for
// CHECK: %[[LO0:.*]] = func.call @llvm.x86.avx512.pshuf.b.512(%[[TLO:.*]], %[[C0:.*]]) :
// CHECK: %[[HI0:.*]] = func.call @llvm.x86.avx512.pshuf.b.512(%[[THI:.*]], %[[C0]]) :
// CHECK: %[[LO1:.*]] = func.call @llvm.x86.avx512.pshuf.b.512(%[[TLO]], %[[C1:.*]]) :
// CHECK: %[[HI1:.*]] = func.call @llvm.x86.avx512.pshuf.b.512(%[[THI]], %[[C1]]) :
// CHECK: %[[D0:.*]] = func.call @llvm.x86.avx512.vpdpbusd.512(%{{.*}}, %[[LO0]], %[[X0:.*]]) :
// CHECK: %[[H0:.*]] = func.call @llvm.x86.avx512.vpdpbusd.512(%{{.*}}, %[[HI0]], %[[X0]]) :
// CHECK: %[[D1:.*]] = func.call @llvm.x86.avx512.vpdpbusd.512(%[[D0]], %[[LO1]], %[[X1:.*]]) :
// CHECK: %[[H1:.*]] = func.call @llvm.x86.avx512.vpdpbusd.512(%[[H0]], %[[HI1]], %[[X1]]) :
// CHECK: %[[SH:.*]] = arith.shli %[[H1]], %{{.*}} : vector<16xi32>
// CHECK: %[[SUM:.*]] = arith.addi %[[D1]], %[[SH]] : vector<16xi32>
// CHECK: arith.sitofp %[[SUM]] : vector<16xi32> to vector<16xf32>
// ASM-LABEL: gemv_nf4:
// ASM-DAG: vpshufb {{.*}}%zmm
// ASM-DAG: vpdpbusd {{.*}}%zmm
// ASM-DAG: vpslld $8, {{.*}}%zmm
// ASM: retq
func.func @gemv_nf4(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"nf4:g64">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"nf4:g64">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Formats that keep the f32 planes: 8-bit minifloats (256 values that are
// not small integers, too many for a byte lookup), double quantization,
// zero-point codes of 3, 5, 6 or 7 bits, outliers, and rows that are not a multiple of
// the 128-code chunk.
// CHECK-LABEL: func.func @gemv_e4m3
// CHECK-NOT: vpdpbusd
// CHECK: return
// ASM-LABEL: gemv_e4m3:
// ASM-NOT: vpdpbusd
// ASM: retq
func.func @gemv_e4m3(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"e4m3:g64">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"e4m3:g64">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @gemv_nvfp4
// CHECK-NOT: vpdpbusd
// CHECK: return
func.func @gemv_nvfp4(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"nvfp4">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"nvfp4">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Zero-point codes of other widths than 1, 2, 4 or 8 bits keep the f32
// planes (they do not fill the bytes).
// CHECK-LABEL: func.func @gemv_uint6_zp
// CHECK-NOT: vpdpbusd
// CHECK: return
func.func @gemv_uint6_zp(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"uint6:g64:zp">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"uint6:g64:zp">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// 8-bit zero-point codes (uint8:g32:zp): each chunk is 64 code bytes, used
// as they are (no shift, lookup or sign flip); its two groups' zero points
// are widened and spread over 8 lanes each and multiply the activations'
// corrections (-sum q) to start the one vpdpbusd chain per row and chunk.
// CHECK-LABEL: func.func @gemv_uint8_zp
// CHECK: arith.constant dense<-1> : vector<16xi32>
// CHECK: scf.for
// CHECK: %[[XQ:.*]] = vector.transfer_read %{{.*}} : tensor<1x128xi8>, vector<64xi8>
// CHECK: %[[XC:.*]] = vector.transfer_read %{{.*}} : tensor<1x32xi32>, vector<16xi32>
// CHECK-NOT: pshuf.b
// CHECK-NOT: arith.xori
// CHECK: %[[W:.*]] = vector.transfer_read %{{.*}} : tensor<512xi8>, vector<64xi8>
// CHECK: %[[ZB:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1] : vector<2xi8>, vector<2xi8>
// CHECK: %[[ZL:.*]] = arith.extui %[[ZB]] : vector<16xi8> to vector<16xi32>
// CHECK: %[[C:.*]] = arith.muli %[[ZL]], %[[XC]] : vector<16xi32>
// CHECK: call @llvm.x86.avx512.vpdpbusd.512(%[[C]], %[[W]], %[[XQ]])
// ASM-LABEL: gemv_uint8_zp:
// ASM-DAG: vpmulld {{.*}}%zmm
// ASM-DAG: vpdpbusd {{.*}}%zmm
// ASM: retq
func.func @gemv_uint8_zp(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"uint8:g32:zp">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"uint8:g32:zp">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Zero points (uint4:g32:zp): the codes are the unsigned bytes themselves
// (no lookup); the activations' lane corrections are -sum q (times the
// constant -1), and each row and chunk starts its vpdpbusd chain at the
// lanes' zero points (4 groups of 32: 4 bytes, widened and spread over 4
// lanes each) times those corrections, i.e. sum (c - zp) q.
// CHECK-LABEL: func.func @gemv_zp
// CHECK: arith.constant dense<-1> : vector<16xi32>
// CHECK: scf.for
// CHECK-NOT: pshuf.b
// CHECK: %[[ZB:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3] : vector<4xi8>, vector<4xi8>
// CHECK: %[[ZL:.*]] = arith.extui %[[ZB]] : vector<16xi8> to vector<16xi32>
// CHECK: %[[C:.*]] = arith.muli %[[ZL]], %{{.*}} : vector<16xi32>
// CHECK: call @llvm.x86.avx512.vpdpbusd.512(%[[C]],
// The f32 default (word lanes): the planes are the codes' values (permute
// lookups), and each row and chunk subtracts the lanes' zero points times
// the lanes' sums of activations (one multiply-add).
// F32-LABEL: func.func @gemv_zp
// F32: llvm.x86.avx512.permvar.sf.512
// F32: %[[Z:.*]] = arith.uitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// F32: %[[NZ:.*]] = arith.negf %[[Z]] : vector<16xf32>
// F32: %[[SUM:.*]] = arith.addf
// F32: vector.fma %[[NZ]], %{{.*}}, %[[SUM]] : vector<16xf32>
// ASM-LABEL: gemv_zp:
// ASM-DAG: vpmulld {{.*}}%zmm
// ASM-DAG: vpdpbusd {{.*}}%zmm
// ASM: retq
func.func @gemv_zp(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"uint4:g32:zp">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"uint4:g32:zp">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @gemv_outliers
// CHECK-NOT: vpdpbusd
// CHECK: return
func.func @gemv_outliers(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"int4:g32:outliers=0.01">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"int4:g32:outliers=0.01">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @gemv_row_tail
// CHECK-NOT: vpdpbusd
// CHECK: return
func.func @gemv_row_tail(%x: tensor<1x160xf32>, %w: !qf.tensor<4x160xf32, #qf.format<"int4:g32">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x160xf32>, !qf.tensor<4x160xf32, #qf.format<"int4:g32">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// q4_k: one super-block per chunk. The activations get a scale per lane of
// each of the 4 planes (64 per super-block) and, per block of 32, minus
// the sum of its quantized values (8 per super-block). Each row's code
// bytes are read as two 64-byte vectors, whose low and high nibbles are
// the 4 planes; each plane has its own vpdpbusd chain from zero, converted,
// times its lanes' activation scales and its sub-blocks' d * sc (lanes
// 0-7 / 8-15: sub-blocks 0/2, 1/3, 4/6, 5/7); then dmin * m of the 8
// sub-blocks times minus the blocks' sums (lanes 0-7; 8-15 are zero).
// CHECK-LABEL: func.func @gemv_q4_k
// CHECK: -> (tensor<1x256xi8>, tensor<1x64xf32>, tensor<1x8xf32>)
// CHECK: scf.for
// CHECK: %[[BS:.*]] = vector.transfer_read %{{.*}} : tensor<1x8xf32>, vector<8xf32>
// CHECK: %[[NS:.*]] = vector.shuffle %[[BS]], %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<8xf32>, vector<8xf32>
// CHECK: %[[LO:.*]] = arith.andi %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK: arith.shrui %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK: %[[D0:.*]] = vector.shuffle %[[DSC:.*]], %[[DSC]] [0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %[[DSC]], %[[DSC]] [5, 5, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7] : vector<8xf32>, vector<8xf32>
// CHECK: %[[MM:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7] : vector<8xf32>, vector<8xf32>
// CHECK: %[[C:.*]] = func.call @llvm.x86.avx512.vpdpbusd.512(%{{.*}}, %[[LO]], %{{.*}})
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[C]] : vector<16xi32> to vector<16xf32>
// CHECK-NEXT: %[[T:.*]] = arith.mulf %[[F]], %{{.*}} : vector<16xf32>
// CHECK-NEXT: vector.fma %[[T]], %[[D0]], %{{.*}} : vector<16xf32>
// CHECK-COUNT-3: llvm.x86.avx512.vpdpbusd.512
// CHECK: vector.fma %[[MM]], %[[NS]], %{{.*}} : vector<16xf32>
// ASM-LABEL: gemv_q4_k:
// ASM-DAG: vpdpbusd {{.*}}%zmm
// ASM-DAG: vcvtdq2ps {{.*}}%zmm
// ASM: retq
func.func @gemv_q4_k(%x: tensor<1x256xf32>, %w: !qf.tensor<4x256xf32, #qf.format<"q4_k">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<4x256xf32, #qf.format<"q4_k">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
