"""Bad inputs to ``from_pymc``: named DecideErrors (or the documented NotImplementedError).

Posteriors are built from known draws (no sampling). Every message must name the
offending argument or variable and, for unknown names, list the model's variables.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideError, DecideTypeError, DecideValueError
from decide.measures import Mean
from decide.optimization import Box, optimize
from decide.outcomes import from_pymc

pm = pytest.importorskip("pymc")

from conftest import as_posterior, spend_draws, spend_model  # noqa: E402

VARIABLES = "beta, mu, profit, sales, sigma, spend"


@pytest.fixture(scope="module")
def model():
    return spend_model()


@pytest.fixture(scope="module")
def draws():
    return spend_draws(n=20)


def _check(call, exc, fragments) -> None:
    with pytest.raises(exc) as info:
        call()
    assert type(info.value) is exc, f"raised {type(info.value).__name__}: {info.value}"
    if issubclass(exc, DecideError):
        assert isinstance(info.value, DecideError)
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {str(info.value)!r}"


def _cases(model, draws):
    post = as_posterior(draws)
    only_beta = {"beta": draws["beta"]}
    return [
        ("unknown action", lambda: from_pymc(model, post, action="spnd", outcome="sales"),
         DecideValueError, ("['spnd'] not found", VARIABLES)),
        ("unknown action in a list",
         lambda: from_pymc(model, post, action=["spend", "price"], outcome="sales"),
         DecideValueError, ("'price'", VARIABLES)),
        ("action an empty list", lambda: from_pymc(model, post, action=[], outcome="sales"),
         DecideValueError, ("action must be a variable name", "[]", VARIABLES)),
        ("unknown outcome", lambda: from_pymc(model, post, action="spend", outcome="revenue"),
         DecideValueError, ("outcome 'revenue' is not a variable", VARIABLES)),
        ("outcome of the wrong type", lambda: from_pymc(model, post, action="spend", outcome=3),
         DecideTypeError, ("outcome",)),
        ("posterior missing a free variable",
         lambda: from_pymc(model, only_beta, action="spend", outcome="sales"), DecideValueError,
         ("no draws of the free variable 'sigma'", "['beta']")),
        ("empty posterior",
         lambda: from_pymc(model, {k: v[:0] for k, v in draws.items()}, action="spend",
                           outcome="sales"),
         DecideValueError, ("has no draws",)),
        ("posterior with nan",
         lambda: from_pymc(model, {**draws, "sigma": np.where(np.arange(20) == 4, np.nan,
                                                              draws["sigma"])},
                           action="spend", outcome="sales"),
         DecideValueError, ("'sigma' must be finite", "NaN")),
        ("posterior of the wrong shape",
         lambda: from_pymc(model, {**draws, "beta": draws["beta"][:, :1]}, action="spend",
                           outcome="sales"),
         DecideValueError, ("'beta'", "(1,)", "(2,)")),
        ("posterior arrays of different lengths",
         lambda: from_pymc(model, {**draws, "beta": draws["beta"][:10]}, action="spend",
                           outcome="sales"),
         DecideValueError, ("share their first (sample) axis", "'beta': 10", "'sigma': 20")),
        ("missing group", lambda: from_pymc(model, post, action="spend", outcome="sales",
                                            group="prior"),
         DecideValueError, ("no group 'prior'", "posterior")),
        ("posterior of the wrong type",
         lambda: from_pymc(model, [1.0, 2.0], action="spend", outcome="sales"), DecideTypeError,
         ("idata must be", "list")),
        ("model of the wrong type", lambda: from_pymc(object(), post, action="a", outcome="b"),
         DecideTypeError, ("model must be a pymc.Model", "object")),
        ("unknown mode", lambda: from_pymc(model, post, action="spend", outcome="sales",
                                           mode="exact"),
         DecideValueError, ("mode must be one of", "'exact'")),
        ("replicates in mean mode",
         lambda: from_pymc(model, post, action="spend", outcome="sales", n_replicates=3),
         DecideValueError, ("n_replicates must be None in mode=\"mean\"", "3")),
        ("zero replicates",
         lambda: from_pymc(model, post, action="spend", outcome="sales", mode="crn",
                           n_replicates=0),
         DecideValueError, ("n_replicates must be a positive integer", "0")),
        ("float replicates",
         lambda: from_pymc(model, post, action="spend", outcome="sales", mode="crn",
                           n_replicates=2.5),
         DecideTypeError, ("n_replicates", "2.5")),
        ("unknown reduce",
         lambda: from_pymc(model, post, action="spend", outcome="sales", reduce="max"),
         DecideValueError, ("reduce must be 'sum', 'mean' or a callable", "'max'")),
        ("max_draws zero",
         lambda: from_pymc(model, post, action="spend", outcome="sales", max_draws=0),
         DecideValueError, ("max_draws must be a positive integer", "0")),
        ("random_seed text",
         lambda: from_pymc(model, post, action="spend", outcome="sales", random_seed="x"),
         DecideTypeError, ("random_seed must be", "str")),
    ]


_IDS = [c[0] for c in _cases(spend_model(), spend_draws(n=20))]


@pytest.mark.parametrize("case", _IDS)
def test_bad_input_raises_a_named_decide_error(model, draws, case) -> None:
    _, call, exc, fragments = next(c for c in _cases(model, draws) if c[0] == case)
    _check(call, exc, fragments)


def test_action_shape_mismatch(model, draws) -> None:
    om = from_pymc(model, as_posterior(draws), action="spend", outcome="profit",
                   backend="FAST_COMPILE")
    _check(lambda: om.draws([1.0, 2.0, 3.0]), DecideValueError,
           ("action must be a flat vector of length 2", "(3,)"))
    _check(lambda: om.draws({"spend": [1.0]}), DecideValueError, ("action['spend']", "(1,)"))
    _check(lambda: om.vjp([1.0, 1.0], np.ones(3)), DecideValueError,
           ("cotangent must have the shape", "(20,)", "(3,)"))


def test_likelihood_without_a_mean_in_mean_mode() -> None:
    with pm.Model() as heavy:
        a = pm.Data("a", 1.0)
        s = pm.HalfNormal("s", 1.0)
        pm.Cauchy("y", a, s, observed=np.zeros(3))
    post = {"s": np.linspace(0.5, 1.5, 10)}
    _check(lambda: from_pymc(heavy, post, action="a", outcome="y"), DecideValueError,
           ("'cauchy' of 'y' has no mean", "\"sample\" or \"crn\""))
    om = from_pymc(heavy, post, action="a", outcome="y", mode="crn", n_replicates=2,
                   random_seed=0, backend="FAST_COMPILE")
    assert not om.has_conditional_mean
    _check(lambda: om.conditional_mean(1.0), NotImplementedError, ("'cauchy' of 'y'",))


def test_discrete_variable_on_the_gradient_path() -> None:
    # z is a discrete free variable downstream of the action: simulated under do(a) by its
    # quantile function, a step function of a, so "crn" is value only: vjp says why and
    # optimize falls back, saying so
    with pm.Model() as counts:
        a = pm.Data("a", 1.0)
        lam = pm.HalfNormal("lam", 1.0)
        z = pm.Poisson("z", lam * a)
        pm.Deterministic("value", 2.0 * z - a**2)
    post = {"lam": np.linspace(0.5, 1.5, 16)}
    om = from_pymc(counts, post, action="a", outcome="value", mode="crn", random_seed=0,
                   backend="FAST_COMPILE")
    assert not om.has_vjp
    _check(lambda: om.vjp(1.0, np.ones(16)), NotImplementedError,
           ("'z' is discrete ('poisson')", "no gradient", "mode=\"mean\""))
    d = optimize(om, Mean(), Box(0.0, 3.0), method="scipy", random_seed=0)
    assert any("finite differences" in n and "no vjp" in n for n in d.diagnostics.notes)
    # the mean mode replaces z by its mean lam * a: differentiable, and the optimum is
    # closed form: argmax 2 * mean(lam) * a - a^2 = mean(lam)
    mean_model = from_pymc(counts, post, action="a", outcome="value", backend="FAST_COMPILE")
    assert mean_model.has_vjp
    d = optimize(mean_model, Mean(), Box(0.0, 3.0), method="scipy", random_seed=0)
    np.testing.assert_allclose(d.flat_action, [post["lam"].mean()], rtol=1e-6)
