"""Benchmark of decide.testing: time of passing checks, and of finding planted bugs.

Each passing check is timed with the default search (1-d draws of 1 to 4096
samples, replicates, sample weights) and with a baseline run in this process:
the same check with ``strategy=draws(n_samples=st.integers(1, 50))`` (the
previous default: small 1-d draws, no replicates). The ratio is the price of
reaching every code path. Planted bugs report the time to the counterexample
and its number of draws. CPU seconds (``time.process_time``), 100 examples.

Usage::

    python benchmarks/bench_testing.py
"""

from __future__ import annotations

import importlib.metadata
import platform
import time

import numpy as np
from hypothesis import strategies as st

from decide.measures import CVaR, EntropicRisk, Mean, MeanVariance, Spectral
from decide.testing import (
    PropertyViolation,
    check_concave,
    check_declared,
    check_law_invariant,
    check_monotone,
    check_ssd_consistent,
    check_translation_invariant,
    draws,
)


def _cpu(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def mean_minus_2sd(d):
    return float(np.mean(d) - 2.0 * np.std(d))


def blocked_bug(d, weights=None):
    """Correct mean below 65 values; a blocked path that drops the last block above."""
    x = np.asarray(d, dtype=float).reshape(-1)
    if x.size <= 64:
        return float(np.average(x, weights=None if weights is None else np.repeat(
            weights, x.size // len(weights))))
    return float(np.mean(x[: 64 * (x.size // 64)]))


def main() -> None:
    versions = {p: importlib.metadata.version(p) for p in ("numpy", "hypothesis", "scipy")}
    print(f"python {platform.python_version()}", " ".join(f"{k} {v}" for k, v in versions.items()))
    small = draws(n_samples=st.integers(1, 50))
    print("\npassing checks (CPU s): default search / small 1-d baseline = ratio")
    cases = [
        ("check_monotone(CVaR(0.1))", lambda s: check_monotone(CVaR(0.1), strategy=s)),
        ("check_concave(Spectral)", lambda s: check_concave(Spectral([3.0, 2.0, 1.0]),
                                                            strategy=s)),
        ("check_ssd_consistent(EntropicRisk(0.1))",
         lambda s: check_ssd_consistent(EntropicRisk(0.1), strategy=s)),
        ("check_translation_invariant(Mean())",
         lambda s: check_translation_invariant(Mean(), strategy=s)),
        ("check_declared(MeanVariance(0.5))",
         lambda s: check_declared(MeanVariance(0.5), strategy=s)),
    ]
    for name, run in cases:
        new = _cpu(lambda run=run: run(None))
        old = _cpu(lambda run=run: run(small))
        print(f"  {name:45s} {new:6.2f} / {old:6.2f} = {new / old:5.2f}")
    print("\nplanted bugs: CPU s to the counterexample, draws in it (default / baseline)")
    bugs = [
        ("mean - 2 sd, monotone", lambda s: check_monotone(mean_minus_2sd, strategy=s)),
        ("bug above 64 values, law invariance",
         lambda s: check_law_invariant(blocked_bug, strategy=s)),
    ]
    for name, run in bugs:
        out = []
        for s in (None, small):
            t = time.process_time()
            try:
                run(s)
                out.append(f"{time.process_time() - t:5.2f} s, not found")
            except PropertyViolation as exc:
                x = exc.counterexample.inputs["x"]
                out.append(f"{time.process_time() - t:5.2f} s, {x.size} values")
        print(f"  {name:45s} {out[0]} / {out[1]}")


if __name__ == "__main__":
    main()
