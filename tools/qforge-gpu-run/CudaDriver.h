//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// qforge-gpu-run uses the CUDA driver API through libcuda.so.1 opened with
// dlopen: the toolkit only ships a link stub of the driver, and a binary
// linked against it would not even start on a machine without the NVIDIA
// driver. Loading it at run time lets the tool say "no CUDA device
// available" and exit with kExitNoDevice instead.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_TOOLS_QFORGE_GPU_RUN_CUDADRIVER_H
#define QFORGE_TOOLS_QFORGE_GPU_RUN_CUDADRIVER_H

#include <cuda.h>

#include <string>

namespace qforge::gpurun {

/// Exit status when no driver or no device is present (the automake "skip"
/// convention; lit's `cuda-device` feature and bench/gpu.sh test for it).
constexpr int kExitNoDevice = 77;

struct CudaDriver {
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuGetErrorString) getErrorString = nullptr;
  decltype(&::cuDeviceGetCount) deviceGetCount = nullptr;
  decltype(&::cuDeviceGet) deviceGet = nullptr;
  decltype(&::cuDeviceGetName) deviceGetName = nullptr;
  decltype(&::cuDeviceGetAttribute) deviceGetAttribute = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) primaryCtxRetain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) primaryCtxRelease = nullptr;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent = nullptr;
  decltype(&::cuCtxSynchronize) ctxSynchronize = nullptr;
  decltype(&::cuModuleLoadDataEx) moduleLoadDataEx = nullptr;
  decltype(&::cuModuleGetFunction) moduleGetFunction = nullptr;
  decltype(&::cuFuncSetAttribute) funcSetAttribute = nullptr;
  decltype(&::cuMemAlloc) memAlloc = nullptr;
  decltype(&::cuMemFree) memFree = nullptr;
  decltype(&::cuMemcpyHtoD) memcpyHtoD = nullptr;
  decltype(&::cuMemcpyDtoH) memcpyDtoH = nullptr;
  decltype(&::cuMemcpyDtoDAsync) memcpyDtoDAsync = nullptr;
  decltype(&::cuMemsetD8) memsetD8 = nullptr;
  decltype(&::cuLaunchKernel) launchKernel = nullptr;
  decltype(&::cuEventCreate) eventCreate = nullptr;
  decltype(&::cuEventRecord) eventRecord = nullptr;
  decltype(&::cuEventSynchronize) eventSynchronize = nullptr;
  decltype(&::cuEventElapsedTime) eventElapsedTime = nullptr;

  /// Opens libcuda.so.1 and resolves the entry points; on failure returns
  /// false and says why.
  bool load(std::string &why);
  /// "cuXxx failed: <driver message>" for a failed call.
  std::string error(const char *what, CUresult r) const;
};

} // namespace qforge::gpurun

#endif // QFORGE_TOOLS_QFORGE_GPU_RUN_CUDADRIVER_H
