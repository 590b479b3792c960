"""Tests of OutcomeModel.with_parameters: the same outcome re-evaluated at other parameter draws."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from decide.errors import DecideValueError
from decide.outcomes import from_draws, from_function


def _ds(**arrays):
    return xr.Dataset({k: (("sample", *[f"{k}_{i}" for i in range(np.ndim(v) - 1)]), np.asarray(v))
                       for k, v in arrays.items()})


def test_function_outcome_at_new_draws_equals_a_fresh_build():
    rng = np.random.default_rng(0)
    fn = lambda a, p: p["b"] @ a + p["c"]  # noqa: E731
    old = from_function(fn, {"b": rng.normal(size=(50, 2)), "c": rng.normal(size=50)}, action_shape=2)
    b, c = rng.normal(size=(80, 2)), rng.normal(size=80)
    new = old.with_parameters(_ds(b=b, c=c))
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(new.draws(x), b @ x + c)
    assert new.n_samples == 80 and old.n_samples == 50
    with pytest.raises(DecideValueError, match=r"missing \['c'\]"):
        old.with_parameters(_ds(b=b))
    with pytest.raises(DecideValueError, match=r"parameters\['b'\] must have shape"):
        old.with_parameters(_ds(b=rng.normal(size=(80, 3)), c=c))


def test_outcomes_without_parameters_refuse_with_parameters():
    out = from_draws({"a": np.zeros(10), "b": np.ones(10)})
    with pytest.raises(DecideValueError, match="cannot be re-evaluated at new parameter draws"):
        out.with_parameters(_ds(theta=np.zeros(10)))


def test_pymc_outcome_at_new_draws_equals_the_formula():
    pm = pytest.importorskip("pymc")
    with pm.Model() as model:
        effect = pm.Normal("effect", 0.0, 1.0)
        treat = pm.Data("treat", 1.0)
        pm.Normal("payoff", treat * effect, 1.0)
    post = xr.Dataset({"effect": (("chain", "draw"), np.linspace(-1, 1, 20).reshape(2, 10))})
    from decide.outcomes import from_pymc

    out = from_pymc(model, post, action="treat", outcome="payoff")
    new_effect = np.linspace(0.0, 3.0, 7)
    new = out.with_parameters(_ds(effect=new_effect))
    np.testing.assert_allclose(new.draws(2.0), 2.0 * new_effect, rtol=1e-6)
    np.testing.assert_allclose(out.draws(2.0), 2.0 * np.linspace(-1, 1, 20), rtol=1e-6)
    with pytest.raises(DecideValueError, match=r"missing \['effect'\]"):
        out.with_parameters(_ds(other=new_effect))


def test_function_outcome_keeps_its_declared_smoothness_at_new_draws():
    rng = np.random.default_rng(1)
    fn = lambda a, p: np.floor(p["b"] * a[0])  # noqa: E731
    old = from_function(fn, {"b": rng.normal(size=40)}, action_shape=1, smoothness="nonsmooth")
    assert old.with_parameters(_ds(b=rng.normal(size=60))).smoothness == "nonsmooth"
    assert old.subset(np.arange(10)).smoothness == "nonsmooth"
