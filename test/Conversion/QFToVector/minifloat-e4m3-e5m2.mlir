// RUN: quant-opt %s -split-input-file -qf-lower-to-vector=target=avx512 | FileCheck %s

// e4m3 (fn) codes, one byte each, decoded in vector<32xi32> lanes by
// building the f32 bit pattern: exponent = (c >> 3) & 15 rebiased by
// 127 - 7 = 120, mantissa (c & 7) << 20, sign (c >> 7) << 31; subnormals
// (exponent 0) as m * 2^-9; 0x7F / 0xFF (c & 127 == 127) is NaN.
// CHECK-LABEL: func.func @dequant_e4m3
// CHECK-SAME: (%{{.*}}: tensor<128xi8>, %{{.*}}: tensor<16xi8>) -> tensor<2x64xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<128xi8>, vector<32xi8>
// CHECK: arith.extui {{.*}} : vector<32xi8> to vector<32xi32>
// CHECK: arith.constant dense<3> : vector<32xi32>
// CHECK: arith.shrui
// CHECK: arith.constant dense<15> : vector<32xi32>
// CHECK: arith.constant dense<120> : vector<32xi32>
// CHECK: arith.constant dense<20> : vector<32xi32>
// CHECK: arith.shli
// CHECK: arith.constant dense<23> : vector<32xi32>
// CHECK: arith.shli
// CHECK: arith.constant dense<0.001953125> : vector<32xf32>
// CHECK: arith.uitofp {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: arith.cmpi eq
// CHECK: arith.select {{.*}} : vector<32xi1>, vector<32xi32>
// CHECK: arith.constant dense<127> : vector<32xi32>
// CHECK: arith.bitcast {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK-NOT: call @llvm.
func.func @dequant_e4m3(%q: !qf.tensor<2x64xf32, #qf.format<"e4m3:g32">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"e4m3:g32">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// e5m2: exponent (c >> 2) & 31 rebiased by 127 - 15 = 112, mantissa
// (c & 3) << 21, subnormal unit 2^-16; exponent 31 gives inf / NaN.
// CHECK-LABEL: func.func @dequant_e5m2
// CHECK: arith.constant dense<2> : vector<32xi32>
// CHECK: arith.shrui
// CHECK: arith.constant dense<31> : vector<32xi32>
// CHECK: arith.constant dense<112> : vector<32xi32>
// CHECK: arith.constant dense<21> : vector<32xi32>
// CHECK: arith.shli
// CHECK: arith.constant dense<1.52587891E-5> : vector<32xf32>
// CHECK: arith.bitcast {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
func.func @dequant_e5m2(%q: !qf.tensor<2x64xf32, #qf.format<"e5m2:g32">>) -> tensor<2x64xf32> {
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"e5m2:g32">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// Fused GEMV with e4m3 codes.
// CHECK-LABEL: func.func @gemv_e4m3
// CHECK: arith.constant dense<120> : vector<32xi32>
// CHECK: arith.bitcast {{.*}} : vector<32xi32> to vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.reduction <add>
func.func @gemv_e4m3(%x: tensor<1x64xf32>, %w: !qf.tensor<2x64xf32, #qf.format<"e4m3:g32">>) -> tensor<1x2xf32> {
  %y = qf.matmul %x, %w {transpose_weight} : tensor<1x64xf32>, !qf.tensor<2x64xf32, #qf.format<"e4m3:g32">> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
