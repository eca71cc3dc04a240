# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Weight files: safetensors, GGUF, npy/npz round trips and bad files."""

import io
import json
import struct

import numpy as np
import pytest

import qforge


def test_safetensors_round_trip(tmp_path, rng):
    t = {
        "a.weight": rng.standard_normal((3, 5)).astype(np.float32),
        "b": rng.standard_normal(7).astype(np.float16),
        "c": np.arange(6, dtype=np.int64).reshape(2, 3),
        "d": np.array([True, False]),
        "e": np.zeros((0, 4), np.float64),
    }
    p = tmp_path / "m.safetensors"
    qforge.save_safetensors(p, t, {"format": "pt"})
    back, meta = qforge.load_safetensors(p)
    assert list(back) == list(t) and meta == {"format": "pt"}
    for k, v in t.items():
        assert back[k].dtype == v.dtype and np.array_equal(back[k], v)
        assert not back[k].flags.writeable  # a view of the mapping
    # The file is what the specification describes.
    raw = p.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "pt"}
    assert header["a.weight"] == {"dtype": "F32", "shape": [3, 5],
                                  "data_offsets": [0, 60]}
    assert n % 8 == 0
    assert raw[8 + n:8 + n + 60] == t["a.weight"].tobytes()


def test_safetensors_bf16_and_qtensors(tmp_path, rng):
    bits = np.array([0x3f80, 0xc000, 0x0000], np.uint16)  # 1, -2, 0
    raw = json.dumps({"x": {"dtype": "BF16", "shape": [3],
                            "data_offsets": [0, 6]}}).encode()
    raw += b" " * (-len(raw) % 8)
    p = tmp_path / "bf16.safetensors"
    p.write_bytes(struct.pack("<Q", len(raw)) + raw + bits.tobytes())
    t, _ = qforge.load_safetensors(p)
    assert t["x"].dtype == np.float32
    assert list(t["x"]) == [1.0, -2.0, 0.0]
    t, _ = qforge.load_safetensors(p, raw_bf16=True)
    assert np.array_equal(t["x"], bits)
    w = rng.standard_normal((4, 64)).astype(np.float32)
    q = qforge.quantize(w, "int4:g32:f16:outliers=2^-6")
    p2 = tmp_path / "q.safetensors"
    qforge.save_safetensors(p2, {"w": q, "bias": w[0]})
    back, meta = qforge.load_safetensors(p2)
    assert meta == {}
    assert back["w"].format == q.format and back["w"].shape == q.shape
    for k, v in q.sections.items():
        assert bytes(back["w"].sections[k]) == bytes(v)
    assert np.array_equal(back["bias"], w[0])


def test_gguf_round_trip_bit_identical_blocks(tmp_path, rng):
    # f32 safetensors -> quantize -> GGUF -> read back.
    w = rng.standard_normal((8, 512)).astype(np.float32)
    st = tmp_path / "w.safetensors"
    qforge.save_safetensors(st, {"w": w})
    src, _ = qforge.load_safetensors(st)
    out = {f"w.{s}": qforge.quantize(src["w"], s)
           for s in ("q4_0", "q8_0", "iq4_nl", "q4_k")}
    out["norm"] = w[0].copy()
    out["h"] = w[:2, :8].astype(np.float16)
    g = tmp_path / "w.gguf"
    qforge.save_gguf(g, out, {"general.architecture": "qforge",
                              "general.alignment": 64,
                              "qf.list": [1, 2, 3], "qf.f": 0.5,
                              "qf.b": True, "qf.neg": -3,
                              "qf.u64": ("u64", 2**40)})
    back, meta = qforge.load_gguf(g)
    assert meta["general.architecture"] == "qforge"
    assert meta["general.alignment"] == 64 and meta["qf.list"] == [1, 2, 3]
    assert meta["qf.f"] == 0.5 and meta["qf.b"] is True
    assert meta["qf.neg"] == -3 and meta["qf.u64"] == 2**40
    for name, q in out.items():
        if isinstance(q, qforge.QTensor):
            assert back[name].format == q.format
            assert bytes(back[name].codes) == bytes(q.codes)
            assert np.array_equal(back[name].dequantize(), q.dequantize())
        else:
            assert np.array_equal(back[name], q)
    # GGUF header fields as ggml's docs/gguf.md define them.
    raw = g.read_bytes()
    magic, version, n_tensors, n_kv = struct.unpack("<4sIQQ", raw[:24])
    assert (magic, version, n_tensors, n_kv) == (b"GGUF", 3, 6, 7)


