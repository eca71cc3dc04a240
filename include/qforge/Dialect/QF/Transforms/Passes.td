//===- Passes.td - qf transformation passes ----------------*- tablegen -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_DIALECT_QF_TRANSFORMS_PASSES_TD
#define QFORGE_DIALECT_QF_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QFFromQuant : Pass<"qf-from-quant"> {
  let summary = "Rewrite upstream quant.qcast/quant.dcast into qf ops";
  let description = [{
    Rewrites `quant.qcast` to `!quant.uniform` types (per-tensor, per-axis
    and sub-channel with one blocked axis) whose results are only consumed by
    `quant.dcast` into `qf.quantize` with static scales and zero points, and
    the `quant.dcast`s into `qf.dequantize`. Values of `!quant` type that
    escape (function arguments and results, other users) and types `qf`
    cannot express are left unchanged, with a remark naming the reason.

    ```mlir
    %q = quant.qcast %x : tensor<4x8xf32> to tensor<4x8x!quant.uniform<i8:f32, 0.5:3>>
    %y = quant.dcast %q : tensor<4x8x!quant.uniform<i8:f32, 0.5:3>> to tensor<4x8xf32>
    // becomes
    %q = qf.quantize %x {scales = dense<5.000000e-01> : tensor<1xf32>,
                         zero_points = dense<131> : tensor<1xi32>}
        : tensor<4x8xf32> -> !qf.tensor<4x8xf32, #qf.format<"uint8:zp">>
    %y = qf.dequantize %q : !qf.tensor<4x8xf32, #qf.format<"uint8:zp">> -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["::qforge::qf::QFDialect"];
}

def QFToQuant : Pass<"qf-to-quant"> {
  let summary = "Rewrite qf.quantize/qf.dequantize into upstream quant ops";
  let description = [{
    The inverse of `qf-from-quant` for the formats upstream `!quant.uniform`
    can express: integer codes with static f32 scales, per tensor, per
    channel or in blocks along one axis. Each `qf.quantize` with static
    scales becomes `quant.qcast` and its `qf.dequantize` users `quant.dcast`.
    Anything else is left unchanged with a remark.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

//===----------------------------------------------------------------------===//
// Quantization pipeline passes (issue 5): sensitivities, ModCap grouping, bit
// allocation, weight quantization, fusion, report. See docs/passes.md.
//===----------------------------------------------------------------------===//

def QFImportSensitivity : Pass<"qf-import-sensitivity", "::mlir::ModuleOp"> {
  let summary = "Name every weight and import its Fisher sensitivity";
  let description = [{
    Weights are `arith.constant`s of statically shaped, non-splat float
    tensors (dense or `dense_resource`). Each gets a stable `qf.name`: the
    existing `qf.name`, else the `NameLoc` of the constant, else `w<N>` in
    walk order (duplicates get a `#<i>` suffix). With `file=`, the JSON
    sidecar `{"tensors": {"<name>": {"fisher": F, "act_sq": [...]}}}` sets
    `qf.fisher` (and `qf.act_sq`); otherwise existing `qf.fisher` attributes
    are kept. A missing file or a weight absent from it is a warning naming
    it, and the documented default `qf.fisher = 1` (option `default-fisher`)
    applies. Malformed JSON is an error.

    ```mlir
    %w = arith.constant dense<...> : tensor<64x64xf32> loc("fc1.weight")
    // becomes
    %w = arith.constant {qf.fisher = 2.5e-01 : f64, qf.name = "fc1.weight"} dense<...> : tensor<64x64xf32>
    ```
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "JSON sensitivity sidecar">,
    Option<"defaultFisher", "default-fisher", "double", /*default=*/"1.0",
           "Fisher value of weights without a sensitivity">
  ];
}

