# `python -m qforge`: the command-line interface of the Python package.
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""usage: python -m qforge {quantize,compile,info,formats} ...

  quantize IN -o OUT (--spec SPEC | --avg-bits B [--fisher S.json]
           [--method rd-exact|closed-form] [--candidates A,B,...])
           [--include REGEX] [--report]
      Quantizes the float tensors of IN (.safetensors, .gguf, .npz, .npy)
      with rank >= --min-rank (default 2) and writes OUT (.gguf or
      .safetensors). Tensors a format cannot encode stay in float.
  quantize IN.mlir -o OUT.mlir (--spec SPEC | --avg-bits B ...)
           [--output-weights W.gguf|W.safetensors] [--weights-dir DIR]
      Runs qf-quantize-pipeline on an MLIR model (weights as arith.constant
      or qf.external_constant); with --output-weights the packed weights go
      to that file and OUT.mlir references it (#qf.external).
  compile IN.mlir [-p PIPELINE] [-o OUT] [--weights-dir DIR]
      Runs a pass pipeline in process, like quant-opt IN.mlir
      --pass-pipeline=... (textual pipeline, anchored or not).
  info FILE
      Lists the tensors of a weight file with dtype/format, shape and bits.
  formats SPEC...
      Canonical form and bits per weight of format specs.
"""

import argparse
import json
import re
import sys

import numpy as np

from . import _qforge
from ._qforge import QForgeError, QTensor
from .alloc import DEFAULT_CANDIDATES, METHODS, allocate_bits, encodable
from .io import load_weights, save_weights


def _quantize_mlir(a):
    """quantize IN.mlir: qf-quantize-pipeline in process."""
    from . import compile as qcompile

    def opt(v):
        v = str(v)
        if any(c in v for c in " {}"):
            raise QForgeError(f"'{v}': pass option values cannot contain "
                              "spaces or braces")
        return v

    if a.include or a.min_rank != 2:
        raise QForgeError("--include and --min-rank apply to weight files; "
                          "in MLIR every float weight constant is a weight")
    if a.spec:
        # One candidate and a budget no format reaches: every weight the
        # format can encode gets it, the others stay in float (a warning).
        options = ["avg-bits=64", "method=closed-form",
                   f"candidates={opt(a.spec)}"]
    else:
        options = [f"avg-bits={a.avg_bits!r}", f"method={opt(a.method)}"]
        if a.candidates:
            options.append(f"candidates={opt(a.candidates)}")
        if a.fisher:
            options.append(f"sensitivity={opt(a.fisher)}")
    options.append(f"threads={a.threads}")
    if a.output_weights:
        options.append(f"output-file={opt(a.output_weights)}")
    if a.report:
        options.append("report=-")
    pipeline = "qf-quantize-pipeline{" + " ".join(options) + "}"
    result = qcompile(a.input, pipeline, weights_dir=a.weights_dir)
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(result)
    return 0


def _quantize(a):
    if a.input.endswith(".mlir"):
        return _quantize_mlir(a)
    if a.output_weights or a.weights_dir:
        raise QForgeError("--output-weights and --weights-dir apply to MLIR "
                          "input; for weight files the output is -o")
    tensors = load_weights(a.input)
    include = re.compile(a.include) if a.include else None
    chosen = {}
    for name, t in tensors.items():
        if (isinstance(t, np.ndarray) and t.dtype.kind == "f"
                and t.ndim >= a.min_rank
                and (include is None or include.search(name))):
            chosen[name] = np.ascontiguousarray(t)
    if not chosen:
        raise QForgeError(f"{a.input}: no float tensor of rank >= "
                          f"{a.min_rank} to quantize")
    if a.spec:
        formats = {}
        for name, w in chosen.items():
            try:
                _qforge.format_info(a.spec, list(w.shape))
                formats[name] = a.spec
            except QForgeError as e:
                if "cannot encode" not in str(e):
                    raise
                print(f"qforge: keeping '{name}' {tuple(w.shape)} in float: "
                      f"{e}", file=sys.stderr)
        alloc = None
    else:
        cands = a.candidates.split(",") if a.candidates else \
            list(DEFAULT_CANDIDATES)
        for name in [n for n, w in chosen.items()
                     if not encodable(w.shape, cands)]:
            print(f"qforge: keeping '{name}' {tuple(chosen[name].shape)} in "
                  "float: no candidate format can encode it",
                  file=sys.stderr)
            del chosen[name]
        if not chosen:
            raise QForgeError("no tensor can be encoded by the candidates")
        alloc = allocate_bits(chosen, a.fisher or {}, a.avg_bits,
                              method=a.method, candidates=cands,
                              threads=a.threads, keep_quantized=True)
        formats = alloc.formats
    out = dict(tensors)
    report = {}
    for name, spec in formats.items():
        w = chosen[name]
        q = alloc.quantized[name] if alloc else \
            _qforge.quantize(w, spec, threads=a.threads)
        out[name] = q
        report[name] = {"format": q.format, "shape": list(q.shape),
                        "bits_per_weight": q.bits_per_weight,
                        "mse": q.mse(w)}
    # bf16 inputs were widened to f32 on load; other arrays pass through.
    save_weights(a.output, out)
    if a.report:
        json.dump({"tensors": report}, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    return 0


def _compile(a):
    from . import compile as qcompile
    result = qcompile(a.input, a.pipeline, verify_each=not a.no_verify,
                      weights_dir=a.weights_dir)
    if a.output and a.output != "-":
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(result)
    else:
        sys.stdout.write(result)
    return 0


def _info(a):
    tensors = load_weights(a.input)
    for name, t in tensors.items():
        if isinstance(t, QTensor):
            kind, bits = t.format, t.bits_per_weight
        else:
            kind, bits = str(t.dtype), 8.0 * t.dtype.itemsize
        shape = "x".join(str(d) for d in t.shape) or "scalar"
        print(f"{name}\t{kind}\t{shape}\t{bits:.4g} bits/weight")
    return 0


def _formats(a):
    for spec in a.specs:
        info = _qforge.format_info(spec)
        print(f"{spec}\t{info['spec']}\t{info['bits_per_weight']:.4g} "
              "bits/weight")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m qforge",
                                description="QForge command-line tools")
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quantize", help="quantize a weight file")
    q.add_argument("input")
    q.add_argument("-o", "--output", required=True)
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--spec", help="one format for every tensor")
    g.add_argument("--avg-bits", type=float,
                   help="Fisher-guided allocation budget (bits/param)")
    q.add_argument("--fisher", help="sensitivity JSON (default Fbar = 1)")
    q.add_argument("--method", choices=METHODS, default="rd-exact")
    q.add_argument("--candidates", help="comma-separated candidate formats")
    q.add_argument("--include", help="regex of tensor names to quantize")
    q.add_argument("--min-rank", type=int, default=2)
    q.add_argument("--threads", type=int, default=0)
    q.add_argument("--report", action="store_true",
                   help="print a JSON report on stdout")
    q.add_argument("--output-weights", metavar="FILE",
                   help="MLIR input: write the packed weights to this "
                   ".gguf or .safetensors file and reference it from the "
                   "output IR")
    q.add_argument("--weights-dir", metavar="DIR",
                   help="MLIR input: directory of relative #qf.external "
                   "paths (default: the directory of IN.mlir)")
    q.set_defaults(func=_quantize)
    c = sub.add_parser("compile", help="run a pass pipeline on MLIR")
    c.add_argument("input")
    c.add_argument("-p", "--pipeline", default="")
    c.add_argument("-o", "--output")
    c.add_argument("--no-verify", action="store_true",
                   help="do not verify the IR after each pass")
    c.add_argument("--weights-dir", metavar="DIR",
                   help="directory of relative #qf.external paths "
                   "(default: the directory of IN.mlir)")
    c.set_defaults(func=_compile)
    i = sub.add_parser("info", help="list the tensors of a weight file")
    i.add_argument("input")
    i.set_defaults(func=_info)
    f = sub.add_parser("formats", help="show format specs")
    f.add_argument("specs", nargs="+")
    f.set_defaults(func=_formats)
    a = p.parse_args(argv)
    try:
        return a.func(a)
    except (QForgeError, OSError, TypeError, ValueError) as e:
        print(f"qforge: error: {e}", file=sys.stderr)
        return 1
