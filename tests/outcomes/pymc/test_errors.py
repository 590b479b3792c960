"""from_pymc: bad input raises clear errors, and nothing is mutated on failure."""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

# These tests exercise the compiled graph on the design the model was fitted on (the
# action is the fitted history on purpose); the history warning is tested in test_data.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore:the action .* as many as the observed data:UserWarning"
)

from decide.errors import DecideTypeError, DecideValueError  # noqa: E402
from decide.outcomes import from_pymc  # noqa: E402

from .conftest import Case, fingerprint, make_idata  # noqa: E402


def test_unknown_action_lists_variables(marketing: Case) -> None:
    with pytest.raises(DecideValueError, match=r"\['budget'\] not found.*spend"):
        from_pymc(marketing.model, marketing.idata, action="budget", outcome="sales")


def test_unknown_outcome_lists_variables(marketing: Case) -> None:
    with pytest.raises(DecideValueError, match="'profit' is not a variable.*sales"):
        from_pymc(marketing.model, marketing.idata, action="spend", outcome="profit")
    with pytest.raises(DecideValueError, match="asked for 'price'"):
        from_pymc(
            marketing.model,
            marketing.idata,
            action="spend",
            outcome=lambda v: v["sales"] * v["price"],
        )
    with pytest.raises(DecideTypeError, match="variable name or a callable"):
        from_pymc(marketing.model, marketing.idata, action="spend", outcome=3)


def test_outcome_not_depending_on_action(marketing: Case) -> None:
    with pytest.raises(DecideValueError, match="does not depend on the action"):
        from_pymc(marketing.model, marketing.idata, action="spend", outcome="base")


def test_action_shape_mismatch(marketing: Case) -> None:
    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="mu")
    with pytest.raises(DecideValueError, match=r"shape \(12, 3\)"):
        om.draws(np.ones((3, 12)))
    with pytest.raises(DecideValueError, match="cotangent must have the shape"):
        om.vjp(np.ones((12, 3)), np.ones(7))


def test_posterior_missing_free_variable(marketing: Case) -> None:
    draws = {k: v for k, v in marketing.draws.items() if k != "gamma"}
    idata = make_idata(
        draws, 1, {"beta": ["channel"], "k": ["channel"]}, {"channel": ["tv", "radio", "web"]}
    )
    with pytest.raises(DecideValueError, match="no draws of the free variable 'gamma'"):
        from_pymc(marketing.model, idata, action="spend", outcome="sales")


def test_posterior_shape_mismatch(marketing: Case) -> None:
    draws = dict(marketing.draws, beta=marketing.draws["beta"][:, :2])
    idata = make_idata(
        draws,
        1,
        {"beta": ["two"], "k": ["channel"]},
        {"channel": ["tv", "radio", "web"], "two": [0, 1]},
    )
    # beta's length is a dim of the model (no static shape): its shape is evaluated
    with pytest.raises(
        DecideValueError,
        match=r"'beta' have shape \(2,\) per draw but the model variable has shape \(3,\)",
    ):
        from_pymc(marketing.model, idata, action="spend", outcome="sales")


def test_empty_posterior(marketing: Case) -> None:
    draws = {k: v[:0] for k, v in marketing.draws.items()}
    with pytest.raises(DecideValueError, match="no draws|at least one"):
        from_pymc(marketing.model, draws, action="spend", outcome="sales")
    with pytest.raises(DecideValueError):
        from_pymc(marketing.model, {}, action="spend", outcome="sales")


def test_no_mean_names_distribution_and_modes() -> None:
    with pm.Model() as model:
        x = pm.Data("x", 1.0)
        b = pm.Normal("b", 1.0, 0.1)
        pm.Cauchy("y", b * x, 1.0, observed=0.0)
    draws = {"b": np.array([1.0, 1.1])}
    with pytest.raises(DecideValueError, match=r"'cauchy'.*\"sample\" or \"crn\""):
        from_pymc(model, draws, action="x", outcome="y")
    om = from_pymc(model, draws, action="x", outcome="y", mode="crn", random_seed=0)
    assert om.has_vjp and not om.has_conditional_mean
    with pytest.raises(NotImplementedError, match="cauchy"):
        om.conditional_mean(1.0)


