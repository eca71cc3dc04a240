# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""qforge.fisher against the closed form of a one-layer linear model."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from qforge.fisher import estimate_fisher, write_sensitivity  # noqa: E402


def linear_model(seed=0, d=5, c=3):
    torch.manual_seed(seed)
    m = torch.nn.Linear(d, c).double()
    return m


def closed_form(m, x, y=None):
    """Softmax regression: d log p_y / dW_kj = (delta_yk - p_k) x_j, so
    E_y[(.)^2] = p_k (1 - p_k) x_j^2 (true Fisher) and (delta_yk - p_k)^2
    x_j^2 with the dataset label (empirical)."""
    W = m.weight.detach().numpy()
    b = m.bias.detach().numpy()
    X = x.numpy()
    logits = X @ W.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    if y is None:
        g2 = p * (1 - p)
    else:
        onehot = np.eye(p.shape[1])[y.numpy()]
        g2 = (onehot - p)**2
    fw = (g2[:, :, None] * X[:, None, :]**2).mean(0)
    fb = g2.mean(0)
    return {"weight": fw.mean(), "bias": fb.mean()}


def test_exact_fisher_matches_closed_form():
    m = linear_model()
    x = torch.randn(7, 5, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(1))
    got = estimate_fisher(m, [x[:4], x[4:]], labels="exact")
    ref = closed_form(m, x)
    assert got["weight"] == pytest.approx(ref["weight"], rel=1e-10)
    assert got["bias"] == pytest.approx(ref["bias"], rel=1e-10)


def test_empirical_fisher_matches_closed_form():
    m = linear_model(2)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(6, 5, dtype=torch.float64, generator=g)
    y = torch.randint(0, 3, (6,), generator=g)
    got = estimate_fisher(m, [(x, y)], labels="empirical")
    ref = closed_form(m, x, y)
    assert got["weight"] == pytest.approx(ref["weight"], rel=1e-10)
    assert got["bias"] == pytest.approx(ref["bias"], rel=1e-10)


def test_sampled_fisher_converges_and_is_deterministic():
    m = linear_model(4)
    x = torch.randn(3, 5, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(5))
    a = estimate_fisher(m, [x], samples=400, seed=9)
    b = estimate_fisher(m, [x], samples=400, seed=9)
    assert a == b
    ref = closed_form(m, x)
    assert a["weight"] == pytest.approx(ref["weight"], rel=0.15)


def test_mlp_sensitivity_json_and_progress(tmp_path, capsys):
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 4))
    batches = [torch.randn(4, 8) for _ in range(2)]
    fisher, extra = estimate_fisher(mlp, batches, act_sq=True, progress=True,
                                    total=8)
    assert set(fisher) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all(v > 0 for v in fisher.values())
    assert "8/8 samples" in capsys.readouterr().err
    assert len(extra["act_sq"]["0.weight"]) == 8
    ref = np.mean(np.concatenate([b.numpy() for b in batches])**2, axis=0)
    assert np.allclose(extra["act_sq"]["0.weight"], ref, rtol=1e-6)
    p = tmp_path / "s.json"
    write_sensitivity(p, fisher, extra["act_sq"],
                      rename=lambda n: n.replace(".weight", ""))
    data = json.loads(p.read_text())
    assert data["tensors"]["0"]["fisher"] == fisher["0.weight"]
    assert len(data["tensors"]["2"]["act_sq"]) == 16
    assert data["tensors"]["0.bias"]["fisher"] == fisher["0.bias"]


def test_fisher_bad_input():
    m = linear_model()
    x = torch.randn(2, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="labels"):
        estimate_fisher(m, [x], labels="true")
    with pytest.raises(ValueError, match="needs \\(inputs, labels\\)"):
        estimate_fisher(m, [x], labels="empirical")
    with pytest.raises(ValueError, match="no input samples"):
        estimate_fisher(m, [])
    with pytest.raises(ValueError, match="unknown parameters"):
        estimate_fisher(m, [x], params=["nope"])
    with pytest.raises(TypeError):
        estimate_fisher(lambda t: t, [x])
    with pytest.raises(ValueError, match="finite"):
        write_sensitivity("/dev/null", {"a": float("nan")})
