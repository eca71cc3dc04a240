# Mean diagonal Fisher information per parameter tensor of a PyTorch model.
#
# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Fisher sensitivities for qf-import-sensitivity and allocate_bits().

For a classifier p(y | x; theta) the diagonal Fisher of parameter j is
F_j = E_x E_{y ~ p(.|x)} [(d log p(y|x) / d theta_j)^2]; a tensor's mean
diagonal Fisher is Fbar = mean_j F_j over its elements. Labels:

 * "sample"    (default) y drawn from the model's own prediction (the true
               Fisher, Monte-Carlo over y with `samples` draws per input);
 * "exact"     the expectation over y computed exactly by enumerating the
               classes (C backward passes per input; small C only);
 * "empirical" the dataset labels (the empirical-Fisher shortcut): batches
               must then be (inputs, labels) pairs.

The model maps a batch of inputs to logits [B, C] (or [B, ..., C]: every
position is one prediction and the sample's log-likelihood sums over them).
Gradients are taken per sample. Optionally the activations' per-input-
channel second moments E[x_k^2] of every nn.Linear are collected (the
"act_sq" entries the ASQ ADV weights use).
"""

import json
import math
import sys
import time

import torch


class _Progress:
    """A one-line progress bar on stderr (when it is a terminal, or forced)."""

    def __init__(self, total, enabled, label="fisher"):
        self.total, self.label = total, label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.monotonic()
        self.done = 0

    def update(self, n=1):
        self.done += n
        if not self.enabled:
            return
        el = time.monotonic() - self.start
        rate = self.done / el if el > 0 else 0.0
        if self.total:
            frac = min(1.0, self.done / self.total)
            bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
            left = (self.total - self.done) / rate if rate > 0 else 0.0
            sys.stderr.write(f"\r{self.label}: [{bar}] {self.done}/"
                             f"{self.total} samples, {rate:.1f}/s, "
                             f"{left:.0f}s left ")
        else:
            sys.stderr.write(f"\r{self.label}: {self.done} samples, "
                             f"{rate:.1f}/s ")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _log_probs(model, x):
    logits = model(x)
    if not torch.is_tensor(logits) or logits.dim() < 2:
        raise ValueError("the model must return logits of shape [B, ..., C]")
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    return torch.log_softmax(logits, dim=-1)


def estimate_fisher(model, batches, *, labels="sample", samples=1, seed=0,
                    params=None, act_sq=False, progress=None, total=None,
                    per_element=False):
    """Mean diagonal Fisher per parameter tensor.

    model: torch.nn.Module returning logits. batches: iterable of input
    tensors [B, ...] (or (inputs, labels) pairs; required for
    labels="empirical"). params: optional list of parameter names to
    estimate (default: every parameter that requires grad). Returns
    {name: Fbar}; with per_element=True also {name: F tensor}; with
    act_sq=True also {weight name: list of E[x_k^2]} for nn.Linear inputs.
    Deterministic for a given seed.
    """
    if labels not in ("sample", "exact", "empirical"):
        raise ValueError("labels must be 'sample', 'exact' or 'empirical'")
    if samples < 1:
        raise ValueError("samples must be >= 1")
    if not isinstance(model, torch.nn.Module):
        raise TypeError("model must be a torch.nn.Module")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if params is not None:
        wanted = set(params)
        unknown = wanted - {n for n, _ in named}
        if unknown:
            raise ValueError(f"unknown parameters: {sorted(unknown)}")
        named = [(n, p) for n, p in named if n in wanted]
    if not named:
        raise ValueError("the model has no parameters to estimate")
    sums = {n: torch.zeros_like(p, dtype=torch.float64) for n, p in named}
    gen = torch.Generator().manual_seed(seed)

    acts, hooks = {}, []
    if act_sq:
        for mname, mod in model.named_modules():
            if isinstance(mod, torch.nn.Linear):
                wname = (mname + "." if mname else "") + "weight"

                def hook(_m, inp, wname=wname):
                    x = inp[0].detach().double()
                    x = x.reshape(-1, x.shape[-1])
                    s, c = acts.get(wname, (0, 0))
                    acts[wname] = (s + (x * x).sum(0), c + x.shape[0])
                hooks.append(mod.register_forward_pre_hook(hook))

    was_training = model.training
    model.eval()
    bar = _Progress(total, progress)
    count = 0

    def accumulate(logp_sum):
        grads = torch.autograd.grad(logp_sum, [p for _, p in named],
                                    retain_graph=True, allow_unused=True)
        return grads

    try:
        for batch in batches:
            if isinstance(batch, (tuple, list)):
                if len(batch) != 2:
                    raise ValueError("batches are inputs or (inputs, labels)")
                x, y = batch
            else:
                x, y = batch, None
            if labels == "empirical" and y is None:
                raise ValueError("labels='empirical' needs (inputs, labels) "
                                 "batches")
            for i in range(x.shape[0]):
                xi = x[i:i + 1]
                logp = _log_probs(model, xi)  # [1, ..., C]
                flat = logp.reshape(-1, logp.shape[-1])
                if labels == "exact":
                    probs = flat.detach().exp()
                    if flat.shape[0] != 1:
                        raise ValueError("labels='exact' needs one "
                                         "prediction per sample ([B, C])")
                    for c in range(flat.shape[1]):
                        g = accumulate(flat[0, c])
                        w = float(probs[0, c])
                        for (n, _), gi in zip(named, g):
                            if gi is not None:
                                sums[n] += w * gi.double() ** 2
                elif labels == "empirical":
                    yi = y[i:i + 1].reshape(-1).long()
                    if yi.numel() != flat.shape[0]:
                        raise ValueError("labels do not match the model's "
                                         "predictions per sample")
                    g = accumulate(flat.gather(1, yi[:, None]).sum())
                    for (n, _), gi in zip(named, g):
                        if gi is not None:
                            sums[n] += gi.double() ** 2
                else:
                    probs = flat.detach().exp()
                    for _ in range(samples):
                        ys = torch.multinomial(probs, 1, generator=gen)
                        g = accumulate(flat.gather(1, ys).sum())
                        for (n, _), gi in zip(named, g):
                            if gi is not None:
                                sums[n] += gi.double() ** 2 / samples
                count += 1
                bar.update()
    finally:
        bar.close()
        for h in hooks:
            h.remove()
        model.train(was_training)
    if count == 0:
        raise ValueError("no input samples")
    fisher = {n: float(s.mean()) / count if s.numel() else 0.0
              for n, s in sums.items()}
    extra = {}
    if per_element:
        extra["per_element"] = {n: (s / count).float()
                                for n, s in sums.items()}
    if act_sq:
        extra["act_sq"] = {n: (s / c).tolist() for n, (s, c) in acts.items()}
    if extra:
        return fisher, extra
    return fisher


def write_sensitivity(path, fisher, act_sq=None, rename=None):
    """Writes {"tensors": {name: {"fisher": F[, "act_sq": [...]]}}}, the
    sidecar qf-import-sensitivity reads. `rename` maps torch parameter
    names to the IR's weight names (e.g. strip ".weight")."""
    tensors = {}
    for name in sorted(fisher):
        f = float(fisher[name])
        if not (f >= 0 and math.isfinite(f)):
            raise ValueError(f"fisher of '{name}' must be finite and >= 0")
        entry = {"fisher": f}
        if act_sq and name in act_sq:
            entry["act_sq"] = [float(v) for v in act_sq[name]]
        tensors[rename(name) if rename else name] = entry
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"tensors": tensors}, f, indent=1, sort_keys=True)
        f.write("\n")
