"""Library-wide defaults, kept in one place."""

from __future__ import annotations

import os
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
#: A decision is outside the observed range of its action when it passes the range by
#: more than this fraction of the range's width (or of its scale when the width is 0).
EXTRAPOLATION_RTOL: Final[float] = 1e-6
#: Seconds of work before a library call (``optimize_many``) shows a progress bar.
PROGRESS_DELAY: Final[float] = 1.0

#: ``method="derivative-free"`` runs a global search (differential evolution) then a polish up to
#: this many free action dimensions; beyond it, local derivative-free searches from several starts.
DERIVATIVE_FREE_MAX_GLOBAL: Final[int] = 8
#: Points of the grid that starts the one-dimensional derivative-free search.
DERIVATIVE_FREE_GRID: Final[int] = 65
#: Points of the grid whose best local maxima start ``method="scipy"``'s local solves when the
#: action has one free dimension and the problem is not known to be concave (instead of
#: random starts, which can all fall in the basin of a local maximum).
SCIPY_START_GRID: Final[int] = 33
#: Steps of the local probe that verifies a continuous decision, as fractions of the width of
#: the action space along each direction.
PROBE_STEPS: Final[tuple[float, ...]] = (1e-2, 1e-3)
#: A probe point counts as better when it beats the decision's score by more than this times
#: ``|score| + sd(draws)`` (the scale of the objective).
PROBE_RTOL: Final[float] = 1e-5
#: Starts of a multi-start solve agree when their scores are within this times the objective's
#: scale of the best one.
STARTS_RTOL: Final[float] = 1e-5
#: Independent batches of the optimality-gap estimate (Mak, Morton and Wood 1999).
GAP_BATCHES: Final[int] = 4
#: The optimality gap passes when its upper 95% confidence bound is at most this times the
#: objective's scale, or within the standard error of the score itself.
GAP_RTOL: Final[float] = 0.01
#: Constraints on outcomes (``optimize(subject_to=...)``): a constraint holds at the solution
#: when its slack is at least ``-OUTCOME_CONSTRAINT_RTOL * max(1, |bound|)``, and binds when
#: its slack is at most ``OUTCOME_CONSTRAINT_BINDING_RTOL * max(1, |bound|)``.
OUTCOME_CONSTRAINT_RTOL: Final[float] = 1e-6
OUTCOME_CONSTRAINT_BINDING_RTOL: Final[float] = 1e-5
#: Seconds a chance-constrained mixed-integer program may run (``optimize(time_limit=...)``).
CHANCE_MILP_TIME_LIMIT: Final[float] = 60.0
#: ``method="auto"`` solves the CVaR approximation of chance constraints (``chance="cvar"``) with
#: ``"highs"``, which also bounds the gap to the exact optimum by an LP relaxation, up to this
#: many draws; beyond it cvxpy's interior point method is faster (no gap bound).
CHANCE_GAP_MAX_SAMPLES: Final[int] = 5_000
#: An exponential-utility estimate (CARA expected utility, its certainty equivalent, the
#: entropic risk) whose weights have a Kish effective sample size below this many draws warns
#: ``UnreliableEstimateWarning`` (``compare``, ``evpi``, ``decompose``).
MIN_EXPONENTIAL_ESS: Final[float] = 2.0
#: ``compare`` flags a policy as dominated only when another policy's held-out mean is higher by
#: more than this many paired standard errors (and its CVaR 5% is not lower by more than as many).
DOMINANCE_Z: Final[float] = 3.0
#: Compiled functions of ``from_pymc`` outcomes kept in memory, keyed on the outcome's graph
#: (least recently used dropped first; 0 disables the cache).
PYMC_COMPILE_CACHE_SIZE: Final[int] = 16
#: Compiled functions of ``from_pymc`` outcomes are also kept on disk (the rewritten pytensor
#: graph, pickled, under :data:`PYMC_DISK_CACHE_DIR`), so the first call of a new process skips
#: pytensor's graph rewriting for a graph compiled before. Environment: ``DECIDE_DISK_CACHE=0``
#: turns it off.
PYMC_DISK_CACHE: Final[bool] = os.environ.get("DECIDE_DISK_CACHE", "1").strip().lower() not in (
    "0", "false", "no", "off", ""
)
#: Where the disk cache lives: ``$DECIDE_CACHE_DIR``, else ``$XDG_CACHE_HOME/decide/pytensor``
#: (``~/.cache/decide/pytensor``). Its files are pickles, loaded as code: a directory that only
#: you can write to.
PYMC_DISK_CACHE_DIR: Final[str] = os.environ.get("DECIDE_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
    "decide",
    "pytensor",
)
#: Bytes the disk cache may hold; the least recently used files are removed beyond it.
PYMC_DISK_CACHE_MAX_BYTES: Final[int] = 256 * 2**20
#: ``from_pymc`` returns the per-draw Jacobian with the draws (one compiled function, one
#: forward and one reverse pass) while rows x action size stays at most this many numbers.
PYMC_JACOBIAN_MAX_ELEMENTS: Final[int] = 20_000_000
