"""Benchmark of constraints on outcomes in ``decide.optimize(..., subject_to=[...])``.

Two problems on n = 10 actions at S = 1e3, 1e4, 1e5 posterior draws:

1. max mean return s.t. CVaR_5% >= floor over the budget simplex (portfolio, Student-t
   returns); the floor is the CVaR of the equal-weight portfolio (feasible and binding).
   decide ``method="auto"`` (the highs LP below 20000 draws, the specialized CVaR LP from
   there on) and ``method="highs"``, against the same LP written directly in cvxpy
   (CLARABEL).
2. min spend s.t. a chance constraint P(sales < target) < 10% (``VaR(0.1) >= target``)
   over a box, sales = draws @ spend (positive channel effects): decide exact
   (``chance="exact"``, a MILP in HiGHS) and the conservative CVaR approximation
   (``chance="cvar"``), against the big-M MILP and the CVaR LP written directly in cvxpy
   (HiGHS). Every MILP has a time limit (``--milp-seconds``, default 10 s); a MILP that
   stops there is reported "not certified" with its relative gap.

Outcomes are rewards (higher is better); alpha is the lower-tail probability. All
baselines run in this process, one after the other; BLAS is pinned to one thread.
3. skfolio ``MeanRisk(MAXIMIZE_RETURN, max_cvar=cap)`` on its bundled S&P 500 prices
   (20 stocks, about 8300 daily linear returns) against decide's
   ``optimize(linear(R), Mean(), Budget(1.0), subject_to=[CVaR(0.05) >= -cap])``: skfolio's
   CVaR at ``cvar_beta = 0.95`` is a positive loss, decide's ``CVaR(0.05)`` the mean of
   the lower 5% tail of the returns, so the cap reads ``>= -cap``. skfolio is in the
   ``bench`` extra: the section is skipped when it is not installed.

Usage::

    python benchmarks/bench_constraints.py            # S = 1e3, 1e4, 1e5
    python benchmarks/bench_constraints.py --quick    # S = 1e3, 1e4
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def returns(S: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((n, n)) * 0.3 + np.eye(n)
    g = np.sqrt(rng.chisquare(5, size=S) / 5)
    mu = np.linspace(0.0005, 0.003, n)
    return mu + 0.01 * (rng.standard_normal((S, n)) @ mix) / g[:, None]


def effects(S: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = rng.uniform(1.0, 3.0, size=n)
    return np.abs(mean * (1.0 + 0.3 * rng.standard_normal((S, n))))


def cvxpy_floor(R: np.ndarray, alpha: float, floor: float) -> tuple[float, float]:
    import cvxpy as cp

    S, n = R.shape
    x, t = cp.Variable(n), cp.Variable()
    y = R @ x
    cvar = t - cp.sum(cp.pos(t - y)) / (alpha * S)
    prob = cp.Problem(cp.Maximize(cp.sum(y) / S), [x >= 0, cp.sum(x) == 1, cvar >= floor])
    t0 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL)
    return time.perf_counter() - t0, float(prob.value)


def cvxpy_chance(B: np.ndarray, alpha: float, target: float, ub: float, seconds: float,
                 exact: bool) -> tuple[float, float, str]:
    import cvxpy as cp

    S, n = B.shape
    x = cp.Variable(n)
    y = B @ x
    cons = [x >= 0, x <= ub]
    if exact:
        z = cp.Variable(S, boolean=True)
        big_m = target - np.minimum(B, 0.0).sum(axis=1) * ub  # the smallest draw over the box
        cons += [y >= target - cp.multiply(big_m, z), cp.sum(z) <= int(np.ceil(alpha * S)) - 1]
    else:
        t = cp.Variable()
        cons += [t - cp.sum(cp.pos(t - y)) / (alpha * S) >= target]
    prob = cp.Problem(cp.Minimize(cp.sum(x)), cons)
    t0 = time.perf_counter()
    opts = {"time_limit": seconds} if exact else {}
    try:
        prob.solve(solver=cp.HIGHS, **opts)
    except cp.error.SolverError as exc:
        return time.perf_counter() - t0, np.nan, f"failed: {str(exc)[:40]}"
    status = str(prob.status)
    if exact and prob.value is not None:
        status += f", {int(np.sum(B @ x.value < target - 1e-9))} draws below"
    return time.perf_counter() - t0, float(prob.value) if prob.value is not None else np.nan, status


def skfolio_section(alpha: float) -> None:
    """skfolio ``MeanRisk(MAXIMIZE_RETURN, max_cvar=cap)`` on its bundled S&P 500 prices vs decide.

    The same problem on both sides: linear daily returns of the 20 stocks
    (``prices_to_returns``, the default ``log_returns=False``), long-only weights summing
    to 1 (skfolio's defaults ``min_weights=0, max_weights=1, budget=1``; decide's
    ``Budget(1.0)``), the empirical mean, and skfolio's CVaR at ``cvar_beta = 1 - alpha``,
    a positive loss, capped at ``cap``; in decide's convention (rewards, lower tail)
    that is ``CVaR(alpha) >= -cap``. Both CVaRs are the Rockafellar-Uryasev sample
    CVaR; each answer's CVaR is recomputed by skfolio's own ``skfolio.measures.cvar``.
    """
    try:
        from skfolio.datasets import load_sp500_dataset
        from skfolio.measures import cvar as sk_cvar
        from skfolio.optimization import MeanRisk, ObjectiveFunction
        from skfolio.preprocessing import prices_to_returns
    except ImportError:
        print("skfolio not installed (bench extra): skipped")
        return
    import decide
    from decide import Budget, CVaR, Mean, linear, optimize

    X = prices_to_returns(load_sp500_dataset())  # bundled with the package: no download
    R = X.to_numpy(dtype=np.float64)
    S, n = R.shape
    beta = 1.0 - alpha
    eq = float(sk_cvar(R @ np.full(n, 1.0 / n), beta=beta))
    for solver in ("CLARABEL", "HIGHS"):  # first-call costs outside the timings
        MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_RETURN, risk_measure=decide_risk_measure(),
                 max_cvar=1.0, cvar_beta=beta, solver=solver).fit(X.iloc[:300])
    print(f"\n3. skfolio MeanRisk(MAXIMIZE_RETURN, max_cvar=cap) on its S&P 500 data: {S} daily "
          f"linear returns, {n} stocks, long-only budget 1, cvar_beta {beta:g}")
    print(f"{'cap':>9} {'method':>24} {'seconds':>9} {'mean return':>14} {'skfolio CVaR':>13} "
          f"{'ratio':>7}")
    for cap in (eq, 1.1 * eq):  # the equal-weight portfolio's CVaR (binding) and a looser cap
        rows = []
        with threadpool_limits(1, "blas"):
            tsk = np.nan
            for solver in ("CLARABEL", "HIGHS"):
                t0 = time.perf_counter()
                model = MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_RETURN,
                                 risk_measure=decide_risk_measure(), max_cvar=cap, cvar_beta=beta,
                                 solver=solver)
                model.fit(X)
                t = time.perf_counter() - t0
                tsk = t if solver == "CLARABEL" else tsk  # the ratio is against skfolio's default
                w = np.asarray(model.weights_, dtype=np.float64)
                rows.append((f"skfolio ({solver})", t, float(R.mean(axis=0) @ w),
                             float(sk_cvar(R @ w, beta=beta))))
            for method in ("auto", "highs", "cvar-lp"):
                t0 = time.perf_counter()
                try:
                    d = optimize(linear(R), Mean(), Budget(1.0), subject_to=[CVaR(alpha) >= -cap],
                                 method=method)
                except decide.DecideError as exc:
                    print(f"{cap:>9.5f} decide {method}: {type(exc).__name__}: {str(exc)[:80]}")
                    continue
                t = time.perf_counter() - t0
                rows.append((f"decide {method}->{d.method}", t, d.value,
                             float(sk_cvar(R @ d.flat_action, beta=beta))))
        for label, t, v, c in rows:
            print(f"{cap:>9.5f} {label:>24} {t:>9.3f} {v:>14.10g} {c:>13.8f} {tsk / t:>7.2f}")


def decide_risk_measure():
    """skfolio's RiskMeasure.CVAR (the measure ``max_cvar`` caps; also the objective's risk)."""
    from skfolio import RiskMeasure

    return RiskMeasure.CVAR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--milp-seconds", type=float, default=10.0)
    parser.add_argument("--lp-seconds", type=float, default=60.0)
    args = parser.parse_args()
    import decide
    from decide import ActionCost, Box, Budget, CVaR, Mean, VaR, linear, optimize

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    vers = {p: version(p) for p in ("numpy", "scipy", "cvxpy", "highspy", "skfolio")}
    vers["decide"] = getattr(decide, "__version__", "?")
    print(f"python {platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print("BLAS:", [(i["internal_api"], i["num_threads"]) for i in threadpool_info()], "-> pinned to 1")
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    n, alpha = 10, 0.05
    warnings.simplefilter("ignore", decide.ConvergenceWarning)
    warnings.filterwarnings("ignore", module=r"cvxpy\..*")  # bound propagation nan, inaccurate
    warnings.filterwarnings("ignore", message="Solution may be inaccurate")
    # warm up imports and first-call costs of every path, outside the timings
    Rw = returns(200, n, seed=0)
    for method in ("auto", "highs"):
        optimize(linear(Rw), Mean(), Budget(1.0), subject_to=[CVaR(alpha) >= -1.0], method=method)
    optimize(linear(np.abs(Rw)), ActionCost(1.0), Box(0.0, 100.0), subject_to=[VaR(0.1) >= 0.01])
    cvxpy_floor(Rw, alpha, -1.0)
    print("\n1. max mean s.t. CVaR_5% >= CVaR of equal weights, budget simplex, n = 10")
    print(f"{'S':>7} {'method':>22} {'seconds':>9} {'objective':>16} {'ratio':>7}")
    for S in sizes:
        R = returns(S, n, seed=S)
        floor = CVaR(alpha)(R @ np.full(n, 1.0 / n))
        with threadpool_limits(1, "blas"):
            tc, vc = cvxpy_floor(R, alpha, floor)
            rows = [("cvxpy direct (CLARABEL)", tc, vc)]
            for method in ("auto", "highs"):
                t0 = time.perf_counter()
                try:
                    d = optimize(linear(R), Mean(), Budget(1.0), subject_to=[CVaR(alpha) >= floor],
                                 method=method, time_limit=args.lp_seconds)
                except decide.DecideError as exc:
                    print(f"{S:>7} decide {method}: {type(exc).__name__} after "
                          f"{time.perf_counter() - t0:.1f} s: {str(exc)[:90]}")
                    continue
                label = f"decide {method}->{d.method}"
                rows.append((label, time.perf_counter() - t0, d.value))
        for label, t, v in rows:
            print(f"{S:>7} {label:>22} {t:>9.3f} {v:>16.10g} {tc / t:>7.2f}")
    print(f"\n2. min spend s.t. P(sales < target) < 10%, box [0, 100]^10, MILP time limit "
          f"{args.milp_seconds:g} s")
    print(f"{'S':>7} {'method':>22} {'seconds':>9} {'objective':>16} {'status':>28}")
    for S in sizes:
        B = effects(S, n, seed=S + 1)
        target = 100.0
        with threadpool_limits(1, "blas"):
            out = []
            for exact in (True, False):
                t, v, st = cvxpy_chance(B, 0.1, target, 100.0, args.milp_seconds, exact)
                out.append((f"cvxpy direct {'MILP' if exact else 'CVaR'}", t, v, st))
            for chance in ("exact", "cvar"):
                t0 = time.perf_counter()
                try:
                    d = optimize(linear(B), ActionCost(1.0), Box(0.0, 100.0),
                                 subject_to=[VaR(0.1) >= target], chance=chance,
                                 time_limit=args.milp_seconds)
                except decide.DecideError as exc:
                    out.append((f"decide {chance}", time.perf_counter() - t0, np.nan,
                                f"{type(exc).__name__}: no incumbent"))
                    continue
                cert = d.diagnostics.certificate or {}
                st = "certified" if d.converged else f"not certified, gap {cert.get('gap', np.nan):.3g}"
                if chance == "cvar":
                    st = f"VaR {VaR(0.1)(d.draws):.5g} >= {target:g}"
                out.append((f"decide {chance}->{d.method}", time.perf_counter() - t0, -d.value, st))
        for label, t, v, st in out:
            print(f"{S:>7} {label:>22} {t:>9.3f} {v:>16.10g} {st:>28}")
    skfolio_section(alpha)


if __name__ == "__main__":
    main()