def QFModCapGroup : Pass<"qf-modcap-group", "::mlir::ModuleOp"> {
  let summary = "Group modules into units by data-free ModCap (Ma et al.)";
  let description = [{
    Finds modules (the `qf.module` attribute of a weight, else the common
    prefix of weight names: `layer3.1.conv2.weight` -> `layer3.1`, else one
    module per weight-consuming op in program order), computes the
    data-free capacity sum(params x bits x stride penalty) per module (bits
    from `qf.format`, else `default-bits`; penalty 1 for stride 1 and 1/s
    for stride s), the differentials between adjacent modules, and merges
    the `top-k` largest into units (chains allowed). Weights of merged units
    get `qf.group = "<first>+<last>"`, every weight `qf.module`. `report`
    prints the capacity table on stderr.

    ```sh
    quant-opt model.mlir -qf-import-sensitivity -qf-modcap-group="top-k=2 report=true"
    ```
  }];
  let options = [
    Option<"topK", "top-k", "int64_t", /*default=*/"1",
           "Number of largest capacity differentials to merge">,
    Option<"mode", "mode", "std::string", /*default=*/"\"data-free\"",
           "Capacity measure (only data-free is available)">,
    Option<"defaultBits", "default-bits", "double", /*default=*/"4.0",
           "Bits of weights without a qf.format">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Print the capacity table on stderr (also --qf-modcap-report)">
  ];
}

def QFAllocateBits : Pass<"qf-allocate-bits", "::mlir::ModuleOp"> {
  let summary = "Fisher-guided mixed-precision bit allocation under a budget";
  let description = [{
    Chooses one candidate format per weight (per `qf.group` unit) so that
    the total storage, scales included, is at most `avg-bits` bits per
    parameter, minimising the predicted KL 1/2 sum F n MSE. `closed-form`:
    b_i = b_avg + 1/2 log2(F_i s_i^2 / G), water-filled within the
    candidates' rates and rounded down to a candidate, then the remaining
    budget spent greedily. `rd-exact`: measures every candidate's real MSE
    and solves the multiple-choice knapsack (Lagrangian, then an exact
    dynamic programme). Weights with a hand-set `qf.format` keep it and
    count against the budget. Writes `qf.format` on each weight and
    `qf.avg_bits` on the module.

    ```sh
    quant-opt m.mlir -qf-allocate-bits="avg-bits=4.5 method=rd-exact candidates=int3:g64:f16,int4:g64:f16,int8:g64:f16"
    ```
  }];
  let options = [
    Option<"avgBits", "avg-bits", "double", /*default=*/"4.0",
           "Budget in bits per parameter (scales included)">,
    ListOption<"candidates", "candidates", "std::string",
           "Candidate formats (default int2..int8 with g64:f16)">,
    Option<"method", "method", "std::string", /*default=*/"\"closed-form\"",
           "closed-form | rd-exact">,
    Option<"minBits", "min-bits", "double", /*default=*/"0.0",
           "Smallest element code width considered">,
    Option<"maxBits", "max-bits", "double", /*default=*/"16.0",
           "Largest element code width considered">,
    Option<"threads", "threads", "unsigned", /*default=*/"0",
           "Threads for rd-exact measurements (0 = all)">
  ];
}

