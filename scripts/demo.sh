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

step "1. Example model: 2-layer transformer MLP (dim 256, hidden 1024), Student-t weights,"
echo "   and its mean diagonal Fisher per weight estimated with PyTorch (qforge.fisher)"
PYTHONPATH="$BUILD/python_packages" $PY "$ROOT/examples/gen_model.py" "$OUT/mlp.mlir" \
  --sensitivity "$OUT/mlp.fisher.json"
cat "$OUT/mlp.fisher.json" | tr -d '\n ' | sed 's/},/},\n  /g; s/^/  /'; echo
echo "wrote $OUT/mlp.mlir ($(du -h "$OUT/mlp.mlir" | cut -f1))"
"$BIN/quant-opt" "$OUT/mlp.mlir" -mlir-elide-resource-strings-if-larger=16 \
  | grep -E 'arith.constant \{qf.name|linalg.matmul' | sed 's/^ */  /' | cut -c1-150

step "2. Formats: canonical spec, exact bits/weight and SQNR on a 1024x256 Student-t(5) tensor"
PYTHONPATH="$BUILD/python_packages" $PY - <<'PYEOF'
import numpy as np, qforge
x = np.random.default_rng(0).standard_t(5.0, size=(1024, 256)).astype(np.float32)
print(f"  {'spec':30s} {'canonical':30s} {'bits/w':>7s} {'SQNR dB':>8s}")
for spec in ["int8:ch", "int4:g128:f16", "uint4:g32:f16:zp", "nf4:g64",
             "nf4:g64:e4m3:dq=256", "mxfp4", "nvfp4", "q4_0", "q4_k", "iq4_nl",
             "crd-t5:4:g64:bf16", "int3:g64:bf16:outliers=2^-10", "asq:16:ch",
             "kashin:2+2"]:
    q = qforge.quantize(x, spec)
    sqnr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / q.mse(x))
    print(f"  {spec:30s} {q.format:30s} {q.bits_per_weight:7.3f} {sqnr:8.2f}")
PYEOF

step "3. Interop with upstream quant: !quant.uniform -> qf -> !quant.uniform"
"$BIN/quant-opt" "$ROOT/test/Dialect/QF/Transforms/qf-from-quant.mlir" \
  -split-input-file -qf-from-quant 2>/dev/null | grep -E 'qf\.(quantize|dequantize)' | head -4 | cut -c1-160

step "4. The quantization pipeline: sensitivities -> ModCap grouping -> Fisher bit allocation"
echo "   (exact rate-distortion, 3.5 bits/param budget) -> quantization -> dequant-matmul fusion"
"$BIN/quant-opt" "$OUT/mlp.mlir" -o "$OUT/mlp.q.mlir" \
  -qf-quantize-pipeline="avg-bits=3.5 method=rd-exact sensitivity=$OUT/mlp.fisher.json top-k=1 modcap-report=true table=true report=$OUT/mlp.report.json"
echo "report: $OUT/mlp.report.json"

step "5. The quantized model: packed qf.constant weights feeding fused qf.matmul ops"
"$BIN/quant-opt" "$OUT/mlp.q.mlir" -mlir-elide-resource-strings-if-larger=16 \
  | grep -E 'qf.matmul' | sed 's/^ */  /' | cut -c1-170
printf '  size: float %s -> quantized %s (MLIR text with hex blobs)\n' \
  "$(du -h "$OUT/mlp.mlir" | cut -f1)" "$(du -h "$OUT/mlp.q.mlir" | cut -f1)"

step "6. Generated CPU kernels: the quantized model vs. the float model, compiled by qf-cpu-pipeline"
echo "   (the weights get the fast-path formats q4_0/q8_0 under a 5.5 bits/param budget; both"
echo "   models go through the same pipeline; the float linalg.matmul becomes plain loops there,"
echo "   it is not a tuned float GEMV; 200 calls per run, median of 5 runs, seconds)"
"$BIN/quant-opt" "$OUT/mlp.mlir" -o "$OUT/mlp.q55.mlir" \
  -qf-quantize-pipeline="avg-bits=5.5 method=rd-exact candidates=q4_0,q8_0 sensitivity=$OUT/mlp.fisher.json"
LIBDIR=$(llvm-config-22 --libdir 2>/dev/null || echo /usr/lib/llvm-22/lib)
RUNNER=$(command -v mlir-runner || echo /usr/lib/llvm-22/bin/mlir-runner)
for m in mlp mlp.q55; do
  $PY - "$OUT/$m.mlir" "$ROOT/examples/bench_harness.mlir" "$OUT/$m.run.mlir" <<'PYEOF'
import sys
src, harness, dst = sys.argv[1:]
s = open(src).read()
i = s.rfind("{-#")
body, res = (s[:i], s[i:]) if i >= 0 else (s, "")
if "\nmodule" in "\n" + body:
    j = body.rfind("}")
    body = body[:j] + open(harness).read() + "\n}\n"
else:
    body += "\n" + open(harness).read()
open(dst, "w").write(body + res)
PYEOF
  "$BIN/quant-opt" "$OUT/$m.run.mlir" -qf-cpu-pipeline="target=host" -o "$OUT/$m.llvm.mlir"
done
# The opt-in integer dot products (dot-precision=i8: int8 activation blocks,
# vpdpbusd), where the CPU has AVX512_VNNI.
models="mlp mlp.q55"
if grep -qw avx512_vnni /proc/cpuinfo 2>/dev/null; then
  "$BIN/quant-opt" "$OUT/mlp.q55.run.mlir" \
    -qf-cpu-pipeline="target=host dot-precision=i8" -o "$OUT/mlp.q55i8.llvm.mlir"
  models="$models mlp.q55i8"
fi
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for m in $models; do
  for i in 1 2 3 4 5; do
    "$RUNNER" "$OUT/$m.llvm.mlir" -e main -entry-point-result=void -O3 \
      -shared-libs="$LIBDIR/libmlir_runner_utils.so,$LIBDIR/libmlir_c_runner_utils.so" | head -1
  done | median > "$OUT/$m.time"
done
f=$(cat "$OUT/mlp.time"); q=$(cat "$OUT/mlp.q55.time")
printf '  float model:     %s s\n  quantized model: %s s  (%.1fx faster)\n' "$f" "$q" \
  "$(awk -v a="$f" -v b="$q" 'BEGIN {print a / b}')"
if [ -f "$OUT/mlp.q55i8.time" ]; then
  q8=$(cat "$OUT/mlp.q55i8.time")
  printf '  quantized model, dot-precision=i8: %s s  (%.1fx faster; int8 activation blocks)\n' \
    "$q8" "$(awk -v a="$f" -v b="$q8" 'BEGIN {print a / b}')"
fi