def test_bad_mode_replicates_reduce_seed(marketing: Case) -> None:
    args = (marketing.model, marketing.idata)
    with pytest.raises(DecideValueError, match="mode must be one of"):
        from_pymc(*args, action="spend", outcome="sales", mode="median")
    with pytest.raises(DecideValueError, match="n_replicates must be None"):
        from_pymc(*args, action="spend", outcome="sales", n_replicates=3)
    with pytest.raises(DecideValueError, match="positive integer"):
        from_pymc(*args, action="spend", outcome="sales", mode="crn", n_replicates=0)
    with pytest.raises(DecideValueError, match="reduce must be"):
        from_pymc(*args, action="spend", outcome="sales", reduce="max")
    with pytest.raises(DecideTypeError, match="random_seed"):
        from_pymc(*args, action="spend", outcome="sales", random_seed="x")
    with pytest.raises(DecideTypeError, match="pymc.Model"):
        from_pymc("model", marketing.idata, action="spend", outcome="sales")
    with pytest.raises(DecideValueError, match="no group 'prior'"):
        from_pymc(*args, action="spend", outcome="sales", group="prior")


def test_non_differentiable_modes_raise_on_vjp(treatment: Case) -> None:
    before = fingerprint(treatment.model, treatment.idata)
    om = from_pymc(
        treatment.model, treatment.idata, action="treat", outcome="y", mode="crn", random_seed=0
    )
    assert not om.has_vjp
    with pytest.raises(NotImplementedError, match='binomial.*mode="mean"'):
        om.vjp(np.zeros(8), np.ones(om.n_samples))
    om_mean = from_pymc(treatment.model, treatment.idata, action="treat", outcome="y")
    assert om_mean.has_vjp  # the mean of a discrete likelihood is smooth
    assert fingerprint(treatment.model, treatment.idata) == before


def test_bernoulli_crn_is_value_only_and_thresholds_uniforms() -> None:
    rng = np.random.default_rng(2)
    with pm.Model() as model:
        t = pm.Data("t", 0.0)
        a = pm.Normal("a", 0, 1)
        pm.Bernoulli("y", p=pm.math.sigmoid(a + t), observed=1)
    draws = {"a": rng.normal(size=200)}
    om = from_pymc(model, draws, action="t", outcome="y", mode="crn", n_replicates=4, random_seed=1)
    lo, hi = om.sample(-1.0), om.sample(1.0)
    assert np.all(hi >= lo)  # monotone in the action under common uniforms
    p = 1 / (1 + np.exp(-(draws["a"] + 1.0)))
    assert abs(hi.mean() - p.mean()) < 4 * np.sqrt(p.mean() * (1 - p.mean()) / hi.size)
    assert not om.has_vjp and "discrete" in om.vjp_unavailable_reason


def test_bad_subset_indices(marketing: Case) -> None:
    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="mu")
    with pytest.raises(DecideValueError, match="indices must be in"):
        om.subset([0, 40])
    with pytest.raises(DecideValueError, match="non-empty"):
        om.subset([])


def test_action_of_the_wrong_type_lists_the_variables(marketing):
    model, idata = marketing.model, marketing.idata
    with pytest.raises(DecideTypeError, match=r"action must be a variable name.*got 3 of type int.*Variables:"):
        from_pymc(model, idata, action=3, outcome="sales")


def test_single_draw_posterior_is_rejected(marketing):
    model, idata = marketing.model, marketing.idata
    with pytest.raises(DecideValueError, match=r"at least 2 posterior draws.*got 1 \(max_draws=1\)"):
        from_pymc(model, idata, action="spend", outcome="sales", max_draws=1)


def test_a_simulated_variable_pytensor_cannot_batch_is_a_clear_error() -> None:
    """A simulated pm.Mixture: crn and sample name the mode that works; mean is exact."""
    with pm.Model() as m:
        q = pm.Data("q", 1.0)
        w = pm.Dirichlet("w", np.ones(2))
        y = pm.Mixture("y", w=w, comp_dists=[pm.Normal.dist(0, 1), pm.Normal.dist(3, 1)])
        pm.Deterministic("out", q * y)
    post = {"w": np.tile([0.3, 0.7], (5, 1))}
    for mode in ("crn", "sample"):
        with pytest.raises(DecideValueError, match=r"cannot batch the outcome 'out'.*mode=\"mean\""):
            from_pymc(m, post, action="q", outcome="out", mode=mode, backend="FAST_COMPILE")
    om = from_pymc(m, post, action="q", outcome="out", mode="mean", backend="FAST_COMPILE")
    np.testing.assert_allclose(om.draws(2.0), 2.0 * (0.3 * 0.0 + 0.7 * 3.0), rtol=1e-12)
