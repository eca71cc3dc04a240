//===- qforge-bench.cpp - QForge benchmark driver -------------------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace qforge::bench;

static void usage() {
  auto subs = subcommands();
  std::sort(subs.begin(), subs.end(),
            [](auto &a, auto &b) { return a.name < b.name; });
  std::printf("USAGE: qforge-bench <subcommand> [options] [--json [FILE]]\n\n"
              "Every speed figure is printed as a ratio to a reference "
              "measured in the same run.\n\nSUBCOMMANDS:\n");
  for (auto &s : subs)
    std::printf("  %-12s %s\n", s.name.c_str(), s.help.c_str());
  std::printf("\nRun 'qforge-bench <subcommand> --help' for its options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? 1 : 0;
  }
  for (auto &s : subcommands())
    if (s.name == argv[1])
      return s.fn(argc - 2, argv + 2);
  std::fprintf(stderr, "qforge-bench: unknown subcommand '%s'\n", argv[1]);
  usage();
  return 1;
}
