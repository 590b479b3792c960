"""Small PyMC models with known posterior draws, shared by the from_pymc tests.

Each fixture returns the model, a posterior built from KNOWN draws (no NUTS)
in the layout of the installed ArviZ (InferenceData on 0.x, DataTree on 1.x),
and the draws themselves as numpy arrays for independent computations.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import xarray as xr

T, C = 12, 3
CHANNELS = ["tv", "radio", "web"]


@dataclass
class Case:
    model: Any
    idata: Any
    draws: dict[str, np.ndarray]  # (n_samples, ...) flattened chain-major
    data: dict[str, np.ndarray]


def make_idata(
    draws: dict[str, np.ndarray],
    n_chains: int,
    dims: dict[str, list[str]],
    coords: dict[str, Any],
    group: str = "posterior",
) -> Any:
    """An InferenceData / DataTree with the draws reshaped to (chain, draw, ...)."""
    data_vars = {}
    for k, v in draws.items():
        arr = v.reshape(n_chains, v.shape[0] // n_chains, *v.shape[1:])
        data_vars[k] = (("chain", "draw", *dims.get(k, [])), arr)
    used = {d for ds in dims.values() for d in ds}
    ds = xr.Dataset(data_vars, coords={k: v for k, v in coords.items() if k in used})
    import arviz as az

    if int(az.__version__.split(".")[0]) < 1:
        return az.InferenceData(**{group: ds})
    return xr.DataTree.from_dict({group: ds})


def fingerprint(*objs: Any) -> str:
    """Hash of the model graph and posterior values (to check nothing is mutated)."""
    h = hashlib.sha256()
    for obj in objs:
        import pymc as pm

        if isinstance(obj, pm.Model):
            h.update(repr(sorted(obj.named_vars)).encode())
            for _name, var in sorted(obj.named_vars.items()):
                get_value = getattr(var, "get_value", None)
                if get_value is not None:
                    h.update(np.asarray(get_value()).tobytes())
                from pytensor.printing import debugprint

                h.update(debugprint(var, file="str", print_type=True).encode())
            for rv in obj.basic_RVs:
                rng = rv.owner.inputs[0]
                h.update(pickle.dumps(rng.get_value().bit_generator.state))
            h.update(repr(obj.rvs_to_values).encode())
        else:
            groups = obj.groups() if callable(getattr(obj, "groups", None)) else list(obj.children)
            for g in groups:
                part = obj[g] if not callable(getattr(obj, "groups", None)) else getattr(obj, g)
                part = part.to_dataset() if hasattr(part, "to_dataset") else part
                for k in sorted(part.data_vars):
                    h.update(k.encode())
                    h.update(np.asarray(part[k].values).tobytes())
    return h.hexdigest()


@pytest.fixture
def marketing() -> Case:
    """Saturating marketing model with a confounder z.

    sales_t ~ Normal(base + sum_c beta_c * spend_tc / (spend_tc + k_c) + gamma * z_t, sigma)
    """
    import pymc as pm

    rng = np.random.default_rng(11)
    spend0 = rng.gamma(2.0, 1.0, size=(T, C))
    z = rng.normal(size=T)
    coords = {"t": list(range(T)), "channel": CHANNELS}
    with pm.Model(coords=coords) as model:
        spend = pm.Data("spend", spend0, dims=("t", "channel"))
        zz = pm.Data("z", z, dims="t")
        base = pm.Normal("base", 10.0, 1.0)
        beta = pm.HalfNormal("beta", 2.0, dims="channel")
        k = pm.HalfNormal("k", 2.0, dims="channel")
        gamma = pm.Normal("gamma", 0.0, 1.0)
        sigma = pm.HalfNormal("sigma", 1.0)
        mu = pm.Deterministic(
            "mu", base + (beta * spend / (spend + k)).sum(-1) + gamma * zz, dims="t"
        )
        pm.Normal("sales", mu, sigma, observed=rng.normal(10, 1, size=T), dims="t")
    s = 40
    draws = {
        "base": rng.normal(10, 1, size=s),
        "beta": rng.gamma(4, 0.5, size=(s, C)),
        "k": rng.gamma(4, 0.5, size=(s, C)),
        "gamma": rng.normal(0.5, 0.2, size=s),
        "sigma": rng.gamma(9, 0.1, size=s),
    }
    idata = make_idata(draws, 2, {"beta": ["channel"], "k": ["channel"]}, coords)
    return Case(model, idata, draws, {"spend": spend0, "z": z})


@pytest.fixture
def treatment() -> Case:
    """Logistic treatment model: y_i ~ Binomial(n, sigmoid(a + b * treat_i + c * x_i))."""
    import pymc as pm

    rng = np.random.default_rng(12)
    n = 8
    x = rng.normal(size=n)
    with pm.Model(coords={"unit": list(range(n))}) as model:
        treat = pm.Data("treat", np.zeros(n), dims="unit")
        xx = pm.Data("x", x, dims="unit")
        a = pm.Normal("a", 0, 1)
        b = pm.Normal("b", 0, 1)
        c = pm.Normal("c", 0, 1)
        p = pm.Deterministic("p", pm.math.sigmoid(a + b * treat + c * xx), dims="unit")
        pm.Binomial("y", n=20, p=p, observed=rng.integers(0, 20, size=n), dims="unit")
    s = 30
    draws = {
        "a": rng.normal(-0.5, 0.3, size=s),
        "b": rng.normal(1.0, 0.3, size=s),
        "c": rng.normal(0.2, 0.1, size=s),
    }
    idata = make_idata(draws, 3, {}, {})
    return Case(model, idata, draws, {"x": x})


@pytest.fixture
def demand() -> Case:
    """Poisson demand with a price action: q_i ~ Poisson(exp(a_i + b * log(price_i)))."""
    import pymc as pm

    rng = np.random.default_rng(13)
    n = 4
    with pm.Model(coords={"product": ["p0", "p1", "p2", "p3"]}) as model:
        price = pm.Data("price", np.full(n, 2.0), dims="product")
        a = pm.Normal("a", 3.0, 0.5, dims="product")
        b = pm.Normal("b", -1.5, 0.3)
        lam = pm.Deterministic("lam", pm.math.exp(a + b * pm.math.log(price)), dims="product")
        pm.Poisson("demand", lam, observed=np.full(n, 5), dims="product")
    s = 50
    draws = {"a": rng.normal(3.0, 0.3, size=(s, n)), "b": rng.normal(-1.5, 0.2, size=s)}
    idata = make_idata(draws, 1, {"a": ["product"]}, {"product": ["p0", "p1", "p2", "p3"]})
    return Case(model, idata, draws, {})


def marketing_mean(draws: dict[str, np.ndarray], spend: np.ndarray, z: np.ndarray) -> np.ndarray:
    """E[sales | theta, do(spend)] in numpy, shape (n_samples, T)."""
    sat = draws["beta"][:, None, :] * spend / (spend + draws["k"][:, None, :])
    return draws["base"][:, None] + sat.sum(-1) + draws["gamma"][:, None] * z


#: Draws of the sales model (4 samples) shared by the compile-cache tests.
SALES_BETA = np.array([0.5, 1.0, 1.5, 2.0])
SALES_GAMMA = np.array([0.2, -0.1, 0.3, 0.0])


def sales_model(scale: float = 2.0, n: int = 3, base: float = 1.0) -> Any:
    """sales_i = beta * log(1 + spend_i) * w_i + scale * gamma, w a pm.Data."""
    import pymc as pm

    with pm.Model() as m:
        spend = pm.Data("spend", np.ones(n))
        w = pm.Data("w", np.full(n, base))
        beta = pm.Normal("beta", 1.0, 1.0)
        gamma = pm.Normal("gamma", 0.0, 1.0)
        pm.Deterministic("sales", beta * pm.math.log(1 + spend) * w + scale * gamma)
    return m


def sales_expect(a: np.ndarray, scale: float = 2.0, base: float = 1.0) -> np.ndarray:
    """The closed form of :func:`sales_model`'s reduced draws at ``spend = a``."""
    return (SALES_BETA[:, None] * np.log1p(a) * base + scale * SALES_GAMMA[:, None]).sum(axis=1)
