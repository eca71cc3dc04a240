# Weight files: safetensors, GGUF, .npy and .npz through QForge's C++
# readers and writers (memory-mapped reads, validated headers).
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Read and write weight files.

Loaded arrays are read-only views of the memory-mapped file (no copy)
except bfloat16, which NumPy lacks: it is widened to float32 (exactly), or
returned as raw uint16 bits with ``raw_bf16=True``.

Quantized tensors (the convention of include/qforge/IO/Weights.h, shared
with the C++ writer that ``qf-quantize-weights output-file=`` uses):
 * safetensors stores any QTensor as one U8 tensor per non-empty section,
   ``NAME.qf.codes``, ``NAME.qf.scales``, ..., with ``NAME.qf_format`` and
   ``NAME.qf_shape`` in ``__metadata__``; reading reassembles the QTensor.
 * GGUF stores QTensors of the GGUF layouts (q4_0, q8_0, iq4_nl, q4_k) as
   the matching ggml block types (the blocks byte for byte), and any other
   format in the same section convention: 1-D I8 tensors ``NAME.qf.<sec>``
   (GGUF has no U8 type) and string key-value pairs ``NAME.qf_format`` and
   ``NAME.qf_shape``; reading gives the QTensor back in both cases.
"""

import json
import os

import numpy as np

from . import _qforge
from ._qforge import QForgeError, QTensor

# NumPy dtype.str -> QForgeIO dtype name.
_NP_TO_IO = {
    "<f8": "f64", "<f4": "f32", "<f2": "f16", "<i8": "i64", "<i4": "i32",
    "<i2": "i16", "|i1": "i8", "<u8": "u64", "<u4": "u32", "<u2": "u16",
    "|u1": "u8", "|b1": "bool",
}
_IO_TO_NP = {v: np.dtype(k) for k, v in _NP_TO_IO.items()}
# Stored bytes without a NumPy type: exposed as raw unsigned integers.
_IO_TO_NP.update({"f8e4m3": np.dtype("u1"), "f8e5m2": np.dtype("u1")})
_GGUF_LAYOUTS = ("q4_0", "q8_0", "iq4_nl", "q4_k")
_SECTIONS = ("codes", "scales", "zero_points", "codebooks", "super_scales",
             "outliers")


def _raw(name, array):
    """(name, dtype, shape, buffer) of a NumPy array for the writers."""
    if isinstance(array, QTensor):
        raise TypeError(f"tensor '{name}': unexpected QTensor")
    if not isinstance(array, np.ndarray):
        raise TypeError(f"tensor '{name}': expected numpy.ndarray, got "
                        + type(array).__name__)
    dt = _NP_TO_IO.get(array.dtype.str)
    if dt is None:
        raise TypeError(f"tensor '{name}': dtype {array.dtype} cannot be "
                        "stored (little-endian numeric types only)")
    if not array.flags.c_contiguous:
        raise ValueError(f"tensor '{name}' is not C-contiguous; pass "
                         "numpy.ascontiguousarray(x)")
    return (name, dt, list(array.shape), array.reshape(-1).view(np.uint8))


def _array(dtype, shape, view, raw_bf16):
    if dtype == "bf16":
        bits = view.view("<u2").reshape(shape)
        if raw_bf16:
            return bits
        return (bits.astype(np.uint32) << 16).view(np.float32)
    return view.view(_IO_TO_NP[dtype]).reshape(shape)


def _shape_json(q):
    """The NAME.qf_shape value, spelled as the C++ writer spells it."""
    return json.dumps(list(q.shape), separators=(",", ":"))


def _check_names(tensors):
    if not isinstance(tensors, dict):
        raise TypeError("tensors must be a dict of name -> array")
    for k in tensors:
        if not isinstance(k, str):
            raise TypeError("tensor names must be strings")


def _path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError("path must be a str or os.PathLike")
    return os.fspath(path)


def _assemble(path, plain, meta, section_dtypes):
    """QTensors of the section convention: returns (quantized, used), the
    dict name -> QTensor and the set of tensor/metadata names consumed."""
    out, used = {}, set()
    for key, spec in meta.items():
        if not key.endswith(".qf_format"):
            continue
        base = key[:-len(".qf_format")]
        shape_key = base + ".qf_shape"
        if shape_key not in meta:
            raise QForgeError(f"{path}: '{key}' without '{shape_key}'")
        if not isinstance(spec, str) or not isinstance(meta[shape_key], str):
            raise QForgeError(f"{path}: '{key}' and '{shape_key}' must be "
                              "strings")
        try:
            shape = [int(d) for d in json.loads(meta[shape_key])]
        except (ValueError, TypeError) as e:
            raise QForgeError(f"{path}: bad {shape_key}: {e}") from None
        sections = {}
        for sec in _SECTIONS:
            entry = plain.get(f"{base}.qf.{sec}")
            if entry is not None:
                if entry[0] not in section_dtypes:
                    raise QForgeError(
                        f"{path}: section {base}.qf.{sec} must be "
                        + " or ".join(d.upper() for d in section_dtypes))
                sections[sec] = entry[2]
                used.add(f"{base}.qf.{sec}")
        out[base] = QTensor.from_sections(spec, shape, sections)
        used.update((key, shape_key))
    return out, used


def load_safetensors(path, *, raw_bf16=False):
    """Returns (tensors, metadata): dict name -> ndarray or QTensor, and the
    string metadata (without QForge's qf_format/qf_shape entries)."""
    raw, meta = _qforge.read_safetensors(_path(path))
    plain = {}
    for name, dtype, shape, view in raw:
        plain[name] = (dtype, shape, view)
    out, used = _assemble(path, plain, meta, ("u8",))
    for name, (dtype, shape, view) in plain.items():
        if name not in used:
            out[name] = _array(dtype, shape, view, raw_bf16)
    return out, {k: v for k, v in meta.items() if k not in used}


def save_safetensors(path, tensors, metadata=None):
    """Writes dict name -> ndarray or QTensor (sections as U8 tensors) with
    optional string metadata. Tensors are written in dict order."""
    _check_names(tensors)
    meta = dict(metadata or {})
    for k, v in meta.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError("safetensors metadata must map str to str")
    raw = []
    for name, t in tensors.items():
        if isinstance(t, QTensor):
            meta[name + ".qf_format"] = t.format
            meta[name + ".qf_shape"] = _shape_json(t)
            for sec, view in t.sections.items():
                if view.size:
                    raw.append((f"{name}.qf.{sec}", "u8", [view.size], view))
        else:
            raw.append(_raw(name, t))
    _qforge.write_safetensors(_path(path), raw, meta)


def _gguf_value(key, v):
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str):
        return (key, v[0], v[1])
    if isinstance(v, bool):
        return (key, "bool", v)
    if isinstance(v, int):
        if 0 <= v < 2**32:
            return (key, "u32", v)
        return (key, "i64" if v < 0 else "u64", v)
    if isinstance(v, float):
        return (key, "f32", v)
    if isinstance(v, str):
        return (key, "str", v)
    if isinstance(v, (list, tuple)):
        if not v:
            return (key, "array:u32", [])
        elem = _gguf_value(key, v[0])[1]
        return (key, "array:" + elem, list(v))
    raise TypeError(f"GGUF metadata '{key}': unsupported value type "
                    + type(v).__name__)