def test_gguf_formats_without_ggml_type_use_section_convention(tmp_path,
                                                               rng):
    # Formats with no ggml type: I8 section tensors + string KV pairs, the
    # convention the C++ QuantizedWeightWriter writes; read back as QTensors.
    w = rng.standard_normal((2, 64)).astype(np.float32)
    q = qforge.quantize(w, "int4:g32:f16:outliers=2^-6")
    g = tmp_path / "x.gguf"
    qforge.save_gguf(g, {"w": q, "b": qforge.quantize(w, "q8_0"),
                         "f": w[0].copy()}, {"general.name": "t"})
    raw, meta, _ = qforge._qforge.read_gguf(str(g))
    kinds = {name: (dtype, shape) for name, dtype, shape, _ in raw}
    assert kinds["b"] == ("q8_0", [2, 64])
    assert kinds["w.qf.codes"] == ("i8", [64])
    assert "w" not in kinds
    kv = {k: (t, v) for k, t, v in meta}
    assert kv["w.qf_format"] == ("str", q.format)
    assert kv["w.qf_shape"] == ("str", "[2,64]")
    back, md = qforge.load_gguf(g)
    assert md == {"general.name": "t"}
    assert set(back) == {"w", "b", "f"}
    assert back["w"].format == q.format and back["w"].shape == q.shape
    for k, v in q.sections.items():
        assert bytes(back["w"].sections[k]) == bytes(v)
    assert np.array_equal(back["w"].dequantize(), q.dequantize())


def test_gguf_rejects_bad_input(tmp_path, rng):
    with pytest.raises(TypeError, match="no GGUF type"):
        qforge.save_gguf(tmp_path / "x.gguf", {"w": np.zeros(4, np.uint32)})
    with pytest.raises(TypeError, match="unsupported value type"):
        qforge.save_gguf(tmp_path / "x.gguf", {}, {"k": object()})
    with pytest.raises(qforge.QForgeError, match="power of two"):
        qforge.save_gguf(tmp_path / "x.gguf", {}, {"general.alignment": 24})


def test_npy_matches_numpy_byte_for_byte(tmp_path, rng):
    for a in (rng.standard_normal((3, 4)).astype(np.float32),
              np.arange(5, dtype=np.int8), np.array(3.5),
              rng.standard_normal(2).astype(np.float16),
              np.arange(4, dtype=np.uint8).reshape(2, 2)):
        p = tmp_path / "a.npy"
        qforge.save_npy(p, a)
        buf = io.BytesIO()
        np.save(buf, a)
        assert p.read_bytes() == buf.getvalue()
        back = qforge.load_npy(p)
        assert back.dtype == a.dtype and np.array_equal(back, a)


def test_npz_interoperates_with_numpy(tmp_path, rng):
    a = {"w": rng.standard_normal((3, 4)).astype(np.float32),
         "b": np.arange(3, dtype=np.int32)}
    p = tmp_path / "ours.npz"
    qforge.save_npz(p, a)
    with np.load(p) as z:
        assert sorted(z.files) == ["b", "w"]
        assert np.array_equal(z["w"], a["w"])
    p2 = tmp_path / "numpy.npz"
    np.savez(p2, **a)
    back = qforge.load_npz(p2)
    assert np.array_equal(back["w"], a["w"]) and back["b"].dtype == np.int32
    p3 = tmp_path / "compressed.npz"
    np.savez_compressed(p3, **a)
    with pytest.raises(qforge.QForgeError,
                       match="compressed npz not supported"):
        qforge.load_npz(p3)
    # load_weights dispatches on the extension.
    assert set(qforge.load_weights(p2)) == {"w", "b"}


def test_corrupt_and_bad_files(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", 1 << 20) + b"{}")
    with pytest.raises(qforge.QForgeError, match="exceeds the file size"):
        qforge.load_safetensors(bad)
    hdr = json.dumps({"x": {"dtype": "F32", "shape": [4],
                            "data_offsets": [0, 16]}}).encode()
    bad.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 8)
    with pytest.raises(qforge.QForgeError, match="outside"):
        qforge.load_safetensors(bad)
    g = tmp_path / "bad.gguf"
    g.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 0))
    with pytest.raises(qforge.QForgeError, match="tensor count"):
        qforge.load_gguf(g)
    g.write_bytes(b"GGML" + b"\0" * 20)
    with pytest.raises(qforge.QForgeError, match="bad magic"):
        qforge.load_gguf(g)
    n = tmp_path / "bad.npy"
    n.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", 500) + b"{")
    with pytest.raises(qforge.QForgeError, match="exceeds the file size"):
        qforge.load_npy(n)
    buf = io.BytesIO()
    np.save(buf, np.ones(3, ">f4"))
    n.write_bytes(buf.getvalue())
    with pytest.raises(qforge.QForgeError, match="big-endian"):
        qforge.load_npy(n)
    with pytest.raises(qforge.QForgeError, match="cannot open"):
        qforge.load_safetensors(tmp_path / "missing.safetensors")
    with pytest.raises(qforge.QForgeError, match="unknown weight file"):
        qforge.load_weights(tmp_path / "x.bin")
    with pytest.raises(TypeError, match="cannot be stored"):
        qforge.save_safetensors(tmp_path / "x.safetensors",
                                {"c": np.zeros(2, np.complex64)})
    with pytest.raises(ValueError, match="C-contiguous"):
        qforge.save_safetensors(tmp_path / "x.safetensors",
                                {"c": np.zeros((4, 4), np.float32)[:, ::2]})
    with pytest.raises(TypeError, match="str to str"):
        qforge.save_safetensors(tmp_path / "x.safetensors", {}, {"a": 1})
    with pytest.raises(qforge.QForgeError, match="cannot hold QTensors"):
        qforge.save_weights(tmp_path / "x.npz", {
            "q": qforge.quantize(np.ones((1, 32), np.float32), "q8_0")})
