"""Benchmark: from_pymc against the naive pm.do + sample_posterior_predictive path.

Saturating marketing model, S = 1000 posterior draws, 150 rows, 3 channels:

    sales_t ~ Normal(base + sum_c beta_c * s_tc / (s_tc + k_c) + gamma * z_t, sigma),
    s_tc = level_c * pattern_tc

Two action sets: the 3 channel levels, and a per-row plan (the 450 pattern values).
Prints per-action times of the naive path, of ``draws`` (value) and of
``value_and_vjp`` in "mean" and "crn" modes, for each backend and vjp strategy
(``"jacobian"``: one function returns the draws and their per-draw Jacobian, the
default since issue 17; ``"joint"``: one function returns value and gradient;
``"split"``: a gradient-only function next to the value function), and the ratios, with versions and thread
settings. Each figure is the median of 7 interleaved repeats (the machine is shared);
the ratio is the median of the per-repeat ratios.
Targets: value >= 100x faster than naive; value+vjp <= 2x value.

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


def paired(f_val, f_vg, n: int, repeats: int = 7) -> tuple[float, float, float]:
    """Median times of ``f_val`` and ``f_vg`` (mean of ``n`` calls each, interleaved per
    repeat) and the median of the per-repeat ratios: robust to load on a shared machine."""
    f_val()
    f_vg()
    tv, tg = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            f_val()
        tv.append((time.perf_counter() - t0) / n)
        t0 = time.perf_counter()
        for _ in range(n):
            f_vg()
        tg.append((time.perf_counter() - t0) / n)
    ratio = float(np.median(np.array(tg) / np.array(tv)))
    return float(np.median(tv)), float(np.median(tg)), ratio


def main() -> None:
    import os

    import arviz as az
    import pymc as pm
    import pytensor
    from threadpoolctl import threadpool_info, threadpool_limits

    from decide.outcomes import from_pymc
    from decide.outcomes.pymc._grad import default_vjp_strategy
    from decide.outcomes.pymc._outcome import default_backend

    warnings.filterwarnings("ignore")
    print(
        f"python {platform.python_version()}, pymc {pm.__version__}, pytensor "
        f"{pytensor.__version__}, arviz {az.__version__}, numpy {np.__version__}"
    )
    print(
        "threads:",
        [(i["internal_api"], i["num_threads"]) for i in threadpool_info()],
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"cpu_count={os.cpu_count()}, load avg={os.getloadavg()[0]:.2f} -> pinned to 1 in loops",
    )
    major = int(str(pytensor.__version__).split(".")[0])
    backends = ["FAST_RUN", "NUMBA"] if major < 3 else ["NUMBA"]
    print(
        f"default backend: {default_backend()}, default vjp strategy: {default_vjp_strategy()}; "
        f"S={S} draws, {T} rows, {C} channels; times are medians of 7 interleaved repeats"
    )
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
                for backend in backends:
                    for strategy in ("jacobian", "joint", "split"):
                        t0 = time.perf_counter()
                        om = from_pymc(
                            model,
                            idata,
                            action=action,
                            outcome="sales",
                            mode=mode,
                            random_seed=0,
                            backend=backend,
                            **kw,
                        )
                        t_build = time.perf_counter() - t0
                        if strategy == "jacobian" and not om.has_jacobian:
                            continue
                        om.vjp_strategy = strategy
                        cot = np.ones(om.draws(actions[0]).shape)
                        t0 = time.perf_counter()
                        om.value_and_vjp(actions[0], cot)
                        t_vjp_compile = time.perf_counter() - t0
                        t_val, t_vg, ratio = paired(
                            lambda om=om, acts=actions: [om.draws(a) for a in acts],
                            lambda om=om, acts=actions, cot=cot: [
                                om.value_and_vjp(a, cot) for a in acts
                            ],
                            5,
                        )
                        t_val, t_vg = t_val / 3, t_vg / 3
                        default = "jacobian" if om.has_jacobian else default_vjp_strategy()
                        star = "*" if backend == default_backend() and strategy == default else " "
                        print(
                            f"{star}[{mode:4s} {backend:8s} {strategy:5s}] build {t_build:5.2f} s, "
                            f"vjp compile {t_vjp_compile:5.2f} s | value {t_val * 1e3:6.3f} ms, "
                            f"value+vjp {t_vg * 1e3:6.3f} ms | naive/value "
                            f"{t_naive / t_val:7.1f}x (>= 100), (value+vjp)/value "
                            f"{ratio:5.2f} (<= 2)"
                        )
    print("\n* = the defaults of this stack")


if __name__ == "__main__":
    main()