def load_gguf(path, *, raw_bf16=False):
    """Returns (tensors, metadata): dict name -> ndarray (F32/F16/BF16/...)
    or QTensor (ggml Q4_0, Q8_0, IQ4_NL, Q4_K blocks, and other formats
    stored in the section convention), and dict key -> value (without
    QForge's qf_format/qf_shape entries)."""
    raw, meta_list, _ = _qforge.read_gguf(_path(path))
    meta = {k: v for k, _, v in meta_list}
    plain = {name: (dtype, shape, view) for name, dtype, shape, view in raw}
    out, used = _assemble(path, plain, meta, ("i8", "u8"))
    for name, (dtype, shape, view) in plain.items():
        if name in used:
            continue
        if dtype in _GGUF_LAYOUTS:
            out[name] = QTensor.from_sections(dtype, shape, {"codes": view})
        else:
            out[name] = _array(dtype, shape, view, raw_bf16)
    return out, {k: v for k, v in meta.items() if k not in used}


def save_gguf(path, tensors, metadata=None):
    """Writes a GGUF v3 file: ndarrays (f32, f16, f64, i8..i64) and QTensors:
    the q4_0/q8_0/iq4_nl/q4_k layouts as ggml block tensors, other formats
    in QForge's section convention (I8 section tensors, string KV pairs).
    Metadata values: bool, int (u32, or i64/u64 when out of range), float
    (f32), str, lists, or an explicit (type, value) pair with type in
    u8..u64, i8..i64, f32, f64, bool, str."""
    _check_names(tensors)
    raw, md = [], []
    for name, t in tensors.items():
        if isinstance(t, QTensor):
            fmt = t.format
            if fmt in _GGUF_LAYOUTS:
                raw.append((name, fmt, list(t.shape), t.codes))
                continue
            md.append((name + ".qf_format", "str", fmt))
            md.append((name + ".qf_shape", "str", _shape_json(t)))
            for sec, view in t.sections.items():
                if view.size:
                    raw.append((f"{name}.qf.{sec}", "i8", [view.size], view))
        else:
            entry = _raw(name, t)
            if entry[1] not in ("f32", "f16", "f64", "i8", "i16", "i32",
                                "i64"):
                raise TypeError(f"tensor '{name}': dtype {t.dtype} has no "
                                "GGUF type")
            raw.append(entry)
    md += [_gguf_value(k, v) for k, v in (metadata or {}).items()]
    _qforge.write_gguf(_path(path), raw, md)


