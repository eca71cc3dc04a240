// RUN: quant-opt %s -split-input-file -qf-quantize-weights -verify-diagnostics | FileCheck %s
// RUN: quant-opt %s -split-input-file -qf-quantize-weights="method=search" -verify-diagnostics | FileCheck %s --check-prefix=SEARCH
// RUN: quant-opt %s -split-input-file -qf-quantize-weights="method=asq" -verify-diagnostics | FileCheck %s --check-prefix=ASQ
// RUN: quant-opt %s -split-input-file -qf-quantize-weights="method=kashin" -verify-diagnostics | FileCheck %s --check-prefix=KASHIN
// RUN: not quant-opt %s -split-input-file -qf-quantize-weights="method=magic" 2>&1 | FileCheck %s --check-prefix=METHOD
// Determinism: the printed module, blobs included, is identical for 1 and 2
// threads.
// RUN: quant-opt %s -split-input-file -qf-quantize-weights="threads=1" -verify-diagnostics -o %t.1.mlir
// RUN: quant-opt %s -split-input-file -qf-quantize-weights="threads=2" -verify-diagnostics -o %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: quant-opt %s -split-input-file -qf-quantize-weights="threads=2 progress=true" -verify-diagnostics -o /dev/null 2>&1 | FileCheck %s --check-prefix=PROGRESS

// METHOD: error: qf-quantize-weights: unknown method 'magic' (expected rtn, search, asq or kashin)
// PROGRESS: qf-quantize-weights: 1/1 tensors, {{.*}} MB/s, {{.*}} s left
// PROGRESS: qf-quantize-weights: 3/3 tensors

