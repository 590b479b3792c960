"""Budget allocation on a fitted pymc-marketing MMM: pymc-marketing's BudgetOptimizer
against ``decide.optimize(from_pymc(...))`` on the same posterior draws.

A 4-channel, 130-week MMM with geometric adstock and logistic saturation is fitted
with pymc-marketing on synthetic data (or loaded with ``--load``). Both optimizers
allocate the same weekly budget over an 8-week window, maximizing the mean and then
the CVaR (5% tail) of the total media contribution. Both allocations are scored on
the same draws with decide's measures. Three figures, each the decide /
pymc-marketing ratio of the median of ``--repeats`` interleaved timings, with
``gc.collect()`` before every timed call (a full collection lands at random inside
a call otherwise):

- *first call*: build + compile + solve as the first call of a fresh process (one
  child process per timing; imports and loading the fitted model are not timed;
  pytensor's on-disk numba cache is warm for both libraries). Two rows for decide,
  against the same pymc-marketing timings: *first cold*, decide's disk cache of
  compiled functions (``decide._config.PYMC_DISK_CACHE_DIR``) empty, so decide
  rewrites and compiles its graphs (a model or window never decided on this machine);
  *first warm*, that cache holding this window's functions from an earlier process
  (a decision re-run: the next day's re-plan, a script run again), so they are
  relinked without pytensor's rewriting. pymc-marketing has no such cache;
  ``--no-disk-cache`` times decide with the disk cache off (one "first cold" row);
- *repeated*: build + compile + solve again in the same process (decide's compile
  cache, pymc-marketing's own reuse);
- *solve only*: the optimizer (pymc-marketing) or the outcome model (decide) built
  once, the solve timed.

Both pymc-marketing APIs are driven: 1.x (pymc 6; ``MMM.budget_optimizer`` and
``MMM.create_optimization_model``, the window with its carry-in dates) and 0.x (pymc 5;
the multidimensional ``MMM``, ``MultiDimensionalBudgetOptimizerWrapper`` and
``BudgetOptimizer``, the window without carry-in). decide optimizes the model each
version's optimizer builds, on the same posterior draws. Run with the optional
``bench`` extra, e.g.::

    python benchmarks/bench_mmm.py [--draws 300] [--chains 2] [--repeats 5]

Targets (issue 17): first call <= 0.7x, repeated <= 0.5x, solve only <= 0.5x, and
decide's objective >= pymc-marketing's - 1e-6 relative.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
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


OBJECTIVES = ("mean", "cvar5")
TARGETS = {"first": 0.7, "repeated": 0.5, "solve": 0.5}


def pmm_api() -> str:
    """``"1.x"`` (``MMM.budget_optimizer``) or ``"0.x"`` (the multidimensional wrapper)."""
    from pymc_marketing.mmm import MMM

    return "1.x" if hasattr(MMM, "budget_optimizer") else "0.x"


def mmm_class():
    if pmm_api() == "1.x":
        from pymc_marketing.mmm import MMM
    else:
        from pymc_marketing.mmm.multidimensional import MMM
    return MMM


class Bench:
    """The fitted MMM and both libraries' calls on its 8-week window."""

    def __init__(self, mmm, dates, X, method: str, backend: str | None):
        from pymc_marketing.mmm.utility import average_response, conditional_value_at_risk

        from decide.measures import CVaR, Mean

        self.mmm, self.method, self.backend = mmm, method, backend
        self.api = pmm_api()
        self.start = dates[-1] + (dates[1] - dates[0])
        self.end = self.start + (WINDOW - 1) * (dates[1] - dates[0])
        self.budget = float(X[CHANNELS].sum(axis=1).mean())  # weekly budget, as pymc-marketing
        self.theirs_u = {"mean": average_response, "cvar5": conditional_value_at_risk(0.95)}
        self.ours_m = {"mean": Mean(), "cvar5": CVaR(0.05)}
        self.response = "total_media_contribution_original_scale"

    # -- pymc-marketing
    def _wrapper(self):  # 0.x: the window (plan dates, then l_max carry-over dates)
        from pymc_marketing.mmm.multidimensional import MultiDimensionalBudgetOptimizerWrapper

        return MultiDimensionalBudgetOptimizerWrapper(self.mmm, self.start, self.end)

    def theirs_build(self, obj: str):
        if self.api == "1.x":
            return self.mmm.budget_optimizer(self.start, self.end,
                                             utility_function=self.theirs_u[obj])
        from pymc_marketing.mmm.budget_optimizer import BudgetOptimizer

        wrapper = self._wrapper()
        return BudgetOptimizer(num_periods=wrapper.num_periods, model=wrapper,
                               utility_function=self.theirs_u[obj],
                               response_variable=self.response)

    def theirs_solve(self, opt) -> np.ndarray:
        res = opt.allocate_budget(total_budget=self.budget)
        budgets = res.budgets if self.api == "1.x" else res[0]
        return np.asarray(budgets.transpose("channel").values, float)

    # -- decide
    def ours_build(self):
        from decide.outcomes import from_pymc

        if self.api == "1.x":
            model = self.mmm.create_optimization_model(self.start, self.end)
            date_coord = np.asarray(model.coords["date"])
            rows = np.flatnonzero((date_coord >= np.datetime64(self.start)) &
                                  (date_coord <= np.datetime64(self.end)))
        else:
            wrapper = self._wrapper()
            model = wrapper._set_predictors_for_optimization(wrapper.num_periods)
            rows = np.arange(wrapper.num_periods)  # the optimizer's budget rows
        base = np.asarray(model["channel_data"].get_value(), dtype=float)  # (date, channel)
        outcome = from_pymc(model, self.mmm.idata, action="channel_data", outcome=self.response,
                            backend=self.backend)
        space = plan_space(outcome.action_space, base, rows, self.budget)
        return outcome, space, base, rows

    def ours_solve(self, built, obj: str):
        from decide.optimization import optimize

        outcome, space, _, _ = built
        kw = {} if self.method == "cvar-slp" else {"n_starts": 1}
        return optimize(outcome, self.ours_m[obj], space, method=self.method, **kw)

    def full(self, lib: str, obj: str):
        if lib == "pmm":
            return self.theirs_solve(self.theirs_build(obj))
        return self.ours_solve(self.ours_build(), obj)