def load_npy(path):
    """Reads a .npy file (read-only view of the mapping)."""
    ((_, dtype, shape, view),) = _qforge.read_npy(_path(path))
    return _array(dtype, shape, view, False)


def save_npy(path, array):
    _qforge.write_npy(_path(path), [_raw("", array)])


def load_npz(path):
    """Reads an uncompressed .npz (numpy.savez) as dict name -> ndarray."""
    return {name: _array(dtype, shape, view, False)
            for name, dtype, shape, view in _qforge.read_npz(_path(path))}


def save_npz(path, tensors):
    """Writes an uncompressed .npz readable by numpy.load."""
    _check_names(tensors)
    _qforge.write_npz(_path(path), [_raw(k, v) for k, v in tensors.items()])


def load_weights(path):
    """Loads any supported file by extension: returns dict name -> tensor."""
    path = _path(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".safetensors":
        return load_safetensors(path)[0]
    if ext == ".gguf":
        return load_gguf(path)[0]
    if ext == ".npz":
        return load_npz(path)
    if ext == ".npy":
        return {os.path.splitext(os.path.basename(path))[0]: load_npy(path)}
    raise QForgeError(f"{path}: unknown weight file extension '{ext}' "
                      "(.safetensors, .gguf, .npz, .npy)")


def save_weights(path, tensors, metadata=None):
    """Saves by extension (.safetensors, .gguf, .npz)."""
    path = _path(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".safetensors":
        return save_safetensors(path, tensors, metadata)
    if ext == ".gguf":
        return save_gguf(path, tensors, metadata)
    if ext == ".npz":
        if any(isinstance(t, QTensor) for t in tensors.values()):
            raise QForgeError(".npz cannot hold QTensors; use .safetensors "
                              "or .gguf")
        return save_npz(path, tensors)
    raise QForgeError(f"{path}: unknown weight file extension '{ext}' "
                      "(.safetensors, .gguf, .npz)")
