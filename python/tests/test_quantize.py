# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""qforge.quantize / QTensor: every format, round trips, bad input."""

import numpy as np
import pytest

import qforge

# One spec per family of the format grammar (docs/formats.md).
SPECS = [
    "int8:ch", "int4:g32:f16", "uint4:g64:f16:zp", "sint3:g64",
    "int2:g64:bf16",
    "e2m1:g32:e8m0", "mxfp4", "mxfp6", "mxfp8", "nvfp4",
    "e4m3:ch", "e5m2:tensor", "nf4:g64", "crd-normal:4:g64",
    "crd-laplace:3:g64", "crd-t5:4:g64:bf16", "lut2[-1,-0.25,0.25,1]:g32",
    "int4:g64:f16:outliers=2^-8", "q4_0", "q8_0", "iq4_nl", "q4_k",
    "asq:16:row", "kashin:2+2:dct",
]


def weights(rng, shape=(8, 256)):
    return (rng.standard_t(5.0, size=shape) * 0.05).astype(np.float32)


@pytest.mark.parametrize("spec", SPECS)
def test_every_format_round_trips_bit_exactly(rng, spec):
    w = weights(rng)
    q = qforge.quantize(w, spec)
    assert q.shape == w.shape
    assert qforge.format_info(q.format)["spec"] == q.format
    y = q.dequantize()
    assert y.dtype == np.float32 and y.shape == w.shape
    assert np.all(np.isfinite(y))
    # Same bytes, same decode: through from_sections and through the
    # thread count.
    again = qforge.QTensor.from_sections(q.format, q.shape, {
        k: bytes(v) for k, v in q.sections.items()})
    assert np.array_equal(again.dequantize().view(np.uint32),
                          y.view(np.uint32))
    assert np.array_equal(q.dequantize(threads=1).view(np.uint32),
                          y.view(np.uint32))
    # Deterministic encoder.
    q2 = qforge.quantize(w, spec, threads=1)
    for k, v in q.sections.items():
        assert bytes(v) == bytes(q2.sections[k]), k
    assert q.nbytes == sum(v.size for v in q.sections.values())
    assert abs(q.bits_per_weight - 8.0 * q.nbytes / w.size) < 1e-12
    mse = q.mse(w)
    assert mse == pytest.approx(float(np.mean((w.astype(np.float64) - y)**2)),
                                rel=1e-9)
    assert mse < float(np.mean(w.astype(np.float64)**2))


def f16(b):
    return np.frombuffer(b, dtype="<f2").astype(np.float32)


def test_q4_0_matches_ggml_definition(rng):
    w = weights(rng, (4, 64))
    q = qforge.quantize(w, "q4_0")
    blocks = np.frombuffer(bytes(q.codes), np.uint8).reshape(-1, 18)
    d = f16(blocks[:, :2].tobytes())
    qs = blocks[:, 2:]
    codes = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int32)
    ref = ((codes - 8) * d[:, None]).astype(np.float32).reshape(w.shape)
    assert np.array_equal(ref, q.dequantize())


def test_q8_0_and_iq4_nl_match_ggml_definition(rng):
    w = weights(rng, (2, 64))
    q = qforge.quantize(w, "q8_0")
    b = np.frombuffer(bytes(q.codes), np.uint8).reshape(-1, 34)
    ref = f16(b[:, :2].tobytes())[:, None] * b[:, 2:].view(np.int8)
    assert np.array_equal(ref.astype(np.float32).reshape(w.shape),
                          q.dequantize())
    kvalues = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25,
                        38, 53, 69, 89, 113], np.float32)
    q = qforge.quantize(w, "iq4_nl")
    b = np.frombuffer(bytes(q.codes), np.uint8).reshape(-1, 18)
    idx = np.concatenate([b[:, 2:] & 15, b[:, 2:] >> 4], axis=1)
    ref = f16(b[:, :2].tobytes())[:, None] * kvalues[idx]
    assert np.array_equal(ref.reshape(w.shape), q.dequantize())


def test_plain_int_layout_matches_storage_spec(rng):
    # int4:g32:f16: LSB-first 4-bit two's complement codes, f16 scales.
    w = weights(rng, (3, 64))
    q = qforge.quantize(w, "int4:g32:f16")
    bits = np.unpackbits(np.frombuffer(bytes(q.codes), np.uint8),
                         bitorder="little").reshape(-1, 4)
    codes = (bits * (1 << np.arange(4))).sum(1)
    codes = np.where(codes >= 8, codes - 16, codes)
    scales = f16(bytes(q.scales))
    ref = (scales.repeat(32) * codes).astype(np.float32).reshape(w.shape)
    assert np.array_equal(ref, q.dequantize())


def test_mxfp4_matches_ocp_definition(rng):
    w = weights(rng, (2, 64))
    q = qforge.quantize(w, "mxfp4")
    e2m1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2,
                     -3, -4, -6], np.float32)
    c = np.frombuffer(bytes(q.codes), np.uint8)
    codes = np.stack([c & 15, c >> 4], axis=1).reshape(-1)
    scale = np.ldexp(np.float32(1), np.frombuffer(bytes(q.scales),
                                                  np.uint8).astype(int) - 127)
    ref = (scale.repeat(32).astype(np.float32) * e2m1[codes]).reshape(w.shape)
    assert np.array_equal(ref, q.dequantize())


