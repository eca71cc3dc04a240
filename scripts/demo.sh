#!/usr/bin/env bash
# The QForge demo (`make demo`): generates the example model and runs it
# through what QForge can do, printing each step.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$BUILD/bin
OUT=$BUILD/demo
mkdir -p "$OUT"
PY=/usr/bin/python3

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Example model: 2-layer transformer MLP (dim 256, hidden 1024), Student-t weights"
$PY "$ROOT/examples/gen_model.py" "$OUT/mlp.mlir"
echo "wrote $OUT/mlp.mlir ($(du -h "$OUT/mlp.mlir" | cut -f1))"
"$BIN/quant-opt" "$OUT/mlp.mlir" -mlir-elide-resource-strings-if-larger=16 \
  | grep -E 'arith.constant \{qf.name|linalg.matmul' | sed 's/^ */  /' | cut -c1-150

step "2. Formats: canonical specs and their exact bits per weight on a 1024x256 weight"
for spec in int8:ch int4:g128:f16 uint4:g32:f16:zp nf4:g64 nf4:g64:e4m3:dq=256 \
            mxfp4 nvfp4 q4_0 q4_k crd-t5:4:g64:bf16 int3:g64:bf16:outliers=2^-10 \
            asq:16:ch kashin:2+2; do
  printf '  %-32s ' "$spec"
  echo "func.func private @f() -> !qf.tensor<1024x256xf32, \"$spec\">" \
    | "$BIN/quant-opt" 2>&1 | grep -o '#qf.format<"[^"]*">' | head -1
done

step "3. Interop with upstream quant: !quant.uniform -> qf -> !quant.uniform"
"$BIN/quant-opt" "$ROOT/test/Dialect/QF/Transforms/qf-from-quant.mlir" \
  -split-input-file -qf-from-quant 2>/dev/null | grep -E 'qf\.(quantize|dequantize)' | head -4 | cut -c1-160
