//===- KernelBuilder.h - GPU kernel emission for qf ops ---------*- C++ -*-===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Internal interface between the qf-lower-to-gpu pass (host side, launch
// plumbing) and the kernel bodies.
//
// A qf op becomes one or more kernels (KernelDef), launched in order: the
// dequantization or GEMV kernel, plus a scatter kernel for sparse outliers
// after a dequantization, or a transform kernel for the activations before
// a Kashin GEMV. Kernel bodies are written against KernelEmitter, which
// materialises them either as a gpu.func or, for testing the arithmetic on
// the host (unittests/Conversion/QFToGPUEmulationTest.cpp), as a func.func
// that runs every block and, phase by phase, every thread in loops.
//
//===----------------------------------------------------------------------===//

#ifndef QFORGE_LIB_CONVERSION_QFTOGPU_KERNELBUILDER_H
#define QFORGE_LIB_CONVERSION_QFTOGPU_KERNELBUILDER_H

#include "qforge/Numerics/Format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <array>
#include <functional>
#include <string>

namespace qforge::gpu_lowering {

/// How the threads of a kernel find the codes of their elements.
enum class Scheme : uint8_t {
  /// Int, Float and Lut codes of 1, 2, 4 or 8 bits: `words` i32 words
  /// (one 128-bit load when 4) hold the `elemsPerThread` codes of a chunk.
  Words,
  /// Any code width (3, 5, 6, 7 bits; learned codebooks): a chunk is
  /// 32 * u codes in bits * u consecutive i32 words (`words`), so every
  /// chunk starts on a word boundary; codes straddle words inside it.
  Stream,
  /// q4_0, q8_0, iq4_nl: one 32-element block per chunk (i16 words).
  GGUF,
  /// q4_k: a chunk is 64 elements (sub-blocks 2p and 2p + 1 of a 256-element
  /// super-block: the 32 bytes qs[32p .. 32p + 31], both nibbles).
  Q4K,
  /// Kashin: u and v codes as two Stream code streams, one vector per group.
  Kashin,
};

/// What the kernels of one quantized weight read and how.
struct WeightPlan {
  num::FormatSpec spec;
  llvm::SmallVector<int64_t> shape;
  int64_t numel = 0;
  Scheme scheme = Scheme::Words;
  /// i32 words of codes per chunk (Kashin: of u codes; `wordsV` of v codes)
  /// and the elements they hold.
  unsigned words = 0, wordsV = 0;
  unsigned elemsPerThread = 0;
  /// Elements that share one scale (or codebook, or Kashin vector) along
  /// the flat order: group = (flat / groupStride) % groupCount.
  int64_t groupStride = 0, groupCount = 1;
  bool isGGUF = false;
  /// Bytes of one GGUF block (18 for q4_0/iq4_nl, 34 for q8_0, 144 q4_k).
  unsigned ggufBlockBytes = 0;
  /// Double quantization: scale groups per f32 super-scale.
  int64_t dqGroup = 0;
  /// Sparse outliers: their number and the bytes of one index (4, or 8
  /// beyond 2^32 elements).
  int64_t numOutliers = 0;
  unsigned outlierIndexBytes = 4;
  /// Learned: levels per codebook. Kashin: f32 centroids per vector.
  unsigned cbEntries = 0;
  /// Kashin: the i32 word of the Codes section where the v codes start.
  int64_t vCodesWord = 0;
  /// Kernel argument types of the weight's sections, in Section order.
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<std::string> argNames;
  llvm::SmallVector<num::Section> argSections;
};

/// Checks that the GPU kernels can read `spec` for a tensor of `shape`, with
/// at most `maxWords` words per thread along runs of `rowLength` contiguous
/// elements (0 = no constraint), and fills `plan`. On failure returns false
/// and sets `why`.
bool planWeight(const num::FormatSpec &spec, llvm::ArrayRef<int64_t> shape,
                int64_t rowLength, unsigned maxWords, mlir::MLIRContext *ctx,
                WeightPlan &plan, std::string &why);

struct KernelOptions {
  std::string chip = "sm_80";
  unsigned blockSize = 256;
  unsigned warpsPerBlock = 8;
  /// SM architecture number parsed from `chip` (80, 90, ...).
  unsigned smVersion() const;
  /// Largest dynamic shared memory per block of the chip (bytes).
  int64_t maxSharedBytes() const;
};

class KernelEmitter;

/// One kernel: its arguments (by name, see QFToGPU.h), shared memory,
/// launch configuration and body.
struct KernelDef {
  std::string name;
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<std::string> argNames;
  /// Workgroup buffers (1-D, no memory space); static up to 48 KiB in all,
  /// otherwise dynamic shared memory.
  llvm::SmallVector<mlir::MemRefType> shared;
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  std::function<void(KernelEmitter &)> body;
  /// Total workgroup bytes.
  int64_t sharedBytes() const;
};

/// Where a kernel body is emitted. Bodies are sequences of phases (separated
/// by block barriers), possibly inside block-uniform loops; values cross
/// phases only through memory (arguments, shared buffers, private arrays).
class KernelEmitter {
public:
  KernelEmitter(mlir::OpBuilder &b, mlir::Location loc, const KernelDef &def,
                unsigned sm, bool portable)
      : b(b), loc(loc), def(def), sm(sm), portable(portable) {}
  virtual ~KernelEmitter() = default;

