#!/usr/bin/env python3
# Generates the binary seed corpora of the fuzz targets (issue 9): valid and
# near-valid safetensors, GGUF, .npy, .npz images and qf.constant blobs.
# Pure standard library (struct, zipfile), deterministic (fixed seeds).
#   /usr/bin/python3 fuzz/make_seeds.py        # rewrites fuzz/corpus/*/gen-*
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

import io
import json
import os
import random
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "gen-" + name), "wb") as f:
        f.write(data)


def f32(values):
    return struct.pack("<%df" % len(values), *values)


# --- safetensors ---------------------------------------------------------
def safetensors(tensors, metadata=None, header_extra=b"", lie_len=None):
    header, data = {}, b""
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode() + header_extra
    h += b" " * ((8 - len(h) % 8) % 8)
    n = len(h) if lie_len is None else lie_len
    return struct.pack("<Q", n) + h + data


def gen_safetensors():
    w = f32([0.5 * i - 3 for i in range(12)])
    write("safetensors", "valid-f32", safetensors(
        [("w", "F32", [3, 4], w)], {"format": "pt"}))
    write("safetensors", "valid-multi", safetensors(
        [("a", "F16", [2, 2], b"\x00\x3c" * 4), ("b", "BF16", [4], b"\x80\x3f" * 4),
         ("c", "I8", [3], b"\x01\xff\x7f"), ("d", "U8", [0], b"")]))
    write("safetensors", "scalar", safetensors([("s", "F64", [], struct.pack("<d", 1.5))]))
    write("safetensors", "short-data", safetensors([("w", "F32", [3, 4], w[:20])]))
    write("safetensors", "header-too-long", safetensors(
        [("w", "F32", [3, 4], w)], lie_len=1 << 40))
    write("safetensors", "huge-shape", safetensors(
        [("w", "F32", [1 << 31, 1 << 31], w)]))
    bad = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
                      "v": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    write("safetensors", "overlap", struct.pack("<Q", len(bad)) + bad + b"\0" * 12)


# --- GGUF ----------------------------------------------------------------
def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(tensors, kvs, align=32, version=3, count_lie=None):
    out = b"GGUF" + struct.pack("<I", version)
    n = len(tensors) if count_lie is None else count_lie
    out += struct.pack("<QQ", n, len(kvs))
    for key, typ, payload in kvs:
        out += gstr(key) + struct.pack("<I", typ) + payload
    data = b""
    for name, ne, gtype, payload in tensors:
        pad = (-len(data)) % align
        data += b"\0" * pad
        out += gstr(name) + struct.pack("<I", len(ne))
        out += b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", gtype, len(data))
        data += payload
    out += b"\0" * ((-len(out)) % align)
    return out + data


def gen_gguf():
    w = f32([0.25 * i for i in range(32)])
    q40 = struct.pack("<e", 0.5) + bytes(range(16))
    q80 = struct.pack("<e", 0.1) + bytes((i * 7) & 0xFF for i in range(32))
    kvs = [("general.architecture", 8, gstr("llama")),
           ("general.alignment", 4, struct.pack("<I", 32)),
           ("x.arr", 9, struct.pack("<IQ", 5, 3) + struct.pack("<3i", 1, -2, 3)),
           ("x.f", 6, struct.pack("<f", 1.0)), ("x.b", 7, b"\x01")]
    write("gguf", "valid", gguf([("w", [32], 0, w), ("q", [32, 1], 2, q40),
                                 ("r", [32], 8, q80)], kvs))
    write("gguf", "f16-2d", gguf([("h", [4, 2], 1, b"\x00\x3c" * 8)], kvs[:1]))
    write("gguf", "count-lie", gguf([("w", [32], 0, w)], kvs, count_lie=1 << 50))
    write("gguf", "v2", gguf([("w", [32], 0, w)], kvs, version=2))
    write("gguf", "truncated", gguf([("w", [32], 0, w)], kvs)[:-40])
    write("gguf", "huge-dims", gguf([("w", [1 << 40, 1 << 30], 0, w)], kvs[:1]))
    write("gguf", "string-len-lie",
          b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 62) + b"key")


