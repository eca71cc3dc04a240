# Fisher-guided bit allocation and ModCap grouping from Python.
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""allocate_bits() chooses one format per tensor under a bits-per-parameter
budget, minimising the predicted KL divergence 1/2 sum_i Fbar_i ||dW_i||^2
(Orr, Ribar, Luschi 2025), with the solvers of include/qforge/Numerics/
Allocation.h: the same objective and methods as the qf-allocate-bits pass.
"""

import json
import os
from dataclasses import dataclass, field

import numpy as np

from . import _qforge
from ._qforge import QForgeError

DEFAULT_CANDIDATES = tuple(f"int{b}:g64:f16" for b in range(2, 9))
METHODS = ("closed-form", "rd-exact")


@dataclass
class Allocation:
    """The result of allocate_bits()."""
    formats: dict                # name -> chosen format spec
    bits: dict                   # name -> exact bits per weight
    predicted_kl: dict           # name -> 1/2 Fbar ||dW||^2
    bits_per_param: float        # achieved average over the tensors
    method: str
    exact: bool = False          # solved by the exact dynamic programme
    quantized: dict = field(default_factory=dict, repr=False)

    def __getitem__(self, name):
        return self.formats[name]


def load_sensitivity(path):
    """Reads the sensitivity JSON {"tensors": {name: {"fisher": F}}}."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get("tensors"),
                                                    dict):
        raise QForgeError(f"{path}: expected {{\"tensors\": {{...}}}}")
    out = {}
    for name, entry in data["tensors"].items():
        fisher = entry.get("fisher") if isinstance(entry, dict) else None
        if not isinstance(fisher, (int, float)) or not fisher >= 0:
            raise QForgeError(f"{path}: tensor '{name}' needs a non-negative "
                              "number \"fisher\"")
        out[name] = float(fisher)
    return out


def encodable(shape, candidates):
    """True when at least one candidate format can encode `shape`."""
    for spec in candidates:
        try:
            _qforge.format_info(spec, list(shape))
            return True
        except QForgeError as e:
            if "cannot encode" not in str(e):
                raise
    return False


def allocate_bits(tensors, fisher, avg_bits, method="rd-exact",
                  candidates=DEFAULT_CANDIDATES, default_fisher=1.0,
                  threads=0, keep_quantized=False):
    """Chooses a format from `candidates` for every tensor.

    tensors: dict name -> float ndarray. fisher: dict name -> mean diagonal
    Fisher, or the path of a sensitivity JSON; tensors without an entry get
    `default_fisher`. avg_bits: budget in bits per parameter (scales
    included). method: "rd-exact" (multiple-choice knapsack on the measured
    rate/MSE of every candidate) or "closed-form" (high-rate model
    b_i = b + 1/2 log2(F_i s_i^2 / G), rounded to the candidates with budget
    repair). Candidates that cannot encode a tensor's shape are skipped for
    it. Never exceeds the budget; raises QForgeError when even the smallest
    candidates do not fit.
    """
    if not isinstance(tensors, dict) or not tensors:
        raise TypeError("tensors must be a non-empty dict name -> ndarray")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got '{method}'")
    if isinstance(fisher, (str, os.PathLike)):
        fisher = load_sensitivity(fisher)
    if not isinstance(fisher, dict):
        raise TypeError("fisher must be a dict name -> float or a path")
    avg_bits = float(avg_bits)
    if not avg_bits > 0:
        raise ValueError("avg_bits must be positive")
    candidates = [_qforge.format_info(c)["spec"] for c in candidates]
    if not candidates:
        raise ValueError("need at least one candidate format")

    names = list(tensors)
    units, model, options = [], [], []
    for name in names:
        w = tensors[name]
        if not isinstance(w, np.ndarray):
            raise TypeError(f"tensor '{name}' is not a numpy.ndarray")
        f = float(fisher.get(name, default_fisher))
        if not f >= 0:
            raise ValueError(f"fisher of '{name}' must be >= 0")
        opts = []
        for spec in candidates:
            try:
                q = _qforge.quantize(w, spec, threads=threads)
            except QForgeError:
                continue
            mse = q.mse(w)
            opts.append((spec, q.bits_per_weight, mse, q))
        if not opts:
            raise QForgeError(f"no candidate format can encode tensor "
                              f"'{name}' of shape {tuple(w.shape)}")
        n = int(w.size)
        units.append((n, [(r, n * f * mse) for _, r, mse, _ in opts]))
        var = float(np.mean(np.square(w, dtype=np.float64))) if n else 0.0
        model.append((n, f, var))
        options.append(opts)
    total = sum(n for n, _ in units)
    if method == "rd-exact":
        res = _qforge.rd_exact_allocate(units, avg_bits * total)
    else:
        res = _qforge.closed_form_allocate(units, model, avg_bits)
    out = Allocation({}, {}, {}, res["bits_per_param"], method,
                     res["exact"])
    for name, opts, choice, (n, f, _) in zip(names, options, res["choice"],
                                             model):
        spec, rate, mse, q = opts[choice]
        out.formats[name] = spec
        out.bits[name] = rate
        out.predicted_kl[name] = 0.5 * f * n * mse
        if keep_quantized:
            out.quantized[name] = q
    return out


def modcap(modules, k=1):
    """ModCap grouping of consecutive modules into decision units.

    modules: list of (name, [(params, bits, stride), ...]) in program order.
    Returns dict with per-module capacity, per-pair differential and merge
    flags, the unit index of each module and the number of units.
    """
    mods = []
    for m in modules:
        if not (isinstance(m, (tuple, list)) and len(m) == 2):
            raise TypeError("modules are (name, [(params, bits, stride)])")
        name, layers = m
        mods.append((str(name), [(int(p), float(b), int(s))
                                 for p, b, s in layers]))
    return _qforge.modcap(mods, int(k))
