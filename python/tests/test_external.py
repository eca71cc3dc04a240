# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""External weights: IR that references weight files (#qf.external),
qf-quantize-weights output-file= through qforge.compile, and the MLIR mode
of `python -m qforge quantize --output-weights`."""

import json
import subprocess
import sys

import numpy as np
import pytest

import qforge
from conftest import package_env

GGUF_LAYOUTS = ("q4_0", "q8_0", "iq4_nl", "q4_k")
OTHER = ("int4:g32:f16", "nf4:g64", "mxfp4", "int4:g64:f16:outliers=2^-6")


def model_text(weights, path="w.safetensors"):
    """A function returning one qf.external_constant per (name, array,
    format) of `weights`, each with its qf.format."""
    types = []
    body = []
    for i, (name, w, fmt) in enumerate(weights):
        t = "tensor<" + "x".join(str(d) for d in w.shape) + "xf32>"
        types.append(t)
        body.append(f'  %w{i} = qf.external_constant {{qf.format = '
                    f'#qf.format<"{fmt}">}} #qf.external<"{path}", "{name}"> '
                    f': {t}')
    results = ", ".join(f"%w{i}" for i in range(len(weights)))
    return ("func.func @m() -> (" + ", ".join(types) + ") {\n"
            + "\n".join(body) + f"\n  return {results} : "
            + ", ".join(types) + "\n}\n")


@pytest.fixture
def weights(rng):
    specs = GGUF_LAYOUTS + OTHER
    return [(f"layer{i}.weight",
             (rng.standard_t(5, (4, 512)) * 0.05).astype(np.float32), s)
            for i, s in enumerate(specs)]


@pytest.mark.parametrize("ext", ["gguf", "safetensors"])
def test_quantize_to_file_is_bit_identical(tmp_path, weights, ext):
    # f32 safetensors -> qf-quantize-weights output-file -> read back: the
    # packed blocks equal qforge.quantize (the same format library) bit for
    # bit, and the ggml types are the real ones for the GGUF layouts.
    qforge.save_safetensors(tmp_path / "w.safetensors",
                            {n: w for n, w, _ in weights})
    out = qforge.compile(model_text(weights),
                         f"qf-quantize-weights{{output-file=q.{ext}}}",
                         weights_dir=tmp_path)
    assert "dense_resource" not in out
    back = qforge.load_weights(tmp_path / f"q.{ext}")
    for name, w, spec in weights:
        assert f'#qf.external<"q.{ext}", "{name}">' in out
        ref = qforge.quantize(w, spec)
        got = back[name]
        assert isinstance(got, qforge.QTensor)
        assert got.format == ref.format and got.shape == ref.shape
        for sec, view in ref.sections.items():
            assert bytes(got.sections[sec]) == bytes(view), (name, sec)
    if ext == "gguf":
        raw, _, _ = qforge._qforge.read_gguf(str(tmp_path / "q.gguf"))
        dtypes = {n: d for n, d, _, _ in raw}
        for name, _, spec in weights:
            if spec in GGUF_LAYOUTS:
                assert dtypes[name] == spec  # a ggml block tensor
            else:
                assert name not in dtypes
                assert dtypes[name + ".qf.codes"] == "i8"


def test_python_round_trip_safetensors_gguf(tmp_path, rng):
    # The same round trip through the Python API only.
    w = (rng.standard_normal((8, 256)) * 0.1).astype(np.float32)
    qforge.save_safetensors(tmp_path / "w.safetensors", {"w": w})
    src, _ = qforge.load_safetensors(tmp_path / "w.safetensors")
    qs = {s: qforge.quantize(src["w"], s) for s in GGUF_LAYOUTS + OTHER}
    qforge.save_gguf(tmp_path / "q.gguf", qs)
    back, _ = qforge.load_gguf(tmp_path / "q.gguf")
    for s, q in qs.items():
        assert back[s].format == q.format
        for sec, view in q.sections.items():
            assert bytes(back[s].sections[sec]) == bytes(view)


def test_external_ir_folds_to_the_embedded_values(tmp_path, weights):
    # The IR that references the file decodes to exactly the values of the
    # embedded form (qf.dequantize folder on small tensors).
    small = [(n, w[:, :32].copy(), s) for n, w, s in weights
             if s not in ("q4_k", "nf4:g64", "int4:g64:f16:outliers=2^-6")]
    qforge.save_safetensors(tmp_path / "w.safetensors",
                            {n: w for n, w, _ in small})
    text = model_text(small)
    ext = qforge.compile(text, "qf-quantize-weights{output-file=q.gguf}",
                         weights_dir=tmp_path)
    folded_ext = qforge.compile(ext, "canonicalize", weights_dir=tmp_path)
    folded_emb = qforge.compile(text, "qf-quantize-weights,canonicalize",
                                weights_dir=tmp_path)
    assert "qf." not in folded_ext
    assert folded_ext == folded_emb


def test_relative_paths_and_errors(tmp_path, rng):
    w = rng.standard_normal((2, 64)).astype(np.float32)
    (tmp_path / "m").mkdir()
    qforge.save_safetensors(tmp_path / "m" / "w.safetensors", {"k": w})
    text = model_text([("k", w, "q8_0")])
    # A .mlir path: relative references resolve against its directory.
    mlir = tmp_path / "m" / "model.mlir"
    mlir.write_text(text)
    out = qforge.compile(mlir, "qf-quantize-weights{output-file=o.gguf}")
    assert (tmp_path / "m" / "o.gguf").is_file()
    assert '#qf.external<"o.gguf", "k">' in out
    # Text: against weights_dir (else the current directory).
    with pytest.raises(qforge.CompileError, match="cannot open"):
        qforge.compile(text, "qf-quantize-weights")
    # Located diagnostics for a missing key, a wrong dtype or shape.
    with pytest.raises(qforge.CompileError,
                       match=r"<string>:2:\d+: error: qf-quantize-weights: "
                       r"cannot read weight 'nope': .* has no tensor 'nope'"):
        qforge.compile(model_text([("nope", w, "q8_0")]),
                       "qf-quantize-weights", weights_dir=tmp_path / "m")
    with pytest.raises(qforge.CompileError,
                       match=r"tensor 'k' is f32 \[2, 64\], but "
                       r"tensor<4x32xf32> needs f32 \[4, 32\]"):
        qforge.compile(model_text([("k", w.reshape(4, 32), "q8_0")]),
                       "qf-quantize-weights", weights_dir=tmp_path / "m")
    with pytest.raises(qforge.CompileError, match="must end in .safetensors "
                       "or .gguf"):
        qforge.compile(text, "qf-quantize-weights{output-file=o.npz}",
                       weights_dir=tmp_path / "m")
    with pytest.raises(TypeError):
        qforge.compile(text, "", weights_dir=3)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "qforge", *args],
                          capture_output=True, text=True, env=package_env(),
                          timeout=120)


def test_cli_quantize_mlir_output_weights(tmp_path, rng):
    ws = {"fc1.weight": (rng.standard_normal((64, 64)) * 0.1)
          .astype(np.float32),
          "fc2.weight": (rng.standard_normal((32, 64)) * 0.1)
          .astype(np.float32)}
    qforge.save_safetensors(tmp_path / "w.safetensors", ws)
    text = "func.func @m() -> (tensor<64x64xf32>, tensor<32x64xf32>) {\n"
    for i, name in enumerate(ws):
        shape = "x".join(str(d) for d in ws[name].shape)
        text += (f'  %w{i} = qf.external_constant #qf.external<'
                 f'"w.safetensors", "{name}"> : tensor<{shape}xf32>\n')
    text += ("  return %w0, %w1 : tensor<64x64xf32>, tensor<32x64xf32>\n"
             "}\n")
    (tmp_path / "model.mlir").write_text(text)
    out = tmp_path / "q.mlir"
    r = run_cli("quantize", str(tmp_path / "model.mlir"), "-o", str(out),
                "--avg-bits", "6.5", "--candidates", "q4_0,q8_0",
                "--output-weights", "q.gguf", "--report")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert {t["name"] for t in report["tensors"]} == set(ws)
    q = out.read_text()
    assert '#qf.external<"q.gguf", "fc1.weight">' in q
    back, _ = qforge.load_gguf(tmp_path / "q.gguf")
    for name, w in ws.items():
        ref = qforge.quantize(w, back[name].format)
        assert bytes(back[name].codes) == bytes(ref.codes)
    # --spec: every weight in one format.
    r = run_cli("quantize", str(tmp_path / "model.mlir"), "-o", str(out),
                "--spec", "int4:g32:f16", "--output-weights", "s.safetensors")
    assert r.returncode == 0, r.stderr
    back, _ = qforge.load_safetensors(tmp_path / "s.safetensors")
    assert {back[n].format for n in ws} == {"int4:g32:f16"}
    # Files are opened only when a pass needs the data: without qf.format,
    # qf-quantize-weights reads nothing, even from a directory that does not
    # exist.
    r = run_cli("compile", str(tmp_path / "model.mlir"), "-p",
                "qf-quantize-weights", "--weights-dir", str(tmp_path / "no"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("qf.external_constant") == 2
    # Errors print `qforge: error: ...` and exit with status 1.
    r = run_cli("quantize", str(tmp_path / "model.mlir"), "-o", str(out),
                "--spec", "q4_0", "--weights-dir", str(tmp_path / "no"))
    assert r.returncode == 1 and "qforge: error:" in r.stderr
    assert "cannot open" in r.stderr
    r = run_cli("quantize", str(tmp_path / "w.safetensors"), "-o",
                str(tmp_path / "x.gguf"), "--spec", "q4_0",
                "--output-weights", "y.gguf")
    assert r.returncode == 1 and "apply to MLIR input" in r.stderr


def test_docs_compile_example(tmp_path, monkeypatch):
    # The external-weights example of docs/python.md, run as written.
    import os
    import re
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "docs", "python.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    code = next(b for b in blocks if "external_constant" in b)
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(code, scope)
    assert '#qf.external<"q.gguf", "fc">' in scope["out"]
    w, _ = qforge.load_safetensors("w.safetensors")
    assert bytes(scope["q"]["fc"].codes) == \
        bytes(qforge.quantize(w["fc"], "q4_0").codes)