# --- npy / npz -----------------------------------------------------------
def npy(descr, shape, payload, fortran=False, version=1):
    shp = "(" + "".join("%d, " % d for d in shape).rstrip(" ")
    if len(shape) > 1:
        shp = shp.rstrip(",")
    shp += ")"
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shp)
    lenbytes = 2 if version == 1 else 4
    total = 6 + 2 + lenbytes + len(hdr) + 1
    hdr += " " * ((-total) % 64) + "\n"
    fmt = "<H" if version == 1 else "<I"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(hdr)) + hdr.encode() + payload


def gen_npy():
    w = f32([1.0, -2.0, 3.5, 0.0, 1e-3, 7.0])
    write("npy", "valid-f32", npy("<f4", [2, 3], w))
    write("npy", "valid-1d-f16", npy("<f2", [4], b"\x00\x3c" * 4))
    write("npy", "valid-v2-i8", npy("|i1", [3], b"\x01\x02\x03", version=2))
    write("npy", "scalar", npy("<f8", [], struct.pack("<d", 2.0)))
    write("npy", "fortran", npy("<f4", [3, 2], w, fortran=True))
    write("npy", "short", npy("<f4", [4, 4], w))
    write("npy", "big-endian", npy(">f4", [6], w))
    write("npy", "huge-shape", npy("<f4", [1 << 40, 1 << 40], w))

    def npz(members):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            for name, data in members:
                info = zipfile.ZipInfo(name + ".npy", date_time=(2020, 1, 1, 0, 0, 0))
                z.writestr(info, data)
        return buf.getvalue()

    write("npz", "valid", npz([("w", npy("<f4", [2, 3], w)),
                               ("b", npy("<f2", [4], b"\x00\x3c" * 4))]))
    write("npz", "empty-archive", npz([]))
    write("npz", "bad-member", npz([("x", npy("<f4", [4, 4], w))]))
    z = bytearray(npz([("w", npy("<f4", [2, 3], w))]))
    write("npz", "truncated", bytes(z[:len(z) // 2]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zz:
        zz.writestr(zipfile.ZipInfo("w.npy", date_time=(2020, 1, 1, 0, 0, 0)),
                    npy("<f4", [2, 3], w), compress_type=zipfile.ZIP_DEFLATED)
    write("npz", "deflated", buf.getvalue())


# --- qf.constant blobs ---------------------------------------------------
def gen_blobs():
    rng = random.Random(9)
    # byte 0: format index, byte 1: shape index, byte 2: size mode.
    for spec in range(33):
        for shape in (1, 3):
            body = bytes(rng.randrange(256) for _ in range(1200))
            # Scales near 1.0 in every scale type make most blobs decodable.
            body = bytes(b & 0x3F for b in body)
            write("constant-blob", "f%02d-s%d" % (spec, shape),
                  bytes([spec, shape, 0]) + body)
    write("constant-blob", "wrong-sizes", bytes([1, 0, 0x3F]) + b"\x10\x00" * 6 + b"\x01" * 64)
    write("constant-blob", "empty-shape", bytes([0, 7, 0]))


# --- small modules for qf-quantize-pipeline --------------------------------
def gen_modules():
    rng = random.Random(4)

    def dense(rows, cols):
        return "[" + ", ".join(
            "[" + ", ".join("%.3f" % rng.gauss(0, 0.1) for _ in range(cols)) + "]"
            for _ in range(rows)) + "]"

    mod = """func.func @mlp(%%x: tensor<2x64xf32>) -> tensor<2x4xf32> {
  %%w = arith.constant dense<%s> : tensor<64x4xf32> loc("fc.weight")
  %%v = arith.constant dense<%s> : tensor<4x64xf32> loc("proj.weight")
  %%z = arith.constant 0.0 : f32
  %%e = tensor.empty() : tensor<2x4xf32>
  %%i = linalg.fill ins(%%z : f32) outs(%%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %%y = linalg.matmul ins(%%x, %%w : tensor<2x64xf32>, tensor<64x4xf32>) outs(%%i : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %%y : tensor<2x4xf32>
}
""" % (dense(64, 4), dense(4, 64))
    write("quant-opt-pipeline", "mlp64.mlir", mod.encode())


if __name__ == "__main__":
    gen_modules()
    gen_safetensors()
    gen_gguf()
    gen_npy()
    gen_blobs()