def QFQuantizeWeights : Pass<"qf-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Replace float weights with qf.format by packed qf.constants";
  let description = [{
    Every weight with a `qf.format` attribute is quantized (in parallel over
    tensors; output bit-identical for any `threads`) and replaced by a
    `qf.constant` (sections in `dense_resource` blobs named
    `<name>.<section>`) followed by `qf.dequantize` to the original type, so
    the program is otherwise unchanged. The constant carries `qf.name`,
    `qf.fisher`, and the measured `qf.mse`, `qf.sqnr_db` and `qf.sse`.
    `method`: `rtn` (the format as written), `search` (searched scales),
    `asq` (a learned codebook of 2^bits levels per group, ADV-weighted by
    `qf.act_sq`), `kashin` (Kashin two-factor code of the same bits).
    Weights are float `arith.constant`s and `qf.external_constant`s (read
    from their file).

    With `output-file=PATH` (`.safetensors` or `.gguf`) the packed sections
    of every quantized tensor are written to that file with
    `qforge::io::QuantizedWeightWriter` (GGUF: ggml block tensors for
    q4_0/q8_0/iq4_nl/q4_k, the QForge section convention for other
    formats) and the `qf.constant`s reference it,
    `#qf.external<"PATH", "<name>">`, instead of embedding blobs. A relative
    PATH is resolved like a `#qf.external` path (weights directory, else the
    directory of the input file, else the current directory) and written
    into the IR as given.

    ```mlir
    %w = arith.constant {qf.format = #qf.format<"int4:g64:f16">, qf.name = "fc"} dense<...> : tensor<64x64xf32>
    // becomes
    %0 = qf.constant {codes = dense_resource<fc.codes> : tensor<2048xi8>, scales = dense_resource<fc.scales> : tensor<128xi8>, qf.name = "fc", ...} : !qf.tensor<64x64xf32, #qf.format<"int4:g64:f16">>
    %w = qf.dequantize %0 : !qf.tensor<64x64xf32, #qf.format<"int4:g64:f16">> -> tensor<64x64xf32>
    ```
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "rtn | search | asq | kashin">,
    Option<"threads", "threads", "unsigned", /*default=*/"0",
           "Worker threads (0 = all); the output does not depend on it">,
    Option<"progress", "progress", "bool", /*default=*/"false",
           "Show progress on stderr (also when stderr is a terminal)">,
    Option<"outputFile", "output-file", "std::string", /*default=*/"\"\"",
           "Write the packed tensors to this .safetensors or .gguf file and "
           "reference it from the IR instead of embedding blobs">
  ];
  let dependentDialects = ["::qforge::qf::QFDialect"];
}

def QFFuseDequantMatmul : Pass<"qf-fuse-dequant-matmul"> {
  let summary = "Fuse qf.dequantize of a weight into the matmul using it";
  let description = [{
    Rewrites `linalg.matmul` (also with transposed-B indexing maps),
    `linalg.matmul_transpose_b`, `linalg.matvec`, `linalg.vecmat`,
    `linalg.batch_matmul` with a 2-D broadcast weight, and the equivalent
    `linalg.generic` (parallel m, n; reduction k; body `out + a * b`) whose
    weight operand is a `qf.dequantize` of a 2-D quantized tensor and whose
    init is a zero-filled tensor, into `qf.matmul`. Anything else is left
    alone with a remark (with `remarks=true`) or `-debug-only=qf-fuse`.

    ```mlir
    %w = qf.dequantize %q : !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<64x32xf32>
    %y = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>) outs(%zero : tensor<8x32xf32>) -> tensor<8x32xf32>
    // becomes
    %y = qf.matmul %x, %q : tensor<8x64xf32>, !qf.tensor<64x32xf32, #qf.format<"int4:g32:f16">> -> tensor<8x32xf32>
    ```
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark for each candidate left unfused">
  ];
  let dependentDialects = ["::qforge::qf::QFDialect"];
}

def QFReport : Pass<"qf-report", "::mlir::ModuleOp"> {
  let summary = "Report formats, bits, errors and predicted KL per weight";
  let description = [{
    For every `qf.constant`: name, shape, format, bits per weight
    (fixed-length storage and entropy-coded codes), MSE, SQNR, F, and the
    predicted KL share 1/2 F ||delta theta||^2; totals and the budget
    (`qf.avg_bits`). `file=` writes JSON (`-` for stdout), `table` prints a
    readable table on stderr. The IR is not changed.

    ```sh
    quant-opt q.mlir -qf-report="file=report.json table=true"
    ```
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "Write the JSON report to this file ('-' = stdout)">,
    Option<"table", "table", "bool", /*default=*/"false",
           "Print a readable table on stderr">
  ];
}

#endif // QFORGE_DIALECT_QF_TRANSFORMS_PASSES_TD