def test_float_dtypes_and_no_copy(rng):
    w = weights(rng, (4, 64))
    ref = qforge.quantize(w, "int4:g32:f16")
    for dt in (np.float16, np.float64):
        x = w.astype(dt)
        q = qforge.quantize(x, "int4:g32:f16")
        exp = qforge.quantize(x.astype(np.float32), "int4:g32:f16")
        assert bytes(q.codes) == bytes(exp.codes)
    # Section arrays are read-only views owned by the QTensor.
    codes = ref.codes
    assert codes.base is not None and not codes.flags.writeable
    with pytest.raises(ValueError):
        codes[0] = 1
    del ref
    assert codes.sum() >= 0  # the view keeps its QTensor alive
    # Functional spellings.
    q = qforge.quantize(w, "q8_0")
    assert np.array_equal(qforge.dequantize(q), q.dequantize())
    assert "q8_0" in repr(q) and "(4, 64)" in repr(q)


def test_bits_per_weight(rng):
    q = qforge.quantize(weights(rng, (64, 256)), "nf4:g64")
    assert q.bits_per_weight == pytest.approx(4.5)
    assert qforge.format_info("q4_0")["bits_per_weight"] == pytest.approx(4.5)
    info = qforge.format_info("int4:g64:f16", (2, 128))
    assert info["storage_bytes"] == 2 * 128 // 2 + 4 * 2


def test_bad_input_raises_clear_errors(rng):
    w = weights(rng, (4, 64))
    with pytest.raises(qforge.QForgeError, match="invalid format spec"):
        qforge.quantize(w, "int99")
    with pytest.raises(qforge.QForgeError, match="invalid format spec"):
        qforge.quantize(w, "")
    with pytest.raises(ValueError):  # QForgeError is a ValueError
        qforge.quantize(w, "nope:g3")
    with pytest.raises(qforge.QForgeError, match="cannot encode"):
        qforge.quantize(weights(rng, (4, 48)), "int4:g32:f16")
    with pytest.raises(qforge.QForgeError, match="cannot encode"):
        qforge.quantize(weights(rng, (4, 48)), "q4_0")
    with pytest.raises(TypeError, match="floating-point dtype"):
        qforge.quantize(np.ones((4, 64), np.int32), "q8_0")
    with pytest.raises(TypeError, match="floating-point dtype"):
        qforge.quantize(np.ones((4, 64), np.complex64), "q8_0")
    with pytest.raises(TypeError, match="numpy.ndarray"):
        qforge.quantize([[1.0] * 32], "q8_0")
    with pytest.raises(ValueError, match="C-contiguous"):
        qforge.quantize(np.ones((64, 64), np.float32).T[:, ::2], "q8_0")
    with pytest.raises(ValueError, match="C-contiguous"):
        qforge.quantize(np.asfortranarray(np.ones((32, 64), np.float32)),
                        "q8_0")
    with pytest.raises(ValueError, match="rounding"):
        qforge.quantize(w, "q8_0", rounding="up")
    with pytest.raises(ValueError, match="importance"):
        qforge.quantize(w, "int4:g32:f16:search", importance=np.ones(3,
                                                                  np.float32))
    bad = w.copy()
    bad[0, 0] = np.nan
    with pytest.raises(qforge.QForgeError):
        qforge.quantize(bad, "int4:g32:f16")
    q = qforge.quantize(w, "q8_0")
    with pytest.raises(ValueError, match="shape"):
        q.mse(w[:2])
    with pytest.raises(qforge.QForgeError):
        qforge.QTensor.from_sections("q8_0", [4, 64], {"codes": b"\0" * 5})
    with pytest.raises(ValueError, match="unknown section"):
        qforge.QTensor.from_sections("q8_0", [4, 64], {"codez": b""})
    with pytest.raises(TypeError):
        qforge.dequantize(w)


def test_stochastic_rounding_and_importance(rng):
    w = weights(rng, (4, 64))
    a = qforge.quantize(w, "int4:g32:f16", rounding="stochastic", seed=7)
    b = qforge.quantize(w, "int4:g32:f16", rounding="stochastic", seed=7)
    assert bytes(a.codes) == bytes(b.codes)
    imp = np.abs(w) + 0.1
    q = qforge.quantize(w, "int4:g32:f16:search", importance=imp)
    assert q.mse(w) > 0


def test_concurrent_calls_release_the_gil_safely(rng):
    # The GIL is released inside quantize/dequantize: concurrent calls from
    # Python threads must give the same bytes as sequential ones.
    from concurrent.futures import ThreadPoolExecutor
    ws = [weights(rng, (16, 256)) for _ in range(8)]
    ref = [bytes(qforge.quantize(w, "q4_k").codes) for w in ws]
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda w: bytes(qforge.quantize(w, "q4_k").codes),
                          ws))
    assert got == ref
