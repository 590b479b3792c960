"""Budget allocation on a fitted pymc-marketing MMM: pymc-marketing's BudgetOptimizer
against ``decide.optimize(from_pymc(...))`` on the same posterior draws.

A 4-channel, 130-week MMM with geometric adstock and logistic saturation is fitted
with pymc-marketing on synthetic data. Both optimizers allocate the same weekly
budget over an 8-week window, maximizing the mean and then the CVaR (5% tail) of
the total media contribution. Wall time covers build + compile + solve; both
allocations are scored on the same draws with decide's measures.

Run with the optional ``bench`` extra (pymc-marketing), e.g.::

    python benchmarks/bench_mmm.py [--draws 500] [--chains 2]

Target: decide's wall time <= 0.5x pymc-marketing's and its objective >= theirs
- 1e-6 relative.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
import time
import warnings

import numpy as np

N_WEEKS, CHANNELS, L_MAX, WINDOW = 130, ["tv", "radio", "search", "social"], 8, 8


def synthetic_data(seed: int = 7):
    import pandas as pd

    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=N_WEEKS, freq="W-SUN")
    spend = np.column_stack([
        rng.gamma(k, s, N_WEEKS) for k, s in [(4, 250.0), (3, 120.0), (6, 150.0), (2, 200.0)]
    ])
    decay = np.array([0.6, 0.3, 0.1, 0.4])
    adstocked = np.zeros_like(spend)
    for t in range(N_WEEKS):
        for lag in range(min(L_MAX, t + 1)):
            adstocked[t] += decay**lag * spend[t - lag]
    adstocked /= adstocked.max(axis=0)
    lam = np.array([2.0, 3.0, 1.5, 4.0])
    sat = (1 - np.exp(-lam * adstocked)) / (1 + np.exp(-lam * adstocked))
    beta = np.array([3000.0, 1500.0, 2500.0, 1000.0])
    y = 5000.0 + sat @ beta + rng.normal(0, 250.0, N_WEEKS)
    X = pd.DataFrame(spend, columns=CHANNELS)
    X.insert(0, "date", dates)
    return X, pd.Series(y, name="y"), dates


def plan_space(action_space, base: np.ndarray, plan_rows: np.ndarray, budget: float):
    """Spend on the window dates equal each week, summing to ``budget`` per week."""
    from decide.optimization import Box, LinearConstraints

    n_dates, n_ch = base.shape
    lb, ub = base.copy(), base.copy()
    lb[plan_rows], ub[plan_rows] = 0.0, budget
    rows, idx = [], np.arange(n_dates * n_ch).reshape(n_dates, n_ch)
    for t in plan_rows[1:]:
        for c in range(n_ch):
            r = np.zeros(n_dates * n_ch)
            r[idx[t, c]], r[idx[plan_rows[0], c]] = 1.0, -1.0
            rows.append(r)
    total = np.zeros(n_dates * n_ch)
    total[idx[plan_rows[0]]] = 1.0
    rows.append(total)
    rhs = np.zeros(len(rows))
    rhs[-1] = budget
    return Box(lb.reshape(-1), ub.reshape(-1)) & LinearConstraints(np.array(rows), rhs, rhs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--load", default=None, help="a fitted MMM saved with MMM.save")
    parser.add_argument("--save", default=None, help="save the fitted MMM here")
    parser.add_argument("--backend", default=None,
                        help="pytensor mode for from_pymc (e.g. FAST_RUN, NUMBA); default: the stack's")
    args = parser.parse_args()
    if importlib.util.find_spec("pymc_marketing") is None:
        print("SKIPPED: pymc-marketing is not installed (pip install 'bayes-decide[bench]').")
        return 0
    warnings.filterwarnings("ignore")
    import pymc as pm
    import pymc_marketing
    import pytensor
    import scipy
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.utility import average_response, conditional_value_at_risk
    from threadpoolctl import threadpool_info

    import decide
    from decide.measures import CVaR, Mean
    from decide.optimization import optimize
    from decide.outcomes import from_pymc

    print(f"Python {platform.python_version()}  pymc {pm.__version__}  pytensor "
          f"{pytensor.__version__}  pymc-marketing {pymc_marketing.__version__}  scipy "
          f"{scipy.__version__}  decide {decide.__version__}")
    print("BLAS:", [(i["internal_api"], i["num_threads"]) for i in threadpool_info()],
          "(decide pins BLAS to 1 thread while solving)")

    X, y, dates = synthetic_data()
    t = time.perf_counter()
    if args.load:
        mmm = MMM.load(args.load)
    else:
        mmm = MMM(date_column="date", channel_columns=CHANNELS, target_column="y",
                  adstock=GeometricAdstock(l_max=L_MAX), saturation=LogisticSaturation())
        mmm.fit(X, y, draws=args.draws, tune=args.draws, chains=args.chains, random_seed=1,
                progressbar=False)
        if args.save:
            mmm.save(args.save)
    n_samples = mmm.idata.posterior.sizes["chain"] * mmm.idata.posterior.sizes["draw"]
    print(f"fit/load: {time.perf_counter() - t:.1f} s, {n_samples} posterior samples")
    start = dates[-1] + (dates[1] - dates[0])
    end = start + (WINDOW - 1) * (dates[1] - dates[0])
    budget = float(X[CHANNELS].sum(axis=1).mean())  # weekly budget, as pymc-marketing
    response = "total_media_contribution_original_scale"

    rows, failed = [], False
    for label, theirs_u, ours in [("mean", average_response, Mean()),
                                  ("cvar5", conditional_value_at_risk(0.95), CVaR(0.05))]:
        t = time.perf_counter()
        opt = mmm.budget_optimizer(start, end, utility_function=theirs_u)
        res = opt.allocate_budget(total_budget=budget)
        t_theirs = time.perf_counter() - t
        alloc_theirs = np.asarray(res.budgets.transpose("channel").values, float)
        print(f"[{label}] pymc-marketing: {t_theirs:7.2f} s  alloc "
              f"{np.round(alloc_theirs, 1).tolist()}  (scipy success {res.scipy_result.success}, "
              f"{res.scipy_result.nit} iterations)", flush=True)

        t = time.perf_counter()
        model = mmm.create_optimization_model(start, end)
        base = np.asarray(model["channel_data"].get_value(), dtype=float)  # (date, channel)
        date_coord = np.asarray(model.coords["date"])
        plan_rows = np.flatnonzero((date_coord >= np.datetime64(start)) &
                                   (date_coord <= np.datetime64(end)))
        try:
            outcome = from_pymc(model, mmm.idata, action="channel_data", outcome=response,
                                backend=args.backend)
        except Exception as exc:  # report, never fake a result
            print(f"[{label}] decide        : from_pymc could not build the MMM's outcome model: "
                  f"{type(exc).__name__}: {exc}", flush=True)
            failed = True
            continue
        space = plan_space(outcome.action_space, base, plan_rows, budget)
        d = optimize(outcome, ours, space, method="scipy", n_starts=1)
        t_ours = time.perf_counter() - t
        alloc_ours = d.flat_action.reshape(base.shape)[plan_rows[0]]

        # score both plans on the same draws with the same measure
        x_theirs = base.copy()
        x_theirs[plan_rows] = alloc_theirs
        v_theirs = float(ours(outcome.draws(x_theirs.reshape(-1))))
        v_ours = float(ours(outcome.draws(d.flat_action)))
        rel = (v_ours - v_theirs) / max(abs(v_theirs), 1e-300)
        rows.append((label, t_theirs, t_ours, v_theirs, v_ours, rel))
        print(f"[{label}] pymc-marketing objective on the same draws: {v_theirs:.8g}")
        print(f"[{label}] decide        : {t_ours:7.2f} s  objective {v_ours:.8g}  "
              f"alloc {np.round(alloc_ours, 1).tolist()}  (converged {d.converged}, "
              f"{d.diagnostics.evaluations} evaluations)")
    print("\nobjective  time ratio decide/pmm  objective rel. diff (decide - pmm)/|pmm|  target")
    for label, tt, to, _vt, _vo, rel in rows:
        ok = to <= 0.5 * tt and rel >= -1e-6
        print(f"{label:9s}  {to / tt:20.3f}  {rel:38.2e}  {'MET' if ok else 'NOT MET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
