"""Tests of the robust criteria of decide.optimization: WorstModel and WassersteinCVaR.

Every answer is checked against a program written here from the formulas (cvxpy by hand,
a closed form, a grid), never against decide's own solve.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import (
    Box,
    Budget,
    Discrete,
    Integer,
    WassersteinCVaR,
    WorstModel,
    optimize,
)
from decide.outcomes import from_function, linear, mixture


def _two(seed, n=300, sd=0.3):
    rng = np.random.default_rng(seed)
    a = rng.normal([1.0, 0.4], sd, size=(n, 2))   # channel 0 pays under model a
    b = rng.normal([0.3, 1.0], sd, size=(n, 2))   # channel 1 pays under model b
    return a, b


def _cvar_expr(y, alpha):
    """Rockafellar-Uryasev on the reward scale, written out: max_t t - E[(t - y)^+] / alpha."""
    t = cp.Variable()
    return t - cp.sum(cp.pos(t - y)) / (alpha * y.shape[0]), t


def _by_hand(Ra, Rb, alpha, worst, weights=(0.5, 0.5)):
    """max (1 - worst) CVaR(pooled) + worst * min_m CVaR(model m) over the simplex, in cvxpy."""
    x = cp.Variable(2, nonneg=True)
    pooled = np.vstack([Ra, Rb]) if weights == (0.5, 0.5) else None
    t = cp.Variable()
    ca, _ = _cvar_expr(Ra @ x, alpha)
    cb, _ = _cvar_expr(Rb @ x, alpha)
    cons = [cp.sum(x) == 1, ca >= t, cb >= t]
    total = worst * t
    if worst < 1:
        cm, _ = _cvar_expr(pooled @ x, alpha)
        total = total + (1 - worst) * cm
    prob = cp.Problem(cp.Maximize(total), cons)
    prob.solve(solver="CLARABEL")
    return np.asarray(x.value), float(prob.value)


# -- WorstModel ----------------------------------------------------------------------
def test_two_models_that_disagree_give_the_known_choices():
    Ra, Rb = _two(0, sd=0.05)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)}, weights={"a": 0.7, "b": 0.3})
    ma, mb = Ra.mean(0), Rb.mean(0)
    pooled = 0.7 * ma + 0.3 * mb
    # the mixture puts everything on the channel with the higher pooled mean
    d_mix = optimize(mix, Mean(), Budget(1.0))
    np.testing.assert_allclose(d_mix.flat_action, np.eye(2)[np.argmax(pooled)], atol=1e-7)
    # each model alone picks its own channel
    for R, k in ((Ra, 0), (Rb, 1)):
        np.testing.assert_allclose(optimize(linear(R), Mean(), Budget(1.0)).flat_action, np.eye(2)[k], atol=1e-7)
    # max-min of two lines on the simplex: where they cross
    x0 = (mb[1] - ma[1]) / (ma[0] - ma[1] - mb[0] + mb[1])
    for method in ("cvxpy", "scipy"):
        d = optimize(mix, WorstModel(Mean()), Budget(1.0), method=method)
        assert d.converged and d.method == method
        np.testing.assert_allclose(d.flat_action, [x0, 1 - x0], atol=1e-6)
        assert d.value == pytest.approx(ma @ [x0, 1 - x0], rel=1e-7)
        assert d.table["worst"].all()  # both models bind at the crossing
    # the duals are the adversary's weights on the models: they sum to `worst`
    d = optimize(mix, WorstModel(Mean(), worst=0.4), Budget(1.0), method="cvxpy")
    assert d.table["adversary_weight"].sum() == pytest.approx(0.4, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("worst", [1.0, 0.5])
def test_worst_model_cvar_against_the_program_written_by_hand(seed, worst):
    Ra, Rb = _two(seed)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)})
    x_ref, v_ref = _by_hand(Ra, Rb, 0.1, worst)
    for method in ("cvxpy", "scipy"):
        d = optimize(mix, WorstModel(CVaR(0.1), worst=worst), Budget(1.0), method=method, random_seed=0)
        assert d.converged
        assert d.value == pytest.approx(v_ref, abs=1e-6)
        np.testing.assert_allclose(d.flat_action, x_ref, atol=2e-4)


def test_worst_equal_zero_is_the_objective_on_the_mixture():
    Ra, Rb = _two(3)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)}, weights={"a": 0.25, "b": 0.75})
    plain = optimize(mix, CVaR(0.1), Budget(1.0))
    d = optimize(mix, WorstModel(CVaR(0.1), worst=0.0), Budget(1.0))
    np.testing.assert_allclose(d.flat_action, plain.flat_action)
    assert d.value == pytest.approx(plain.value) and isinstance(d.objective, WorstModel)


def test_nonlinear_models_against_a_scan_of_the_budget_line():
    rng = np.random.default_rng(4)

    def make(beta):
        p = {"beta": np.abs(rng.normal(beta, 0.2, size=(300, 2)))}
        return from_function(lambda x, p: (p["beta"] * np.log1p(x)).sum(-1), p, action_shape=2,
                             jac=lambda x, p: p["beta"] / (1 + x))

    m1, m2 = make([2.0, 0.5]), make([0.4, 1.5])
    mix = mixture({"tv": m1, "search": m2}, weights={"tv": 0.6, "search": 0.4})
    total = 4.0

    def score(s, worst):
        x = np.array([s, total - s])
        per = min(float(np.mean(m.draws(x))) for m in (m1, m2))
        pooled = 0.6 * np.mean(m1.draws(x)) + 0.4 * np.mean(m2.draws(x))
        return (1 - worst) * pooled + worst * per

    for worst in (1.0, 0.5):
        grid = np.linspace(0, total, 801)
        s0 = grid[np.argmax([score(s, worst) for s in grid])]
        ref = minimize_scalar(lambda s, w=worst: -score(s, w), bounds=(max(s0 - 0.01, 0), min(s0 + 0.01, total)),
                              method="bounded", options={"xatol": 1e-10})
        d = optimize(mix, WorstModel(Mean(), worst=worst), Budget(total, equality=True), random_seed=0)
        assert d.method == "scipy" and d.converged
        assert d.value == pytest.approx(-ref.fun, rel=1e-7)
        assert d.flat_action[0] == pytest.approx(ref.x, abs=1e-4)


def test_discrete_space_is_enumerated():
    Ra, Rb = _two(5)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)})
    options = {"tv": [1.0, 0.0], "split": [0.5, 0.5], "search": [0.0, 1.0]}
    d = optimize(mix, WorstModel(CVaR(0.2)), Discrete(options))
    def cvar(y, a=0.2):
        return np.sort(y)[: int(np.ceil(a * y.size))].mean()
    scores = {k: min(cvar(Ra @ v), cvar(Rb @ v)) for k, v in options.items()}
    assert d.option == max(scores, key=scores.get) and d.method == "enumerate"
    np.testing.assert_allclose(d.table["value"].to_numpy(), list(scores.values()), rtol=1e-12)
    np.testing.assert_allclose(d.table["value:a"].to_numpy(), [cvar(Ra @ v) for v in options.values()])


def test_integer_space_by_the_exact_program():
    Ra, Rb = _two(6, sd=0.05)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)})
    d = optimize(mix, WorstModel(Mean()), Integer(Budget(10.0)))
    ma, mb = Ra.mean(0), Rb.mean(0)
    best = max(((k, 10 - k) for k in range(11)), key=lambda x: min(ma @ x, mb @ x))
    np.testing.assert_allclose(d.flat_action, best)


def test_worst_model_bad_input():
    Ra, Rb = _two(7)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)})
    with pytest.raises(DecideTypeError, match="must be a mixture"):
        optimize(linear(Ra), WorstModel(Mean()), Budget(1.0))
    with pytest.raises(DecideValueError, match=r"worst must be in \[0, 1\]"):
        WorstModel(Mean(), worst=1.5)
    with pytest.raises(DecideTypeError, match="Objective"):
        WorstModel("mean")
    with pytest.raises(DecideValueError, match="sample weights"):
        optimize(mix, WorstModel(Mean()), Budget(1.0), weights=np.ones(mix.n_samples))
    with pytest.raises(DecideValueError, match="method must be one of"):
        optimize(mix, WorstModel(Mean()), Budget(1.0), method="cvar-lp")
    with pytest.raises(DecideValueError, match=r"unknown options \['popsize'\]"):
        optimize(mix, WorstModel(Mean()), Budget(1.0), method="cvxpy", popsize=3)
    p = {"k": np.ones((50, 2))}
    curved = mixture({"a": from_function(lambda x, p: (p["k"] * np.sqrt(x)).sum(-1), p, action_shape=2),
                      "b": from_function(lambda x, p: (p["k"] * x).sum(-1), p, action_shape=2)})
    with pytest.raises(DecideValueError, match="not affine"):
        optimize(curved, WorstModel(Mean()), Box(0.0, 1.0), method="cvxpy")
    with pytest.raises(DecideValueError, match="Integer space"):
        optimize(curved, WorstModel(Mean()), Integer(Budget(3.0)))


# -- WassersteinCVaR --------------------------------------------------------------------
def _scenarios(seed, n=500):
    return np.random.default_rng(seed).normal([0.06, 0.03, 0.01], [0.25, 0.1, 0.02], size=(n, 3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_radius_zero_is_plain_cvar(seed):
    R = _scenarios(seed)
    plain = optimize(linear(R), CVaR(0.1), Budget(1.0))
    d = optimize(linear(R), WassersteinCVaR(0.1, radius=0.0), Budget(1.0))
    assert d.converged and d.value == pytest.approx(plain.value, abs=1e-7)
    np.testing.assert_allclose(d.flat_action, plain.flat_action, atol=1e-5)


def _worst_case_sample(R, b, x, alpha, radius, norm):
    """Move the alpha-tail rows by radius / alpha against the action: transport cost = radius."""
    if norm == 2:
        u = x / np.linalg.norm(x)
    elif norm == 1:  # moving along one coordinate; dual norm inf
        j = int(np.argmax(np.abs(x)))
        u = np.zeros_like(x)
        u[j] = np.sign(x[j])
    else:  # inf norm: every coordinate by the same amount; dual norm 1
        u = np.sign(x)
    y = R @ x + b
    k = round(alpha * R.shape[0])
    tail = np.argsort(y)[:k]
    moved = R.copy()
    moved[tail] -= radius / alpha * u
    cost = np.linalg.norm(R - moved, ord=norm, axis=1).mean()
    return moved @ x + b, cost


@pytest.mark.parametrize("norm", [1, 2, np.inf])
@pytest.mark.parametrize("seed", [0, 1])
def test_positive_radius_against_the_direct_program_and_a_worst_distribution(norm, seed):
    R = _scenarios(seed)
    b = np.random.default_rng(seed + 10).normal(0.0, 0.01, R.shape[0])
    alpha, radius = 0.1, 0.004
    d = optimize(linear(R, intercept=b), WassersteinCVaR(alpha, radius, norm=norm), Budget(1.0))
    assert d.converged and d.method == "cvxpy"
    # the direct program: CVaR by Rockafellar-Uryasev minus radius / alpha times the dual norm
    dual = {1: np.inf, 2: 2, np.inf: 1}[norm]
    x = cp.Variable(3, nonneg=True)
    cv, _ = _cvar_expr(R @ x + b, alpha)
    prob = cp.Problem(cp.Maximize(cv - radius / alpha * cp.norm(x, dual)), [cp.sum(x) == 1])
    prob.solve(solver="CLARABEL")
    assert d.value == pytest.approx(prob.value, abs=1e-6)
    np.testing.assert_allclose(d.flat_action, x.value, atol=1e-4)
    # and a distribution inside the ball whose plain CVaR is that value: the bound is attained
    y, cost = _worst_case_sample(R, b, d.flat_action, alpha, radius, norm)
    assert cost == pytest.approx(radius, rel=1e-9)
    tail = np.sort(y)[: round(alpha * y.size)].mean()
    assert tail == pytest.approx(d.value, abs=1e-7)
    # the ball penalizes the dual norm of the action: never larger than at the plain optimum
    plain = optimize(linear(R, intercept=b), CVaR(alpha), Budget(1.0))
    assert np.linalg.norm(d.flat_action, dual) <= np.linalg.norm(plain.flat_action, dual) + 1e-6


def test_wasserstein_on_discrete_and_integer_spaces():
    R = _scenarios(3)
    crit = WassersteinCVaR(0.1, 0.01, norm=1)
    options = {"risky": [1.0, 0, 0], "mixed": [0.3, 0.3, 0.4], "safe": [0, 0, 1.0]}
    d = optimize(linear(R), crit, Discrete(options))
    def score(v):
        return np.sort(R @ v)[:50].mean() - 0.1 * np.max(np.abs(v))
    assert d.option == max(options, key=lambda k: score(np.array(options[k])))
    d = optimize(linear(R), crit, Integer(Budget(4.0)))
    assert d.flat_action.sum() == pytest.approx(4.0) and np.all(d.flat_action == np.round(d.flat_action))
    with pytest.raises(DecideValueError, match="mixed-integer linear"):
        optimize(linear(R), WassersteinCVaR(0.1, 0.01, norm=2), Integer(Budget(4.0)))


def test_wasserstein_bad_input():
    with pytest.raises(DecideValueError, match="alpha"):
        WassersteinCVaR(1.0, 0.1)
    with pytest.raises(DecideValueError, match="radius"):
        WassersteinCVaR(0.1, -0.1)
    with pytest.raises(DecideValueError, match="radius"):
        WassersteinCVaR(0.1, np.inf)
    with pytest.raises(DecideValueError, match="norm must be 1, 2 or numpy.inf"):
        WassersteinCVaR(0.1, 0.1, norm=3)
    p = {"k": np.ones((50, 2))}
    curved = from_function(lambda x, p: (p["k"] * np.sqrt(x)).sum(-1), p, action_shape=2)
    with pytest.raises(DecideValueError, match="linear in the action"):
        optimize(curved, WassersteinCVaR(0.1, 0.1), Budget(1.0))
    with pytest.raises(DecideValueError, match="conic program"):
        optimize(linear(_scenarios(0)), WassersteinCVaR(0.1, 0.1), Budget(1.0), method="scipy")
    assert "radius=0.1" in repr(WassersteinCVaR(0.1, 0.1))
