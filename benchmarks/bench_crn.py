"""Benchmark: common random numbers for a discrete likelihood (``from_pymc`` "crn").

Count-demand pricing (issue 16): weekly demand ~ NegativeBinomial(mu, alpha),
``mu = exp(a + e * log(price / 10))``, outcome ``(price - 5) * demand``,
S = 1000 posterior draws x R = 20 replicates (20 000 quantiles per call).

Prints, for mode "sample" (baseline: fresh noise, no quantile) and "crn", with the
default backend (numba) and the C backend:

- construction time (graph, compile, first call) and the compile time of the
  value function alone (``pytensor.function`` on the outcome graph);
- per-call time on a sweep of nearby prices (12.0, 12.05, ..., what an optimizer
  does) and on prices far apart (a coarse grid, cold starts of the search);
- the correlation of demand at prices 12 and 12.5 (common noise: close to 1).

Each timing is the median of interleaved repeats (the machine is shared); the
ratios are crn / sample in the same process.

Run: python benchmarks/bench_crn.py
"""

from __future__ import annotations

import platform
import time

import numpy as np

S, R = 1000, 20


def build() -> tuple[object, object]:
    import pymc as pm

    rng = np.random.default_rng(0)
    with pm.Model() as model:
        price = pm.Data("price", 10.0)
        a = pm.Normal("a", 4.0, 1.0)
        e = pm.Normal("e", -1.5, 0.5)
        alpha = pm.HalfNormal("alpha", 5.0)
        mu = pm.math.exp(a + e * pm.math.log(price / 10.0))
        pm.NegativeBinomial("demand", mu=mu, alpha=alpha, observed=50)
    post = {
        "a": rng.normal(4.0, 0.1, S),
        "e": rng.normal(-1.5, 0.2, S),
        "alpha": rng.uniform(0.5, 8.0, S),
    }
    return model, post  # posterior draws as a dict (one array per variable)


def profit(v: dict) -> object:
    return (v["price"] - 5.0) * v["demand"]


def median_time(fn, repeats: int = 5) -> float:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def main() -> None:
    import pymc as pm
    import pytensor

    from decide.outcomes import from_pymc

    print(
        f"python {platform.python_version()}  pymc {pm.__version__}  "
        f"pytensor {pytensor.__version__}  numpy {np.__version__}"
    )
    print(f"NegativeBinomial pricing, S={S} draws x R={R} replicates")
    model, idata = build()
    near = np.arange(12.0, 12.5, 0.05)
    far = np.arange(6.0, 25.0, 2.0)
    rows = {}
    for backend in (None, "FAST_RUN"):
        for mode in ("sample", "crn"):
            t = time.perf_counter()
            om = from_pymc(
                model,
                idata,
                action="price",
                outcome=profit,
                mode=mode,
                n_replicates=R,
                random_seed=0,
                backend=backend,
            )
            construct = time.perf_counter() - t
            t = time.perf_counter()
            pytensor.function(om._inputs(), om._output, mode=om.backend, on_unused_input="ignore")
            compile_s = time.perf_counter() - t
            t_near = median_time(lambda om=om: [om.sample(p) for p in near]) / len(near)
            t_far = median_time(lambda om=om: [om.sample(p) for p in far]) / len(far)
            d1 = om.sample(12.0).ravel() / 7.0
            d2 = om.sample(12.5).ravel() / 7.5
            corr = float(np.corrcoef(d1, d2)[0, 1])
            rows[(backend, mode)] = (construct, compile_s, t_near, t_far, corr)
            print(
                f"backend={backend or 'default'!s:9s} mode={mode:6s} construct {construct:6.2f} s"
                f"  compile {compile_s:6.2f} s  per call: nearby prices {t_near * 1e3:7.1f} ms"
                f"  far prices {t_far * 1e3:7.1f} ms  corr(12, 12.5) {corr:.3f}"
            )
    for backend in (None, "FAST_RUN"):
        s, c = rows[(backend, "sample")], rows[(backend, "crn")]
        print(
            f"backend={backend or 'default'!s:9s} crn/sample: construct {c[0] / s[0]:.2f}x  "
            f"compile {c[1] / s[1]:.2f}x  call nearby {c[2] / s[2]:.2f}x  far {c[3] / s[3]:.2f}x"
        )


if __name__ == "__main__":
    main()
