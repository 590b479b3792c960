"""decompose on a mixture of models: the structural part by the law of total variance."""

from __future__ import annotations

import numpy as np
import pytest

from decide.outcomes import from_draws, from_function, linear, mixture
from decide.uncertainty import decompose
from decide.uncertainty._decomposition import COLUMNS, STRUCTURAL_COLUMNS


def _exact_models(seed, n=(300, 500)):
    rng = np.random.default_rng(seed)
    pa = {"k": rng.normal([1.0, 2.0], [0.3, 0.2], (n[0], 2))}
    pb = {"k": rng.normal([2.5, 0.5], [0.5, 0.4], (n[1], 2))}

    def fn(x, p):
        return p["k"] * x  # a vector outcome: one element per channel

    return (from_function(fn, pa, action_shape=2, outcome_dims=("channel",), conditional_mean=True),
            from_function(fn, pb, action_shape=2, outcome_dims=("channel",), conditional_mean=True))


def _three_parts(mu_a, mu_b, wa, wb):
    """structural, parameter by the law of total variance over the model, from the models."""
    grand = wa * mu_a.mean(0) + wb * mu_b.mean(0)
    structural = wa * (mu_a.mean(0) - grand) ** 2 + wb * (mu_b.mean(0) - grand) ** 2
    parameter = wa * mu_a.var(0) + wb * mu_b.var(0)
    return structural, parameter


@pytest.mark.parametrize(("wa", "seed"), [(0.5, 0), (0.3, 1), (0.8, 2)])
def test_law_of_total_variance_across_models(wa, seed):
    a, b = _exact_models(seed)
    mix = mixture({"a": a, "b": b}, weights={"a": wa, "b": 1 - wa}, n_samples=8000)
    x = np.array([1.0, 2.0])
    d = decompose(mix, x)
    assert d.method == "exact"
    ra, rb = np.sum(mix.realized_weights["a"]), np.sum(mix.realized_weights["b"])
    # the pool realizes the weights within 1 / N; the parts follow the realized pool exactly
    idx_a = mix.sample_index[mix.model_index == 0]
    idx_b = mix.sample_index[mix.model_index == 1]
    ya, yb = a.draws(x)[idx_a], b.draws(x)[idx_b]
    structural, parameter = _three_parts(ya, yb, ra, rb)
    assert d.structural == pytest.approx(structural, rel=1e-10)
    assert d.parameter == pytest.approx(parameter, rel=1e-10)
    assert d.total == pytest.approx(d.structural + d.parameter + d.aleatoric, rel=1e-12)
    assert d.total == pytest.approx(np.var(np.concatenate([ya, yb])), rel=1e-10)
    assert d.structural_share == pytest.approx(structural / d.total)
    # and the same parts per element (channel) of the vector outcome
    table = d.to_dataframe()
    assert list(table.columns) == [*COLUMNS, *STRUCTURAL_COLUMNS]
    ea, eb = a.sample(x)[idx_a], b.sample(x)[idx_b]
    s_el, p_el = _three_parts(ea, eb, ra, rb)
    np.testing.assert_allclose(table.loc[["channel=0", "channel=1"], "structural_variance"], s_el, rtol=1e-10)
    np.testing.assert_allclose(table.loc[["channel=0", "channel=1"], "parameter_variance"], p_el, rtol=1e-10)
    assert "structural" in repr(d)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nested_split_recovers_the_generating_parts(seed):
    # model a: theta ~ N(0, 1), noise N(0, 1); model b: theta ~ N(3, 0.5^2), noise N(0, 2^2)
    rng = np.random.default_rng(seed)
    n, r = 3000, 20
    ya = rng.normal(0.0, 1.0, (n, 1)) + rng.normal(0.0, 1.0, (n, r))
    yb = rng.normal(3.0, 0.5, (n, 1)) + rng.normal(0.0, 2.0, (n, r))
    mix = mixture({"a": from_draws({"x": ya}), "b": from_draws({"x": yb})})
    d = decompose(mix, mix.one_hot("x"))
    assert d.method == "nested"
    assert d.structural == pytest.approx(0.25 * 3.0**2, rel=0.08)
    assert d.parameter == pytest.approx(0.5 * 1.0 + 0.5 * 0.25, rel=0.15)
    assert d.aleatoric == pytest.approx(0.5 * 1.0 + 0.5 * 4.0, rel=0.05)


def test_a_single_model_has_no_structural_part():
    d = decompose(linear(np.random.default_rng(0).normal(size=(100, 2))), [1.0, 0.0])
    assert d.structural is None and d.parameter is None and d.structural_share is None
    assert list(d.to_dataframe().columns) == COLUMNS
