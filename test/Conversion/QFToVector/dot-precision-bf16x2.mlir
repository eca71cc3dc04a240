// RUN: quant-opt %s -split-input-file -qf-lower-to-vector="target=avx512 dot-precision=bf16x2" | FileCheck %s
// RUN: quant-opt %s -qf-cpu-pipeline="target=avx512 dot-precision=bf16x2" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mcpu=x86-64-v4 -mattr=+avx512bf16 | FileCheck %s --check-prefix=ASM
// RUN: quant-opt %s -split-input-file -qf-lower-to-vector="target=avx512" | FileCheck %s --check-prefix=F32

// dot-precision=bf16x2, int4:g32: the activations are split once into
// bf16 halves (hi = x rounded, lo = x - hi rounded) in the lane order of
// the weight planes, after a range check of the row; each chunk of 128
// codes is read as 32 i16 lanes, each plane a shift and a vpermw lookup of
// the bf16 table of code - 8; two chains of vdpbf16ps (high and low
// halves) per row, the group scales applied per i32 lane as in the f32
// planes; 8 rows per iteration; the row sums are multiplied back by the
// range factor.
// CHECK-LABEL: func.func @gemv_int4
// CHECK: vector.reduction <maxnumf>
// CHECK: arith.truncf {{.*}} : vector<128xf32> to vector<128xbf16>
// CHECK: arith.subf
// CHECK: arith.truncf {{.*}} : vector<128xf32> to vector<128xbf16>
// CHECK: vector.transfer_write {{.*}} : vector<256xbf16>, tensor<1x512xbf16>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// CHECK: call @llvm.x86.avx512.permvar.hi.512(%{{.*}}, %{{.*}}) : (vector<32xi16>, vector<32xi16>) -> vector<32xi16>
// CHECK: arith.shrui {{.*}} : vector<32xi16>
// CHECK: call @llvm.x86.avx512bf16.dpbf16ps.512({{.*}}) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// CHECK: arith.mulf
// ASM-LABEL: gemv_int4:
// ASM-DAG: vcvtneps2bf16
// ASM-DAG: vpermw {{.*}}%zmm
// ASM-DAG: vdpbf16ps {{.*}}%zmm
// ASM: retq
// The f32 default keeps the f32 planes.
// F32-LABEL: func.func @gemv_int4
// F32-NOT: dpbf16ps
// F32: llvm.x86.avx512.permvar.sf.512
// F32-NOT: dpbf16ps
// F32: return
func.func @gemv_int4(%x: tensor<1x256xf32>, %w: !qf.tensor<8x256xf32, #qf.format<"int4:g32">>) -> tensor<1x8xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x256xf32>, !qf.tensor<8x256xf32, #qf.format<"int4:g32">> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// q4_0 word lanes (4 blocks per chunk) as bf16 pairs: the same byte picks
// as the f32 word lanes, the bf16 table of code - 8.
// CHECK-LABEL: func.func @gemv_q4_0
// CHECK: vector.shuffle {{.*}} : vector<64xi8>, vector<64xi8>
// CHECK: vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// CHECK: llvm.x86.avx512.permvar.hi.512
// CHECK: llvm.x86.avx512bf16.dpbf16ps.512
// ASM-LABEL: gemv_q4_0:
// ASM: vdpbf16ps
func.func @gemv_q4_0(%x: tensor<2x256xf32>, %w: !qf.tensor<4x256xf32, #qf.format<"q4_0">>) -> tensor<2x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<2x256xf32>, !qf.tensor<4x256xf32, #qf.format<"q4_0">> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// nf4's table is not exact in bf16: the f32 planes (vpermps), no bf16.
// CHECK-LABEL: func.func @gemv_nf4
// CHECK-NOT: dpbf16ps
// CHECK: llvm.x86.avx512.permvar.sf.512
// CHECK-NOT: dpbf16ps
// CHECK: return
// ASM-LABEL: gemv_nf4:
// ASM-NOT: vdpbf16ps
// ASM: retq
func.func @gemv_nf4(%x: tensor<1x128xf32>, %w: !qf.tensor<4x128xf32, #qf.format<"nf4:g64">>) -> tensor<1x4xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x128xf32>, !qf.tensor<4x128xf32, #qf.format<"nf4:g64">> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
