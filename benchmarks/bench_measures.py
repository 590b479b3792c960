"""Time CVaR, EVaR and ExpectedUtility(Exponential) (value and grad) against numpy floors.

Run: ``python benchmarks/bench_measures.py``. Each figure is the median time
of the measure divided by the median time of its numpy floor, measured in the
same process on the same draws:

* CVaR value: bare ``np.partition(x, k)`` (the selection any exact CVaR needs);
  CVaR grad: bare ``np.argpartition(x, k)``.
* EVaR value and grad: one shifted log-sum-exp at a fixed z,
  ``np.log(np.mean(np.exp(-z * (x - x.min()))))``; EVaR needs a 1-d
  optimization over z, so a handful of such passes is the expected cost.
* ExpectedUtility(Exponential) value and grad: ``np.mean(np.exp(-a * x))``.

BLAS/OpenMP threads are pinned to one (printed), as on the 2-core CI machines.
"""

from __future__ import annotations

import platform
import sys
import timeit

import numpy as np
import scipy
import threadpoolctl

from decide.measures import CVaR, EVaR, ExpectedUtility, Exponential


def _median_time(fn, min_time: float = 0.2) -> float:
    timer = timeit.Timer(fn)
    n, t = timer.autorange()
    reps = max(3, int(min_time / max(t / n, 1e-9) / n))
    return float(np.median([timer.timeit(n) / n for _ in range(min(reps, 7))]))


def main() -> None:
    print(f"python {platform.python_version()} on {platform.machine()} ({sys.platform})")
    print(
        f"numpy {np.__version__}, scipy {scipy.__version__}, threadpoolctl {threadpoolctl.__version__}"
    )
    with threadpoolctl.threadpool_limits(limits=1):
        for info in threadpoolctl.threadpool_info():
            print(f"  {info['internal_api']} {info.get('version')} threads={info['num_threads']}")
        rng = np.random.default_rng(20261130)
        alpha, a = 0.05, 0.5
        cv, ev, eu = CVaR(alpha), EVaR(alpha), ExpectedUtility(Exponential(a))
        print(f"{'S':>8} {'measure':<22} {'time [ms]':>10} {'floor [ms]':>11} {'ratio':>6}")
        for s in (10**3, 10**4, 10**5, 10**6):
            _run(rng.normal(1.0, 2.0, size=s), alpha, a, cv, ev, eu)


def _run(x: np.ndarray, alpha: float, a: float, cv: CVaR, ev: EVaR, eu: ExpectedUtility) -> None:
    s = x.size
    k = int(alpha * s)
    z = 1.0
    floors = {
        "partition": lambda: np.partition(x, k),
        "argpartition": lambda: np.argpartition(x, k),
        "logsumexp": lambda: np.log(np.mean(np.exp(-z * (x - x.min())))),
        "mean(exp)": lambda: np.mean(np.exp(-a * x)),
    }
    floor_t = {name: _median_time(f) for name, f in floors.items()}
    cases = [
        ("CVaR", lambda: cv(x), "partition"),
        ("CVaR.grad", lambda: cv.grad(x), "argpartition"),
        ("EVaR", lambda: ev(x), "logsumexp"),
        ("EVaR.grad", lambda: ev.grad(x), "logsumexp"),
        ("EU(Exponential)", lambda: eu(x), "mean(exp)"),
        ("EU(Exponential).grad", lambda: eu.grad(x), "mean(exp)"),
    ]
    for name, fn, floor in cases:
        t = _median_time(fn)
        ft = floor_t[floor]
        print(f"{s:>8} {name:<22} {1e3 * t:>10.4f} {1e3 * ft:>11.4f} {t / ft:>6.2f}  vs {floor}")


if __name__ == "__main__":
    main()
