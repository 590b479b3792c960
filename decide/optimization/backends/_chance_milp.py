r"""Exact chance constraints as a mixed-integer program: tight big-M, preprocessing, warm start.

A chance constraint ``P(y < t) <= cap`` on an outcome affine in the action,
``y_i = A_i x + b_i`` (one row per draw), is the big-M program

.. math::

    A_i x + b_i \\ge t - M_i z_i, \\qquad \\sum_i q_i z_i \\le \\text{cap}, \\qquad z_i \\in \\{0, 1\\}.

Its strength (and HiGHS's speed) depends on ``M_i = t - L_i``, where ``L_i`` is a
valid lower bound of ``y_i`` over the feasible actions. This module computes:

* ``L_i`` over the space: closed form over the space's (implied) bounding box, and for a
  polyhedron one LP per draw (``min A_i x`` over the polyhedron) within a time budget;
* the quantile strengthening of Qiu, Ahmed, Dey and Wolsey (2014) and Song, Luedtke
  and Küçükyavuz (2014): with at most ``k`` of ``S`` equally weighted draws below
  ``t``, every feasible action meets ``A_j x + b_j >= t`` for at least ``S - k`` draws
  ``j``, so ``y_i >= h_ij`` for at least ``S - k`` of them, where
  ``h_ij = min {A_i x + b_i : x in box, A_j x + b_j >= t}``; hence ``y_i`` is at least
  the ``(k + 1)``-th largest of ``h_i.``. Each ``h_ij`` is bounded below by its
  Lagrangian dual at the breakpoints ``lambda = A_il / A_jl`` (exact over a box);
* preprocessing: a draw whose bound ``L_i >= t`` needs no binary; a draw that cannot
  reach ``t`` anywhere in the box (``max y_i < t``) has ``z_i`` fixed to 1;
* a feasible start: the CVaR inner approximation's action, improved by re-solving
  the LP with the ``cap`` lowest draws allowed below ``t`` (the binaries fixed), passed
  to HiGHS through ``highspy`` (``Highs.setSolution``), so the MILP has an incumbent
  from its first node.

References
----------
Qiu, F., Ahmed, S., Dey, S. S., Wolsey, L. A. (2014). Covering linear programming with
violations. INFORMS Journal on Computing 26(3), 531-546.
Song, Y., Luedtke, J. R., Küçükyavuz, S. (2014). Chance-constrained binary packing
problems. INFORMS Journal on Computing 26(4), 735-747.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from decide.optimization._polyhedron import LinearSystem
from decide.optimization.cvar_lp._highs import pass_lp, silent_highs

__all__ = [
    "ChanceBlock",
    "HighsResult",
    "ReversedForm",
    "draw_bounds",
    "quantile_bounds",
    "reversed_form",
    "run_highspy",
]


@dataclass(frozen=True)
class ReversedForm:
    """A reversed chance constraint: at least ``prob`` of the draws at or below a level.

    ``VaR(alpha) <= t`` holds exactly when ``P(y <= t) >= alpha`` (the lower
    ``alpha``-quantile is ``min {y_i : F(y_i) >= alpha}``); ``ProbabilityOfShortfall(t)
    >= p`` when ``P(y < t) >= p`` (``strict``: the draws must lie strictly below ``t``,
    held ``MARGIN * max(1, |t|)`` below it).
    """

    threshold: float
    prob: float
    strict: bool

    def min_count(self, n: int) -> int:
        """How many of ``n`` equally weighted draws must lie at (or below) the threshold."""
        return max(int(np.ceil(self.prob * n - 1e-9)), 0)

    @property
    def level(self) -> float:
        """The level the held draws must not exceed."""
        return self.threshold - (MARGIN * max(1.0, abs(self.threshold)) if self.strict else 0.0)


#: Relative margin by which a draw is held strictly below a threshold (or above one).
MARGIN = 1e-9


def reversed_form(c: Any) -> ReversedForm | None:
    """The reversed chance reading of a constraint, or None.

    ``VaR(alpha) <= t`` and ``ProbabilityOfShortfall(t) >= p`` ask for *more* risk: at
    least a share of the draws at or below a level.
    """
    from decide.measures import ProbabilityOfShortfall, VaR

    m = c.objective
    if type(m) is VaR and c.sense == "<=":
        return ReversedForm(c.bound, m.alpha, strict=False)
    if type(m) is ProbabilityOfShortfall and c.sense == ">=":
        return ReversedForm(m.threshold, c.bound, strict=True)
    return None

#: Largest number of (draw, draw, breakpoint) triples the quantile strengthening evaluates.
QUANTILE_WORK = 1.5e8


@dataclass
class ChanceBlock:
    """The binaries of one chance constraint in the program.

    Attributes
    ----------
    start : int
        Index of the first binary among the program's variables.
    rows : ndarray of int, shape (k,)
        The draws (rows of the flat scenario matrix) with a binary.
    q : ndarray of shape (k,)
        Each binary's weight in the cap row.
    cap : float
        The cap on ``q . z``.
    threshold : float
    big_rows : ndarray of int, shape (k,)
        The program row ``y_i >= t - M_i z_i`` of each binary (-1 when ``z_i`` is fixed to 1
        and has no row).
    """

    start: int
    rows: np.ndarray
    q: np.ndarray
    cap: float
    threshold: float
    big_rows: np.ndarray
    #: +1: ``z_i = 1`` lets draw ``i`` fall below the threshold (``q . z <= cap``); -1 (a
    #: reversed constraint): ``z_i = 1`` holds draw ``i`` at or below it (``q . z >= cap``)
    sense: int = 1
    #: index of the constraint in ``subject_to``
    constraint: int = -1


def box_range(A: np.ndarray, b: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of each draw ``A_i x + b_i`` over the box ``lb <= x <= ub``."""
    with np.errstate(invalid="ignore"):
        lo_t = np.where(A > 0, A * lb, A * ub)
        hi_t = np.where(A > 0, A * ub, A * lb)
    lo_t = np.where(A == 0, 0.0, lo_t)
    hi_t = np.where(A == 0, 0.0, hi_t)
    return b + lo_t.sum(axis=1), b + hi_t.sum(axis=1)


