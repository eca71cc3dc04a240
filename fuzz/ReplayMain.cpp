//===- ReplayMain.cpp - Replay driver for the fuzz targets ----------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Without libFuzzer every fuzz target links this main: it feeds each file
// named on the command line, and every regular file below each directory
// named there (sorted by path), to LLVMFuzzerTestOneInput once. A crash,
// a sanitizer report or an abort() in the target fails the run; so does a
// missing path or a directory without inputs when --require-inputs is given.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

static bool readFile(const fs::path &path, std::vector<uint8_t> &bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  bytes.assign(std::istreambuf_iterator<char>(in),
               std::istreambuf_iterator<char>());
  return !in.bad();
}

int main(int argc, char **argv) {
  bool requireInputs = false;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--require-inputs") == 0) {
      requireInputs = true;
      continue;
    }
    fs::path p(argv[i]);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto &entry : fs::recursive_directory_iterator(p, ec))
        if (entry.is_regular_file() &&
            entry.path().filename().string().rfind('.', 0) != 0 &&
            entry.path().filename() != "README.md")
          inputs.push_back(entry.path());
      if (ec) {
        std::fprintf(stderr, "error: cannot list '%s': %s\n", argv[i],
                     ec.message().c_str());
        return 1;
      }
    } else if (fs::is_regular_file(p, ec)) {
      inputs.push_back(p);
    } else {
      std::fprintf(stderr, "error: no such input '%s'\n", argv[i]);
      return 1;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (requireInputs && inputs.empty()) {
    std::fprintf(stderr, "error: no inputs found\n");
    return 1;
  }
  double slowest = 0;
  std::string slowestName;
  for (const fs::path &p : inputs) {
    std::vector<uint8_t> bytes;
    if (!readFile(p, bytes)) {
      std::fprintf(stderr, "error: cannot read '%s'\n", p.c_str());
      return 1;
    }
    auto start = std::chrono::steady_clock::now();
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (secs > slowest) {
      slowest = secs;
      slowestName = p.string();
    }
  }
  std::printf("replayed %zu inputs; slowest %.3f s (%s)\n", inputs.size(),
              slowest, slowestName.c_str());
  return 0;
}
