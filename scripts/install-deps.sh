#!/usr/bin/env bash
# Installs the Debian packages QForge needs, only those that are missing.
# Used by `make demo` and `make test`; safe to run repeatedly.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
set -euo pipefail

PKGS=(
  cmake ninja-build g++ ccache
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libgtest-dev libbenchmark-dev
  python3 python3-numpy python3-pytest pybind11-dev python3-torch python3-matplotlib
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# llvm-22 comes from bookworm-security on these machines; refresh the lists
# once if a package is unknown.
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
