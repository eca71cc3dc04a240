// RUN: quant-opt %s -split-input-file -qf-nontemporal-stores | FileCheck %s

// A marked loop: the 128-byte write becomes a 64-byte aligned streaming
// store when its address is aligned at run time, the original write
// otherwise; one fence follows the outermost loop, not every inner one.
// CHECK-LABEL: func.func @marked
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[M:.*]] : memref<4x256xf32> -> index
// CHECK: %[[LOW:.*]] = arith.andi %{{.*}}, %{{.*}} : index
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[LOW]], %{{.*}} : index
// CHECK: scf.if %[[OK]] {
// CHECK-NEXT: vector.store %{{.*}}, %[[M]][%{{.*}}, %{{.*}}] {alignment = 64 : i64, nontemporal = true} : memref<4x256xf32>, vector<32xf32>
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.transfer_write %{{.*}}, %[[M]][%{{.*}}, %{{.*}}] {in_bounds = [true]} : vector<32xf32>, memref<4x256xf32>
// CHECK: }
// CHECK-NOT: llvm.fence
// CHECK: }
// CHECK-NEXT: }
// CHECK-NEXT: llvm.fence seq_cst
// CHECK-NEXT: return
// CHECK-NOT: qf.nontemporal_stores
func.func @marked(%m: memref<4x256xf32>, %v: vector<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c256 = arith.constant 256 : index
  scf.for %r = %c0 to %c4 step %c1 {
    scf.for %c = %c0 to %c256 step %c32 {
      vector.transfer_write %v, %m[%r, %c] {in_bounds = [true]} : vector<32xf32>, memref<4x256xf32>
    } {qf.nontemporal_stores}
  }
  return
}

// -----

// A 32-byte vector (AVX2) streams at 32-byte alignment; the offset and
// strides of a strided memref enter the address.
// CHECK-LABEL: func.func @strided
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %{{.*}}:2, %[[STR:.*]]:2 = memref.extract_strided_metadata
// CHECK: arith.muli %{{.*}}, %[[STR]]#0 : index
// CHECK: arith.constant 31 : index
// CHECK: vector.store {{.*}} {alignment = 32 : i64, nontemporal = true} : memref<4x64xf32, strided<[128, 1], offset: ?>>, vector<8xf32>
// CHECK: llvm.fence seq_cst
func.func @strided(%m: memref<4x64xf32, strided<[128, 1], offset: ?>>, %v: vector<8xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.for %c = %c0 to %c64 step %c8 {
    vector.transfer_write %v, %m[%c0, %c] {in_bounds = [true]} : vector<8xf32>, memref<4x64xf32, strided<[128, 1], offset: ?>>
  } {qf.nontemporal_stores}
  return
}

// -----

// f16 (and bf16) vectors are stored as the same bits in i32 lanes, cast
// before the branch, through the aligned address: llc drops the
// non-temporal hint of half/bfloat vector stores on x86, and of integer
// bitcasts of them made in the storing block.
// CHECK-LABEL: func.func @half
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index
// CHECK: %[[A:.*]] = arith.addi %[[P]], %{{.*}} : index
// CHECK: %[[B:.*]] = vector.bitcast %{{.*}} : vector<32xf16> to vector<16xi32>
// CHECK-NEXT: scf.if
// CHECK-NEXT: %[[I:.*]] = arith.index_cast %[[A]] : index to i64
// CHECK-NEXT: %[[Q:.*]] = llvm.inttoptr %[[I]] : i64 to !llvm.ptr
// CHECK-NEXT: llvm.store %[[B]], %[[Q]] {alignment = 64 : i64, nontemporal} : vector<16xi32>, !llvm.ptr
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.transfer_write %{{.*}} : vector<32xf16>, memref<2x128xf16>
// CHECK: llvm.fence seq_cst
func.func @half(%m: memref<2x128xf16>, %v: vector<32xf16>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.for %c = %c0 to %c128 step %c32 {
    vector.transfer_write %v, %m[%c0, %c] {in_bounds = [true]} : vector<32xf16>, memref<2x128xf16>
  } {qf.nontemporal_stores}
  return
}

// -----

// Not streamed: writes under 32 bytes, masked writes, writes that may be
// out of bounds, and writes in unmarked loops. A marked loop without
// candidates gets no fence; the marker is removed.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: nontemporal
// CHECK-NOT: llvm.fence
// CHECK-NOT: scf.if
// CHECK: return
func.func @kept(%m: memref<256xf32>, %v4: vector<4xf32>, %v16: vector<16xf32>, %mask: vector<16xi1>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  scf.for %c = %c0 to %c256 step %c16 {
    vector.transfer_write %v4, %m[%c] {in_bounds = [true]} : vector<4xf32>, memref<256xf32>
    vector.transfer_write %v16, %m[%c], %mask {in_bounds = [true]} : vector<16xf32>, memref<256xf32>
    vector.transfer_write %v16, %m[%c] : vector<16xf32>, memref<256xf32>
  } {qf.nontemporal_stores}
  scf.for %c = %c0 to %c256 step %c16 {
    vector.transfer_write %v16, %m[%c] {in_bounds = [true]} : vector<16xf32>, memref<256xf32>
  }
  return
}
