"""Benchmark of the exact CVaR solver (``solve_cvar_lp``, method "cvar-lp").

Problems: max CVaR_alpha (min-CVaR) and max mean + 1 * CVaR_alpha over the budget
simplex {x >= 0, sum x = 1}; outcomes are rewards, alpha is the lower-tail probability.
Baselines, all run in this process: cvxpy + CLARABEL on the Rockafellar-Uryasev
program written directly, scipy.optimize.linprog(method="highs") on the full LP,
and decide.optimize(..., method="cvxpy") when the other modules exist.

Usage::

    python benchmarks/bench_cvar_lp.py            # default, about 10 minutes
    python benchmarks/bench_cvar_lp.py --quick    # S <= 1e4, alpha = 0.05
    python benchmarks/bench_cvar_lp.py --full     # adds S = 1e6 (n = 10) and cvxpy there
    python benchmarks/bench_cvar_lp.py --sweep    # 20-point sweeps: cold vs warm-started
    python benchmarks/bench_cvar_lp.py --floor    # max mean s.t. a CVaR floor, against cvxpy
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import platform
import resource
import time
import tracemalloc

import numpy as np


def t5_data(S: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((n, n)) * 0.3 + np.eye(n)
    g = np.sqrt(rng.chisquare(5, size=S) / 5)
    return 0.001 + 0.01 * (rng.standard_normal((S, n)) @ mix) / g[:, None]


def lognormal_data(S: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((n, n)) * 0.2 + np.eye(n)
    z = rng.standard_normal((S, n)) @ mix
    sig = rng.uniform(0.05, 0.3, size=n)
    return np.exp(0.002 + sig * z * 0.5) - 1.0  # right-skewed gross returns minus one


def run_cvxpy(R: np.ndarray, alpha: float, wm: float, wc: float) -> tuple[float, float]:
    import cvxpy as cp

    S, n = R.shape
    x = cp.Variable(n)
    t = cp.Variable()
    y = R @ x
    obj = wm * cp.sum(y) / S + wc * (t - cp.sum(cp.pos(t - y)) / (alpha * S))
    prob = cp.Problem(cp.Maximize(obj), [x >= 0, cp.sum(x) == 1])
    t0 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL)
    return time.perf_counter() - t0, float(prob.value)


def run_linprog(R: np.ndarray, alpha: float, wm: float, wc: float) -> tuple[float, float]:
    import scipy.sparse as sp
    from scipy.optimize import linprog

    S, n = R.shape
    c = 1.0 / (alpha * S)
    t0 = time.perf_counter()
    cost = -np.concatenate([wm * R.mean(axis=0), [wc], np.full(S, -wc * c)])
    A = sp.hstack([sp.csr_matrix(-R), sp.csr_matrix(np.ones((S, 1))), -sp.identity(S)]).tocsr()
    Aeq = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(1 + S)])[None, :])
    bounds = [(0, None)] * n + [(None, None)] + [(0, None)] * S
    res = linprog(cost, A_ub=A, b_ub=np.zeros(S), A_eq=Aeq, b_eq=[1.0], bounds=bounds, method="highs")
    return time.perf_counter() - t0, float(-res.fun)


def decide_optimize_available() -> str | None:
    try:
        opt = importlib.import_module("decide.optimization")
        outc = importlib.import_module("decide.outcomes")
        meas = importlib.import_module("decide.measures")
        for mod, name in ((opt, "optimize"), (opt, "Budget"), (outc, "linear"), (meas, "CVaR")):
            if not hasattr(mod, name):
                return f"{mod.__name__}.{name} missing"
    except Exception as exc:  # pragma: no cover - reporting only
        return repr(exc)
    return None


def run_decide_optimize(R: np.ndarray, alpha: float, wm: float, wc: float) -> tuple[float, float]:
    opt = importlib.import_module("decide.optimization")
    outc = importlib.import_module("decide.outcomes")
    meas = importlib.import_module("decide.measures")
    objective = meas.CVaR(alpha) if wm == 0 else wm * meas.Mean() + wc * meas.CVaR(alpha)
    t0 = time.perf_counter()
    dec = opt.optimize(outc.linear(R), objective, space=opt.Budget(1), method="cvxpy")
    return time.perf_counter() - t0, float(dec.value)


def run_fast(R: np.ndarray, alpha: float, wm: float, wc: float, memory: bool):
    cf = importlib.import_module("decide.optimization.cvar_lp._solve")
    n = R.shape[1]
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    t0 = time.perf_counter()
    res = cf.solve_cvar_lp(R, alpha=alpha, weight_mean=wm, weight_cvar=wc, **kw)
    dt = time.perf_counter() - t0
    peak = float("nan")
    if memory:
        tracemalloc.start()
        cf.solve_cvar_lp(R, alpha=alpha, weight_mean=wm, weight_cvar=wc, **kw)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return dt, res, peak


def _print_header(title: str, head: str) -> None:
    print(f"\n{title}")
    print(head)
    print("-" * len(head))


def run_sweep(S: int, n_points: int, alphas: list[float]) -> None:
    """A mean-CVaR sweep over risk weights: every point cold vs each started at the previous one."""
    cf = importlib.import_module("decide.optimization.cvar_lp._solve")
    n = 10
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    lams = np.geomspace(0.05, 20.0, n_points)
    _print_header(
        f"sweep: max mean + lam * CVaR_alpha for {n_points} lam in [0.05, 20] (geometric), n = {n}",
        f"{'data':9s} {'S':>8s} {'alpha':>5s} {'points':>6s} | {'cold s':>7s} {'warm s':>7s} "
        f"{'warm/cold':>9s} {'max rel diff':>12s} {'max gap':>8s}",
    )
    for dname, gen in (("t5", t5_data), ("lognormal", lognormal_data)):
        R = gen(S, n, seed=S + n)
        for alpha in alphas:
            t0 = time.perf_counter()
            cold = [cf.solve_cvar_lp(R, alpha=alpha, weight_mean=1.0, weight_cvar=lam, **kw) for lam in lams]
            t_cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            warm, state = [], None
            for lam in lams:
                res = cf.solve_cvar_lp(R, alpha=alpha, weight_mean=1.0, weight_cvar=lam, warm_start=state, **kw)
                state = res.warm
                warm.append(res)
            t_warm = time.perf_counter() - t0
            diff = max(abs(a.value - b.value) / max(abs(a.value), 1e-300) for a, b in zip(cold, warm))
            gap = max(r.gap for r in cold + warm)
            print(f"{dname:9s} {S:8d} {alpha:5.2f} {n_points:6d} | {t_cold:7.2f} {t_warm:7.2f} "
                  f"{t_warm / t_cold:9.2f} {diff:12.1e} {gap:8.1e}", flush=True)


def run_floor(sizes: list[int], alphas: list[float]) -> None:
    """max mean s.t. CVaR_alpha >= floor, the floor halfway between the free and the best CVaR."""
    import cvxpy as cp

    cf = importlib.import_module("decide.optimization.cvar_lp._solve")
    n = 10
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    _print_header(
        f"floor: max mean s.t. CVaR_alpha >= floor over the simplex, n = {n}",
        f"{'data':9s} {'S':>8s} {'alpha':>5s} | {'cvxpy s':>8s} {'fast s':>7s} {'fast/cvx':>8s} "
        f"{'rel diff':>9s} {'gap':>8s} {'rnd':>4s}",
    )
    for dname, gen in (("t5", t5_data), ("lognormal", lognormal_data)):
        for S in sizes:
            R = gen(S, n, seed=S + n)
            for alpha in alphas:
                top = cf.solve_cvar_lp(R, alpha=alpha, **kw).value
                free = cf.solve_cvar_lp(R, alpha=alpha, weight_mean=1.0, weight_cvar=0.0, **kw).cvar
                floor = 0.5 * (top + free)
                x, t = cp.Variable(n), cp.Variable()
                y = R @ x
                cons = [x >= 0, cp.sum(x) == 1, t - cp.sum(cp.pos(t - y)) / (alpha * S) >= floor]
                prob = cp.Problem(cp.Maximize(cp.sum(y) / S), cons)
                t0 = time.perf_counter()
                prob.solve(solver=cp.CLARABEL)
                t_cvx = time.perf_counter() - t0
                t0 = time.perf_counter()
                res = cf.solve_cvar_lp(R, alpha=alpha, weight_mean=1.0, weight_cvar=0.0, cvar_floor=floor, **kw)
                t_fast = time.perf_counter() - t0
                rel = abs(res.value - prob.value) / abs(prob.value)
                print(f"{dname:9s} {S:8d} {alpha:5.2f} | {t_cvx:8.3f} {t_fast:7.3f} {t_fast / t_cvx:8.3f} "
                      f"{rel:9.1e} {res.gap:8.1e} {res.rounds:4d}", flush=True)


def print_versions() -> None:
    import clarabel
    import cvxpy
    import scipy
    from threadpoolctl import threadpool_info

    print(f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
          f"cvxpy {cvxpy.__version__}  clarabel {clarabel.__version__}  "
          f"highspy {importlib.metadata.version('highspy')}  machine {platform.machine()}")
    for info in threadpool_info():
        print(f"  threadpool: {info.get('internal_api')} {info.get('version')} "
              f"num_threads={info.get('num_threads')} ({info.get('filepath', '').split('/')[-1]})")
    print("  solve_cvar_lp pins BLAS to 1 thread inside the solve; baselines use the default threads.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--sizes", type=str, default=None, help="comma-separated S values (override)")
    ap.add_argument("--alphas", type=str, default=None, help="comma-separated alphas (override)")
    ap.add_argument("--data", type=str, default=None, help="t5 or lognormal (default both)")
    ap.add_argument("--sweep", action="store_true",
                    help="only the warm-started sweep (S = 1e5 unless --sizes, 20 points)")
    ap.add_argument("--floor", action="store_true",
                    help="only max mean s.t. a CVaR floor, against cvxpy (S = 1e4, 1e5 unless --sizes)")
    args = ap.parse_args()
    print_versions()
    if args.floor:
        sizes = [int(float(v)) for v in args.sizes.split(",")] if args.sizes else [10_000, 100_000]
        run_floor(sizes, [float(v) for v in args.alphas.split(",")] if args.alphas else [0.05, 0.2])
        return
    if args.sweep:
        sizes = [int(float(v)) for v in args.sizes.split(",")] if args.sizes else [100_000]
        alphas = [float(v) for v in args.alphas.split(",")] if args.alphas else [0.05, 0.2]
        for S in sizes:
            run_sweep(S, 20, alphas)
        return
    missing = decide_optimize_available()
    print("decide.optimize(linear(R), CVaR(alpha), Budget(1), method='cvxpy'):",
          "available" if missing is None else f"not available ({missing})")
    if args.quick:
        sizes, alphas = [1_000, 10_000], [0.05]
    elif args.full:
        sizes, alphas = [1_000, 10_000, 100_000, 1_000_000], [0.01, 0.05, 0.2]
    else:
        sizes, alphas = [1_000, 10_000, 100_000], [0.01, 0.05, 0.2]
    if args.sizes:
        sizes = [int(float(v)) for v in args.sizes.split(",")]
    if args.alphas:
        alphas = [float(v) for v in args.alphas.split(",")]
    datasets = {"t5": t5_data, "lognormal": lognormal_data}
    if args.data:
        datasets = {args.data: datasets[args.data]}
    problems = {"minCVaR": (0.0, 1.0), "mean+CVaR": (1.0, 1.0)}
    head = (f"{'data':9s} {'problem':9s} {'n':>3s} {'S':>8s} {'alpha':>5s} | {'cvxpy s':>8s} "
            f"{'linprog s':>9s} {'optimize s':>10s} {'fast s':>7s} {'fast/cvx':>8s} "
            f"{'rel diff':>9s} {'gap':>8s} {'band':>6s} {'rnd':>3s} {'peakMB':>7s}")
    print(head)
    print("-" * len(head))
    for dname, gen in datasets.items():
        for n in (10, 50):
            for S in sizes:
                if S > 100_000 and n != 10:
                    continue
                if S > 10_000 and n == 50 and not args.full:
                    continue
                R = gen(S, n, seed=S + n)
                for pname, (wm, wc) in problems.items():
                    for alpha in alphas:
                        if S == 1_000_000 and pname != "minCVaR":
                            continue
                        if n == 50 and alpha != 0.05 and not args.full:
                            continue
                        cvx_t = cvx_v = lp_t = lp_v = opt_t = float("nan")
                        do_cvx = S <= 100_000 or args.full or bool(args.sizes)
                        if do_cvx:
                            cvx_t, cvx_v = run_cvxpy(R, alpha, wm, wc)
                        if S <= 10_000:
                            lp_t, lp_v = run_linprog(R, alpha, wm, wc)
                        if missing is None and S <= 10_000:
                            try:
                                opt_t, _ = run_decide_optimize(R, alpha, wm, wc)
                            except Exception as exc:  # report, never hide
                                print(f"  decide.optimize failed: {exc!r}")
                        ft, res, peak = run_fast(R, alpha, wm, wc, memory=S >= 100_000)
                        ref = cvx_v if do_cvx else lp_v
                        if S <= 10_000:
                            ref = lp_v  # HiGHS simplex is exact to ~1e-12; CLARABEL to ~1e-8
                        rel = abs(res.value - ref) / max(abs(ref), 1e-300) if np.isfinite(ref) else float("nan")
                        ratio = ft / cvx_t if np.isfinite(cvx_t) else float("nan")
                        print(f"{dname:9s} {pname:9s} {n:3d} {S:8d} {alpha:5.2f} | {cvx_t:8.3f} "
                              f"{lp_t:9.3f} {opt_t:10.3f} {ft:7.3f} {ratio:8.3f} {rel:9.1e} "
                              f"{res.gap:8.1e} {res.band_size:6d} {res.rounds:3d} {peak:7.1f}",
                              flush=True)
    print("nan = not run: linprog only for S <= 1e4 (the full LP is slow beyond), cvxpy for S > 1e5 "
          "only with --full; rel diff is against linprog for S <= 1e4, else against cvxpy+CLARABEL "
          "(CLARABEL's own accuracy is about 1e-8).")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
