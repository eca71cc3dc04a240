# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""`python -m qforge` and `python -m qforge.plot` end to end, and the
Python example of README.md and docs/python.md."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import qforge
from conftest import package_env

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*args, cwd=None):
    return subprocess.run([sys.executable, *args], capture_output=True,
                          text=True, env=package_env(), cwd=cwd, timeout=120)


@pytest.fixture
def model_file(tmp_path):
    rng = np.random.default_rng(0)
    t = {"layers.0.mlp.up": rng.standard_t(5, (128, 64)).astype(np.float32)
         * 0.1,
         "layers.0.mlp.down": rng.standard_t(5, (64, 128)).astype(np.float32)
         * 0.1,
         "layers.0.mlp.bias": rng.standard_normal(64).astype(np.float32),
         "odd": rng.standard_normal((3, 40)).astype(np.float32)}
    p = tmp_path / "model.safetensors"
    qforge.save_safetensors(p, t)
    return p, t


def test_cli_quantize_spec_to_gguf(model_file, tmp_path):
    src, t = model_file
    out = tmp_path / "m.gguf"
    r = run("-m", "qforge", "quantize", str(src), "-o", str(out), "--spec",
            "q4_0", "--report")
    assert r.returncode == 0, r.stderr
    assert "keeping 'odd'" in r.stderr  # 40 is not a multiple of 32
    report = json.loads(r.stdout)["tensors"]
    assert set(report) == {"layers.0.mlp.up", "layers.0.mlp.down"}
    back, _ = qforge.load_gguf(out)
    assert back["layers.0.mlp.up"].format == "q4_0"
    ref = qforge.quantize(t["layers.0.mlp.up"], "q4_0")
    assert bytes(back["layers.0.mlp.up"].codes) == bytes(ref.codes)
    assert np.array_equal(back["layers.0.mlp.bias"], t["layers.0.mlp.bias"])
    assert np.array_equal(back["odd"], t["odd"])
    info = run("-m", "qforge", "info", str(out))
    assert info.returncode == 0
    assert re.search(r"layers\.0\.mlp\.up\tq4_0\t128x64\t4\.5 bits",
                     info.stdout)


def test_cli_quantize_fisher_allocation(model_file, tmp_path):
    src, t = model_file
    sens = tmp_path / "s.json"
    sens.write_text(json.dumps({"tensors": {
        "layers.0.mlp.up": {"fisher": 50.0},
        "layers.0.mlp.down": {"fisher": 0.01}}}))
    out = tmp_path / "m.safetensors"
    r = run("-m", "qforge", "quantize", str(src), "-o", str(out),
            "--avg-bits", "5.75", "--fisher", str(sens), "--include", "mlp",
            "--candidates", "int3:g64:f16,int4:g64:f16,int8:g64:f16")
    assert r.returncode == 0, r.stderr
    back, _ = qforge.load_safetensors(out)
    assert back["layers.0.mlp.up"].format == "int8:g64:f16"
    assert back["layers.0.mlp.down"].format == "int3:g64:f16"
    assert isinstance(back["odd"], np.ndarray)


def test_cli_errors(model_file, tmp_path):
    src, _ = model_file
    # Formats without a ggml type go to GGUF in QForge's section convention.
    r = run("-m", "qforge", "quantize", str(src), "-o",
            str(tmp_path / "x.gguf"), "--spec", "int4:g32:f16")
    assert r.returncode == 0, r.stderr
    back, _ = qforge.load_gguf(tmp_path / "x.gguf")
    assert back["layers.0.mlp.up"].format == "int4:g32:f16"
    r = run("-m", "qforge", "quantize", str(src), "-o",
            str(tmp_path / "x.npz"), "--spec", "int4:g32:f16")
    assert r.returncode == 1 and ".npz cannot hold QTensors" in r.stderr
    r = run("-m", "qforge", "quantize", str(src), "-o",
            str(tmp_path / "x.gguf"), "--spec", "int99")
    assert r.returncode == 1 and "invalid format spec" in r.stderr
    r = run("-m", "qforge", "info", str(tmp_path / "missing.gguf"))
    assert r.returncode == 1 and "cannot open" in r.stderr
    r = run("-m", "qforge", "formats", "nf4:g64", "mxfp4")
    assert r.returncode == 0
    assert r.stdout.splitlines()[1].startswith("mxfp4\t")


def test_cli_compile_example_model(tmp_path):
    mlir = tmp_path / "model.mlir"
    r = run(os.path.join(ROOT, "examples", "gen_model.py"), str(mlir),
            "--dim", "64", "--hidden", "128", "--layers", "1")
    assert r.returncode == 0, r.stderr
    sens = tmp_path / "s.json"
    sens.write_text(json.dumps({"tensors": {
        "layers.0.mlp.up": {"fisher": 2.0},
        "layers.0.mlp.down": {"fisher": 0.5}}}))
    out = tmp_path / "out.mlir"
    r = run("-m", "qforge", "compile", str(mlir), "-p",
            f"qf-import-sensitivity{{file={sens}}}", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "qf.fisher = 2.000000e+00" in text
    assert "qf.fisher = 5.000000e-01" in text
    r = run("-m", "qforge", "compile", str(mlir), "-p", "qf-no-such-pass")
    assert r.returncode == 1 and "qf-no-such-pass" in r.stderr


def test_plot_commands(tmp_path, model_file):
    pytest.importorskip("matplotlib")
    png = tmp_path / "rd.png"
    r = run("-m", "qforge.plot", "rd", "--formats",
            "int3:g64:f16,int4:g64:f16,nf4:g64,q4_0", "--shape", "32,256",
            "--metric", "sqnr", "-o", str(png))
    assert r.returncode == 0, r.stderr
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    assert [x[0] for x in rows] == ["int3:g64:f16", "int4:g64:f16",
                                    "nf4:g64", "q4_0"]
    sqnr = {x[0]: float(x[3]) for x in rows}
    assert sqnr["int4:g64:f16"] > sqnr["int3:g64:f16"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    src, _ = model_file
    svg = tmp_path / "alloc.svg"
    r = run("-m", "qforge.plot", "alloc", "--input", str(src), "--avg-bits",
            "4.5", "-o", str(svg))
    assert r.returncode == 0, r.stderr
    assert b"<svg" in svg.read_bytes()[:400]
    r = run("-m", "qforge.plot", "rd", "--formats", "int99", "-o",
            str(png))
    assert r.returncode == 1 and "invalid format spec" in r.stderr


@pytest.mark.parametrize("doc", ["README.md", os.path.join("docs",
                                                          "python.md")])
def test_readme_example(tmp_path, doc):
    # The ten-line example of README.md (and of docs/python.md), executed
    # exactly as written: it writes a small safetensors file from a torch
    # model, estimates the Fisher, allocates bits and writes a GGUF.
    pytest.importorskip("torch")
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    code = next(b for b in blocks if "save_gguf" in b)
    assert len(code.strip().splitlines()) <= 10
    r = run("-c", code, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    back, _ = qforge.load_gguf(tmp_path / "model.gguf")
    assert {back["0.weight"].format, back["2.weight"].format} <= {"q4_0",
                                                                  "q8_0"}
    assert back["0.bias"].dtype == np.float32
    assert "'0.weight': 'q" in r.stdout
