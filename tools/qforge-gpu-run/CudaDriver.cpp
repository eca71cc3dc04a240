//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <dlfcn.h>

#include <type_traits>

using namespace qforge::gpurun;

// cuda.h maps the API names to their current versioned symbols
// (cuMemAlloc -> cuMemAlloc_v2, ...): resolve the expanded name.
#define QF_STR2(x) #x
#define QF_STR(x) QF_STR2(x)

bool CudaDriver::load(std::string &why) {
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    h = dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    why = std::string("cannot load the CUDA driver (libcuda.so.1): ") +
          (e ? e : "not found");
    return false;
  }
  bool ok = true;
  auto get = [&](auto &fn, const char *name) {
    fn =
        reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
    if (!fn && ok) {
      ok = false;
      why = std::string("the CUDA driver lacks ") + name;
    }
  };
  get(init, QF_STR(cuInit));
  get(getErrorString, QF_STR(cuGetErrorString));
  get(deviceGetCount, QF_STR(cuDeviceGetCount));
  get(deviceGet, QF_STR(cuDeviceGet));
  get(deviceGetName, QF_STR(cuDeviceGetName));
  get(deviceGetAttribute, QF_STR(cuDeviceGetAttribute));
  get(primaryCtxRetain, QF_STR(cuDevicePrimaryCtxRetain));
  get(primaryCtxRelease, QF_STR(cuDevicePrimaryCtxRelease));
  get(ctxSetCurrent, QF_STR(cuCtxSetCurrent));
  get(ctxSynchronize, QF_STR(cuCtxSynchronize));
  get(moduleLoadDataEx, QF_STR(cuModuleLoadDataEx));
  get(moduleGetFunction, QF_STR(cuModuleGetFunction));
  get(funcSetAttribute, QF_STR(cuFuncSetAttribute));
  get(memAlloc, QF_STR(cuMemAlloc));
  get(memFree, QF_STR(cuMemFree));
  get(memcpyHtoD, QF_STR(cuMemcpyHtoD));
  get(memcpyDtoH, QF_STR(cuMemcpyDtoH));
  get(memcpyDtoDAsync, QF_STR(cuMemcpyDtoDAsync));
  get(memsetD8, QF_STR(cuMemsetD8));
  get(launchKernel, QF_STR(cuLaunchKernel));
  get(eventCreate, QF_STR(cuEventCreate));
  get(eventRecord, QF_STR(cuEventRecord));
  get(eventSynchronize, QF_STR(cuEventSynchronize));
  get(eventElapsedTime, QF_STR(cuEventElapsedTime));
  return ok;
}

std::string CudaDriver::error(const char *what, CUresult r) const {
  const char *msg = nullptr;
  if (getErrorString)
    getErrorString(r, &msg);
  return std::string(what) + " failed: " +
         (msg ? msg : ("CUDA error " + std::to_string(static_cast<int>(r))));
}
