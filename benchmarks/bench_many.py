"""Benchmark of ``decide.many.optimize_many``: units per second by path.

Two batches, both one decision per unit:

* newsvendor: 2,000 stores x 4,000 demand draws, ``Mean()`` over ``Box(0, 1e4)``
  (the vectorized path is the critical-fractile quantile of every store at once);
* budget split: 500 units x 2,000 draws, 4 channels, ``Mean() + 1 * CVaR(0.05)`` over
  ``Budget(1)`` (the vectorized path is one parametrized cvxpy program re-solved
  per unit).

Paths timed in this process: the Python loop over ``optimize`` (``vectorize=False``,
timed on a subset of units and extrapolated, as the output says), the vectorized
path, and a 2-worker ``LocalCluster`` (single-threaded worker processes; its
start-up is timed separately and not counted). Every path first solves a few
units untimed, so imports and first-call caches are not counted. Ratios are units per second over
the loop's units per second in the same run.

Usage::

    python benchmarks/bench_many.py           # full sizes, a few minutes on 2 cores
    python benchmarks/bench_many.py --quick   # small sizes, about a minute
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

import numpy as np


def versions() -> None:
    import cvxpy
    import dask
    import distributed
    import pandas
    import scipy
    from threadpoolctl import threadpool_info

    import decide

    print(f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
          f"pandas {pandas.__version__}  cvxpy {cvxpy.__version__}")
    print(f"dask {dask.__version__}  distributed {distributed.__version__}  decide {decide.__version__}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"cores {os.cpu_count()}  load average {load} (other jobs share the cores)  OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}  "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    for info in threadpool_info():
        print(f"  threadpool {info['user_api']}/{info['internal_api']}: {info['num_threads']} threads "
              f"({os.path.basename(info['filepath'])})")
    print("  optimize pins BLAS to 1 thread per solve; cluster workers: 1 thread each")


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def report(name: str, rows: list[tuple[str, int, float, str]]) -> None:
    base = rows[0][1] / rows[0][2]
    print(f"\n{name}")
    print(f"  {'path':<34}{'units':>7}{'seconds':>10}{'units/s':>11}{'vs loop':>9}  note")
    for path, n, secs, note in rows:
        rate = n / secs
        print(f"  {path:<34}{n:>7}{secs:>10.2f}{rate:>11.1f}{rate / base:>8.1f}x  {note}")


def bench_newsvendor(client: Any, n_units: int, n_samples: int, n_loop: int) -> None:
    from decide.many import newsvendor, optimize_many
    from decide.measures import Mean
    from decide.optimization import Box

    rng = np.random.default_rng(0)
    demand = rng.gamma(rng.uniform(2, 8, n_units), rng.uniform(10, 40, n_units), size=(n_samples, n_units))
    price, cost = rng.uniform(5, 10, n_units), rng.uniform(2, 4, n_units)
    model = newsvendor(demand, price, cost, 0.5, dim="store")
    sub = newsvendor(demand[:, :n_loop], price[:n_loop], cost[:n_loop], 0.5, dim="store")
    space = Box(0.0, 1e4)
    kw = {"progress": False, "random_seed": 0}
    warm = newsvendor(demand[:, :4], price[:4], cost[:4], 0.5, dim="store")
    for c in (None, client):  # warm imports and caches on every path (not timed)
        for v in (False, True):
            optimize_many(warm, Mean(), space, vectorize=v, client=c, chunk_size=1, **kw)
    t_loop, loop = timed(lambda: optimize_many(sub, Mean(), space, vectorize=False, **kw))
    t_vec, vec = timed(lambda: optimize_many(model, Mean(), space, **kw))
    t_cl_loop, cl_loop = timed(lambda: optimize_many(sub, Mean(), space, vectorize=False, client=client, **kw))
    t_cl_vec, cl_vec = timed(lambda: optimize_many(
        model, Mean(), space, client=client, chunk_size=n_units // 2, **kw))
    assert cl_loop.equals(loop) and cl_vec.equals(vec)
    gap = np.max(np.abs(loop["order"].to_numpy() / vec["order"].to_numpy()[:n_loop] - 1))
    report(
        f"newsvendor: {n_units} stores x {n_samples} draws, Mean() over Box(0, 1e4)",
        [
            ("loop over optimize (SLSQP)", n_loop, t_loop, f"timed on {n_loop} stores, extrapolated"),
            ("vectorized (quantile)", n_units, t_vec, "all stores"),
            ("LocalCluster x2, loop", n_loop, t_cl_loop, f"same {n_loop} stores"),
            ("LocalCluster x2, vectorized", n_units, t_cl_vec, "all stores, 2 chunks"),
        ],
    )
    print(f"  loop vs quantile: max relative order gap {gap:.1e} (SLSQP tolerance); cluster rows "
          "identical to the in-process rows")


def bench_budget(client: Any, n_units: int, n_samples: int, n_loop: int) -> None:
    from decide.many import optimize_many
    from decide.measures import CVaR, Mean
    from decide.optimization import Budget
    from decide.outcomes import linear

    rng = np.random.default_rng(1)
    models = {
        f"u{i}": linear(rng.normal(rng.uniform(0.02, 0.08, 4), rng.uniform(0.05, 0.3, 4), size=(n_samples, 4)))
        for i in range(n_units)
    }
    subset = dict(list(models.items())[:n_loop])
    objective, space = Mean() + 1.0 * CVaR(0.05), Budget(1.0)
    kw = {"progress": False, "random_seed": 0}
    warm = dict(list(models.items())[:4])
    for c in (None, client):  # warm imports and caches on every path (not timed)
        for v in (False, True):
            optimize_many(warm, objective, space, vectorize=v, client=c, chunk_size=2, **kw)
    t_loop, loop = timed(lambda: optimize_many(subset, objective, space, vectorize=False, **kw))
    t_vec, vec = timed(lambda: optimize_many(models, objective, space, **kw))
    t_cl_loop, cl_loop = timed(lambda: optimize_many(
        subset, objective, space, vectorize=False, client=client, **kw))
    t_cl_vec, cl_vec = timed(lambda: optimize_many(
        models, objective, space, client=client, chunk_size=n_units // 2, **kw))
    assert cl_loop.equals(loop) and cl_vec.equals(vec)
    cols = [c for c in loop.columns if c.startswith("action")]
    gap = np.max(np.abs(loop[cols].to_numpy(float) - vec.loc[loop.index, cols].to_numpy(float)))
    report(
        f"budget split: {n_units} units x {n_samples} draws x 4 channels, Mean() + CVaR(0.05), Budget(1)",
        [
            ("loop over optimize (cvxpy)", n_loop, t_loop, f"timed on {n_loop} units, extrapolated"),
            ("vectorized (one DPP program)", n_units, t_vec, "all units, includes the 1 build"),
            ("LocalCluster x2, loop", n_loop, t_cl_loop, f"same {n_loop} units"),
            ("LocalCluster x2, vectorized", n_units, t_cl_vec, "all units, 2 chunks, 1 build each"),
        ],
    )
    print(f"  loop vs vectorized: max |action gap| {gap:.1e} (solver tolerance); cluster rows "
          "identical to the in-process rows")


def bench_pymc_units(n_units: int, n_samples: int, n_loop: int) -> None:
    """Per-store orders of a hierarchical from_pymc outcome against the closed newsvendor."""
    import pymc as pm

    from decide.many import newsvendor, optimize_many
    from decide.measures import Mean
    from decide.optimization import Box, optimize
    from decide.outcomes import from_pymc

    stores = [f"s{i}" for i in range(n_units)]
    with pm.Model(coords={"store": stores}) as model:
        q = pm.Data("q", np.full(n_units, 10.0), dims="store")
        mu = pm.Normal("mu", 50.0, 10.0, dims="store")
        sd = pm.HalfNormal("sd", 10.0, dims="store")
        demand = pm.Normal("demand", mu, sd, dims="store")
        pm.Deterministic("profit", 5.0 * pm.math.minimum(q, demand) - 3.0 * q, dims="store")
    rng = np.random.default_rng(1)
    draws = {"mu": rng.normal(np.linspace(30, 80, n_units), 2.0, size=(n_samples, n_units)),
             "sd": rng.gamma(50.0, 0.2, size=(n_samples, n_units))}
    om = from_pymc(model, draws, action="q", outcome="profit", mode="crn", random_seed=2)
    dem = (om.sample(np.full(n_units, 1e6)) + 3.0e6) / 5.0  # the same demand draws
    nv = newsvendor(dem, 5.0, 3.0, dim="store")
    x, cot = np.full(n_units, 40.0), np.full(n_samples, 1.0 / n_samples)
    om.value_and_vjp(x, cot)  # compile the gradient (not timed)

    def per_call(fn: Any, k: int = 200) -> float:
        fn()
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        return (time.perf_counter() - t0) / k

    t_val_pm, t_val_nv = per_call(lambda: om.draws(x)), per_call(lambda: nv.draws(x))
    t_vjp_pm = per_call(lambda: om.value_and_vjp(x, cot))
    t_vjp_nv = per_call(lambda: (nv.draws(x), nv.vjp(x, cot)))
    space = Box(0.0, 1e3)
    kw = {"progress": False, "random_seed": 0}
    t_joint, joint = timed(lambda: optimize_many(om, Mean(), space, **kw))
    t_nvj, _ = timed(lambda: optimize(nv, Mean(), space, random_seed=0))
    t_q, quant = timed(lambda: optimize_many(nv, Mean(), space, **kw))
    # the loop (what optimize_many did before): the whole graph evaluated for each unit
    t_loop, _ = timed(lambda: _loop_subset(om, stores, n_loop, space))
    gap = np.max(np.abs(joint["q"].to_numpy(float) / quant["order"].to_numpy(float) - 1))
    print(f"\nfrom_pymc per store: {n_units} stores x {n_samples} draws (Normal demand, crn), "
          "Mean() over Box(0, 1e3)")
    print(f"  one evaluation of every store: from_pymc {t_val_pm * 1e3:.3f} ms, newsvendor "
          f"{t_val_nv * 1e3:.3f} ms, ratio {t_val_pm / t_val_nv:.1f}x")
    print(f"  value + vjp of every store:    from_pymc {t_vjp_pm * 1e3:.3f} ms, newsvendor "
          f"{t_vjp_nv * 1e3:.3f} ms, ratio {t_vjp_pm / t_vjp_nv:.1f}x")
    print(f"  optimize_many from_pymc (joint SLSQP): {t_joint:.2f} s; the same joint problem on "
          f"the closed newsvendor: {t_nvj:.2f} s; ratio {t_joint / t_nvj:.1f}x (target <= 3x)")
    print(f"  from_pymc per-unit loop: {t_loop / n_loop * n_units:.2f} s (timed on {n_loop} "
          f"stores, extrapolated), {t_loop / n_loop * n_units / t_joint:.1f}x the joint path")
    print(f"  newsvendor quantile path: {t_q:.3f} s; max relative order gap joint vs quantile "
          f"{gap:.1e} (SLSQP tolerance on a piecewise-linear objective)")


def _loop_subset(om: Any, stores: list[str], n_loop: int, space: Any) -> Any:
    from decide.many import UnitOutcome
    from decide.measures import Mean
    from decide.optimization import optimize

    return [optimize(UnitOutcome(om, "store", i, len(stores)), Mean(), space, random_seed=0)
            for i in range(n_loop)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--pymc-only", action="store_true",
                        help="only the from_pymc per-store section")
    args = parser.parse_args()
    versions()
    if args.pymc_only:
        import pymc
        import pytensor

        print(f"pymc {pymc.__version__}  pytensor {pytensor.__version__}")
        bench_pymc_units(20, 1000, 3)
        return
    from distributed import Client, LocalCluster

    t_start, cluster = timed(lambda: LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
    ))
    client = Client(cluster)
    client.run(lambda: __import__("decide"))  # warm the workers' imports
    print(f"LocalCluster start-up (2 worker processes, imports warmed): {t_start:.1f} s, not counted")
    try:
        if args.quick:
            bench_newsvendor(client, 200, 1000, 20)
            bench_budget(client, 40, 500, 10)
            bench_pymc_units(20, 1000, 3)
        else:
            bench_newsvendor(client, 2000, 4000, 100)
            bench_budget(client, 500, 2000, 50)
            bench_pymc_units(20, 4000, 3)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
