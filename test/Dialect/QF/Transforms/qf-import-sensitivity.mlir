// RUN: quant-opt %s -split-input-file -qf-import-sensitivity="file=%S/Inputs/sensitivity.json" -verify-diagnostics | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-import-sensitivity 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: quant-opt %s -split-input-file -qf-import-sensitivity="file=%S/Inputs/does-not-exist.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not quant-opt %s -split-input-file -qf-import-sensitivity="file=%S/Inputs/malformed.json" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not quant-opt %s -split-input-file -qf-import-sensitivity="file=%S/Inputs/bad-fisher.json" 2>&1 | FileCheck %s --check-prefix=BADF
// RUN: not quant-opt %s -split-input-file -qf-import-sensitivity="file=%S/Inputs/bad-act.json" 2>&1 | FileCheck %s --check-prefix=BADACT
// RUN: not quant-opt %s -qf-import-sensitivity="default-fisher=-2" 2>&1 | FileCheck %s --check-prefix=BADDEF

// Names: the NameLoc, an existing qf.name, a generated w<N> (walk order),
// duplicates get #<i>. Splat constants are fills, not weights.
// CHECK-LABEL: func.func @names
// CHECK: arith.constant {qf.act_sq = array<f32: 1.000000e+00, 2.000000e+00, 5.000000e-01, 4.000000e+00>, qf.fisher = 2.500000e-01 : f64, qf.name = "fc1.weight"}
// CHECK: arith.constant {qf.fisher = 8.000000e+00 : f64, qf.name = "fc2.weight"}
// CHECK: arith.constant {qf.fisher = 3.000000e+00 : f64, qf.name = "w2"}
// CHECK: arith.constant {qf.fisher = 1.000000e+00 : f64, qf.name = "fc1.weight#1"}
// CHECK: arith.constant dense<0.000000e+00> : tensor<2x4xf32>
// CHECK-NOT: qf.name
// NOFILE-LABEL: func.func @names
// NOFILE: qf.fisher = 1.000000e+00 : f64, qf.name = "fc1.weight"
// NOFILE: qf.fisher = 1.000000e+00 : f64, qf.name = "fc2.weight"
// NOFILE: qf.fisher = 1.000000e+00 : f64, qf.name = "w2"
// MISSING: warning: qf-import-sensitivity: cannot read sensitivity file '{{.*}}does-not-exist.json'
// MISSING-SAME: using the default F = 1
// MISSING: qf.fisher = 1.000000e+00 : f64, qf.name = "fc1.weight"
// MALFORMED: malformed.json:3:35: error: qf-import-sensitivity: malformed JSON in '{{.*}}malformed.json'
// BADF: error: {{.*}}qf-import-sensitivity: weight 'fc1.weight' in '{{.*}}bad-fisher.json' needs a finite non-negative number "fisher"
// BADACT: error: {{.*}}qf-import-sensitivity: "act_sq" of 'fc1.weight' has 2 values but the last dimension is 4
// BADDEF: error: qf-import-sensitivity: default-fisher must be >= 0, got -2
func.func @names() -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %a = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32> loc("fc1.weight")
  %b = arith.constant {qf.name = "fc2.weight"} dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 9.0]]> : tensor<2x4xf32>
  %c = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 1.0]]> : tensor<2x4xf32>
  // expected-warning @+1 {{qf-import-sensitivity: no sensitivity for weight 'fc1.weight#1'}}
  %d = arith.constant {qf.name = "fc1.weight"} dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 2.0]]> : tensor<2x4xf32>
  %z = arith.constant dense<0.0> : tensor<2x4xf32>
  return %a, %b, %c, %d, %z : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A qf.fisher already in the IR is kept when the sidecar does not name the
// weight (no warning).
// CHECK-LABEL: func.func @kept
// CHECK: qf.fisher = 4.200000e+01 : f64, qf.name = "other"
// NOFILE-LABEL: func.func @kept
// NOFILE: qf.fisher = 4.200000e+01 : f64, qf.name = "other"
func.func @kept() -> tensor<4xf32> {
  %a = arith.constant {qf.name = "other", qf.fisher = 42.0 : f64} dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

// A dense_resource weight (as torch-mlir emits) is named too.
// CHECK-LABEL: func.func @resource
// CHECK: arith.constant {qf.fisher = 8.000000e+00 : f64, qf.name = "fc2.weight"} dense_resource<blob0>
func.func @resource() -> tensor<2xf32> {
  %a = arith.constant dense_resource<blob0> : tensor<2xf32> loc("fc2.weight")
  return %a : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      blob0: "0x040000000000803F00000040"
    }
  }
#-}
