// RUN: quant-opt %s -split-input-file -qf-modcap-group="top-k=1" | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-modcap-group="top-k=1 report=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: quant-opt %s -split-input-file -qf-modcap-group="top-k=0" | FileCheck %s --check-prefix=K0
// RUN: not quant-opt %s -qf-modcap-group="mode=data-dependent" 2>&1 | FileCheck %s --check-prefix=DATADEP
// RUN: not quant-opt %s -qf-modcap-group="mode=magic" 2>&1 | FileCheck %s --check-prefix=BADMODE
// RUN: not quant-opt %s -qf-modcap-group="top-k=-1" 2>&1 | FileCheck %s --check-prefix=BADK

// Modules from name prefixes (layer1.0.conv1.weight -> layer1.0) and from
// qf.module. Capacities (4 bits): layer1.0 = 64*4 = 256, layer1.1 = 8*4 = 32,
// custom = 32*4 = 128; differentials 224 and 96: top-k=1 merges layer1.0 and
// layer1.1 into one unit.
// CHECK-LABEL: func.func @prefixes
// CHECK: qf.group = "layer1.0+layer1.1", qf.module = "layer1.0", qf.name = "layer1.0.conv1.weight"
// CHECK: qf.group = "layer1.0+layer1.1", qf.module = "layer1.0", qf.name = "layer1.0.conv2.weight"
// CHECK: qf.group = "layer1.0+layer1.1", qf.module = "layer1.1", qf.name = "layer1.1.conv1.weight"
// CHECK-NOT: qf.group
// CHECK: qf.module = "custom", qf.name = "layer2.0.fc.weight"
// K0-LABEL: func.func @prefixes
// K0-NOT: qf.group
// REPORT: qf-modcap-group: data-free ModCap, top-k = 1, 3 modules, 2 units
// REPORT: module layers params capacity diff-to-next unit
// REPORT-NEXT: layer1.0 2 64 256.0 224.0* 0
// REPORT-NEXT: layer1.1 1 8 32.0 96.0 0
// REPORT-NEXT: custom 1 32 128.0 - 1
// DATADEP: error: qf-modcap-group: mode=data-dependent needs the reconstruction loss from calibration data
// BADMODE: error: qf-modcap-group: unknown mode 'magic' (expected data-free)
// BADK: error: qf-modcap-group: top-k must be >= 0, got -1
func.func @prefixes() -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4xf32>, tensor<4x8xf32>) {
  %a = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<4x8xf32> loc("layer1.0.conv1.weight")
  %b = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0]]> : tensor<4x8xf32> loc("layer1.0.conv2.weight")
  %c = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32> loc("layer1.1.conv1.weight")
  %d = arith.constant {qf.module = "custom"} dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0]]> : tensor<4x8xf32> loc("layer2.0.fc.weight")
  return %a, %b, %c, %d : tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4xf32>, tensor<4x8xf32>
}

// -----

// Without prefixes: one module per weight-consuming op in program order.
// A stride-2 convolution counts with the penalty 1/2 (8 params * 4 bits /2),
// and a hand-set qf.format gives the bits (int8:g4:f16 = 12 bits/weight).
// CHECK-LABEL: func.func @per_op
// CHECK: qf.module = "op1", qf.name = "w0"
// CHECK: qf.module = "op0", qf.name = "w1"
// REPORT: qf-modcap-group: data-free ModCap, top-k = 1, 2 modules, 1 units
// REPORT: op0 1 8 16.0 80.0* 0
// REPORT-NEXT: op1 1 8 96.0 - 0
func.func @per_op(%x: tensor<1x4x4x2xf32>, %y: tensor<2x4xf32>) -> (tensor<1x2x2x4xf32>, tensor<2x2xf32>) {
  %w0 = arith.constant {qf.format = #qf.format<"int8:g4:f16">} dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %w1 = arith.constant dense<[[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]]> : tensor<1x1x2x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x4xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w1 : tensor<1x4x4x2xf32>, tensor<1x1x2x4xf32>) outs(%i : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %e2 = tensor.empty() : tensor<2x2xf32>
  %i2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%y, %w0 : tensor<2x4xf32>, tensor<2x4xf32>) outs(%i2 : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %c, %m : tensor<1x2x2x4xf32>, tensor<2x2xf32>
}
