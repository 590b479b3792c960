"""Library-wide defaults, kept in one place."""

from __future__ import annotations

from typing import Final

#: Dims of a posterior's sample axes in ArviZ objects, stacked into ``SAMPLE_DIM``.
SAMPLE_DIMS: Final[tuple[str, str]] = ("chain", "draw")
#: Name of the flattened sample dim (chain x draw).
SAMPLE_DIM: Final[str] = "sample"
#: Name of the replicate dim (several outcome simulations per posterior draw).
REPLICATE_DIM: Final[str] = "replicate"

#: ``method="auto"`` prefers the specialized CVaR LP over cvxpy from this many samples on.
CVAR_LP_MIN_SAMPLES: Final[int] = 20_000
#: ... and from this many when the same problem is re-solved point to point (a frontier or a
#: sweep, where warm starts make each later solve cheap).
CVAR_LP_MIN_SAMPLES_REPEATED: Final[int] = 5_000

#: Relative tolerance of feasibility: a constraint holds when its violation is at most this
#: times ``max(1, |x|, |b|)`` (see ``LinearSystem.feasible``).
FEASIBILITY_RTOL: Final[float] = 1e-9
#: Relative tolerance on the constraints of an action an iterative solver returns: violations
#: up to this times ``1 + max|x|`` are solver round-off; beyond it the decision is flagged
#: (see ``LinearSystem.violated``).
SOLUTION_RTOL: Final[float] = 1e-6
#: Seconds of work before a library call (``optimize_many``) shows a progress bar.
PROGRESS_DELAY: Final[float] = 1.0
#: An exponential-utility estimate (CARA expected utility, its certainty equivalent, the
#: entropic risk) whose weights have a Kish effective sample size below this many draws warns
#: ``UnreliableEstimateWarning`` (``compare``, ``evpi``, ``decompose``).
MIN_EXPONENTIAL_ESS: Final[float] = 2.0
