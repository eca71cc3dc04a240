# Prints the tensors (name, stored type, shape, bytes) and the string
# metadata of a .safetensors or GGUF v3 file, sorted, for FileCheck. Reads
# the headers with its own code, from the published specifications, so the
# tests check files QForge writes against the formats rather than against
# QForge's readers.
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""usage: dump_weights.py FILE"""

import json
import struct
import sys

# ggml_type ids (ggml.h) and their block size / bytes per block.
GGML = {0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18),
        8: ("Q8_0", 32, 34), 12: ("Q4_K", 256, 144), 20: ("IQ4_NL", 32, 18),
        24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4),
        27: ("I64", 1, 8), 28: ("F64", 1, 8), 30: ("BF16", 1, 2)}


def dump_safetensors(data):
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    for name in sorted(header):
        t = header[name]
        b, e = t["data_offsets"]
        print(f"tensor {name} {t['dtype']} {t['shape']} {e - b} bytes")
    for k in sorted(meta):
        print(f"meta {k} = {meta[k]}")


def dump_gguf(data):
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    def string():
        nonlocal pos
        n = take("<Q")
        s = data[pos:pos + n].decode()
        pos += n
        return s

    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
              7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(scalar[t])

    assert data[:4] == b"GGUF", "bad magic"
    pos = 4
    version, nt, nkv = take("<I"), take("<Q"), take("<Q")
    print(f"gguf version {version}")
    meta = {}
    for _ in range(nkv):
        k = string()
        meta[k] = value(take("<I"))
    infos = []
    for _ in range(nt):
        name = string()
        dims = [take("<Q") for _ in range(take("<I"))]
        ty, off = take("<I"), take("<Q")
        infos.append((name, ty, dims, off))
    for name, ty, dims, off in sorted(infos):
        tname, block, size = GGML[ty]
        n = 1
        for d in dims:
            n *= d
        assert dims[0] % block == 0, f"{name}: row not whole blocks"
        assert off % 32 == 0, f"{name}: offset {off} not aligned"
        shape = list(reversed(dims))  # ne[0] is the row length
        print(f"tensor {name} {tname} {shape} {n // block * size} bytes")
    for k in sorted(meta):
        print(f"meta {k} = {meta[k]}")


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if sys.argv[1].endswith(".gguf"):
        dump_gguf(data)
    else:
        dump_safetensors(data)


if __name__ == "__main__":
    main()
