#!/usr/bin/env bash
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# bench/fetch-ggml.sh [DIR]: downloads the prebuilt ggml CPU libraries of
# llama.cpp that node-llama-cpp publishes on the npm registry
# (@node-llama-cpp/linux-x64, MIT licence; no build, no source) and unpacks
# them into DIR (default: ggml-prebuilt next to this script), for
#
#   build/bin/qforge-bench ggml --lib DIR
#
# which times ggml's GEMV next to QForge's kernels on the same weights.
# VERSION (default 3.22.1) picks the package version. Needs npm and tar.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/ggml-prebuilt}
version=${VERSION:-3.22.1}
command -v npm >/dev/null || { echo "fetch-ggml.sh: npm is needed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@node-llama-cpp/linux-x64@$version" >/dev/null)
tar -xzf "$tmp"/node-llama-cpp-linux-x64-"$version".tgz -C "$tmp"
mkdir -p "$dir"
cp "$tmp"/package/bins/linux-x64/libggml*.so "$tmp"/package/bins/linux-x64/_nlcBuildMetadata.json "$dir"/
cp "$tmp"/package/LICENSE "$dir"/LICENSE.node-llama-cpp
echo "ggml libraries of @node-llama-cpp/linux-x64@$version in $dir:"
cat "$dir"/_nlcBuildMetadata.json; echo
