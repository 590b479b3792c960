"""Benchmark of decide.policies: the frontier re-solving one convex program vs one optimize per point.

Problem: the mean-CVaR(5%) efficient frontier over the budget simplex for
``linear`` scenarios (outcomes are rewards; alpha is the lower-tail probability).
Baseline, run in this process: ``decide.optimize(outcome, Mean() + lam * CVaR(0.05))``
at the same risk aversions, which builds a new cvxpy program at every point.
Also times ``compare`` with a 0.5 holdout and with 5-fold cross-fitting.

Usage::

    python benchmarks/bench_policies.py           # S = 2000 and 10000, n = 10, 20 points
    python benchmarks/bench_policies.py --quick   # S = 2000 only
"""

from __future__ import annotations

import argparse
import importlib
import platform
import time

import numpy as np


def scenarios(S: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mu = np.linspace(0.01, 0.08, n)
    sd = np.linspace(0.03, 0.35, n)
    mix = np.eye(n) + 0.2 * rng.standard_normal((n, n))
    return mu + (rng.standard_normal((S, n)) @ mix) * sd / np.sqrt(1.04 + 0.04 * n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    from threadpoolctl import threadpool_info

    from decide.measures import CVaR, Mean
    from decide.optimization import Budget, optimize
    from decide.outcomes import linear
    from decide.policies import compare, frontier

    print(f"python {platform.python_version()} on {platform.machine()}")
    for lib in ("numpy", "cvxpy", "clarabel", "pandas"):
        print(f"  {lib} {importlib.import_module(lib).__version__}")
    for info in threadpool_info():
        print(f"  BLAS {info.get('internal_api')} threads={info.get('num_threads')}")

    sizes = [2000] if args.quick else [2000, 10000]
    n, n_points = 10, 20
    for S in sizes:
        model = linear(scenarios(S, n, seed=S))
        frontier(model, CVaR(0.05), Budget(1.0), n_points=3)  # warm up imports and cvxpy
        t0 = time.perf_counter()
        table = frontier(model, CVaR(0.05), Budget(1.0), n_points=n_points, method="cvxpy")
        t_front = time.perf_counter() - t0
        t0 = time.perf_counter()
        auto = frontier(model, CVaR(0.05), Budget(1.0), n_points=n_points)
        t_auto = time.perf_counter() - t0
        lams = table["risk_aversion"].to_numpy()
        t0 = time.perf_counter()
        means = []
        for lam in lams:
            d = optimize(model, Mean() + float(lam) * CVaR(0.05), Budget(1.0), method="cvxpy")
            means.append(float(np.mean(d.draws)))
        t_base = time.perf_counter() - t0
        gap = float(np.max(np.abs(np.array(means) - table["mean"].to_numpy())))
        gap_auto = float(np.max(np.abs(auto["mean"].to_numpy() - table["mean"].to_numpy())))
        print(
            f"frontier S={S} n={n} points={n_points}: ConvexProblem re-solved {t_front:.2f} s, "
            f"rebuild per point {t_base:.2f} s (ratio rebuild/reuse {t_base / t_front:.2f}x, max "
            f"|mean diff| {gap:.2e}); auto [{auto.attrs['reuse']}] {t_auto:.2f} s (ratio "
            f"rebuild/auto {t_base / t_auto:.2f}x, max |mean diff| {gap_auto:.2e})"
        )
        policies = {"neutral": Mean(), "cvar5": CVaR(0.05), "cvar20": CVaR(0.2),
                    "equal": np.full(n, 1.0 / n)}
        t0 = time.perf_counter()
        compare(model, policies, Budget(1.0), random_seed=0)
        t_half = time.perf_counter() - t0
        t0 = time.perf_counter()
        compare(model, policies, Budget(1.0), holdout="crossfit", n_folds=5, random_seed=0)
        t_cross = time.perf_counter() - t0
        print(
            f"compare S={S} n={n}, 3 objectives + 1 fixed: holdout 0.5 {t_half:.2f} s, crossfit "
            f"5 folds {t_cross:.2f} s (ratio {t_cross / t_half:.2f}x, 18 vs 3 solves)"
        )


if __name__ == "__main__":
    main()
