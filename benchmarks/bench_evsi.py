"""Benchmark: EVSI of testing channel A, by regression, moment matching and nested refits.

The seed's two-channel model (examples/two_channels_uncertainty.py, 2 x 300 posterior
draws, 11 candidate budget splits). The experiment runs channel A alone at spend 2 for
``n`` weeks (n = 1, 2, 4, 8, 16). Estimators, side by side with value, standard error
and wall time per n:

* ``regression``: one simulated dataset per draw, spline regression (no refit);
* ``moment_matching``: 8 ``pymc.sample`` refits per n, rescaled EVPPI fitted values;
* ``mm (IS)``: moment matching with 30 importance-weighted updates per n;
* ``nested (refit)``: 6 ``pymc.sample`` refits per n (the brute-force reference; few
  refits, so a large standard error);
* ``nested (IS)``: 300 datasets per n, the posterior updated by importance weights from
  the model's own logp (``Experiment.from_pymc(..., update="importance")``; the
  many-dataset reference).

New paths of this round, in the same table:

* ``regr. (mean only)``: the regression on the old default summary (the mean of the new
  weeks' sales) instead of the likelihood's sufficient statistics (mean and mean of
  squares: the Normal's scale is a free parameter), the new default;
* ``Budget: ...``: the continuous action (any split of the budget, ``Budget(10)``)
  instead of the 11 splits: regression and moment matching (IS) on their candidate sets,
  against ``Budget: nested (IS)`` (re-optimized per dataset, 100 datasets per n).

Ratios: wall time against ``regression``, and the gap to ``nested (IS)`` (``Budget:
nested (IS)`` for the Budget rows) in units of the combined standard error. Rows are
printed as they come; versions first.

Run: python benchmarks/bench_evsi.py
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import platform
import time
from pathlib import Path

import numpy as np

SIZES = [1, 2, 4, 8, 16]
TEST_SPEND = [2.0, 0.0]


def _seed():
    path = Path(__file__).resolve().parents[1] / "examples" / "two_channels_uncertainty.py"
    spec = importlib.util.spec_from_file_location("two_channels_uncertainty", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    from decide.optimization import Budget
    from decide.outcomes import from_pymc
    from decide.uncertainty import Experiment, evsi

    logging.getLogger("pymc").setLevel(logging.ERROR)
    print(f"python {platform.python_version()} on {platform.machine()}")
    for lib in ("numpy", "scipy", "sklearn", "pymc", "pytensor", "arviz"):
        print(f"  {lib} {importlib.import_module(lib).__version__}")
    seed = _seed()
    spend, sales = seed.simulate_history()
    idata = seed.fit(seed.build_model(spend, sales), 300, 2, 7)
    outcome = from_pymc(seed.build_model(spend, sales, decision=True), idata, action="spend",
                        outcome="lift", random_seed=7)
    grid = seed.allocations()
    refit = Experiment.from_pymc(
        lambda d: seed.build_model(d["spend"], d["sales"]), {"spend": spend, "sales": sales},
        {"spend": TEST_SPEND}, observed="sales", draws=300, tune=300, chains=1,
        params=["beta_A", "intercept"],
    )

    weighted = Experiment.from_pymc(
        lambda d: seed.build_model(d["spend"], d["sales"]), {"spend": spend, "sales": sales},
        {"spend": TEST_SPEND}, observed="sales", update="importance",
        params=["beta_A", "intercept"],
    )
    def mean_only(data):
        return np.asarray(data, dtype=float).mean(axis=1)[:, None]

    mean_exp = Experiment.from_pymc(
        lambda d: seed.build_model(d["spend"], d["sales"]), {"spend": spend, "sales": sales},
        {"spend": TEST_SPEND}, observed="sales", params=["beta_A", "intercept"], summary=mean_only,
    )
    print(f"default summary: {refit.summary_description}")
    budget = Budget(seed.BUDGET)
    # reference runs first, so that every row can be printed as soon as it is computed
    runs = {
        "nested (IS)": (weighted, {"method": "nested", "n_outer": 300}, "nested (IS)"),
        "regression": (refit, {"method": "regression"}, "nested (IS)"),
        "regr. (mean only)": (mean_exp, {"method": "regression"}, "nested (IS)"),
        "moment_matching": (refit, {"method": "moment_matching", "n_refits": 8}, "nested (IS)"),
        "mm (IS)": (weighted, {"method": "moment_matching", "n_refits": 30}, "nested (IS)"),
        "nested (refit)": (refit, {"method": "nested", "n_outer": 6}, "nested (IS)"),
        "Budget: nested (IS)": (weighted, {"method": "nested", "n_outer": 100, "space": budget},
                                "Budget: nested (IS)"),
        "Budget: regression": (refit, {"method": "regression", "space": budget},
                               "Budget: nested (IS)"),
        "Budget: mm (IS)": (weighted, {"method": "moment_matching", "n_refits": 30,
                                       "space": budget}, "Budget: nested (IS)"),
    }
    tables = {}
    print()
    print(f"{'n':>3} {'method':<20} {'EVSI':>8} {'SE':>8} {'seconds':>8} {'x regr.':>8} "
          f"{'gap/SE vs ref':>13}", flush=True)
    for name, (exp, kw, ref_name) in runs.items():
        kw = dict(kw)
        space = kw.pop("space", None)
        t0 = time.perf_counter()
        res = evsi(outcome, None if space is not None else grid, exp, n=SIZES, posterior=idata,
                   random_seed=3, space=space, **kw)
        t = tables[name] = res.table
        ref = tables[ref_name]
        base = tables["regression"]["seconds"] if "regression" in tables else None
        for n in SIZES:
            gap = (t.loc[n, "evsi"] - ref.loc[n, "evsi"]) / np.hypot(
                t.loc[n, "standard_error"], ref.loc[n, "standard_error"])
            ratio = "-" if base is None else f"{t.loc[n, 'seconds'] / base[n]:.1f}"
            print(f"{n:>3} {name:<20} {t.loc[n, 'evsi']:>8.4f} {t.loc[n, 'standard_error']:>8.4f} "
                  f"{t.loc[n, 'seconds']:>8.2f} {ratio:>8} {gap:>13.2f}", flush=True)
        print(f"    {name}: {time.perf_counter() - t0:.1f} s in all; EVPPI {res.evppi:.4f}, "
              f"EVPI {res.evpi:.4f}" + (f"; notes: {len(res.notes)}" if res.notes else ""),
              flush=True)


if __name__ == "__main__":
    main()
