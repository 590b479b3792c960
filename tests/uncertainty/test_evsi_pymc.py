"""EVSI on a tiny PyMC model: regression, moment matching and nested refits against the closed form.

effect ~ N(0, 1), y_i ~ N(effect, 2) with 4 observations: the posterior is normal
(precision 1 + 4/4 = 2), so the EVSI of n more observations for the choice
treat (payoff = effect) or wait (0) has the normal closed form; the MCMC draws add
a small error to the posterior mean (the ``slack``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

pm = pytest.importorskip("pymc")

from decide.outcomes import from_pymc  # noqa: E402
from decide.uncertainty import Experiment, evsi  # noqa: E402

SIGMA = 2.0
Y_OLD = np.array([1.1, -0.8, 2.3, 0.4])


def build(data, decision=False):
    with pm.Model() as model:
        x = pm.Data("x", data["x"])
        effect = pm.Normal("effect", 0.0, 1.0)
        pm.Normal("y", effect * x, SIGMA, observed=data["y"], shape=x.shape)
        if decision:
            treat = pm.Data("treat", 1.0)
            pm.Normal("payoff", treat * effect, 1.0)
    return model


def exact_evsi(n: int) -> float:
    prec = 1.0 + Y_OLD.size / SIGMA**2
    m, v = (Y_OLD.sum() / SIGMA**2) / prec, 1.0 / prec
    s = np.sqrt(v * n * v / (n * v + SIGMA**2))
    return m * norm.cdf(m / s) + s * norm.pdf(m / s) - max(m, 0.0)


def test_three_estimators_agree_with_the_closed_form_and_each_other():
    data = {"x": np.ones(Y_OLD.size), "y": Y_OLD}
    with build(data, decision=True):
        idata = pm.sample(500, tune=300, chains=2, cores=1, random_seed=1, progressbar=False,
                          compute_convergence_checks=False)
    out = from_pymc(build(data, decision=True), idata, action="treat", outcome="payoff")
    exp = Experiment.from_pymc(build, data, {"x": 1.0}, "y", draws=300, tune=300, chains=1)
    actions = {"treat": 1.0, "wait": 0.0}
    n, slack = 10, 0.03
    reg = evsi(out, actions, exp, n=[n], random_seed=2)
    mm = evsi(out, actions, exp, n=[n], method="moment_matching", n_refits=4, random_seed=2)
    nest = evsi(out, actions, exp, n=[n], method="nested", n_outer=6, random_seed=2)
    truth = exact_evsi(n)
    for res in (reg, mm, nest):
        assert abs(res.value[n] - truth) <= 3 * res.standard_error[n] + slack, res.table
    for res in (reg, mm):
        both = np.hypot(res.standard_error[n], nest.standard_error[n])
        assert abs(res.value[n] - nest.value[n]) <= 3 * both + slack
    assert mm.table.loc[n, "n_refits"] == 4 and nest.table.loc[n, "n_datasets"] == 6
    # the outcome's posterior is the refits' starting point: it is never modified
    assert out.posterior["effect"].shape == (1000,)
    # the same experiment updated by importance weights from the model's own logp (no sampling)
    weighted = Experiment.from_pymc(build, data, {"x": 1.0}, "y", update="importance")
    for method, kw in (("nested", {"n_outer": 150}), ("moment_matching", {"n_refits": 20})):
        res = evsi(out, actions, weighted, n=[n], method=method, random_seed=3, **kw)
        assert abs(res.value[n] - truth) <= 3 * res.standard_error[n] + slack, res.table
        assert res.table.loc[n, "min_ess"] > 20


def test_from_pymc_bad_input():
    from decide.errors import DecideValueError

    data = {"x": np.ones(Y_OLD.size), "y": Y_OLD}
    with pytest.raises(DecideValueError, match="update must be 'refit' or 'importance'"):
        Experiment.from_pymc(build, data, {"x": 1.0}, "y", update="bogus")
    with pytest.raises(DecideValueError, match="observed='z' must be a key of data"):
        Experiment.from_pymc(build, data, {"x": 1.0}, "z")
    with pytest.raises(DecideValueError, match="chains must be an integer >= 1"):
        Experiment.from_pymc(build, data, {"x": 1.0}, "y", chains=0)
