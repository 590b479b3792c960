"""Benchmark of verified decisions: loss against brute force, wall time, verification outcome.

Problems: the five families of ``tests/reliability/crosscheck_cases.py`` (count-demand
pricing with Poisson counts by inverse CDF of fixed uniforms, a negative-binomial
newsvendor, a binary treatment with Binomial successes, a saturating two-channel
budget, a three-asset portfolio), each with Mean, CVaR(0.1) and CARA, over seeds
0-4. For every family, objective and method that accepts the problem: the loss of
the decision against the best action of a fine grid (in the test's own measure
code, relative to |best| + sd), the wall time and how many decisions were
verified (``converged``), and how many of the verified ones are within 2e-3 of
the brute force. The baseline, run in this process, is the cost of the
verification itself: the wall time of ``method="auto"`` against the same solve
with the verification's own evaluations subtracted (ratio printed).

Usage::

    python benchmarks/bench_verify.py           # seeds 0-4
    python benchmarks/bench_verify.py --quick   # seeds 0-1
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    from crosscheck_cases import FAMILIES, loss
    from threadpoolctl import threadpool_info

    import decide
    from decide.errors import DecideError
    from decide.optimization import available_methods, optimize

    print(f"python {platform.python_version()} on {platform.machine()}")
    for lib in ("numpy", "scipy", "cvxpy", "pandas"):
        print(f"  {lib} {importlib.import_module(lib).__version__}")
    print(f"  decide {getattr(decide, '__version__', 'dev')}")
    for info in threadpool_info():
        print(f"  BLAS {info.get('internal_api')} threads={info.get('num_threads')}")

    seeds = range(2) if args.quick else range(5)
    print(f"\nseeds {list(seeds)}; loss = (best grid value - value of the decision) / scale")
    header = (f"{'family':11s} {'objective':9s} {'method':16s} {'max loss':>9s} {'time/solve':>10s} "
              f"{'verified':>8s} {'verified+ok':>11s} {'verify evals':>12s}")
    print(header)
    print("-" * len(header))
    for family, build in FAMILIES.items():
        cases = [build(s) for s in seeds]
        for name in cases[0].objectives():
            obj = cases[0].objectives()[name][0]
            methods = ["auto", *available_methods(cases[0].outcome, obj, cases[0].space)]
            for method in methods:
                losses, times, verified, ok, vevals = [], [], 0, 0, []
                for seed, case in zip(seeds, cases):
                    objective, mine = case.objectives()[name]
                    t0 = time.perf_counter()
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            d = optimize(case.outcome, objective, case.space, method=method,
                                         random_seed=seed)
                    except DecideError as exc:
                        losses.append(float("nan"))
                        times.append(time.perf_counter() - t0)
                        print(f"    {family} {name} {method} seed {seed}: {type(exc).__name__}")
                        continue
                    times.append(time.perf_counter() - t0)
                    gap, scale = loss(case, mine, d.flat_action)
                    losses.append(gap / scale)
                    verified += d.converged
                    ok += d.converged and gap <= 2e-3 * scale
                    ver = d.diagnostics.verification
                    vevals.append(ver.details.get("evaluations", 0) if ver else 0)
                worst = max(losses)
                print(f"{family:11s} {name:9s} {method:16s} {worst:9.2e} {sum(times) / len(times):9.3f}s "
                      f"{verified:>5d}/{len(losses)} {ok:>8d}/{verified} {max(vevals):>12d}")

    # the happy path: the cost of verifying a smooth solve
    print("\nverification overhead on smooth solves (method='auto', mean over seeds)")
    for family in ("marketing", "newsvendor"):
        for name in ("mean", "cvar"):
            total, check = 0, 0
            for seed in seeds:
                case = FAMILIES[family](seed)
                d = optimize(case.outcome, case.objectives()[name][0], case.space, random_seed=seed)
                total += d.diagnostics.evaluations
                check += d.diagnostics.verification.details["evaluations"]
            print(f"  {family:10s} {name:5s} evaluations {total / len(seeds):7.1f}, of which "
                  f"verification {check / len(seeds):5.1f} (ratio to the solve without it "
                  f"{total / max(total - check, 1):.3f})")


if __name__ == "__main__":
    main()
