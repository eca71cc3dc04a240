# QForge: the two commands.
#   make demo   installs what is missing, builds, runs the example pipeline
#   make test   installs what is missing, builds, runs every test (ctest)
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

BUILD      ?= build
JOBS       ?= $(shell nproc)
LLVM_DIR   ?= /usr/lib/llvm-22
BUILD_TYPE ?= Release
CCACHE     := $(shell command -v ccache 2>/dev/null)

CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
  -DMLIR_DIR=$(LLVM_DIR)/lib/cmake/mlir \
  -DLLVM_DIR=$(LLVM_DIR)/lib/cmake/llvm \
  -DLLVM_EXTERNAL_LIT=$(LLVM_DIR)/bin/lit \
  -DPython3_EXECUTABLE=/usr/bin/python3 \
  $(if $(CCACHE),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: all deps configure build demo test install clean format

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)

# --- Reliability (issue 9): libFuzzer and sanitizer builds -----------------
# Neither runs as part of `make test` (which replays the fuzz corpora).
#   make fuzz FUZZ_SECONDS=N   builds the fuzz targets with clang-22 and
#                              -fsanitize=fuzzer,address,undefined in
#                              $(FUZZ_BUILD), runs each for N seconds on a copy
#                              of fuzz/corpus/<t>; fails on a crash, leak or an
#                              input slower than 1 s (reproducers land in
#                              $(FUZZ_BUILD)/artifacts/<t>/)
#   make test-sanitize         builds everything with clang-22 and
#                              -fsanitize=address,undefined in $(SAN_BUILD)
#                              and runs the whole ctest suite there
# libMLIR.so is not instrumented: LLVM's BumpPtrAllocator poisons its slabs
# from inline code compiled into our (instrumented) objects, and the library
# then hands out that memory without unpoisoning it, so manual poisoning is
# switched off (allow_user_poisoning=0); ordinary ASan checks stay on.
FUZZ_BUILD   ?= build-fuzz
SAN_BUILD    ?= build-sanitize
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= spec-parser constant-blob safetensors gguf npy npz \
                mlir-parse quant-opt-pipeline sensitivity-json
CLANG_CC     ?= clang-22
CLANG_CXX    ?= clang++-22
SAN_FLAGS     = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -g
SAN_CMAKE     = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMLIR_DIR=$(LLVM_DIR)/lib/cmake/mlir -DLLVM_DIR=$(LLVM_DIR)/lib/cmake/llvm \
  -DLLVM_EXTERNAL_LIT=$(LLVM_DIR)/bin/lit \
  -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DCMAKE_C_COMPILER=$(CLANG_CC) -DCMAKE_CXX_COMPILER=$(CLANG_CXX) \
  $(if $(CCACHE),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: fuzz fuzz-build test-sanitize

fuzz-build:
	cmake -S . -B $(FUZZ_BUILD) $(SAN_CMAKE) -DQFORGE_LIBFUZZER=ON \
	  -DQFORGE_BUILD_PYTHON=OFF \
	  "-DCMAKE_C_FLAGS=$(SAN_FLAGS) -fsanitize=fuzzer-no-link" \
	  "-DCMAKE_CXX_FLAGS=$(SAN_FLAGS) -fsanitize=fuzzer-no-link" \
	  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target qforge-fuzz-targets

fuzz: SHELL := /bin/bash
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  rm -rf $(FUZZ_BUILD)/corpus/$$t; mkdir -p $(FUZZ_BUILD)/corpus/$$t \
	    $(FUZZ_BUILD)/artifacts/$$t; \
	  cp fuzz/corpus/$$t/* $(FUZZ_BUILD)/corpus/$$t/; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0 \
	  $(FUZZ_BUILD)/bin/qforge-fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=1 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/regressions/$$t \
	    2>&1 | tee $(FUZZ_BUILD)/fuzz-$$t.log | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' ; \
	  test $${PIPESTATUS[0]} -eq 0 || { echo "fuzz $$t FAILED (see $(FUZZ_BUILD)/fuzz-$$t.log)"; exit 1; }; \
	done

test-sanitize:
	cmake -S . -B $(SAN_BUILD) $(SAN_CMAKE) -DQFORGE_BUILD_PYTHON=OFF \
	  "-DCMAKE_C_FLAGS=$(SAN_FLAGS)" "-DCMAKE_CXX_FLAGS=$(SAN_FLAGS)" \
	  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" \
	  "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined"
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0 ctest --output-on-failure -j $(JOBS)
