"""Long fuzzing run of optimize / compare / decompose on hypothesis-generated problems.

Usage::

    python benchmarks/fuzz.py --examples 10000 [--seed 0] [--kinds continuous,integer,...]

Generates decision problems (``decide.testing.decision_problems``, integer spaces,
``from_draws`` tables with Discrete spaces, linear outcomes with Discrete options), an
objective and an applicable method, and runs each through ``optimize``, ``compare`` and
``decompose`` (see ``tests/reliability/fuzz_cases.py`` for the classification). Prints the
counts of examples, calls, exceptions by type, infeasible and suboptimal returns,
non-converged solves and the wall time, with library versions and BLAS threads.

Every case must end in a decision or in the documented error its input calls for (an
independent check per rule, ``fuzz_cases.expected_error``). Exit code 1 on any
undocumented exception (not a ``DecideError``), a ``DecideError`` the input did not call
for, an unexpected warning, an infeasible returned action or an exact method beaten by a
feasible point; 0 otherwise.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="number of generated cases")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    parser.add_argument("--kinds", default="continuous,integer,from_draws,discrete",
                        help="comma-separated problem kinds")
    args = parser.parse_args(argv)

    import cvxpy
    import numpy as np
    import scipy
    from fuzz_cases import Tally, cases, run_case
    from hypothesis import HealthCheck, given, seed, settings
    from threadpoolctl import threadpool_info

    import decide

    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    tally = Tally()

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=["generate"])
    @given(cases(kinds))
    def run(case) -> None:
        run_case(case, tally)

    print(f"decide {decide.__version__} | python {platform.python_version()} | numpy "
          f"{np.__version__} | scipy {scipy.__version__} | cvxpy {cvxpy.__version__}")
    blas = [f"{i.get('internal_api')}:{i.get('num_threads')}" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    print(f"BLAS threads: {', '.join(blas) or 'none found'} (optimize pins 1 thread while solving)")
    print(f"kinds: {', '.join(kinds)}; requested examples: {args.examples}; seed {args.seed}")
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started

    print(f"\nexamples run: {tally.examples}   wall time: {wall:.1f} s "
          f"({1000 * wall / max(tally.examples, 1):.1f} ms per example)")
    for call in ("optimize", "compare", "decompose"):
        documented = sum(v for k, v in tally.documented.items() if k.startswith(call))
        undocumented = sum(v for k, v in tally.undocumented.items() if k.startswith(call))
        print(f"  {call:<9} calls {tally.calls[call]:>6}  ok {tally.ok[call]:>6}  "
              f"DecideError {documented:>5}  undocumented {undocumented:>3}")
    print(f"non-converged (ConvergenceWarning, flagged): {tally.not_converged}")
    print(f"saturated expected utility (SaturationWarning, predicted): {tally.saturated}")
    print(f"DecideErrors the input did not call for (unjustified): {sum(tally.unjustified.values())}")
    for key, count in sorted(tally.unjustified.items(), key=lambda kv: -kv[1]):
        print(f"  {count:>6}  {key}")
    print(f"infeasible returned actions: {tally.infeasible}")
    print(f"exact method below a feasible point: {tally.suboptimal}")
    print("documented exceptions by type:")
    for key, count in sorted(tally.documented.items(), key=lambda kv: -kv[1]):
        print(f"  {count:>6}  {key}")
    print("distinct documented messages (first case of each):")
    for key, where in sorted(tally.samples.items()):
        print(f"  {key}\n      e.g. {where}")
    if tally.undocumented:
        print("UNDOCUMENTED exceptions / warnings by type:")
        for key, count in sorted(tally.undocumented.items(), key=lambda kv: -kv[1]):
            print(f"  {count:>6}  {key}")
    for line in tally.failures:
        print(f"  FAIL {line}")
    status = "FAIL" if tally.bad else "OK"
    print(f"\n{status}: {tally.bad} bad outcomes in {tally.examples} examples")
    return 1 if tally.bad else 0


if __name__ == "__main__":
    sys.exit(main())
