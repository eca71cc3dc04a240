// RUN: quant-opt %s -qf-quantize-weights -qf-report="file=-" -o /dev/null | FileCheck %s
// RUN: quant-opt %s -qf-quantize-weights -qf-report="file=%t.json table=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: FileCheck %s --input-file=%t.json
// RUN: not quant-opt %s -qf-report="file=%t.missing-dir/r.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADFILE

// The exact weight has MSE 0 (KL 0); the other one: KL = 1/2 * F * SSE.
// CHECK: "tensors": [
// CHECK: "name": "exact",
// CHECK-NEXT: "shape": "1x8",
// CHECK-NEXT: "format": "int4:g8",
// CHECK-NEXT: "params": 8,
// CHECK-NEXT: "bits_per_weight": 8,
// CHECK-NEXT: "entropy_bits_per_weight": {{[0-9.]+}},
// CHECK-NEXT: "mse": 0,
// CHECK-NEXT: "sqnr_db": 999,
// CHECK-NEXT: "predicted_kl": 0,
// CHECK-NEXT: "fisher": 2
// CHECK: "name": "fc",
// CHECK-NEXT: "shape": "2x64",
// CHECK-NEXT: "format": "int4:g64:f16",
// CHECK-NEXT: "params": 128,
// CHECK-NEXT: "bits_per_weight": 4.25,
// CHECK: "fisher": 0.5
// CHECK: "totals": {
// CHECK-NEXT: "tensors": 2,
// CHECK-NEXT: "params": 136,
// CHECK-NEXT: "float_params": 128,
// CHECK-NEXT: "bits_per_weight": 4.4705882352941178,
// CHECK-NEXT: "entropy_bits_per_weight":
// CHECK-NEXT: "storage_bytes": 76,
// CHECK-NEXT: "predicted_kl":
// CHECK-NEXT: "budget_bits_per_weight": 4.5

// TABLE: tensor shape format bits H-bits MSE SQNR-dB Fisher pred-KL
// TABLE-NEXT: exact 1x8 int4:g8 8.000 {{.*}} 0.0000e+00 999.00 2 0.0000e+00
// TABLE-NEXT: fc 2x64 int4:g64:f16 4.250
// TABLE-NEXT: total: 2 tensors, 136 params, 4.471 bits/param (entropy-coded {{.*}}), predicted KL {{.*}}, budget 4.500 bits/param, 128 params left in float
// BADFILE: error: qf-report: cannot write '{{.*}}r.json'
module attributes {qf.avg_bits = 4.5 : f64} {
  func.func @f() -> (tensor<1x8xf32>, tensor<2x64xf32>, tensor<2x64xf32>) {
    %a = arith.constant {qf.format = #qf.format<"int4:g8">, qf.name = "exact", qf.fisher = 2.0 : f64} dense<[[3.5, -3.5, 0.5, -1.0, 2.0, 0.0, 1.5, -2.5]]> : tensor<1x8xf32>
    %b = arith.constant {qf.format = #qf.format<"int4:g64:f16">, qf.name = "fc", qf.fisher = 0.5 : f64} dense<[[0.049, 0.004, -0.119, 0.095, 0.031, 0.037, 0.019, 0.167, 0.099, 0.131, -0.028, -0.046, -0.106, -0.024, -0.286, 0.175, 0.017, 0.011, 0.094, -0.038, 0.028, 0.085, -0.165, 0.187, 0.017, 0.068, -0.108, -0.064, 0.183, -0.055, -0.042, 0.053, 0.155, -0.257, 0.160, 0.031, 0.098, -0.107, 0.035, 0.175, -0.008, -0.065, -0.045, -0.054, 0.087, 0.023, -0.051, 0.087, -0.115, -0.152, 0.266, -0.066, 0.176, -0.007, -0.022, 0.058, -0.090, -0.088, -0.020, -0.039, 0.079, 0.211, -0.124, -0.092], [0.083, 0.057, 0.122, -0.077, 0.066, -0.003, -0.172, 0.050, -0.166, 0.060, -0.046, -0.019, 0.232, 0.166, 0.048, 0.045, -0.081, 0.136, 0.069, -0.090, -0.176, 0.002, -0.017, 0.095, -0.108, -0.093, 0.047, 0.012, 0.104, 0.122, -0.094, -0.252, 0.008, -0.076, 0.028, -0.289, -0.009, 0.012, -0.058, 0.058, 0.014, 0.027, 0.142, 0.141, 0.131, 0.043, 0.018, 0.063, 0.036, -0.076, 0.044, 0.101, -0.041, -0.115, 0.064, -0.078, -0.157, -0.024, -0.154, 0.038, -0.052, 0.011, 0.125, 0.122]]> : tensor<2x64xf32>
    %c = arith.constant {qf.name = "float"} dense<[[-0.008, -0.239, -0.048, -0.122, 0.098, 0.169, 0.077, 0.071, 0.062, 0.076, -0.037, 0.099, -0.030, -0.121, 0.008, 0.174, -0.018, -0.187, 0.135, 0.028, 0.061, -0.047, 0.054, 0.175, -0.066, 0.076, 0.041, -0.090, 0.022, 0.066, -0.087, 0.128, -0.116, 0.126, 0.069, 0.030, -0.081, -0.081, -0.234, 0.000, -0.011, 0.062, 0.112, 0.024, -0.033, 0.108, 0.002, 0.000, -0.122, 0.115, -0.069, 0.210, -0.089, -0.049, 0.012, -0.072, -0.153, -0.119, -0.085, -0.022, 0.108, 0.074, 0.037, 0.089], [-0.230, -0.063, -0.056, -0.107, 0.054, -0.067, -0.114, 0.098, -0.067, -0.024, -0.158, 0.099, 0.008, 0.156, 0.237, 0.074, -0.036, -0.081, 0.177, -0.019, 0.070, 0.029, -0.355, 0.019, 0.020, 0.024, -0.012, 0.028, -0.105, 0.067, -0.051, 0.020, 0.178, 0.026, -0.106, 0.042, -0.151, 0.021, 0.152, -0.109, -0.013, -0.090, 0.021, 0.038, 0.022, -0.027, -0.199, -0.092, -0.044, 0.089, -0.209, 0.118, -0.077, -0.175, 0.157, 0.039, -0.097, 0.031, 0.066, -0.149, 0.139, -0.087, 0.089, -0.057]]> : tensor<2x64xf32>
    return %a, %b, %c : tensor<1x8xf32>, tensor<2x64xf32>, tensor<2x64xf32>
  }
}
