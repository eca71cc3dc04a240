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
