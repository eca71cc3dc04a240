// RUN: quant-opt %s -split-input-file -qf-fuse-dequant-matmul="remarks=true" -verify-diagnostics | FileCheck %s


!q = !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">>
!qt = !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">>

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>, %[[Q:.*]]: !qf.tensor
// CHECK-NOT: qf.dequantize
// CHECK-NOT: linalg.matmul
// CHECK: %[[Y:.*]] = qf.matmul %[[X]], %[[Q]] : tensor<8x64xf32>, !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<8x32xf32>
// CHECK: return %[[Y]]
func.func @matmul(%x: tensor<8x64xf32>, %q: !q) -> tensor<8x32xf32> {
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>) outs(%i : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

!qt = !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">>
// Transposed weight through indexing maps (nn.Linear layout); the init is
// a zero splat constant.
// CHECK-LABEL: func.func @matmul_transpose_b
// CHECK: qf.matmul %{{.*}}, %{{.*}} {transpose_weight} : tensor<8x64xf32>, !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">> -> tensor<8x32xf32>
func.func @matmul_transpose_b(%x: tensor<8x64xf32>, %q: !qt) -> tensor<8x32xf32> {
  %w = qf.dequantize %q : !qt -> tensor<32x64xf32>
  %i = arith.constant dense<0.0> : tensor<8x32xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>) outs(%i : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

!qt = !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">>
!q = !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">>
// matvec (weight [N, K] first) and vecmat (weight [K, N] second).
// CHECK-LABEL: func.func @matvec_vecmat
// CHECK: qf.matmul %{{.*}}, %{{.*}} {transpose_weight} : tensor<64xf32>, !qf.tensor<32x64xf32, #qf.format<"int4:g32:f16">> -> tensor<32xf32>
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<64xf32>, !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<32xf32>
func.func @matvec_vecmat(%x: tensor<64xf32>, %qt: !qt, %q: !q) -> (tensor<32xf32>, tensor<32xf32>) {
  %wt = qf.dequantize %qt : !qt -> tensor<32x64xf32>
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<32xf32>) -> tensor<32xf32>
  %a = linalg.matvec ins(%wt, %x : tensor<32x64xf32>, tensor<64xf32>) outs(%i : tensor<32xf32>) -> tensor<32xf32>
  %b = linalg.vecmat ins(%x, %w : tensor<64xf32>, tensor<64x32xf32>) outs(%i : tensor<32xf32>) -> tensor<32xf32>
  return %a, %b : tensor<32xf32>, tensor<32xf32>
}

// -----

!q = !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">>
// batch_matmul with a broadcast 2-D weight, and the equivalent generic.
// CHECK-LABEL: func.func @batched
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<2x8x64xf32>, !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<2x8x32xf32>
// CHECK: qf.matmul %{{.*}}, %{{.*}} : tensor<2x8x64xf32>, !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<2x8x32xf32>
// CHECK-NOT: linalg.generic
func.func @batched(%x: tensor<2x8x64xf32>, %q: !q) -> (tensor<2x8x32xf32>, tensor<2x8x32xf32>) {
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x32xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %a = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%x, %w : tensor<2x8x64xf32>, tensor<64x32xf32>) outs(%i : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x8x64xf32>, tensor<64x32xf32>) outs(%i : tensor<2x8x32xf32>) {
  ^bb0(%a0: f32, %b0: f32, %c0: f32):
    %m = arith.mulf %a0, %b0 : f32
    %s = arith.addf %c0, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x8x32xf32>
  return %a, %g : tensor<2x8x32xf32>, tensor<2x8x32xf32>
}

// -----

!q = !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">>
!q3 = !qf.tensor<2x64x32xf32, #qf.format<"int4:g32:f16">>
// Left alone (with a remark): accumulation into a non-zero init, a batched
// 3-D weight, a generic whose body is not multiply-add, an elementwise op.
// CHECK-LABEL: func.func @not_fused
// CHECK: linalg.matmul
// CHECK: linalg.batch_matmul
// CHECK: linalg.generic
// CHECK: linalg.add
// CHECK-NOT: qf.matmul
func.func @not_fused(%x: tensor<8x64xf32>, %acc: tensor<8x32xf32>, %q: !q, %xb: tensor<2x8x64xf32>, %q3: !q3, %o: tensor<64x32xf32>) -> (tensor<8x32xf32>, tensor<2x8x32xf32>, tensor<8x32xf32>, tensor<64x32xf32>) {
  %w = qf.dequantize %q : !q -> tensor<64x32xf32>
  // expected-remark @+1 {{qf-fuse-dequant-matmul: not fused: the init is not a zero fill (qf.matmul does not accumulate)}}
  %y = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %w3 = qf.dequantize %q3 : !q3 -> tensor<2x64x32xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x32xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  // expected-remark @+1 {{qf-fuse-dequant-matmul: not fused: the weight is batched (rank 3), qf.matmul takes a 2-D weight}}
  %b = linalg.batch_matmul ins(%xb, %w3 : tensor<2x8x64xf32>, tensor<2x64x32xf32>) outs(%i : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %i2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<8x32xf32>) -> tensor<8x32xf32>
  // expected-remark @+1 {{qf-fuse-dequant-matmul: not fused: the body is not a multiply-accumulate contraction}}
  %g = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>) outs(%i2 : tensor<8x32xf32>) {
  ^bb0(%a0: f32, %b0: f32, %c0: f32):
    %m = arith.subf %a0, %b0 : f32
    %s = arith.addf %c0, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  // expected-remark @+1 {{qf-fuse-dequant-matmul: not fused: the body is not a multiply-accumulate contraction}}
  %add = linalg.add ins(%w, %o : tensor<64x32xf32>, tensor<64x32xf32>) outs(%o : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %y, %b, %g, %add : tensor<8x32xf32>, tensor<2x8x32xf32>, tensor<8x32xf32>, tensor<64x32xf32>
}
