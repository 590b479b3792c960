"""The compile cache and the per-draw Jacobian of from_pymc (expected values in closed form)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from decide import _config
from decide.outcomes import from_pymc
from decide.outcomes.pymc import _grad
from decide.outcomes.pymc._cache import cache_clear, cache_info

from .conftest import SALES_BETA as BETA
from .conftest import SALES_GAMMA as GAMMA
from .conftest import sales_expect as _expect
from .conftest import sales_model as _model


def _post() -> dict[str, np.ndarray]:
    return {"beta": BETA, "gamma": GAMMA}


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch):
    # the Jacobian path is the default on pytensor 3 only; test it on both stacks
    monkeypatch.setattr(_grad, "default_jacobian", lambda: True)
    monkeypatch.setattr(_config, "PYMC_DISK_CACHE", False)  # the memory cache alone (see
    cache_clear()  # test_disk_cache.py for the disk)
    yield
    cache_clear()


def test_draws_and_jacobian_closed_form() -> None:
    om = from_pymc(_model(), _post(), action="spend", outcome="sales", backend="FAST_COMPILE")
    a = np.array([0.5, 1.0, 3.0])
    draws, jac = om.draws_and_jacobian(a)
    np.testing.assert_allclose(draws, _expect(a), rtol=1e-12)
    np.testing.assert_allclose(jac, BETA[:, None] / (1 + a)[None, :], rtol=1e-12)
    cot = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(om.vjp(a, cot), cot @ (BETA[:, None] / (1 + a)), rtol=1e-12)
    assert om.has_jacobian and om.vjp_strategy == "jacobian"


def test_hit_is_bit_identical_to_a_fresh_build(monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.array([0.2, 0.7, 2.0])
    monkeypatch.setattr(_config, "PYMC_COMPILE_CACHE_SIZE", 0)  # no cache: fresh builds
    fresh = from_pymc(_model(), _post(), action="spend", outcome="sales", backend="FAST_COMPILE")
    d0, j0 = fresh.draws_and_jacobian(a)
    monkeypatch.setattr(_config, "PYMC_COMPILE_CACHE_SIZE", 4)
    kw = {"backend": "FAST_COMPILE"}
    first = from_pymc(_model(), _post(), action="spend", outcome="sales", **kw)
    before = cache_info()
    second = from_pymc(_model(), _post(), action="spend", outcome="sales", **kw)
    assert cache_info()["hits"] == before["hits"] + 1
    assert second._value_fn is first._value_fn
    for om in (first, second):
        d, j = om.draws_and_jacobian(a)
        assert np.array_equal(d, d0) and np.array_equal(j, j0)


@pytest.mark.parametrize(
    "other",
    [
        lambda: _model(scale=3.0),  # a constant
        lambda: _model(n=4),  # a shape
        "expression",  # the outcome expression
    ],
    ids=["constant", "shape", "expression"],
)
def test_any_change_of_the_graph_misses(other) -> None:
    kw = {"backend": "FAST_COMPILE"}
    from_pymc(_model(), _post(), action="spend", outcome="sales", **kw)
    misses = cache_info()["misses"]
    if other == "expression":
        om = from_pymc(
            _model(), _post(), action="spend", outcome=lambda v: v["sales"] * 2.0, **kw
        )
        a = np.ones(3)
        np.testing.assert_allclose(om.draws(a), 2 * _expect(a), rtol=1e-12)
    else:
        om = other()
        from_pymc(om, _post(), action="spend", outcome="sales", **kw)
    assert cache_info()["misses"] == misses + 1


def test_shared_data_is_an_input_and_set_data_never_leaks() -> None:
    kw = {"backend": "FAST_COMPILE"}
    model = _model(base=1.0)
    a = np.array([1.0, 2.0, 0.5])
    old = from_pymc(model, _post(), action="spend", outcome="sales", **kw)
    np.testing.assert_allclose(old.draws(a), _expect(a, base=1.0), rtol=1e-12)
    with model:
        pm.set_data({"w": np.full(3, 3.0)})
    new = from_pymc(model, _post(), action="spend", outcome="sales", **kw)
    # the same graph (the data is an input): a hit, computed with the new data
    assert new._value_fn is old._value_fn
    np.testing.assert_allclose(new.draws(a), _expect(a, base=3.0), rtol=1e-12)
    # the earlier outcome keeps the data it was built with
    np.testing.assert_allclose(old.draws(a), _expect(a, base=1.0), rtol=1e-12)
    # a fresh model with the new data gives the same numbers as the cached function
    fresh = from_pymc(_model(base=3.0), _post(), action="spend", outcome="sales", **kw)
    np.testing.assert_array_equal(fresh.draws(a), new.draws(a))


def test_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "PYMC_COMPILE_CACHE_SIZE", 2)
    for scale in (1.0, 2.0, 3.0, 4.0):
        from_pymc(_model(scale=scale), _post(), action="spend", outcome="sales",
                  backend="FAST_COMPILE")
    info = cache_info()
    assert info["size"] == 2 and info["misses"] == 4
    # the least recently used (scale 1) was dropped: building it again misses
    from_pymc(_model(scale=1.0), _post(), action="spend", outcome="sales", backend="FAST_COMPILE")
    assert cache_info()["misses"] == 5


def test_vjp_function_is_cached_and_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_grad, "default_jacobian", lambda: False)  # the vjp path
    a, cot = np.array([0.5, 1.0, 3.0]), np.array([1.0, -2.0, 0.5, 3.0])
    expected = cot @ (BETA[:, None] / (1 + a))
    first = from_pymc(_model(), _post(), action="spend", outcome="sales", backend="FAST_COMPILE")
    np.testing.assert_allclose(first.vjp(a, cot), expected, rtol=1e-12)
    hits = cache_info()["hits"]
    again = from_pymc(_model(), _post(), action="spend", outcome="sales", backend="FAST_COMPILE")
    np.testing.assert_array_equal(again.vjp(a, cot), first.vjp(a, cot))
    assert cache_info()["hits"] >= hits + 2  # the draws function and the vjp function
    other = from_pymc(_model(scale=3.0), _post(), action="spend", outcome="sales",
                      backend="FAST_COMPILE")
    np.testing.assert_allclose(other.vjp(a, cot), expected, rtol=1e-12)  # scale: no slope
    np.testing.assert_allclose(other.draws(a), _expect(a, scale=3.0), rtol=1e-12)


def test_vjp_hit_builds_no_gradient_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vjp function is keyed on its value graph: a hit skips ``vjp_graph``."""
    import decide.outcomes.pymc._outcome as outcome_module

    monkeypatch.setattr(_grad, "default_jacobian", lambda: False)  # the vjp path
    calls: list[int] = []
    real = outcome_module.vjp_graph
    monkeypatch.setattr(
        outcome_module, "vjp_graph", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    a, cot = np.array([0.5, 1.0, 3.0]), np.array([1.0, -2.0, 0.5, 3.0])
    expected = cot @ (BETA[:, None] / (1 + a))
    for strategy in ("split", "joint"):  # different functions: one graph each
        oms = [from_pymc(_model(), _post(), action="spend", outcome="sales",
                         backend="FAST_COMPILE") for _ in range(2)]
        for om in oms:
            om.vjp_strategy = strategy
            red, grad = om.value_and_vjp(a, cot)
            np.testing.assert_allclose(red, _expect(a), rtol=1e-12)
            np.testing.assert_allclose(grad, expected, rtol=1e-12)
    assert len(calls) == 2