def draw_bounds(
    A: np.ndarray, b: np.ndarray, system: LinearSystem, lb: np.ndarray, ub: np.ndarray,
    rows: np.ndarray, budget: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Valid lower and upper bounds of ``A_i x + b_i`` over the space, for every draw.

    The box bound for every draw; for a polyhedron (rows besides the bounds), the
    lower bound of each draw in ``rows`` is raised to ``min A_i x + b_i`` over the
    polyhedron (one LP each, warm-started in one ``highspy`` model) until ``budget``
    seconds are spent.

    Returns
    -------
    lower, upper : ndarray of shape (S,)
    solved : int
        How many draws got an LP bound.
    """
    lower, upper = box_range(A, b, lb, ub)
    if (system.A_ub.shape[0] == 0 and system.A_eq.shape[0] == 0) or rows.size == 0:
        return lower, upper, 0
    import highspy

    n = A.shape[1]
    h = silent_highs()
    _pass(h, np.zeros(n), system.lb, system.ub, *_system_rows(system), np.zeros(n, bool))
    cols = np.arange(n, dtype=np.int32)
    t0, solved = time.perf_counter(), 0
    for i in rows:
        if time.perf_counter() - t0 > budget:
            break
        h.changeColsCost(n, cols, A[i])
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        lower[i] = max(lower[i], float(h.getInfo().objective_function_value) + b[i])
        solved += 1
    return lower, upper, solved


def quantile_bounds(
    A: np.ndarray, b: np.ndarray, t: float, k: int, lb: np.ndarray, ub: np.ndarray, rows: np.ndarray,
    budget: float = np.inf,
) -> np.ndarray | None:
    """The quantile lower bound of ``A_i x + b_i`` for each draw in ``rows`` (see the module).

    Valid for every action of the box ``[lb, ub]`` at which at most ``k`` of the ``S``
    draws fall below ``t``. Uses a subset ``J`` of the draws (at least ``k + 1`` of
    them must lie in it; at least ``|J| - k`` of ``J`` meet ``t``) sized to the work
    limit :data:`QUANTILE_WORK`; None when even the smallest useful subset is too much.
    Draws not reached within ``budget`` seconds get ``-inf`` (no strengthening).
    """
    S, n = A.shape
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        return None
    size = int(min(S, QUANTILE_WORK // max(rows.size * n * (n + 1), 1)))
    if size < min(S, 2 * k + 2) or rows.size == 0:
        return None
    J = np.arange(S) if size >= S else np.linspace(0, S - 1, size).astype(np.int64)
    AJ, rJ = A[J], t - b[J]  # A_j x >= r_j
    out = np.full(rows.size, -np.inf)
    t0 = time.perf_counter()
    pos = int(J.size - k - 1)  # the (k + 1)-th largest, ascending position
    chunk = max(1, int(2e6 // max(J.size * n * (n + 1), 1)))
    for s in range(0, rows.size, chunk):
        if time.perf_counter() - t0 > budget:
            break
        Ai = A[rows[s:s + chunk]]  # (c, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = Ai[:, None, :] / AJ[None, :, :]  # (c, J, n) breakpoints
        lam = np.where(np.isfinite(lam) & (lam > 0), lam, 0.0)
        lam = np.concatenate([lam, np.zeros((*lam.shape[:2], 1))], axis=2)  # and lambda = 0
        # L(lam) = lam r_j + min_box (A_i - lam A_j) x   (the constant b_i added after)
        coef = Ai[:, None, None, :] - lam[..., None] * AJ[None, :, None, :]  # (c, J, n+1, n)
        box = np.where(coef > 0, coef * lb, coef * ub)
        box = np.where(coef == 0, 0.0, box).sum(axis=3)
        val = (lam * rJ[None, :, None] + box).max(axis=2)  # (c, J)
        out[s:s + chunk] = np.partition(val, pos, axis=1)[:, pos]
    return out + b[rows]


def _system_rows(system: LinearSystem) -> tuple[Any, np.ndarray, np.ndarray]:
    from scipy import sparse

    mats, lo, hi = [], [], []
    if system.A_ub.shape[0]:
        mats.append(sparse.csr_matrix(system.A_ub))
        lo.append(np.full(system.A_ub.shape[0], -np.inf))
        hi.append(system.b_ub)
    if system.A_eq.shape[0]:
        mats.append(sparse.csr_matrix(system.A_eq))
        lo.append(system.b_eq)
        hi.append(system.b_eq)
    if not mats:
        return sparse.csr_matrix((0, system.n)), np.zeros(0), np.zeros(0)
    return sparse.vstack(mats, format="csr"), np.concatenate(lo), np.concatenate(hi)


def _pass(h: Any, cost: np.ndarray, lo: np.ndarray, hi: np.ndarray, M: Any, rlo: np.ndarray,
          rhi: np.ndarray, integer: np.ndarray) -> None:
    """Load ``min cost . v  s.t.  rlo <= M v <= rhi,  lo <= v <= hi`` into the Highs object ``h``."""
    from scipy import sparse

    C = sparse.csc_matrix(M)
    pass_lp(h, np.asarray(cost, dtype=np.float64), lo, hi, rlo, rhi, C.indptr, C.indices, C.data,
            integer=integer)


@dataclass
class HighsResult:
    """What the MILP returned: status, incumbent, its value, HiGHS's dual bound and gap."""

    status: str  # optimal, infeasible, unbounded, time_limit, failed
    x: np.ndarray | None
    objective: float  # of the minimization, at x
    dual_bound: float
    gap: float
    message: str
    from_start: bool


def run_highspy(
    cost: np.ndarray, M: Any, rlo: np.ndarray, rhi: np.ndarray, lo: np.ndarray, hi: np.ndarray,
    integer: np.ndarray, time_limit: float, mip_rel_gap: float, start: np.ndarray | None = None,
) -> HighsResult:
    """Solve ``min cost . v`` over the rows and bounds with integer columns, in HiGHS (highspy).

    ``start`` (a feasible point, or None) becomes the first incumbent
    (``Highs.setSolution``). A run stopped by the time limit keeps its incumbent (the
    start at worst) and its dual bound; ``gap`` is HiGHS's relative gap
    ``|primal - dual| / |primal|``.
    """
    import highspy

    h = silent_highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    _pass(h, cost, lo, hi, M, rlo, rhi, integer)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    st = h.getModelStatus()
    S = highspy.HighsModelStatus
    names = {S.kOptimal: "optimal", S.kInfeasible: "infeasible", S.kUnbounded: "unbounded",
             S.kUnboundedOrInfeasible: "unbounded", S.kTimeLimit: "time_limit",
             S.kSolutionLimit: "time_limit", S.kInterrupt: "time_limit",
             S.kIterationLimit: "time_limit"}
    status = names.get(st, "failed")
    info = h.getInfo()
    message = h.modelStatusToString(st)
    x, obj, from_start = None, np.nan, False
    if int(info.primal_solution_status) == 2:  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        obj = float(info.objective_function_value)
    elif start is not None and status == "time_limit":
        x, obj, from_start = np.asarray(start, float), float(cost @ start), True
    dual = float(info.mip_dual_bound)
    gap = float(info.mip_gap) if x is not None and not from_start else np.inf
    if from_start and np.isfinite(dual):
        gap = abs(obj - dual) / max(abs(obj), 1e-300)
    return HighsResult(status, x, obj, dual, gap, message, from_start)
