# QForge: quantization formats, bit allocation and the MLIR pass suite, from
# Python.
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""QForge from Python.

>>> import numpy as np, qforge
>>> w = np.random.default_rng(0).standard_normal((64, 256), dtype=np.float32)
>>> q = qforge.quantize(w, "nf4:g64")
>>> q.format, q.shape, round(q.bits_per_weight, 3)
('nf4:g64', (64, 256), 4.5)

The submodules are `qforge.io` (safetensors, GGUF, npy/npz), `qforge.fisher`
(needs PyTorch) and `qforge.plot` (needs matplotlib); `python -m qforge`
is the command-line interface.
"""

import os as _os

from . import _qforge
from ._qforge import CompileError, QForgeError, QTensor
from .alloc import Allocation, allocate_bits, modcap
from .io import (load_gguf, load_npy, load_npz, load_safetensors,
                 load_weights, save_gguf, save_npy, save_npz,
                 save_safetensors, save_weights)

__all__ = [
    "Allocation", "CompileError", "QForgeError", "QTensor", "allocate_bits",
    "asq", "compile", "dequantize", "format_info", "kashin", "load_gguf",
    "load_npy", "load_npz", "load_safetensors", "load_weights", "modcap",
    "quantize", "save_gguf", "save_npy", "save_npz", "save_safetensors",
    "save_weights",
]

__version__ = "0.1.0"


def quantize(array, spec, *, rounding="nearest", seed=0, importance=None,
             act_sq=None, threads=0):
    """Quantizes a C-contiguous float16/32/64 NumPy array to `spec`.

    Returns a QTensor holding the packed storage sections of docs/formats.md.
    float32 input is read in place (no copy); the GIL is released while the
    format library works. `importance` (one weight per element) guides the
    `search` scale statistic, `act_sq` (one per input channel) the ADV
    weights of learned formats. Output never depends on `threads`.
    """
    return _qforge.quantize(array, spec, rounding=rounding, seed=seed,
                            importance=importance, act_sq=act_sq,
                            threads=threads)


def dequantize(qtensor, threads=0):
    """Decodes a QTensor to a float32 array (the bit-exact reference)."""
    if not isinstance(qtensor, QTensor):
        raise TypeError("dequantize expects a qforge.QTensor, got "
                        + type(qtensor).__name__)
    return qtensor.dequantize(threads)


def format_info(spec, shape=None):
    """Canonical spec, code bits and bits per weight (exact for `shape`)."""
    return _qforge.format_info(spec, None if shape is None else list(shape))


def asq(x, s, method="exact", weights=None, grid_bins=1000):
    """Adaptive stochastic quantization: the `s` values minimising the
    expected squared error of unbiased stochastic rounding of `x` (with
    optional per-element `weights`, the ADV objective).

    Methods: exact, exact-smawk, exact-pairwise, exact-lagrange, grid,
    vmix, refine. Returns (values as float64 array, objective).
    """
    return _qforge.asq(x, int(s), method=method, weights=weights,
                       grid_bins=grid_bins)


def kashin(x, bits_u=2, bits_v=2, *, transform="dct", seed=0, joint=False,
           tol=1e-3, max_iterations=200):
    """Kashin representation x = u + P^T v of a vector, both factors
    quantized with 1-D k-means codebooks (or joint 2-D codes). Returns a
    dict with the reconstruction, codes, centroids, iterations and MSE.
    """
    return _qforge.kashin(x, bits_u=bits_u, bits_v=bits_v,
                          transform=transform, seed=seed, joint=joint,
                          tol=tol, max_iterations=max_iterations)


def compile(mlir, pipeline="", *, verify_each=True, weights_dir=None):
    """Parses MLIR (text, or a path to a .mlir file), runs `pipeline` in
    process and returns the printed result.

    `pipeline` is a textual pass pipeline, anchored
    ("builtin.module(qf-from-quant,canonicalize)") or not
    ("qf-import-sensitivity{file=s.json},qf-allocate-bits"). Parse, pipeline
    and pass diagnostics raise qforge.CompileError with their messages.

    Relative paths of `#qf.external` weight references (and of the
    `output-file` of qf-quantize-weights) resolve against `weights_dir`,
    else the directory of the .mlir file when `mlir` is a path, else the
    current directory.
    """
    if not isinstance(mlir, (str, _os.PathLike)):
        raise TypeError("compile expects MLIR text or a path, got "
                        + type(mlir).__name__)
    text, name = str(mlir), "<string>"
    looks_like_path = isinstance(mlir, _os.PathLike) or (
        "\n" not in text and len(text) < 4096 and text.endswith(".mlir"))
    if looks_like_path:
        text = _os.fspath(mlir)
        if not _os.path.isfile(text):
            raise FileNotFoundError(f"no such MLIR file: {text}")
        name = text
        with open(text, encoding="utf-8") as f:
            text = f.read()
    if not isinstance(pipeline, str):
        raise TypeError("pipeline must be a string")
    if weights_dir is None:
        weights_dir = ""
    elif isinstance(weights_dir, (str, _os.PathLike)):
        weights_dir = _os.fspath(weights_dir)
    else:
        raise TypeError("weights_dir must be a str or os.PathLike")
    return _qforge.compile(text, name, pipeline, verify_each, weights_dir)
