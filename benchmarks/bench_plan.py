"""A 13-week, 4-channel media plan with carry-over on a fitted pymc-marketing MMM.

pymc-marketing's optimizer spreads a per-week budget uniformly over the window and
chooses one weekly level per channel. decide plans the same window through
``decide.outcomes.plan`` on pymc-marketing's window model (carry-in weeks before the
window and carry-out weeks after it fixed, never moved):

* ``flights="window"``: the same plan as pymc-marketing's (one weekly level per
  channel), build + compile + solve timed against pymc-marketing's own;
* weekly decisions (every week x channel cell of the window free): a plan
  pymc-marketing cannot express; its objective is at least the uniform plan's;
* the naive path per evaluation: ``pm.set_data`` on a clone of the window model and
  ``pm.sample_posterior_predictive``, against one ``draws`` call of decide's outcome.

Both plans are scored on the same posterior draws with the same measure (the mean of
the total media contribution, original scale).

Run with the optional ``bench`` extra (pymc-marketing 1.x), e.g.::

    python benchmarks/bench_plan.py [--draws 300] [--chains 2] [--load mmm.nc]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mmm import CHANNELS, L_MAX, synthetic_data

WINDOW = 13


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--load", default=None, help="a fitted MMM saved with MMM.save")
    parser.add_argument("--save", default=None, help="save the fitted MMM here")
    args = parser.parse_args()
    if importlib.util.find_spec("pymc_marketing") is None:
        print("SKIPPED: pymc-marketing is not installed (pip install 'bayes-decide[bench]').")
        return 0
    warnings.filterwarnings("ignore")
    import pymc as pm
    import pymc_marketing
    import pytensor
    from pymc.model.fgraph import clone_model
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.utility import average_response

    import decide
    from decide.measures import Mean
    from decide.optimization import optimize, plan_space
    from decide.outcomes import from_pymc, plan

    print(f"Python {platform.python_version()}  pymc {pm.__version__}  pytensor "
          f"{pytensor.__version__}  pymc-marketing {pymc_marketing.__version__}  "
          f"decide {decide.__version__}")
    if int(pymc_marketing.__version__.split(".")[0]) < 1:
        print("SKIPPED: this benchmark drives pymc-marketing 1.x's budget_optimizer / "
              "create_optimization_model; 0.x has another optimizer API.")
        return 0
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
    post = mmm.idata.posterior
    print(f"fit/load: {time.perf_counter() - t:.1f} s, "
          f"{post.sizes['chain'] * post.sizes['draw']} posterior samples")
    step = dates[1] - dates[0]
    start = dates[-1] + step
    end = start + (WINDOW - 1) * step
    weekly_budget = float(X[CHANNELS].sum(axis=1).mean())
    response = "total_media_contribution_original_scale"

    gc.collect()
    t = time.perf_counter()
    res = mmm.budget_optimizer(start, end, utility_function=average_response).allocate_budget(
        total_budget=weekly_budget
    )
    t_pmm = time.perf_counter() - t
    alloc_pmm = np.asarray(res.budgets.transpose("channel").values, float)

    gc.collect()
    t = time.perf_counter()
    model = mmm.create_optimization_model(start, end)
    date_coord = np.asarray(model.coords["date"])
    rows = np.flatnonzero((date_coord >= np.datetime64(start)) & (date_coord <= np.datetime64(end)))
    om = from_pymc(model, mmm.idata, action="channel_data", outcome=response, data={})
    flights = plan(om, window=rows, flights="window")
    d_flights = optimize(flights, Mean(), plan_space(flights, total=WINDOW * weekly_budget))
    t_flights = time.perf_counter() - t

    gc.collect()
    t = time.perf_counter()
    cells = plan(om, window=rows)
    d_cells = optimize(cells, Mean(), plan_space(cells, total=WINDOW * weekly_budget))
    t_cells = time.perf_counter() - t

    v_pmm = float(flights.draws(alloc_pmm).mean())
    v_flights, v_cells = float(d_flights.draws.mean()), float(d_cells.draws.mean())
    base = om.default_action_flat().reshape(len(date_coord), len(CHANNELS))
    moved = np.abs(cells.full_action_flat(d_cells.flat_action).reshape(base.shape) - base)
    outside = np.setdiff1d(np.arange(len(date_coord)), rows)

    # the naive path: set_data on a clone + sample_posterior_predictive, per evaluation
    x = flights.full_action_flat(d_flights.flat_action).reshape(base.shape)
    clone = clone_model(model)
    gc.collect()
    t = time.perf_counter()
    with clone:
        pm.set_data({"channel_data": x})
        pm.sample_posterior_predictive(mmm.idata, var_names=[response], progressbar=False,
                                       random_seed=0)
    t_naive = time.perf_counter() - t
    n_eval = 20
    t = time.perf_counter()
    for _ in range(n_eval):
        flights.draws(d_flights.flat_action)
    t_eval = (time.perf_counter() - t) / n_eval

    print(f"\nwindow: {WINDOW} weeks x {len(CHANNELS)} channels, {len(rows)} window rows, "
          f"{len(outside)} carry-in/carry-out rows; weekly budget {weekly_budget:.1f}")
    print(f"{'plan':42s} {'time s':>8s} {'mean objective':>16s} {'rel. to pmm':>12s}")
    print(f"{'pymc-marketing (uniform weekly levels)':42s} {t_pmm:8.2f} {v_pmm:16.8g} {0.0:12.2e}")
    print(f"{'decide, flights=window (same plan)':42s} {t_flights:8.2f} {v_flights:16.8g} "
          f"{(v_flights - v_pmm) / abs(v_pmm):12.2e}")
    print(f"{'decide, every week x channel free':42s} {t_cells:8.2f} {v_cells:16.8g} "
          f"{(v_cells - v_pmm) / abs(v_pmm):12.2e}")
    print(f"time ratio decide/pmm (same plan): {t_flights / t_pmm:.3f}")
    print(f"carry-in/carry-out cells moved by decide: max |change| = {moved[outside].max():.3g}")
    print(f"per evaluation: naive set_data + sample_posterior_predictive {t_naive:.3f} s, "
          f"decide draws {t_eval * 1e3:.2f} ms, ratio {t_eval / t_naive:.4f}")
    print("weekly levels pymc-marketing:", np.round(alloc_pmm, 1).tolist())
    print("weekly levels decide        :", np.round(d_flights.flat_action, 1).tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main())
