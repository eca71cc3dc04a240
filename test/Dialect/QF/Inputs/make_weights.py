# Writes the small weight files of the #qf.external lit tests into a
# directory: safetensors, .npz, .npy and an f32 GGUF, with deterministic
# values. Independent of QForge (its own minimal writers, from the published
# formats), so the tests also check that QForge reads files it did not
# write.
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""usage: make_weights.py DIR"""

import json
import os
import struct
import sys

import numpy as np


def values(shape, seed):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    v = np.sin(0.37 * i + seed) * (1.0 + (i % 7)) / 4.0
    return v.reshape(shape)


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> ndarray (f32/f16/f64/u8)."""
    names = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16",
             np.dtype("<f8"): "F64", np.dtype("u1"): "U8"}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_gguf(path, tensors):
    """A GGUF v3 file of f32 tensors (ggml type 0), no metadata."""
    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 0)
    offset, blobs = 0, []
    for name, a in tensors.items():
        dims = list(reversed(a.shape))  # ggml ne[0] is the row length
        out += string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", 0, offset)
        raw = a.astype("<f4").tobytes()
        raw += b"\0" * (-len(raw) % 32)
        blobs.append(raw)
        offset += len(raw)
    out += b"\0" * (-len(out) % 32)
    with open(path, "wb") as f:
        f.write(out + b"".join(blobs))


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    w = values((4, 64), 0.0).astype("<f4")
    write_safetensors(os.path.join(d, "w.safetensors"), {
        "fc.weight": w,
        "fc.half": values((4, 64), 1.0).astype("<f2"),
        "fc.bias": values((4,), 2.0).astype("<f4"),
        "big": values((8, 256), 3.0).astype("<f4"),
    })
    # A quantized tensor in QForge's section convention whose scales section
    # is too short for its format (int4:g32:f16 on [4, 64] needs 16 bytes).
    write_safetensors(os.path.join(d, "bad.safetensors"), {
        "w.qf.codes": np.zeros(128, "u1"),
        "w.qf.scales": np.zeros(6, "u1"),
    }, {"w.qf_format": "int4:g32:f16", "w.qf_shape": "[4,64]"})
    np.savez(os.path.join(d, "w.npz"), emb=values((2, 32), 4.0).astype("<f4"))
    np.save(os.path.join(d, "b.npy"), values((4,), 5.0).astype("<f4"))
    write_gguf(os.path.join(d, "w.gguf"),
               {"blk.0.w": values((2, 32), 6.0).astype("<f4")})


if __name__ == "__main__":
    main()
