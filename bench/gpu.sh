#!/usr/bin/env bash
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# bench/gpu.sh: checks and times every GPU kernel of QForge on the first CUDA
# device, and prints a table (format, kernel, shape, M, dtype, time, GB/s,
# the GB/s of a device-to-device copy measured in the same run, % of copy).
#
#   bench/gpu.sh [BUILD_DIR]
#       Direct mode, on a machine with LLVM/MLIR, the CUDA toolkit and a GPU:
#       builds qforge-gpu-run in BUILD_DIR (default: build-gpu next to this
#       script; configured there if it has no build.ninja), then compiles,
#       runs, checks and times each row.
#   bench/gpu.sh --prepare DIR [BUILD_DIR]
#       On a machine with LLVM/MLIR and the CUDA toolkit (no GPU needed):
#       builds qforge-gpu-run and qforge-gpu-exec, writes one bundle
#       (`qforge-gpu-run --compile-only --bundle-out`: kernel metadata + PTX)
#       per row into DIR as NNN.qfb, and copies qforge-gpu-exec (linked
#       without LLVM, libstdc++ static) into DIR.
#   bench/gpu.sh --exec DIR
#       On the GPU machine, which needs neither LLVM nor the toolkit: runs
#       DIR/qforge-gpu-exec on every DIR/*.qfb in order and prints the same
#       table. CHIP and DTYPE are fixed when preparing.
#
# Environment: CHIP (default sm_90; sm_80 for A100), DTYPE (default f16),
# ITERS (default 20), JOBS (ninja -j, default 8), JSON=FILE (also write one
# JSON object per row to FILE), PARALLEL (default 1: rows one after the
# other; N > 1: up to N rows at once, which overlaps their CPU work (random
# data, quantization, the CPU reference) while the GPU is still used, and
# timed, by one row at a time through a lock file; rows print in order).
# Exit status: 0 all checks passed (--prepare: all bundles written), 1 a
# kernel failed its check or a run failed, 2 bad usage or a failed
# compilation, 77 no CUDA device available (nothing was timed).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
mode=direct
dir=
case "${1:-}" in
--prepare | --exec)
  mode="${1#--}"
  if [ $# -lt 2 ] || [ -z "$2" ]; then
    echo "bench/gpu.sh: $1 needs a directory" >&2
    exit 2
  fi
  dir="$2"
  shift 2
  ;;
esac
if [ "$mode" = exec ] && [ $# -gt 0 ]; then
  echo "bench/gpu.sh: --exec DIR takes no build directory" >&2
  exit 2
fi
build="${1:-$here/build-gpu}"
chip="${CHIP:-sm_90}"
dtype="${DTYPE:-f16}"
iters="${ITERS:-20}"
jobs="${JOBS:-8}"
json="${JSON:-}"
parallel="${PARALLEL:-1}"

# Configures (once) and builds the given targets in $build.
build_tools() {
  if [ ! -f "$build/build.ninja" ]; then
    cmake -G Ninja -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR="${MLIR_DIR:-/usr/lib/llvm-22/lib/cmake/mlir}" \
      -DLLVM_EXTERNAL_LIT="${LLVM_EXTERNAL_LIT:-/usr/lib/llvm-22/bin/lit}" \
      -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
  fi
  local log
  if ! log="$(ninja -C "$build" -j "$jobs" "$@" 2>&1)"; then
    echo "$log" >&2
    echo "bench/gpu.sh: building $* failed" >&2
    exit 2
  fi
}

# Calls "$@" ROW-ARGS... for every row of the benchmark, in table order.
each_row() {
  # Dequantization: >= 256 MB of f16 output (16384 x 8192 elements). The
  # second line: odd code widths, q4_k, double quantization, outliers,
  # learned codebooks.
  local dequant_formats=(int4:g128:f16 int8:ch@0 nf4:g64 mxfp4 q4_0 q8_0
    iq4_nl e4m3:g32:e8m0
    int3:g32 int5:g64:f16 mxfp6 q4_k nvfp4 nf4:g64:f16:dq=256
    int4:g128:f16:outliers=2^-10 asq:16:g64:f16)
  # Kashin codes (rows of 4096, transformed in f64 shared memory): 16384 x
  # 4096.
  local kashin_formats=(kashin:2+2 kashin:2+2:hadamard kashin:4:joint)
  # Fused GEMV / small-M GEMM, weights [N, K] (nn.Linear), M = 1 and 16.
  local gemv_formats=(int4:g128:f16 nf4:g64 mxfp4 q4_0 q8_0
    int3:g32 mxfp6 q4_k nvfp4 int4:g128:f16:outliers=2^-10 asq:16:g64:f16)
  local gemv_shapes=(14336x4096 4096x14336)
  local f s m
  for f in "${dequant_formats[@]}"; do
    "$@" --kernel dequant --format "$f" --shape 16384x8192
  done
  for f in "${kashin_formats[@]}"; do
    "$@" --kernel dequant --format "$f" --shape 16384x4096
  done
  # Rows of 14336 (not a power of two): the DCT runs Bluestein's FFT in a
  # global workspace.
  "$@" --kernel dequant --format kashin:2+2 --shape 4096x14336
  for s in "${gemv_shapes[@]}"; do
    for m in 1 16; do
      for f in "${gemv_formats[@]}"; do
        "$@" --kernel gemv --format "$f" --shape "$s" --m "$m"
      done
    done
  done
  # Kashin GEMV (P x by a first kernel), M = 1 and 4, rows of K = 4096 and
  # (Bluestein) 14336.
  for m in 1 4; do
    for f in "${kashin_formats[@]}"; do
      "$@" --kernel gemv --format "$f" --shape 14336x4096 --m "$m"
    done
    "$@" --kernel gemv --format kashin:2+2 --shape 4096x14336 --m "$m"
  done
}

# --prepare: writes the bundle of one row.
# shellcheck disable=SC2317 # called through each_row
bundle() {
  row=$((row + 1))
  local out
  out="$(printf '%s/%03d.qfb' "$dir" "$row")"
  if ! "$build/bin/qforge-gpu-run" --compile-only --chip "$chip" \
      --dtype "$dtype" --bundle-out "$out" "$@" >/dev/null; then
    echo "bench/gpu.sh: cannot compile: $*" >&2
    status=2
  fi
}

status=0

if [ "$mode" = prepare ]; then
  build_tools qforge-gpu-run qforge-gpu-exec
  mkdir -p "$dir"
  rm -f "$dir"/*.qfb
  cp "$build/bin/qforge-gpu-exec" "$dir/"
  row=0
  each_row bundle
  echo "bench/gpu.sh: $row bundles for $chip ($dtype) in $dir" \
    "($(du -sh "$dir" | cut -f1)); run: bench/gpu.sh --exec $dir"
  exit "$status"
fi

if [ "$mode" = exec ]; then
  run="$dir/qforge-gpu-exec"
  if [ ! -x "$run" ]; then
    echo "bench/gpu.sh: $run not found (bench/gpu.sh --prepare $dir)" >&2
    exit 2
  fi
else
  build_tools qforge-gpu-run
  run="$build/bin/qforge-gpu-run"
fi

set +e
"$run" --probe
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "bench/gpu.sh: no CUDA device available; nothing timed" >&2
  exit "$rc"
fi

[ -n "$json" ] && : >"$json"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '%-16s %-8s %-12s %-5s %-5s %10s %10s %9s %8s\n' \
  format kernel shape m dtype time_us GB/s copyGB/s %copy
rows=0    # rows started
printed=0 # rows printed (in order)
# Prints the finished rows that are next in order.
print_rows() {
  local i rc out
  while [ "$printed" -lt "$rows" ]; do
    i="$(printf '%03d' $((printed + 1)))"
    [ -f "$tmp/$i.rc" ] || return 0
    printed=$((printed + 1))
    rc="$(cat "$tmp/$i.rc")"
    out="$(cat "$tmp/$i.json")"
    [ "$rc" -eq 0 ] || status=1
    if [ -z "$out" ]; then
      echo "FAILED (exit $rc): $(cat "$tmp/$i.args")"
      continue
    fi
    [ -n "$json" ] && echo "$out" >>"$json"
    if ! python3 - "$out" <<'PY'; then
import json, sys
r = json.loads(sys.argv[1])
print("%-16s %-8s %-12s %-5s %-5s %10.1f %10.1f %9.0f %7.1f%% %s" % (
    r["format"], r["kernel"], r["shape"], r["m"] or "-", r["dtype"],
    r["time_us"], r["gbs"], r["copy_gbs"], r["pct_copy"],
    "" if r["check"] == "ok" else "CHECK FAILED"))
PY
      echo "FAILED (unreadable output): $(cat "$tmp/$i.args")"
      status=1
    fi
  done
}
# One row: runs "$@ --json --iters N". With PARALLEL > 1, up to PARALLEL
# rows run at once: they prepare their data concurrently and take turns on
# the GPU (--gpu-lock), so each is timed alone.
one() {
  rows=$((rows + 1))
  local i
  i="$(printf '%03d' "$rows")"
  echo "$*" >"$tmp/$i.args"
  if [ "$parallel" -le 1 ]; then
    set +e
    "$@" --json --iters "$iters" >"$tmp/$i.json"
    echo $? >"$tmp/$i.rc"
    set -e
  else
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
      wait -n || true
      print_rows
    done
    (
      set +e
      "$@" --json --iters "$iters" --gpu-lock "$tmp/gpu.lock" >"$tmp/$i.json"
      echo $? >"$tmp/$i.rc.tmp"
      mv "$tmp/$i.rc.tmp" "$tmp/$i.rc"
    ) &
  fi
  print_rows
}
if [ "$mode" = exec ]; then
  shopt -s nullglob
  bundles=("$dir"/*.qfb)
  if [ ${#bundles[@]} -eq 0 ]; then
    echo "bench/gpu.sh: no bundle in $dir" >&2
    exit 2
  fi
  for b in "${bundles[@]}"; do
    one "$run" --bundle "$b"
  done
else
  each_row one "$run" --chip "$chip" --dtype "$dtype"
fi
wait
print_rows
exit "$status"