  mlir::OpBuilder &b;
  mlir::Location loc;
  const KernelDef &def;
  /// SM version of the target (native fp8 conversions from 89).
  unsigned sm;
  /// No inline PTX (host emulation): portable arithmetic instead.
  bool portable;

  int64_t blockSize() const { return def.block[0]; }
  /// Kernel argument by its name (null when the kernel has none).
  virtual mlir::Value arg(llvm::StringRef name) = 0;
  /// Workgroup buffer `i` of def.shared.
  virtual mlir::Value shared(unsigned i) = 0;
  virtual mlir::Value blockId() = 0;
  /// Emits one phase: `body(tid)` for every thread of the block (tid: index).
  virtual void phase(llvm::function_ref<void(mlir::Value tid)> body) = 0;
  /// A block-uniform loop whose body may contain phases.
  void blockLoop(int64_t lb, int64_t ub, int64_t step,
                 llvm::function_ref<void(mlir::Value iv)> body);
  /// A thread-private array of `n` values (registers on the GPU once the
  /// indices are constant).
  virtual mlir::Value privateArray(int64_t n, mlir::Type elem) = 0;
  virtual mlir::Value loadPrivate(mlir::Value array, mlir::Value tid,
                                  int64_t i) = 0;
  virtual void storePrivate(mlir::Value array, mlir::Value tid, int64_t i,
                            mlir::Value v) = 0;
  /// A phase that sums element i < n of `array` over the 32 lanes of each
  /// warp and calls `store(tid, sums)` on lane 0.
  virtual void warpSumToLane0(
      mlir::Value array, int64_t n,
      llvm::function_ref<void(mlir::Value tid, llvm::ArrayRef<mlir::Value>)>
          store) = 0;
  /// A constant table (one memref.global per name), as a memref value.
  virtual mlir::Value constantTable(llvm::StringRef name,
                                    mlir::DenseElementsAttr values) = 0;

protected:
  /// Whether a barrier must precede the next phase.
  bool needBarrier = false;
};

using KernelDefs = llvm::SmallVector<KernelDef, 2>;

/// A built GPU kernel and its launch configuration.
struct KernelInfo {
  mlir::gpu::GPUFuncOp func;
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  /// Dynamic shared memory to pass at launch (0: static only).
  int64_t dynamicSharedBytes = 0;
  llvm::SmallVector<std::string> argNames;
};

/// The kernels of `out[i] = dequantize(weight)[i]` (flat), in launch order.
KernelDefs dequantKernels(llvm::StringRef name, const WeightPlan &w,
                          mlir::Type outElemType, const KernelOptions &opts);

/// The kernels of `out[m, n] = sum_k lhs[m, k] * W[n, k]` for a weight
/// stored [N, K] (transpose_weight), M <= 16 rows of activations, in
/// launch order. A Kashin weight adds a first kernel writing P x to the
/// `scratch` argument (M * K f32, allocated by the host).
KernelDefs gemvKernels(llvm::StringRef name, const WeightPlan &w, int64_t m,
                       int64_t n, int64_t k, mlir::Type lhsElemType,
                       mlir::Type outElemType, const KernelOptions &opts);

/// Shared-memory bytes the GEMV kernel of `w` needs for M = m.
int64_t gemvSharedBytes(const WeightPlan &w, int64_t m,
                        const KernelOptions &opts, int64_t k);

/// Materialises `def` as a gpu.func in `module`.
KernelInfo emitGPUKernel(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::gpu::GPUModuleOp module, const KernelDef &def,
                         const KernelOptions &opts);

/// Host emulation: a func.func @`name` (with llvm.emit_c_interface) that
/// takes `argTypes` (named `argNames`) and runs `kernels` in order, every
/// block and every thread in loops, with portable arithmetic instead of
/// inline PTX. A `scratch` argument of a kernel is allocated inside.
mlir::func::FuncOp
emitHostEmulation(mlir::OpBuilder &b, mlir::Location loc, mlir::ModuleOp module,
                  llvm::StringRef name, llvm::ArrayRef<mlir::Type> argTypes,
                  llvm::ArrayRef<std::string> argNames,
                  llvm::ArrayRef<KernelDef> kernels, const KernelOptions &opts);

} // namespace qforge::gpu_lowering

#endif // QFORGE_LIB_CONVERSION_QFTOGPU_KERNELBUILDER_H
