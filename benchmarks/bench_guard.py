"""What the extrapolation guard costs per ``optimize`` call, and what it changes.

The same problem (a saturating response of 8 channels, 2000 posterior draws, a
budget) is solved in one process:

* baseline: an outcome without an observed range (no report);
* reported: the outcome with an observed range (``Decision.extrapolation`` built);
* kept within: ``optimize(..., within_observed=True)`` (the range added as a Box);

and, as the check of what the guard changes, the objective lost by keeping within
the observed range and the cells the free plan puts outside it.

Run ``python benchmarks/bench_guard.py [--repeat 20]``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np


def main() -> int:
    import scipy

    import decide
    from decide.errors import ExtrapolationWarning
    from decide.measures import Mean
    from decide.optimization import Budget, optimize
    from decide.outcomes import from_function, with_observed_range

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"decide {getattr(decide, '__version__', '?')}")
    rng = np.random.default_rng(0)
    k, n = 8, 2000
    beta = rng.uniform(0.5, 3.0, size=k) * rng.lognormal(0.0, 0.2, size=(n, k))
    training = rng.uniform(1.0, 4.0, size=(104, k))
    om = from_function(lambda x, p: (p["b"] * np.log1p(x)).sum(-1), {"b": beta}, action_shape=(k,),
                       jac=lambda x, p: p["b"] / (1.0 + x))
    guarded = with_observed_range(om, training.min(axis=0), training.max(axis=0))
    space = Budget(24.0)  # the best channels want more than the data ever spent on them

    runs = {"base": (om, {}), "report": (guarded, {}), "kept": (guarded, {"within_observed": True})}
    best = dict.fromkeys(runs, np.inf)
    last = {}
    for _ in range(args.repeat):  # interleaved, so that a busy machine slows all three alike
        for name, (outcome, kw) in runs.items():
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExtrapolationWarning)
                last[name] = optimize(outcome, Mean(), space, random_seed=0, **kw)
            best[name] = min(best[name], time.perf_counter() - t)
    base, rep, kept = last["base"], last["report"], last["kept"]
    base_t, rep_t, kept_t = best["base"], best["report"], best["kept"]
    print(f"optimize, no observed range:          {base_t * 1e3:8.2f} ms (best of {args.repeat})")
    print(f"optimize, report built:               {rep_t * 1e3:8.2f} ms  ratio {rep_t / base_t:.3f}")
    print(f"optimize, within_observed=True:       {kept_t * 1e3:8.2f} ms  ratio {kept_t / base_t:.3f}")
    print(f"same action with and without report:  {np.array_equal(base.flat_action, rep.flat_action)}")
    table_t = np.inf
    for _ in range(args.repeat):
        t = time.perf_counter()
        guarded.observed_range().table(rep.flat_action, 1e-6)
        table_t = min(table_t, time.perf_counter() - t)
    print(f"the report alone (ObservedRange.table): {table_t * 1e3:6.2f} ms")
    out = rep.extrapolation
    print(f"free plan: {int(out['outside'].sum())} of {len(out)} channels outside the observed range, "
          f"largest distance {out['distance'].max():.3f}")
    print(f"kept within: 0 outside = {not kept.extrapolation['outside'].any()}; objective "
          f"{kept.value:.4f} vs free {rep.value:.4f} (cost of staying in the data "
          f"{(rep.value - kept.value) / abs(rep.value):.2%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
