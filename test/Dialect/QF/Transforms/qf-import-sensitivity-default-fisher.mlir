// RUN: quant-opt %s -qf-import-sensitivity="file=%S/Inputs/sensitivity.json default-fisher=0.5" 2>&1 | FileCheck %s
// RUN: quant-opt %s -qf-import-sensitivity="default-fisher=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// default-fisher with and without a sidecar: a sidecar entry overrides a
// qf.fisher already in the IR (and adds act_sq); an unknown name gets the
// default with a warning naming the file; an unnamed weight gets the
// positional name w<i>. Without a file, weights with a qf.fisher keep it
// and the others get the default (0 here).

// CHECK: warning: loc("unnamed.weight"): qf-import-sensitivity: no sensitivity for weight 'unnamed.weight' in '{{.*}}sensitivity.json'; using the default F = 5.000000e-01
// CHECK-LABEL: func.func @f
// CHECK: arith.constant {qf.act_sq = array<f32: 1.000000e+00, 2.000000e+00, 5.000000e-01, 4.000000e+00>, qf.fisher = 2.500000e-01 : f64, qf.name = "fc1.weight"}
// CHECK: arith.constant {qf.fisher = 5.000000e-01 : f64, qf.name = "unnamed.weight"}
// CHECK: arith.constant {qf.fisher = 3.000000e+00 : f64, qf.name = "w2"}

// ZERO-NOT: warning
// ZERO-LABEL: func.func @f
// ZERO: arith.constant {qf.fisher = 9.000000e+00 : f64, qf.name = "fc1.weight"}
// ZERO: arith.constant {qf.fisher = 0.000000e+00 : f64, qf.name = "unnamed.weight"}
// ZERO: arith.constant {qf.fisher = 0.000000e+00 : f64, qf.name = "w2"}
// ZERO-NOT: qf.act_sq
func.func @f() -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>) {
  %a = arith.constant {qf.name = "fc1.weight", qf.fisher = 9.0 : f64} dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 9.0]]> : tensor<2x4xf32> loc("unnamed.weight")
  %c = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 9.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<3x4xf32>
  return %a, %b, %c : tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>
}
