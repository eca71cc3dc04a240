# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""asq, kashin, allocate_bits and modcap bindings."""

import itertools
import json

import numpy as np
import pytest

import qforge


def asq_cost(x, values, w=None):
    x = np.sort(x)
    w = np.ones_like(x) if w is None else w
    hi_idx = np.clip(np.searchsorted(values, x, side="left"), 1,
                     len(values) - 1)
    hi, lo = values[hi_idx], values[hi_idx - 1]
    return float(np.sum(w * (hi - x) * (x - lo)))


def test_asq_exact_is_optimal_on_small_input(rng):
    x = rng.standard_normal(12)
    values, cost = qforge.asq(x, 4)
    assert len(values) == 4
    assert values[0] == x.min() and values[-1] == x.max()
    assert cost == pytest.approx(asq_cost(x, values), rel=1e-9, abs=1e-12)
    # Brute force over every choice of the two interior values among x.
    xs = np.sort(x)
    best = min(asq_cost(x, np.array([xs[0], xs[i], xs[j], xs[-1]]))
               for i, j in itertools.combinations(range(1, 11), 2))
    assert cost == pytest.approx(best, rel=1e-9)
    for method in ("exact-smawk", "exact-pairwise", "exact-lagrange"):
        assert qforge.asq(x, 4, method=method)[1] == pytest.approx(cost)
    assert qforge.asq(x, 4, method="grid", grid_bins=64)[1] >= cost - 1e-12
    # Weighted (ADV) objective.
    w = rng.random(12)
    _, wc = qforge.asq(x, 4, weights=w)
    assert wc >= 0


def test_asq_bad_input(rng):
    x = rng.standard_normal(10)
    with pytest.raises(ValueError, match="unknown ASQ method"):
        qforge.asq(x, 4, method="magic")
    with pytest.raises(ValueError, match="at least 2"):
        qforge.asq(x, 1)
    with pytest.raises(ValueError, match="NaN"):
        qforge.asq(np.array([1.0, np.nan]), 2)
    with pytest.raises(ValueError, match="weights"):
        qforge.asq(x, 3, weights=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        qforge.asq(x, 3, weights=-np.ones(10))
    with pytest.raises(TypeError):
        qforge.asq(np.arange(10), 3)


def test_kashin(rng):
    x = rng.standard_normal(256)
    r = qforge.kashin(x, 2, 2, seed=3)
    rec = r["reconstruction"]
    assert rec.shape == x.shape
    assert r["mse"] == pytest.approx(float(np.mean((x - rec)**2)))
    assert r["mse"] < float(np.mean(x**2))
    assert len(r["codes_u"]) == 256 and r["codes_u"].max() < 4
    assert np.array_equal(qforge.kashin(x, 2, 2, seed=3)["reconstruction"],
                          rec)
    with pytest.raises(qforge.QForgeError, match="power-of-two"):
        qforge.kashin(rng.standard_normal(100), transform="hadamard")
    with pytest.raises(ValueError, match="transform"):
        qforge.kashin(x, transform="fft")
    with pytest.raises(ValueError, match="bits"):
        qforge.kashin(x, 0, 2)


def test_allocate_bits_spends_bits_where_fisher_is_high(rng, tmp_path):
    t = {n: (rng.standard_normal((16, 128)) * 0.1).astype(np.float32)
         for n in ("a", "b", "c")}
    fisher = {"a": 100.0, "b": 1.0, "c": 0.01}
    res = qforge.allocate_bits(t, fisher, 4.5,
                               candidates=["int2:g64:f16", "int4:g64:f16",
                                           "int8:g64:f16"])
    assert res.bits_per_param <= 4.5 + 1e-9
    assert res.bits["a"] >= res.bits["b"] >= res.bits["c"]
    assert res.formats["a"] == "int8:g64:f16"
    assert res["c"] == "int2:g64:f16"
    # The predicted KL is 1/2 F n MSE of the chosen format.
    q = qforge.quantize(t["b"], res["b"])
    assert res.predicted_kl["b"] == pytest.approx(
        0.5 * 1.0 * t["b"].size * q.mse(t["b"]))
    # Closed form and a sensitivity JSON give the same ordering.
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"tensors": {k: {"fisher": v}
                                         for k, v in fisher.items()}}))
    cf = qforge.allocate_bits(t, str(p), 4.5, method="closed-form",
                              candidates=["int2:g64:f16", "int4:g64:f16",
                                          "int8:g64:f16"])
    assert cf.bits["a"] >= cf.bits["c"] and cf.bits_per_param <= 4.5 + 1e-9


def test_allocate_bits_bad_input(rng):
    t = {"a": np.ones((4, 64), np.float32)}
    with pytest.raises(ValueError, match="method"):
        qforge.allocate_bits(t, {}, 4, method="greedy")
    with pytest.raises(qforge.QForgeError, match="invalid format spec"):
        qforge.allocate_bits(t, {}, 4, candidates=["int99"])
    with pytest.raises(qforge.QForgeError, match="no candidate"):
        qforge.allocate_bits({"a": np.ones((4, 48), np.float32)}, {}, 4,
                             candidates=["int4:g64:f16"])
    with pytest.raises(qforge.QForgeError):
        qforge.allocate_bits(t, {}, 1.0, candidates=["int4:g64:f16"])
    with pytest.raises(ValueError, match="avg_bits"):
        qforge.allocate_bits(t, {}, -1)
    with pytest.raises(TypeError):
        qforge.allocate_bits({}, {}, 4)
    with pytest.raises(ValueError, match="fisher"):
        qforge.allocate_bits(t, {"a": -1.0}, 4)


def test_closed_form_bits_formula():
    model = [(100, 4.0, 1.0), (100, 1.0, 1.0)]
    b = qforge._qforge.closed_form_bits(model, 4.0)
    # b_i = b + 1/2 log2(F_i s_i^2 / G), G = geometric mean = 2.
    assert b == pytest.approx([4.5, 3.5])


def test_modcap():
    mods = [("m0", [(1000, 4.0, 1)]), ("m1", [(500, 4.0, 1)]),
            ("m2", [(10, 4.0, 2)])]
    r = qforge.modcap(mods, k=1)
    assert r["capacity"][0] == pytest.approx(4000.0)
    assert r["capacity"][2] == pytest.approx(20.0)  # stride penalty 1/2
    assert len(r["differential"]) == 2
    assert r["num_units"] == 2 and sum(r["merged"]) == 1
    assert qforge.modcap(mods, k=5)["num_units"] == 1
    # Equal capacities have a zero differential and are never merged.
    same = [("a", [(10, 4.0, 1)]), ("b", [(10, 4.0, 1)])]
    assert qforge.modcap(same, k=5)["num_units"] == 2
    with pytest.raises(ValueError):
        qforge.modcap([("m", [(10, 0.0, 1)])])
    with pytest.raises(TypeError):
        qforge.modcap(["m"])