// A weight with a qf.format becomes qf.constant (sections in dense_resource
// blobs named after the weight) + qf.dequantize; attributes carry over with
// the measured error. Values on the int4 grid (absmax 3.5, scale 0.5) are
// exact: MSE 0.
// CHECK-LABEL: func.func @exact
// CHECK: %[[C:.*]] = qf.constant {codes = dense_resource<fc.codes> : tensor<4xi8>, qf.fisher = 2.000000e+00 : f64, qf.mse = 0.000000e+00 : f64, qf.name = "fc", qf.sqnr_db = {{.*}}, qf.sse = 0.000000e+00 : f64, scales = dense_resource<fc.scales> : tensor<4xi8>} : !qf.tensor<1x8xf32, #qf.format<"int4:g8">>
// CHECK: %[[D:.*]] = qf.dequantize %[[C]] : !qf.tensor<1x8xf32, #qf.format<"int4:g8">> -> tensor<1x8xf32>
// CHECK-NOT: arith.constant
// CHECK: return %[[D]]
// SEARCH-LABEL: func.func @exact
// SEARCH: #qf.format<"int4:g8:search">
// ASQ-LABEL: func.func @exact
// ASQ: #qf.format<"asq:16:g8">
// KASHIN-LABEL: func.func @exact
// KASHIN: #qf.format<"kashin:2+2:g8">
// KASHIN-LABEL: func.func @several
// KASHIN: #qf.format<"kashin:2+2:g64">
func.func @exact() -> tensor<1x8xf32> {
  %w = arith.constant {qf.format = #qf.format<"int4:g8">, qf.name = "fc", qf.fisher = 2.0 : f64} dense<[[3.5, -3.5, 0.5, -1.0, 2.0, 0.0, 1.5, -2.5]]> : tensor<1x8xf32>
  return %w : tensor<1x8xf32>
}

// -----

// Three weights quantized in parallel; the one without qf.format is left
// alone; bf16 weights dequantize back to bf16.
// CHECK-LABEL: func.func @several
// CHECK-DAG: qf.constant {{.*}}qf.name = "a"{{.*}} : !qf.tensor<2x64xf32, #qf.format<"int4:g64:f16">>
// CHECK-DAG: qf.constant {{.*}}qf.name = "b"{{.*}} : !qf.tensor<2x64xf32, #qf.format<"int2:g64:f16">>
// CHECK-DAG: qf.constant {{.*}}qf.name = "c"{{.*}} : !qf.tensor<2x64xbf16, #qf.format<"int8:g64:f16">>
// CHECK-DAG: qf.dequantize {{.*}} -> tensor<2x64xbf16>
// CHECK-DAG: arith.constant {qf.name = "float"} dense
func.func @several() -> (tensor<2x64xf32>, tensor<2x64xf32>, tensor<2x64xbf16>, tensor<2x64xf32>) {
  %a = arith.constant {qf.format = #qf.format<"int4:g64:f16">, qf.name = "a"} dense<[[0.078, 0.132, -0.076, -0.086, 0.038, 0.173, 0.043, -0.112, -0.073, -0.002, 0.096, 0.002, -0.033, -0.019, 0.020, -0.070, 0.003, 0.029, 0.164, -0.003, 0.098, -0.098, 0.087, 0.019, -0.050, 0.001, 0.092, -0.028, 0.104, 0.152, 0.162, 0.162, -0.121, 0.037, -0.063, 0.096, 0.011, 0.025, 0.049, -0.055, 0.013, -0.067, 0.208, -0.041, 0.005, -0.170, -0.141, -0.079, 0.082, 0.079, 0.031, -0.059, 0.185, -0.097, -0.080, 0.051, -0.094, 0.030, 0.099, -0.003, 0.044, 0.007, -0.063, -0.308], [-0.116, 0.003, -0.158, -0.052, 0.024, 0.135, -0.131, -0.049, 0.026, 0.055, -0.132, 0.187, -0.077, 0.111, -0.016, 0.044, 0.168, 0.073, 0.016, -0.096, -0.061, -0.137, 0.203, -0.150, -0.251, 0.166, 0.130, -0.032, 0.086, -0.078, -0.053, 0.053, 0.042, -0.042, 0.164, 0.076, 0.017, -0.114, 0.017, -0.028, -0.004, 0.083, -0.054, 0.030, 0.082, 0.038, 0.231, -0.170, -0.003, -0.114, -0.004, 0.253, -0.159, -0.026, 0.068, 0.012, 0.094, -0.151, 0.100, -0.092, -0.118, 0.059, 0.050, -0.070]]> : tensor<2x64xf32>
  %b = arith.constant {qf.format = #qf.format<"int2:g64:f16">, qf.name = "b"} dense<[[-0.079, -0.017, 0.002, -0.014, -0.098, -0.228, 0.133, 0.020, -0.121, -0.154, -0.067, -0.039, -0.209, 0.141, 0.044, -0.030, 0.037, 0.025, 0.107, 0.017, 0.127, 0.156, -0.029, -0.043, -0.086, -0.021, -0.070, 0.003, 0.032, 0.055, -0.113, 0.109, -0.029, -0.010, -0.050, -0.197, 0.027, -0.175, 0.112, 0.005, 0.157, 0.066, 0.071, 0.141, -0.003, 0.154, -0.011, 0.027, -0.066, 0.055, 0.068, -0.049, -0.126, -0.002, 0.043, -0.015, -0.096, -0.071, -0.025, -0.260, -0.057, 0.144, -0.127, -0.021], [0.169, 0.072, 0.093, -0.014, -0.131, 0.288, 0.031, 0.025, 0.164, 0.082, 0.007, -0.109, -0.014, -0.014, -0.066, -0.085, -0.099, -0.011, -0.058, 0.041, 0.102, 0.032, 0.003, 0.156, 0.066, -0.146, -0.071, 0.020, -0.087, 0.076, -0.174, -0.189, 0.098, 0.058, -0.159, 0.008, 0.134, -0.110, -0.118, -0.121, -0.097, -0.172, -0.048, -0.144, 0.007, 0.223, -0.104, 0.091, 0.117, -0.230, 0.011, -0.001, -0.033, 0.080, -0.043, 0.035, -0.038, -0.013, -0.078, 0.227, -0.005, -0.111, 0.194, 0.157]]> : tensor<2x64xf32>
  %c = arith.constant {qf.format = #qf.format<"int8:g64:f16">, qf.name = "c"} dense<[[-0.019, -0.065, -0.073, 0.123, -0.032, -0.071, 0.084, -0.027, -0.005, 0.193, 0.086, 0.124, 0.042, 0.128, -0.017, 0.096, 0.104, -0.041, -0.128, 0.054, -0.012, 0.061, -0.060, 0.053, 0.096, 0.236, 0.178, 0.039, 0.143, -0.062, 0.117, 0.014, 0.133, 0.033, -0.023, -0.071, 0.125, 0.006, 0.071, 0.048, -0.203, 0.060, -0.037, 0.039, 0.048, -0.180, -0.031, -0.006, 0.039, 0.094, -0.068, -0.023, 0.062, -0.182, 0.185, -0.094, 0.131, 0.015, 0.188, 0.104, -0.003, -0.169, 0.013, 0.032], [0.054, -0.125, -0.082, -0.077, 0.028, -0.086, -0.012, 0.093, -0.042, 0.134, 0.030, -0.024, 0.109, 0.049, -0.028, -0.058, -0.004, 0.035, 0.114, 0.027, -0.061, -0.132, 0.026, 0.039, 0.113, -0.052, -0.129, 0.083, -0.017, -0.121, 0.165, 0.089, 0.006, 0.028, -0.074, 0.099, -0.043, -0.045, -0.029, -0.113, 0.102, 0.166, 0.076, -0.204, -0.030, -0.063, 0.037, -0.213, -0.214, -0.045, 0.098, -0.019, 0.219, -0.084, 0.004, -0.014, -0.082, 0.111, -0.131, -0.105, -0.036, -0.047, 0.112, -0.052]]> : tensor<2x64xbf16>
  %d = arith.constant {qf.name = "float"} dense<[[0.050, -0.046, 0.127, -0.002, 0.026, -0.162, 0.070, -0.064, 0.088, 0.051, 0.054, 0.112, 0.038, -0.087, 0.016, 0.017, -0.117, 0.061, 0.146, 0.024, 0.012, 0.046, 0.109, -0.053, 0.095, -0.074, 0.053, 0.052, -0.127, 0.066, 0.022, -0.165, -0.045, -0.062, -0.088, 0.041, -0.078, 0.005, -0.108, -0.026, 0.181, 0.041, -0.154, -0.093, -0.014, -0.161, 0.097, -0.004, -0.007, 0.005, -0.068, -0.113, -0.309, -0.161, 0.024, 0.068, -0.018, -0.182, -0.033, 0.004, -0.128, 0.136, -0.111, 0.000], [-0.108, 0.090, -0.125, -0.089, 0.111, -0.125, -0.054, 0.054, 0.035, -0.174, 0.060, -0.029, 0.121, -0.172, 0.076, 0.040, -0.038, -0.042, 0.038, -0.068, -0.035, -0.076, 0.014, 0.067, -0.158, 0.002, 0.031, 0.149, -0.074, 0.125, -0.044, 0.048, 0.022, 0.027, -0.034, -0.098, 0.147, 0.144, -0.012, -0.017, -0.021, -0.133, -0.111, 0.041, 0.094, -0.023, -0.093, -0.107, -0.061, 0.069, 0.004, -0.142, -0.116, 0.032, 0.029, 0.174, 0.142, 0.018, -0.068, 0.020, -0.113, -0.069, 0.099, 0.060]]> : tensor<2x64xf32>
  return %a, %b, %c, %d : tensor<2x64xf32>, tensor<2x64xf32>, tensor<2x64xbf16>, tensor<2x64xf32>
}

// -----

func.func @bad_shape() -> tensor<3x5xf32> {
  // expected-error @+1 {{cannot encode weight 'odd' of shape [3, 5]: block size 64 does not divide dimension 1 of size 5}}
  %w = arith.constant {qf.format = #qf.format<"int4:g64">, qf.name = "odd"} dense<[[0.091, 0.154, -0.041, 0.079, 0.007], [0.031, 0.022, 0.053, -0.138, -0.136], [0.009, 0.048, -0.048, -0.011, -0.140]]> : tensor<3x5xf32>
  return %w : tensor<3x5xf32>
}
