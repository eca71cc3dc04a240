#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, builds test/Install/consumer
# against it with find_package(QForge), runs it and checks its output.
# Usage: run.sh BUILD_DIR SOURCE_DIR MLIR_DIR [CMAKE_ARGS...]
# CMAKE_ARGS (the tested build's compiler and flags) configure the consumer.
set -euo pipefail
build=$1 src=$2 mlir=$3
shift 3
prefix=$build/test-install/prefix
rm -rf "$build/test-install"
cmake --install "$build" --prefix "$prefix" > /dev/null
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -G Ninja -S "$src/test/Install/consumer" -B "$build/test-install/consumer" \
  -DCMAKE_BUILD_TYPE=Release -DQForge_DIR="$prefix/lib/cmake/qforge" \
  -DMLIR_DIR="$mlir" "${launcher[@]}" "$@" > /dev/null
cmake --build "$build/test-install/consumer" > /dev/null
out=$("$build/test-install/consumer/qforge-consumer")
echo "$out"
grep -q 'spec nf4:g64 bpw 4.5' <<< "$out"
grep -q 'qf.quantize %arg0 {scales = dense<5.000000e-01> : tensor<1xf32>, zero_points = dense<131> : tensor<1xi32>}' <<< "$out"
echo "install test: OK"
