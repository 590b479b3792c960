"""Forecast variables added after sampling are simulated given their parents (issue 22).

The expected values come from pymc's own ``sample_posterior_predictive`` run on a
copy of the model, or from the posterior draws in numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from tests.outcomes.pymc.conftest import fingerprint, make_idata

pm = pytest.importorskip("pymc")
from decide.outcomes import from_pymc  # noqa: E402

STORES = ["a", "b", "c"]
PRICE, COST = 5.0, 3.0
Q = np.array([8.0, 12.0, 20.0])


def _forecast_model(n: int = 4000):
    """Hierarchical NegativeBinomial demand fit on data; ``demand_next`` added after the fit."""
    coords = {"store": STORES, "obs": list(range(4))}
    with pm.Model(coords=coords) as model:
        q = pm.Data("q", np.full(3, 10.0), dims="store")
        mu = pm.LogNormal("mu", 2.5, 0.3, dims="store")
        alpha = pm.Gamma("alpha", 5.0, 1.0)
        pm.NegativeBinomial(
            "sales", mu=mu, alpha=alpha, observed=np.full((4, 3), 9), dims=("obs", "store")
        )
    rng = np.random.default_rng(0)
    draws = {
        "mu": rng.lognormal(np.log([8.0, 12.0, 20.0]), 0.1, size=(n, 3)),
        "alpha": rng.gamma(50.0, 0.1, size=n),
    }
    idata = make_idata(draws, 2, {"mu": ["store"]}, {"store": STORES})
    with model:  # the PyMC forecasting pattern: a new variable after pm.sample
        demand = pm.NegativeBinomial("demand_next", mu=mu, alpha=alpha, dims="store")
        pm.Deterministic(
            "profit", PRICE * pm.math.minimum(q, demand) - COST * q, dims="store"
        )
    return model, idata, draws


def test_forecast_variable_matches_sample_posterior_predictive() -> None:
    model, idata, draws = _forecast_model()
    before = fingerprint(model)
    om = from_pymc(model, idata, action="q", outcome="profit", mode="crn", random_seed=1)
    assert om.simulated == ("demand_next",)
    assert set(om.posterior.data_vars) == {"mu", "alpha"}
    ours = om.sample(Q)  # (n_samples, store)
    assert fingerprint(model) == before  # the user's model is not touched

    with model.copy():
        pp = pm.sample_posterior_predictive(
            idata, var_names=["demand_next"], random_seed=2, progressbar=False
        )
    group = pp.posterior_predictive if hasattr(pp, "posterior_predictive") else pp[
        "posterior_predictive"]
    demand = np.asarray(group["demand_next"].values).reshape(-1, 3)
    theirs = PRICE * np.minimum(Q, demand) - COST * Q
    se = np.sqrt(ours.var(0) / len(ours) + theirs.var(0) / len(theirs))
    np.testing.assert_array_less(np.abs(ours.mean(0) - theirs.mean(0)), 4 * se)
    # and the forecast's spread (not only its mean) is pymc's
    se_var = np.sqrt(2.0 / len(theirs)) * theirs.var(0) * 2
    np.testing.assert_array_less(np.abs(ours.var(0) - theirs.var(0)), 4 * se_var)

    # mean mode: E[q * demand_next | theta] = q * mu exactly, from the draws
    mean = from_pymc(
        model, idata, action="q", outcome=lambda v: v["q"] * v["demand_next"], mode="mean"
    )
    np.testing.assert_allclose(mean.sample(Q), Q * draws["mu"], rtol=1e-12)


def test_variable_conditioned_on_data_still_needs_posterior_draws() -> None:
    model, _, draws = _forecast_model(n=20)
    idata = make_idata({"alpha": draws["alpha"]}, 1, {}, {})
    with pytest.raises(DecideValueError) as info:
        from_pymc(model, idata, action="q", outcome="profit", mode="crn")
    msg = str(info.value)
    assert "no draws of the free variable 'mu'" in msg
    assert "conditioned on the observed data ['sales']" in msg
    assert "['alpha']" in msg


def test_gradient_advice_never_recommends_the_biased_plug_in() -> None:
    """Without a gradient, a non-affine outcome is pointed to crn / a grid, not to mode='mean'."""
    model, idata, _ = _forecast_model(n=20)
    for mode in ("sample", "crn"):
        om = from_pymc(model, idata, action="q", outcome="profit", mode=mode, random_seed=0,
                       backend="FAST_COMPILE")
        reason = om.vjp_unavailable_reason
        assert reason is not None and "biased plug-in" in reason, reason
        assert "use mode=\"mean\"" not in reason.lower()
        assert ("Discrete grid" in reason) and (mode == "crn" or 'mode="crn"' in reason)
    # an outcome affine in the forecast keeps the (exact) mean-mode advice
    om = from_pymc(model, idata, action="q", outcome=lambda v: v["q"] * v["demand_next"],
                   mode="sample", backend="FAST_COMPILE")
    assert 'mode="mean"' in om.vjp_unavailable_reason
    assert "biased" not in om.vjp_unavailable_reason


def test_no_blas_warning_from_decides_numba_compile() -> None:
    """pytensor's BLAS probe warns nowhere in decide's numba compiles (fresh processes)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONWARNINGS": "default", "DECIDE_DISK_CACHE": "0"}

    def run(code: str) -> str:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        assert "could not link to a BLAS" not in out.stderr
        return out.stdout.strip()

    # the flag read inside the context: probed, silently
    assert run(
        "import pytensor\n"
        "from decide.outcomes.pymc._quiet import quiet_blas_probe\n"
        "with quiet_blas_probe('NUMBA'):\n"
        "    print(type(pytensor.config.blas__ldflags).__name__)\n"
    ) == "str"
    # a numba compile of from_pymc, whether or not its rewrites read the flag
    value = run(
        "import numpy as np, pymc as pm\n"
        "from decide.outcomes import from_pymc\n"
        "with pm.Model() as m:\n"
        "    q = pm.Data('q', np.ones(2))\n"
        "    b = pm.Normal('b', 0, 1, shape=2)\n"
        "    pm.Deterministic('y', (b * pm.math.log(1 + q)).sum())\n"
        "om = from_pymc(m, {'b': np.ones((3, 2))}, action='q', outcome='y')\n"
        "print(float(om.draws(np.full(2, np.e - 1)).sum()))\n"
    )
    assert float(value) == pytest.approx(6.0, rel=1e-12)  # 3 draws of 1 * log(e) * 2


def test_variable_upstream_of_posterior_draws_is_not_resimulated() -> None:
    """z -> theta with theta's draws given: z's posterior is not its prior, so z is required."""
    with pm.Model() as model:
        q = pm.Data("q", 1.0)
        z = pm.Normal("z", 0.0, 1.0)
        theta = pm.Normal("theta", z, 1.0)
        pm.Deterministic("out", q * (z + theta))
    with pytest.raises(DecideValueError, match=r"posterior draws of its descendants \['theta'\]"):
        from_pymc(model, {"theta": np.ones(5)}, action="q", outcome="out")
