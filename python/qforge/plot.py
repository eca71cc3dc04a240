# Rate-distortion curves and bit-allocation charts (matplotlib).
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""usage: python -m qforge.plot {rd,alloc} ...

  rd    --formats F1,F2,... [--input FILE [--tensor NAME]] [--shape R,C
        --seed S --dist normal|t5] [--metric mse|sqnr] -o OUT.png|.svg
        Bits per weight vs. MSE (log scale) or SQNR (dB) of each format on
        one tensor, or summed over every float tensor of rank >= 2 of a
        weight file. Formats sharing a family (the spec without its code
        width, e.g. int{2..8}:g64:f16) are joined into one curve.
  alloc --input FILE --avg-bits B [--fisher S.json] [--method M]
        [--candidates ...] -o OUT.png|.svg
        Per-tensor bits chosen by allocate_bits as a bar chart.
"""

import argparse
import re
import sys

import numpy as np

from . import _qforge
from .alloc import DEFAULT_CANDIDATES, METHODS, allocate_bits, encodable
from .io import load_weights


def rate_distortion(tensors, formats, threads=0):
    """[(format, bits_per_weight, mse, sqnr_db)] over dict name -> array:
    rate and MSE are element-weighted over the tensors a format can encode
    (formats that encode none are skipped)."""
    rows = []
    for spec in formats:
        canonical = _qforge.format_info(spec)["spec"]  # raises if invalid
        bits = err = sig = 0.0
        n = 0
        for w in tensors.values():
            try:
                _qforge.format_info(spec, list(w.shape))
            except _qforge.QForgeError:
                continue  # this format cannot encode this shape
            q = _qforge.quantize(w, spec, threads=threads)
            bits += q.bits_per_weight * w.size
            err += q.mse(w) * w.size
            sig += float(np.sum(np.square(w, dtype=np.float64)))
            n += w.size
        if n:
            sqnr = 10 * np.log10(sig / err) if err > 0 else float("inf")
            rows.append((canonical, bits / n,
                         err / n, sqnr))
    return rows


def _family(spec):
    return re.sub(r"^(int|uint|sint|lut:|crd-[a-z0-9]+:|asq:)(\d+)", r"\1N",
                  spec)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    # Fixed SVG ids and no dates: the same data gives the same file.
    matplotlib.rcParams["svg.hashsalt"] = "qforge"
    import matplotlib.pyplot as plt
    return plt


def plot_rate_distortion(rows, out, metric="mse", title=None):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    groups = {}
    for spec, bits, mse, sqnr in rows:
        groups.setdefault(_family(spec), []).append(
            (bits, mse if metric == "mse" else sqnr, spec))
    for fam, pts in groups.items():
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                label=fam if len(pts) > 1 else pts[0][2])
    ax.set_xlabel("bits per weight (scales included)")
    if metric == "mse":
        ax.set_yscale("log")
        ax.set_ylabel("MSE")
    else:
        ax.set_ylabel("SQNR (dB)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None} if out.endswith(".svg")
                else None)
    plt.close(fig)


def plot_allocation(alloc, out, title=None):
    plt = _pyplot()
    names = list(alloc.formats)
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(names) + 2), 4))
    ax.bar(range(len(names)), [alloc.bits[n] for n in names])
    ax.axhline(alloc.bits_per_param, color="k", ls="--", lw=1,
               label=f"average {alloc.bits_per_param:.3f}")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("bits per weight")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None} if out.endswith(".svg")
                else None)
    plt.close(fig)


def _float_tensors(path, name=None):
    tensors = load_weights(path)
    if name is not None:
        if name not in tensors:
            raise KeyError(f"{path}: no tensor '{name}'")
        tensors = {name: tensors[name]}
    out = {k: np.ascontiguousarray(v, dtype=np.float32)
           for k, v in tensors.items()
           if isinstance(v, np.ndarray) and v.dtype.kind == "f"
           and v.ndim >= 2}
    if not out:
        raise ValueError(f"{path}: no float tensor of rank >= 2")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m qforge.plot")
    sub = p.add_subparsers(dest="command", required=True)
    rd = sub.add_parser("rd", help="rate-distortion curves")
    rd.add_argument("--formats", required=True)
    rd.add_argument("--input")
    rd.add_argument("--tensor")
    rd.add_argument("--shape", default="256,1024")
    rd.add_argument("--seed", type=int, default=0)
    rd.add_argument("--dist", choices=("normal", "t5"), default="t5")
    rd.add_argument("--metric", choices=("mse", "sqnr"), default="mse")
    rd.add_argument("--title")
    rd.add_argument("-o", "--output", required=True)
    al = sub.add_parser("alloc", help="per-tensor bit allocation")
    al.add_argument("--input", required=True)
    al.add_argument("--avg-bits", type=float, required=True)
    al.add_argument("--fisher")
    al.add_argument("--method", choices=METHODS, default="rd-exact")
    al.add_argument("--candidates")
    al.add_argument("--title")
    al.add_argument("-o", "--output", required=True)
    a = p.parse_args(argv)
    try:
        if a.command == "rd":
            if a.input:
                tensors = _float_tensors(a.input, a.tensor)
            else:
                shape = tuple(int(d) for d in a.shape.split(","))
                rng = np.random.default_rng(a.seed)
                w = (rng.standard_t(5.0, size=shape) if a.dist == "t5"
                     else rng.standard_normal(shape))
                tensors = {"random": w.astype(np.float32)}
            rows = rate_distortion(tensors, a.formats.split(","))
            if not rows:
                raise ValueError("no format can encode the tensors")
            for spec, bits, mse, sqnr in rows:
                print(f"{spec}\t{bits:.4f}\t{mse:.6g}\t{sqnr:.2f}")
            plot_rate_distortion(rows, a.output, a.metric, a.title)
        else:
            tensors = _float_tensors(a.input)
            cands = a.candidates.split(",") if a.candidates else \
                list(DEFAULT_CANDIDATES)
            tensors = {k: v for k, v in tensors.items()
                       if encodable(v.shape, cands)}
            if not tensors:
                raise ValueError("no tensor can be encoded by the candidates")
            alloc = allocate_bits(tensors, a.fisher or {}, a.avg_bits,
                                  method=a.method, candidates=cands)
            for name in alloc.formats:
                print(f"{name}\t{alloc.formats[name]}\t"
                      f"{alloc.bits[name]:.4f}")
            plot_allocation(alloc, a.output, a.title)
    except (_qforge.QForgeError, OSError, KeyError, ValueError) as e:
        print(f"qforge.plot: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
