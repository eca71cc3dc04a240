// RUN: quant-opt %s -split-input-file -qf-forward-argument-results | FileCheck %s

// A public function's result that is a copy of an argument is returned as
// the argument (no copy, not the caller's to free).
// CHECK-LABEL: func.func @dest
// CHECK-NOT: bufferization.clone
// CHECK: return %arg0 : memref<4xf32>
func.func @dest(%out: memref<4xf32>) -> memref<4xf32> {
  %c = bufferization.clone %out : memref<4xf32> to memref<4xf32>
  return %c : memref<4xf32>
}

// -----

// Through a memref.cast: the argument, cast back to the result type.
// CHECK-LABEL: func.func @cast
// CHECK-NOT: bufferization.clone
// CHECK: %[[C:.*]] = memref.cast %arg0 : memref<4xf32> to memref<?xf32>
// CHECK-NEXT: return %[[C]] : memref<?xf32>
func.func @cast(%out: memref<4xf32>) -> memref<?xf32> {
  %v = memref.cast %out : memref<4xf32> to memref<?xf32>
  %c = bufferization.clone %v : memref<?xf32> to memref<?xf32>
  return %c : memref<?xf32>
}

// -----

// A copy of a fresh buffer stays (the caller owns it), and so does a copy
// returned by a private function (its callers are in the module).
// CHECK-LABEL: func.func @fresh
// CHECK: bufferization.clone
// CHECK-LABEL: func.func private @internal
// CHECK: bufferization.clone
func.func @fresh(%n: index) -> memref<?xf32> {
  %a = memref.alloc(%n) : memref<?xf32>
  %c = bufferization.clone %a : memref<?xf32> to memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return %c : memref<?xf32>
}
func.func private @internal(%out: memref<4xf32>) -> memref<4xf32> {
  %c = bufferization.clone %out : memref<4xf32> to memref<4xf32>
  return %c : memref<4xf32>
}

// -----

// A copy used by more than the return is kept (and stays the caller's to
// free); the other result is forwarded.
// CHECK-LABEL: func.func @mixed
// CHECK: %[[K:.*]] = bufferization.clone %arg1
// CHECK: return %arg0, %[[K]]
func.func @mixed(%a: memref<4xf32>, %b: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %c = bufferization.clone %a : memref<4xf32> to memref<4xf32>
  %k = bufferization.clone %b : memref<4xf32> to memref<4xf32>
  %c0 = arith.constant 0 : index
  %v = memref.load %k[%c0] : memref<4xf32>
  return %c, %k : memref<4xf32>, memref<4xf32>
}