def timed(fn):
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def load(args):
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation

    MMM = mmm_class()
    X, y, dates = synthetic_data()
    if args.load:
        return MMM.load(args.load), X, dates
    mmm = MMM(date_column="date", channel_columns=CHANNELS, target_column="y",
              adstock=GeometricAdstock(l_max=L_MAX), saturation=LogisticSaturation())
    mmm.fit(X, y, draws=args.draws, tune=args.draws, chains=args.chains, random_seed=1,
            progressbar=False)
    if args.save:
        mmm.save(args.save)
    return mmm, X, dates


def child(args) -> int:
    """One first call in this fresh process; prints its time as JSON."""
    warnings.filterwarnings("ignore")
    mmm, X, dates = load(args)
    bench = Bench(mmm, dates, X, args.method, args.backend)
    lib, obj = args.child
    t, _ = timed(lambda: bench.full(lib, obj))
    print(json.dumps({"lib": lib, "obj": obj, "time": t}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--load", default=None, help="a fitted MMM saved with MMM.save")
    parser.add_argument("--save", default=None, help="save the fitted MMM here")
    parser.add_argument("--method", default="auto", help="decide's optimize method")
    parser.add_argument("--backend", default=None,
                        help="pytensor mode for from_pymc (e.g. FAST_RUN, NUMBA); default: the stack's")
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-first", action="store_true", help="skip the fresh-process timings")
    parser.add_argument("--no-disk-cache", action="store_true",
                        help="decide's disk cache of compiled functions off (no 'first warm' row)")
    args = parser.parse_args()
    if importlib.util.find_spec("pymc_marketing") is None:
        print("SKIPPED: pymc-marketing is not installed (pip install 'bayes-decide[bench]').")
        return 0
    if args.child:
        return child(args)
    # decide's disk cache in a directory of this run (never the user's), removed at the end
    cache_root = tempfile.mkdtemp(prefix="bench-mmm-cache-")
    os.environ["DECIDE_CACHE_DIR"] = os.path.join(cache_root, "main")
    if args.no_disk_cache:
        os.environ["DECIDE_DISK_CACHE"] = "0"
    try:
        return run(args, cache_root)
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)


def run(args, cache_root: str) -> int:
    warnings.filterwarnings("ignore")
    import pymc as pm
    import pymc_marketing
    import pytensor
    import scipy
    from threadpoolctl import threadpool_info

    import decide

    print(f"Python {platform.python_version()}  pymc {pm.__version__}  pytensor "
          f"{pytensor.__version__}  pymc-marketing {pymc_marketing.__version__}  scipy "
          f"{scipy.__version__}  decide {decide.__version__}")
    print("BLAS:", [(i["internal_api"], i["num_threads"]) for i in threadpool_info()],
          "(decide pins BLAS to 1 thread while solving)")
    print(f"pymc-marketing API {pmm_api()}; load average {os.getloadavg()}")
    print("decide disk cache of compiled functions: " + (
        "off" if args.no_disk_cache else
        "first cold = empty, first warm = filled by an untimed earlier process"))
    t = time.perf_counter()
    tmp = None
    if not args.load:
        tmp = tempfile.mkdtemp()
        args.save = args.save or os.path.join(tmp, "mmm.nc")
    mmm, X, dates = load(args)
    if not args.load:
        args.load = args.save
    n_samples = mmm.idata.posterior.sizes["chain"] * mmm.idata.posterior.sizes["draw"]
    print(f"fit/load: {time.perf_counter() - t:.1f} s, {n_samples} posterior samples; "
          f"{args.repeats} repeats, libraries interleaved, gc.collect() before each timed call; "
          f"decide method={args.method!r}")
    bench = Bench(mmm, dates, X, args.method, args.backend)
    times: dict[tuple[str, str, str], list[float]] = {}
    quality: dict[str, tuple[float, float]] = {}

    def add(kind: str, obj: str, lib: str, t: float) -> None:
        times.setdefault((kind, obj, lib), []).append(t)

    if not args.no_first:
        cmd = [sys.executable, os.path.abspath(__file__), "--load", args.load,
               "--method", args.method]
        if args.backend:
            cmd += ["--backend", args.backend]
        warm_dir = os.path.join(cache_root, "warm")

        def first(lib: str, obj: str, cache_dir: str) -> float:
            env = {**os.environ, "DECIDE_CACHE_DIR": cache_dir}
            out = subprocess.run([*cmd, "--child", lib, obj], capture_output=True, text=True,
                                 check=True, env=env)
            return json.loads(out.stdout.strip().splitlines()[-1])["time"]

        if not args.no_disk_cache:
            for obj in OBJECTIVES:  # untimed: fills the warm cache
                first("decide", obj, warm_dir)
        for r in range(args.repeats):
            for obj in OBJECTIVES:
                runs = [("pmm", "first cold"), ("decide", "first cold")]
                if not args.no_disk_cache:
                    runs.append(("decide", "first warm"))
                for lib, kind in (runs if r % 2 == 0 else runs[::-1]):
                    cold = tempfile.mkdtemp(dir=cache_root)  # empty: decide compiles
                    t = first(lib, obj, warm_dir if kind == "first warm" else cold)
                    shutil.rmtree(cold, ignore_errors=True)
                    add(kind, obj, lib, t)
                    if lib == "pmm" and not args.no_disk_cache:
                        add("first warm", obj, lib, t)  # the same runs (no such cache)
    for obj in OBJECTIVES:
        opt = bench.theirs_build(obj)  # warm-up, and the builds reused for solve-only
        alloc_theirs = bench.theirs_solve(opt)
        built = bench.ours_build()
        d = bench.ours_solve(built, obj)
        outcome, _, base, rows = built
        x_theirs = base.copy()
        x_theirs[rows] = alloc_theirs
        measure = bench.ours_m[obj]
        v_theirs = float(measure(outcome.draws(x_theirs.reshape(-1))))
        v_ours = float(measure(outcome.draws(d.flat_action)))
        quality[obj] = (v_theirs, v_ours)
        print(f"[{obj}] pymc-marketing alloc {np.round(alloc_theirs, 1).tolist()} objective "
              f"{v_theirs:.10g}; decide alloc "
              f"{np.round(d.flat_action.reshape(base.shape)[rows[0]], 1).tolist()} objective "
              f"{v_ours:.10g} (method {d.method}, converged {d.converged}, "
              f"{d.diagnostics.evaluations} evaluations)", flush=True)
        for r in range(args.repeats):
            for lib in (("pmm", "decide") if r % 2 == 0 else ("decide", "pmm")):
                add("repeated", obj, lib, timed(lambda lib=lib, o=obj: bench.full(lib, o))[0])
                if lib == "pmm":
                    add("solve", obj, lib, timed(lambda p=opt: bench.theirs_solve(p))[0])
                else:
                    add("solve", obj, lib, timed(lambda b=built, o=obj: bench.ours_solve(b, o))[0])
    print("\nfigure     objective  pmm median s  decide median s  ratio  target  "
          "objective rel. diff  verdict")
    ok_all = True
    for kind in ("first cold", "first warm", "repeated", "solve"):
        for obj in OBJECTIVES:
            if (kind, obj, "pmm") not in times:
                continue
            tp = float(np.median(times[kind, obj, "pmm"]))
            td = float(np.median(times[kind, obj, "decide"]))
            vt, vo = quality[obj]
            rel = (vo - vt) / max(abs(vt), 1e-300)
            target = TARGETS[kind.split()[0]]
            ok = td <= target * tp and rel >= -1e-6
            ok_all &= ok
            print(f"{kind:10s} {obj:9s} {tp:12.3f}  {td:15.3f}  {td / tp:5.2f}  "
                  f"{target:6.1f}  {rel:19.2e}  {'MET' if ok else 'NOT MET'}")
    print("all targets met" if ok_all else "some targets NOT met (see above)")
    print(f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
