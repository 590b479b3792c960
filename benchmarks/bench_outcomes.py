"""Benchmark: from_pymc against the naive pm.do + sample_posterior_predictive path.

Saturating marketing model, S = 1000 posterior draws, 150 rows, 3 channels:

    sales_t ~ Normal(base + sum_c beta_c * s_tc / (s_tc + k_c) + gamma * z_t, sigma),
    s_tc = level_c * pattern_tc

Two action sets: the 3 channel levels, and a per-row plan (the 450 pattern values).
Prints per-action times of the naive path, of ``draws`` (value) and of
``value_and_vjp`` in "mean" and "crn" modes, and the ratios, with versions and
thread settings. Targets: value >= 100x faster than naive; value+vjp <= 2x value.

Run: python benchmarks/bench_outcomes.py
"""

from __future__ import annotations

import platform
import time
import warnings

import numpy as np
import xarray as xr

S, T, C = 1000, 150, 3


def build() -> tuple[object, object]:
    import pymc as pm

    rng = np.random.default_rng(0)
    pattern = rng.gamma(2.0, 1.0, size=(T, C))
    with pm.Model(coords={"t": range(T), "channel": ["tv", "radio", "web"]}) as model:
        level = pm.Data("level", np.ones(C), dims="channel")
        pat = pm.Data("pattern", pattern, dims=("t", "channel"))
        z = pm.Data("z", rng.normal(size=T), dims="t")
        base = pm.Normal("base", 10, 1)
        beta = pm.HalfNormal("beta", 2, dims="channel")
        k = pm.HalfNormal("k", 2, dims="channel")
        gamma = pm.Normal("gamma", 0, 1)
        sigma = pm.HalfNormal("sigma", 1)
        spend = level * pat
        mu = base + (beta * spend / (spend + k)).sum(-1) + gamma * z
        pm.Normal("sales", mu, sigma, observed=rng.normal(10, 1, size=T), dims="t")
    post = xr.Dataset(
        {
            "base": (("chain", "draw"), rng.normal(10, 1, size=(2, S // 2))),
            "beta": (("chain", "draw", "channel"), rng.gamma(4, 0.5, size=(2, S // 2, C))),
            "k": (("chain", "draw", "channel"), rng.gamma(4, 0.5, size=(2, S // 2, C))),
            "gamma": (("chain", "draw"), rng.normal(0.5, 0.2, size=(2, S // 2))),
            "sigma": (("chain", "draw"), rng.gamma(9, 0.1, size=(2, S // 2))),
        },
        coords={"channel": ["tv", "radio", "web"]},
    )
    import arviz as az

    if int(az.__version__.split(".")[0]) < 1:
        idata = az.InferenceData(posterior=post)
    else:
        idata = xr.DataTree.from_dict({"posterior": post})
    return model, idata


def timeit(fn, n: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main() -> None:
    import arviz as az
    import pymc as pm
    import pytensor
    from threadpoolctl import threadpool_info, threadpool_limits

    from decide.outcomes import from_pymc
    from decide.outcomes._pymc import default_backend

    warnings.filterwarnings("ignore")
    print(
        f"python {platform.python_version()}, pymc {pm.__version__}, pytensor "
        f"{pytensor.__version__}, arviz {az.__version__}, numpy {np.__version__}"
    )
    print(
        "threads:",
        [(i["internal_api"], i["num_threads"]) for i in threadpool_info()],
        "-> pinned to 1 in timed loops",
    )
    print(f"default backend: {default_backend()}; S={S} draws, {T} rows, {C} channels")
    model, idata = build()
    rng = np.random.default_rng(1)
    for action, shape in (("level", (C,)), ("pattern", (T, C))):
        size = int(np.prod(shape))
        actions = [rng.uniform(0.5, 2.0, size=shape) for _ in range(3)]
        print(f"\n== action {action!r}: {size} action variables ==")
        with threadpool_limits(1):
            t0 = time.perf_counter()
            for i, a in enumerate(actions):
                m = pm.do(model, {action: a})
                pm.sample_posterior_predictive(
                    idata, model=m, var_names=["sales"], random_seed=i, progressbar=False
                )
            t_naive = (time.perf_counter() - t0) / len(actions)
            print(f"naive pm.do + sample_posterior_predictive: {t_naive * 1e3:9.2f} ms/action")
            for mode, kw in (("mean", {}), ("crn", {"n_replicates": 1})):
                t0 = time.perf_counter()
                om = from_pymc(
                    model, idata, action=action, outcome="sales", mode=mode, random_seed=0, **kw
                )
                t_build = time.perf_counter() - t0
                cot = np.ones(om.draws(actions[0]).shape)
                t0 = time.perf_counter()
                om.value_and_vjp(actions[0], cot)
                t_vjp_compile = time.perf_counter() - t0
                t_val = timeit(lambda om=om, acts=actions: [om.draws(a) for a in acts], 20) / 3
                t_vg = (
                    timeit(
                        lambda om=om, acts=actions, cot=cot: [
                            om.value_and_vjp(a, cot) for a in acts
                        ],
                        20,
                    )
                    / 3
                )
                print(
                    f"[{mode:4s}] build+compile {t_build:6.2f} s, vjp compile "
                    f"{t_vjp_compile:6.2f} s | value {t_val * 1e3:7.3f} ms, value+vjp "
                    f"{t_vg * 1e3:7.3f} ms | naive/value {t_naive / t_val:8.1f}x (target "
                    f">= 100x), (value+vjp)/value {t_vg / t_val:5.2f} (target <= 2)"
                )


if __name__ == "__main__":
    main()
