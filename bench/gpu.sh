#!/usr/bin/env bash
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# bench/gpu.sh: builds qforge-gpu-run, checks and times every GPU kernel of
# QForge on the first CUDA device, and prints a table (format, kernel, GB/s,
# % of a device-to-device copy measured in the same run).
#
#   bench/gpu.sh [BUILD_DIR]          (default: build-gpu next to this script)
#
# Environment: CHIP (default sm_90; sm_80 for A100), DTYPE (default f16),
# ITERS (default 20), JOBS (ninja -j, default 8), JSON=FILE (also write one
# JSON object per row to FILE).
# Exit status: 0 all checks passed, 1 a kernel failed its check, 77 no CUDA
# device available (nothing was timed).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build-gpu}"
chip="${CHIP:-sm_90}"
dtype="${DTYPE:-f16}"
iters="${ITERS:-20}"
jobs="${JOBS:-8}"
json="${JSON:-}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="${MLIR_DIR:-/usr/lib/llvm-22/lib/cmake/mlir}" \
    -DLLVM_EXTERNAL_LIT="${LLVM_EXTERNAL_LIT:-/usr/lib/llvm-22/bin/lit}" \
    -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
fi
ninja -C "$build" -j "$jobs" qforge-gpu-run >/dev/null
run="$build/bin/qforge-gpu-run"

set +e
"$run" --probe
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "bench/gpu.sh: no CUDA device available; nothing timed" >&2
  exit "$rc"
fi

# Dequantization: >= 256 MB of f16 output (16384 x 8192 elements). The
# second line: odd code widths, q4_k, double quantization, outliers, learned
# codebooks.
dequant_formats=(int4:g128:f16 int8:ch@0 nf4:g64 mxfp4 q4_0 q8_0 iq4_nl e4m3:g32:e8m0
  int3:g32 int5:g64:f16 mxfp6 q4_k nvfp4 nf4:g64:f16:dq=256
  int4:g128:f16:outliers=2^-10 asq:16:g64:f16)
# Kashin codes (rows of 4096, transformed in f64 shared memory): 16384 x 4096.
kashin_formats=(kashin:2+2 kashin:2+2:hadamard kashin:4:joint)
# Fused GEMV / small-M GEMM, weights [N, K] (nn.Linear), M = 1 and 16.
gemv_formats=(int4:g128:f16 nf4:g64 mxfp4 q4_0 q8_0
  int3:g32 mxfp6 q4_k nvfp4 int4:g128:f16:outliers=2^-10 asq:16:g64:f16)
gemv_shapes=(14336x4096 4096x14336)

[ -n "$json" ] && : >"$json"
status=0
printf '%-16s %-8s %-12s %-5s %-5s %10s %10s %9s %8s\n' \
  format kernel shape m dtype time_us GB/s copyGB/s %copy
one() {
  local out
  if ! out="$("$run" --json --chip "$chip" --dtype "$dtype" \
      --iters "$iters" "$@")"; then
    status=1
  fi
  [ -n "$out" ] || return 0
  [ -n "$json" ] && echo "$out" >>"$json"
  python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("%-16s %-8s %-12s %-5s %-5s %10.1f %10.1f %9.0f %7.1f%% %s" % (
    r["format"], r["kernel"], r["shape"], r["m"] or "-", r["dtype"],
    r["time_us"], r["gbs"], r["copy_gbs"], r["pct_copy"],
    "" if r["check"] == "ok" else "CHECK FAILED"))
PY
}
for f in "${dequant_formats[@]}"; do
  one --kernel dequant --format "$f" --shape 16384x8192
done
for f in "${kashin_formats[@]}"; do
  one --kernel dequant --format "$f" --shape 16384x4096
done
# Rows of 14336 (not a power of two): the DCT runs Bluestein's FFT in a
# global workspace.
one --kernel dequant --format kashin:2+2 --shape 4096x14336
for s in "${gemv_shapes[@]}"; do
  for m in 1 16; do
    for f in "${gemv_formats[@]}"; do
      one --kernel gemv --format "$f" --shape "$s" --m "$m"
    done
  done
done
# Kashin GEMV (P x by a first kernel), M = 1 and 4, rows of K = 4096 and
# (Bluestein) 14336.
for m in 1 4; do
  for f in "${kashin_formats[@]}"; do
    one --kernel gemv --format "$f" --shape 14336x4096 --m "$m"
  done
  one --kernel gemv --format kashin:2+2 --shape 4096x14336 --m "$m"
done
exit "$status"
