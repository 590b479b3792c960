"""Tests of decide.outcomes.mixture: the pooled draws are the weighted combination of the models."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import ActionSpec, MixtureOutcome, from_draws, from_function, linear, mixture


def _lin(mean, n, seed, sd=0.1):
    return linear(np.random.default_rng(seed).normal(mean, sd, size=(n, 2)), intercept=0.5)


def _weighted_mean(models, weights, x):
    return sum(w * m.draws(x).mean() for m, w in zip(models, weights))


@pytest.mark.parametrize(
    ("weights", "sizes", "pool"),
    [
        ((0.5, 0.5), (400, 400), 800),
        ((0.25, 0.75), (400, 400), 1600),
        ((0.5, 0.5), (300, 500), 3000),
        ((0.5, 0.3, 0.2), (200, 300, 400), None),
    ],
)
def test_pooled_draws_are_the_weighted_combination(weights, sizes, pool):
    models = [_lin([1.0 + k, 0.5 - k], n, seed=k) for k, n in enumerate(sizes)]
    names = [f"m{k}" for k in range(len(models))]
    mix = mixture(dict(zip(names, models)), weights=dict(zip(names, weights)))
    if pool is not None:
        assert mix.n_samples == pool
    x = np.array([0.3, 0.7])
    y = mix.draws(x)
    np.testing.assert_allclose(mix.realized_weights.to_numpy(), weights, atol=1e-12)
    assert y.mean() == pytest.approx(_weighted_mean(models, weights, x), rel=1e-12)
    # the pool is each model's draws repeated a whole number of times, nothing else
    start = 0
    for m, w in zip(models, weights):
        n_m = round(w * mix.n_samples)
        copies = n_m // m.n_samples
        assert copies * m.n_samples == n_m
        np.testing.assert_array_equal(np.sort(y[start:start + n_m]), np.sort(np.tile(m.draws(x), copies)))
        start += n_m
    # the variance of the mixture by the law of total variance, from the models alone
    mean = _weighted_mean(models, weights, x)
    var = sum(w * (m.draws(x).var() + (m.draws(x).mean() - mean) ** 2) for m, w in zip(models, weights))
    assert y.var() == pytest.approx(var, rel=1e-10)


def test_weights_without_an_exact_pool_are_within_one_over_n():
    a, b = _lin([1.0, 0.0], 300, 1), _lin([0.0, 1.0], 300, 2)
    mix = mixture({"a": a, "b": b}, weights={"a": 0.3712, "b": 0.6288}, n_samples=1001)
    counts = np.bincount(mix.model_index)
    assert counts.sum() == 1001
    np.testing.assert_allclose(counts / 1001, [0.3712, 0.6288], atol=1 / 1001)
    # model a supplies 372 draws of its 300: every draw once, 72 of them twice, spread evenly
    used = np.bincount(mix.sample_index[mix.model_index == 0], minlength=300)
    assert used.min() == 1 and used.max() == 2 and used.sum() == counts[0]
    assert np.all(np.diff(np.flatnonzero(used == 2)) >= 3)


def test_zero_weight_model_stays_a_candidate_but_not_in_the_pool():
    a, b = _lin([1.0, 0.0], 200, 1), _lin([0.0, 1.0], 200, 2)
    mix = mixture({"a": a, "b": b}, weights={"a": 1.0, "b": 0.0})
    assert mix.names == ("a", "b") and set(mix.models) == {"a", "b"}
    assert np.all(mix.model_index == 0)
    np.testing.assert_array_equal(mix.draws([1.0, 1.0]), a.draws([1.0, 1.0]))
    assert set(mix.model_draws([1.0, 1.0])) == {"a", "b"}


def test_equal_weights_by_default_and_repr():
    mix = mixture({"a": _lin([1.0, 0.0], 100, 1), "b": _lin([0.0, 1.0], 100, 2)})
    assert mix.weights.tolist() == [0.5, 0.5]
    assert mix.weights.index.name == "model"
    assert "a: 0.5" in repr(mix) and isinstance(mix, MixtureOutcome)


def test_affine_form_vjp_and_conditional_mean_follow_the_pool():
    a, b = _lin([1.0, 0.2], 100, 1), _lin([0.1, 1.0], 100, 2)
    mix = mixture({"a": a, "b": b}, weights={"a": 0.25, "b": 0.75})
    x = np.array([0.4, 1.3])
    A, b0 = mix.affine_form()
    np.testing.assert_allclose(A @ x + b0, mix.draws(x))
    np.testing.assert_array_equal(mix.conditional_mean(x), mix.draws(x))
    cot = np.random.default_rng(3).normal(size=mix.n_samples)
    # vjp against central finite differences of cot . draws (draws are affine: exact)
    eps = 1e-6
    fd = [(cot @ mix.draws(x + eps * e) - cot @ mix.draws(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(mix.vjp(x, cot), fd, rtol=1e-6)
    with pytest.raises(DecideValueError, match="cotangent"):
        mix.vjp(x, cot[:-1])


def test_nonlinear_models_have_a_vjp_but_no_affine_form():
    rng = np.random.default_rng(0)

    def make(scale):
        p = {"k": rng.uniform(0.5, 1.5, (150, 2)) * scale}
        return from_function(lambda x, p: (p["k"] * np.log1p(x)).sum(-1), p, action_shape=2)

    mix = mixture({"a": make(1.0), "b": make(2.0)}, weights={"a": 0.4, "b": 0.6})
    assert mix.affine_form() is None and mix.has_vjp and not mix.has_conditional_mean
    x = np.array([1.0, 2.0])
    cot = rng.normal(size=mix.n_samples)
    eps = 1e-5
    fd = [(cot @ mix.draws(x + eps * e) - cot @ mix.draws(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(mix.vjp(x, cot), fd, rtol=1e-5)


def test_subset_and_parameters():
    mix = mixture({"a": _lin([1.0, 0.0], 100, 1), "b": _lin([0.0, 1.0], 100, 2)})
    idx = np.array([0, 5, 150, 199])
    sub = mix.subset(idx)
    x = [0.2, 0.8]
    np.testing.assert_array_equal(sub.draws(x), mix.draws(x)[idx])
    assert sub.realized_weights.tolist() == [0.5, 0.5] and set(sub.models) == {"a", "b"}
    p = mix.parameters
    np.testing.assert_array_equal(p["model"].values, np.repeat([0.0, 1.0], 100))
    assert p.attrs["model_names"] == ["a", "b"]


def test_options_of_from_draws_models():
    rng = np.random.default_rng(0)
    a = from_draws({"A": rng.normal(1, 1, 100), "B": rng.normal(0, 1, 100)})
    b = from_draws({"A": rng.normal(0, 1, 100), "B": rng.normal(1, 1, 100)})
    mix = mixture({"a": a, "b": b})
    assert mix.options == ("A", "B")
    np.testing.assert_array_equal(mix.draws(mix.one_hot("B")),
                                  np.concatenate([a.draws_for("B"), b.draws_for("B")]))


def test_replicates_are_refused_by_models_that_cannot_simulate_them():
    mix = mixture({"a": _lin([1.0, 0.0], 50, 1), "b": _lin([0.0, 1.0], 50, 2)})
    with pytest.raises(DecideValueError, match=r"models\['a'\]"):
        mix.with_replicates(5, random_seed=0)


def _other_space(n=50):
    return linear(np.ones((n, 2)), names=["tv", "search"])


@pytest.mark.parametrize(
    ("models", "match"),
    [
        ({}, "at least one"),
        ({"a": _lin([1, 0], 50, 1), "b": _other_space()}, "share the action.*names"),
        ({"a": _lin([1, 0], 50, 1), "b": linear(np.ones((50, 3)))}, "shapes"),
        ({"a": linear(np.ones((50, 2)), coords=["x", "y"]),
          "b": linear(np.ones((50, 2)), coords=["y", "x"])}, "labels"),
        ({"a": from_draws({"A": np.zeros(50), "B": np.ones(50)}),
          "b": from_draws({"A": np.zeros((50, 3)), "B": np.ones((50, 3))})}, "n_replicates"),
    ],
)
def test_models_must_share_the_action_and_the_kind_of_draws(models, match):
    with pytest.raises(DecideValueError, match=match):
        mixture(models)


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        ({"a": 0.5, "b": 0.6}, DecideValueError, r"sum to 1.*1\.1"),
        ({"a": 1.2, "b": -0.2}, DecideValueError, "non-negative"),
        ({"a": np.nan, "b": 1.0}, DecideValueError, "finite"),
        ({"a": 1.0}, DecideValueError, r"missing \['b'\]"),
        ({"a": 0.5, "b": 0.5, "c": 0.0}, DecideValueError, r"unknown \['c'\]"),
        ([0.5, 0.5], DecideTypeError, "dict"),
        ("bma", DecideValueError, "stacking"),
        ("stacking", DecideValueError, "idata="),
    ],
)
def test_bad_weights(weights, error, match):
    with pytest.raises(error, match=match):
        mixture({"a": _lin([1, 0], 50, 1), "b": _lin([0, 1], 50, 2)}, weights=weights)


def test_other_bad_input():
    good = {"a": _lin([1, 0], 50, 1), "b": _lin([0, 1], 50, 2)}
    with pytest.raises(DecideTypeError, match=r"models\['b'\] must be an OutcomeModel"):
        mixture({"a": good["a"], "b": np.ones((50, 2))})
    with pytest.raises(DecideTypeError, match="dict name -> OutcomeModel"):
        mixture([good["a"], good["b"]])
    with pytest.raises(DecideValueError, match="idata is used only"):
        mixture(good, weights={"a": 0.5, "b": 0.5}, idata={})
    with pytest.raises(DecideValueError, match="n_samples must be a positive integer"):
        mixture(good, n_samples=0)
    # an action space written by hand is compared field by field, not by identity
    same = linear(np.ones((50, 2)))
    same.action_space = ActionSpec(names=("action",), shapes=((2,),), dims=(("action_dim_0",),))
    assert mixture({"a": good["a"], "b": same}).n_samples == 100
