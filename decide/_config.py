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
#: Compiled functions of ``from_pymc`` outcomes kept in memory, keyed on the outcome's graph
#: (least recently used dropped first; 0 disables the cache).
PYMC_COMPILE_CACHE_SIZE: Final[int] = 16
#: ``from_pymc`` returns the per-draw Jacobian with the draws (one compiled function, one
#: forward and one reverse pass) while rows x action size stays at most this many numbers.
PYMC_JACOBIAN_MAX_ELEMENTS: Final[int] = 20_000_000
