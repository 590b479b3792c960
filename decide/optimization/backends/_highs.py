"""``method="highs"``: linear outcomes with constraints on outcomes, as one LP or MILP in HiGHS.

For outcomes affine in the action (``y_i = A_i x + b_i``, one row per draw) and
objectives built from ``Mean``, ``CVaR``, ``MeanCVaR``, ``WorstCase`` and
``ActionCost`` (non-negative weights on the risk terms), every constraint of
``subject_to`` becomes rows of one program solved by HiGHS through scipy:

* ``Mean() >= m`` / ``<= m`` and action costs: one row;
* ``CVaR(alpha) >= c``: the Rockafellar-Uryasev rows
  ``u_i >= eta - y_i, u_i >= 0, eta - sum_i p_i u_i / alpha >= c``;
* chance constraints ``VaR(alpha) >= t`` (``P(y < t) < alpha``) and
  ``ProbabilityOfShortfall(t) <= p``: with ``chance="exact"`` a binary ``z_i`` per
  draw that may fall below ``t``, ``y_i >= t - M_i z_i`` and ``sum_i p_i z_i`` below
  the probability (big-M from the bounds of the draws over the space's bounding box);
  with ``chance="cvar"`` the conservative convex inner approximation
  ``CVaR(alpha) >= t``, which implies ``VaR(alpha) >= t``; the gap to the exact optimum
  is bounded by the LP relaxation of the big-M program and reported.

Without binaries the program is an LP (``scipy.optimize.linprog``) and the
constraints' shadow prices are its dual values; with binaries (or an Integer
space) it is a MILP (``scipy.optimize.milp``) with a time limit, its certified
gap in the diagnostics. Outcomes are rewards (higher is better); risk lives in
the lower tail; ``alpha`` is the tail probability.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decide import _config
from decide.errors import DecideValueError, SolverError, UnboundedError
from decide.measures import (
    ActionCost,
    CVaR,
    Mean,
    MeanCVaR,
    Objective,
    OutcomeConstraint,
    WeightedObjective,
    WorstCase,
)
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._outcome_constraints import raise_infeasible
from decide.optimization._problem import Problem
from decide.optimization.backends._base import Backend, discrete_reason, register
from decide.optimization.backends._chance_milp import (
    MARGIN,
    ChanceBlock,
    box_range,
    draw_bounds,
    quantile_bounds,
    reversed_form,
    run_highspy,
)

__all__ = ["HighsBackend", "lp_form", "solve_highs"]

_TERMS = (Mean, CVaR, MeanCVaR, WorstCase, ActionCost)
#: Draws of the CVaR approximation that starts the chance MILP (a spread subsample beyond).
_START_DRAWS = 5_000
#: Seconds HiGHS needs per binary to set up a MILP before it checks its time limit
#: (about 10 s for 100,000 binaries on one core).
_SETUP_SECONDS_PER_BINARY = 1e-4
#: Relative margin by which the final LP keeps a draw above its chance threshold.
_MARGIN = MARGIN


def lp_form(m: Objective) -> list[tuple[float, Objective]] | None:
    """The measure as weighted LP-representable terms, or None when it has no LP form."""
    terms = m.terms if isinstance(m, WeightedObjective) else ((1.0, m),)
    out = []
    for wt, t in terms:
        if type(t) not in _TERMS:
            return None
        if type(t) in (CVaR, MeanCVaR, WorstCase) and wt < 0:
            return None
        out.append((float(wt), t))
    return out


@dataclass
class _Program:
    """Variables ``[x, aux...]`` and rows ``A_ub v <= b_ub`` (sparse, built row block by block)."""

    A: np.ndarray  # (m, n) scenario matrix
    b: np.ndarray  # (m,)
    p: np.ndarray  # (m,) probabilities
    n: int
    lo: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    blocks: list[Any] = field(default_factory=list)  # sparse row blocks
    rhs: list[np.ndarray] = field(default_factory=list)
    size: int = 0

    def add_vars(self, k: int, lo: float, hi: float, integer: bool = False) -> int:
        start = self.size
        self.lo.append(np.full(k, lo))
        self.hi.append(np.full(k, hi))
        self.integer.append(np.full(k, 1 if integer else 0))
        self.size += k
        return start

    def add_rows(self, M: Any, rhs: np.ndarray) -> int:
        """Add rows (sparse COO triplets over the current variables); returns the first row index."""
        first = sum(r.shape[0] for r in self.rhs)
        self.blocks.append(M)
        self.rhs.append(np.asarray(rhs, dtype=np.float64).reshape(-1))
        return first

    def matrix(self) -> Any:
        from scipy import sparse

        if not self.blocks:
            return sparse.csr_matrix((0, self.size))
        return sparse.vstack([_pad(B, self.size) for B in self.blocks], format="csr")


def _pad(M: Any, size: int) -> Any:
    from scipy import sparse

    M = sparse.csr_matrix(M)
    if M.shape[1] < size:
        M = sparse.hstack([M, sparse.csr_matrix((M.shape[0], size - M.shape[1]))], format="csr")
    return M


def _score(prog: _Program, terms: list[tuple[float, Objective]]) -> tuple[np.ndarray, float]:
    """A linear expression (coefficients, constant) whose maximum over the auxiliaries is the score.

    Adds the auxiliary variables and their rows to ``prog``.
    """
    from scipy import sparse

    coef: dict[int, float] = {}
    pieces: list[tuple[int, np.ndarray]] = []  # (start, coefficients)
    const = 0.0
    A, b, p = prog.A, prog.b, prog.p
    m = A.shape[0]

    def mean(wt: float) -> None:
        nonlocal const
        pieces.append((0, wt * (p @ A)))
        const += wt * float(p @ b)

    def cvar(wt: float, alpha: float) -> None:
        eta = prog.add_vars(1, -np.inf, np.inf)
        u = prog.add_vars(m, 0.0, np.inf)
        # eta - u_i - A_i x <= b_i
        M = sparse.hstack([
            sparse.csr_matrix(-A), sparse.csr_matrix((m, eta - prog.n)),
            sparse.csr_matrix(np.ones((m, 1))), -sparse.identity(m, format="csr"),
        ], format="csr")
        prog.add_rows(M, b)
        coef[eta] = coef.get(eta, 0.0) + wt
        pieces.append((u, -wt * p / alpha))

    for wt, t in terms:
        if type(t) is Mean:
            mean(wt)
        elif type(t) is ActionCost:
            pieces.append((0, -wt * t.costs(prog.n)))
        elif type(t) is CVaR:
            cvar(wt, t.alpha)
        elif type(t) is MeanCVaR:
            mean(wt)
            cvar(wt * t.risk_aversion, t.alpha)
        elif type(t) is WorstCase:
            tau = prog.add_vars(1, -np.inf, np.inf)
            keep = p > 0
            M = sparse.hstack([
                sparse.csr_matrix(-A[keep]), sparse.csr_matrix((int(keep.sum()), tau - prog.n)),
                sparse.csr_matrix(np.ones((int(keep.sum()), 1))),
            ], format="csr")
            prog.add_rows(M, b[keep])
            coef[tau] = coef.get(tau, 0.0) + wt
    vec = np.zeros(prog.size)
    for start, c in pieces:
        vec[start:start + c.shape[0]] += c
    for j, cj in coef.items():
        vec[j] += cj
    return vec, const


def _box(prob: Problem) -> tuple[np.ndarray, np.ndarray]:
    assert prob.system is not None
    return prob.system.implied_bounds()


def _chance_rows(prog: _Program, c: OutcomeConstraint, bounds: tuple[np.ndarray, np.ndarray, np.ndarray],
                 blocks: list[ChanceBlock]) -> int:
    """``y_i >= t - M_i z_i`` and the cap on the probability of the z's; returns the cap row.

    ``bounds``: ``(space_lower, lower, upper)``, valid bounds of each draw over the
    space, the lower one raised by the quantile strengthening (valid over the actions
    that meet the constraint). A draw with ``space_lower >= t`` needs no row; one with
    ``lower >= t`` keeps its row ``y_i >= t`` with ``z_i`` fixed to 0; one with
    ``upper < t`` gets ``z_i`` fixed to 1 and no row; ``M_i = t - lower_i``.
    """
    from scipy import sparse

    form = c.chance_form()
    assert form is not None
    A, b, p = prog.A, prog.b, prog.p
    t = form.threshold
    space_lower, lower, upper = bounds
    risky = np.flatnonzero(space_lower < t)
    if risky.size and not np.all(np.isfinite(lower[risky])):
        raise DecideValueError(
            f"the chance constraint {c!r} needs a bounded action space for its exact mixed-integer "
            "form (the big-M of each draw comes from the space's bounds); bound every action "
            "element with a Box or Budget, or pass chance='cvar'."
        )
    k = risky.size
    z = prog.add_vars(k, 0.0, 1.0, integer=True)
    forced = upper[risky] < t
    prog.lo[-1] = np.where(forced, 1.0, 0.0)
    prog.hi[-1] = np.where(~forced & (lower[risky] >= t), 0.0, 1.0)
    keep = np.flatnonzero(~forced)
    big_m = np.maximum(t - lower[risky[keep]], 0.0)
    # -A_i x - M_i z_i <= b_i - t
    M = sparse.hstack([
        sparse.csr_matrix(-A[risky[keep]]), sparse.csr_matrix((keep.size, z - prog.n)),
        -sparse.csr_matrix((big_m, (np.arange(keep.size), keep)), shape=(keep.size, k)),
    ], format="csr")
    first = prog.add_rows(M, b[risky[keep]] - t)
    big_rows = np.full(k, -1, dtype=np.int64)
    big_rows[keep] = first + np.arange(keep.size)
    equal = bool(np.allclose(p, p[0]))
    if equal:
        q, cap = np.ones(k), float(form.max_violations(p.shape[0]))
    else:
        q = p[risky]
        cap = form.prob * (1.0 - 1e-9) if form.strict else form.prob
    blocks.append(ChanceBlock(z, risky, q, cap, t, big_rows))
    row = sparse.hstack([sparse.csr_matrix((1, z)), sparse.csr_matrix(q.reshape(1, -1))], format="csr")
    return prog.add_rows(row, np.array([cap]))


def _reversed_rows(prog: _Program, c: OutcomeConstraint, bounds: tuple[np.ndarray, np.ndarray],
                   blocks: list[ChanceBlock]) -> int:
    """``y_i <= level + M_i (1 - w_i)`` and ``q . w >= need``; returns the count row.

    A draw whose upper bound is at most the level is always held (no binary, counted);
    one whose lower bound lies above it can never be (``w_i`` fixed to 0, no row).
    """
    from scipy import sparse

    rev = reversed_form(c)
    assert rev is not None
    A, b, p = prog.A, prog.b, prog.p
    level = rev.level
    lower, upper = bounds
    free = np.flatnonzero(upper > level)
    if free.size and not np.all(np.isfinite(upper[free])):
        raise DecideValueError(
            f"the constraint {c!r} needs a bounded action space for its exact mixed-integer form "
            "(the big-M of each draw comes from the space's bounds); bound every action element "
            "with a Box or Budget."
        )
    equal = bool(np.allclose(p, p[0]))
    held = np.flatnonzero(upper <= level)
    if equal:
        q, need = np.ones(free.size), float(rev.min_count(p.shape[0]) - held.size)
    else:
        q, need = p[free], rev.prob - float(p[held].sum())
    k = free.size
    w = prog.add_vars(k, 0.0, 1.0, integer=True)
    never = lower[free] > level
    prog.hi[-1] = np.where(never, 0.0, 1.0)
    keep = np.flatnonzero(~never)
    big_m = upper[free[keep]] - level
    # A_i x + M_i w_i <= level - b_i + M_i
    M = sparse.hstack([
        sparse.csr_matrix(A[free[keep]]), sparse.csr_matrix((keep.size, w - prog.n)),
        sparse.csr_matrix((big_m, (np.arange(keep.size), keep)), shape=(keep.size, k)),
    ], format="csr")
    first = prog.add_rows(M, level - b[free[keep]] + big_m)
    big_rows = np.full(k, -1, dtype=np.int64)
    big_rows[keep] = first + np.arange(keep.size)
    blocks.append(ChanceBlock(w, free, q, need, rev.threshold, big_rows, sense=-1))
    row = sparse.hstack([sparse.csr_matrix((1, w)), sparse.csr_matrix(-q.reshape(1, -1))], format="csr")
    return prog.add_rows(row, np.array([-need]))


def _chance_bounds(prob: Problem, A: np.ndarray, b: np.ndarray, p: np.ndarray,
                   con: OutcomeConstraint, base: tuple[np.ndarray, np.ndarray],
                   notes: list[str], budget: float) -> tuple[np.ndarray, np.ndarray]:
    """The draws' bounds for one chance constraint: the space's, raised by the quantile bound."""
    form = con.chance_form()
    assert form is not None
    lower, upper = base[0].copy(), base[1]
    t = form.threshold
    if not bool(np.allclose(p, p[0])):
        return lower, upper
    k = form.max_violations(p.shape[0])
    risky = np.flatnonzero((lower < t) & (upper >= t))
    lb, ub = _box(prob)
    q = quantile_bounds(A, b, t, k, lb, ub, risky, budget)
    if q is not None:
        lower[risky] = np.maximum(lower[risky], q)
        notes.append(
            f"{con!r}: quantile strengthening of the big-M ({int(np.sum(q >= t))} of "
            f"{risky.size} draws must meet the threshold; mean M {float(np.mean(np.maximum(t - lower[risky], 0))):.4g})"
        )
    return lower, upper


@dataclass
class _Built:
    prog: _Program
    c: np.ndarray
    const: float
    rows: list[int | None]  # the row of each constraint whose dual is its shadow price
    integer: bool
    chance_exact: bool
    blocks: list[ChanceBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _flat(prob: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    aff = prob.outcome.affine_form()
    assert aff is not None
    A, b = (np.asarray(v, dtype=np.float64) for v in aff)
    S = A.shape[0]
    w = np.full(S, 1.0 / S) if prob.weights is None else np.asarray(prob.weights, float) / np.sum(prob.weights)
    if A.ndim == 3:
        r = A.shape[1]
        return A.reshape(S * r, -1), b.reshape(-1), np.repeat(w / r, r)
    return A, b.reshape(-1), w


def _build(prob: Problem, objective: Objective, constraints: tuple[OutcomeConstraint, ...],
           chance: str, relax: bool = False, budget: float = 0.0,
           data: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> _Built:
    from scipy import sparse

    A, b, p = _flat(prob) if data is None else data
    n = prob.n
    system = prob.system
    assert system is not None
    prog = _Program(A, b, p, n)
    prog.add_vars(n, 0.0, 0.0, integer=prob.space.integer and not relax)
    prog.lo[0], prog.hi[0] = system.lb.copy(), system.ub.copy()
    terms = lp_form(objective)
    assert terms is not None
    c, const = _score(prog, terms)
    rows: list[int | None] = []
    base: tuple[np.ndarray, np.ndarray] | None = None
    exact = False
    blocks: list[ChanceBlock] = []
    notes: list[str] = []
    for ci, con in enumerate(constraints):
        form = con.chance_form()
        rev = reversed_form(con)
        if rev is not None:  # no convex approximation: always the exact MILP
            lb, ub = _box(prob)
            lo_r, hi_r = box_range(A, b, lb, ub)
            rows.append(_reversed_rows(prog, con, (lo_r, hi_r), blocks))
            blocks[-1].constraint = ci
            exact = True
            continue
        if form is not None and chance != "cvar":
            if base is None:
                lb, ub = _box(prob)
                lo0, hi0 = box_range(A, b, lb, ub)
                tmax = max(c.chance_form().threshold for c in constraints  # type: ignore[union-attr]
                           if c.chance_form() is not None)
                lo0, hi0, solved = draw_bounds(A, b, system, lb, ub,
                                               np.flatnonzero(np.isfinite(lo0) & (lo0 < tmax)), budget)
                if solved:
                    notes.append(f"big-M of {solved} draws from an LP over the polyhedron")
                base = (lo0, hi0)
            lower, upper = _chance_bounds(prob, A, b, p, con, base, notes, budget) if not relax else base
            rows.append(_chance_rows(prog, con, (base[0], lower, upper), blocks))
            blocks[-1].constraint = ci
            exact = True
            continue
        use = con.conservative()
        cterms = lp_form(use.objective)
        assert cterms is not None
        vec, k = _score(prog, cterms)
        d = use.direction
        # d * (vec . v + k) >= d * score_bound   ->   -d vec . v <= d (k - score_bound)
        rows.append(prog.add_rows(sparse.csr_matrix(-d * vec.reshape(1, -1)),
                                  np.array([d * (k - use.score_bound)])))
    c = np.concatenate([c, np.zeros(prog.size - c.shape[0])])
    if system.A_ub.shape[0]:
        prog.add_rows(sparse.csr_matrix(system.A_ub), system.b_ub)
    if relax:
        prog.integer = [np.zeros_like(i) for i in prog.integer]
    integer = any(np.any(i) for i in prog.integer)
    return _Built(prog, c, const, rows, integer, exact, blocks, notes)


@dataclass
class _Result:
    status: str  # optimal, infeasible, unbounded, time_limit, failed
    x: np.ndarray | None
    value: float
    duals: np.ndarray | None
    bound: float
    gap: float
    message: str


def _run(prob: Problem, built: _Built, time_limit: float, mip_rel_gap: float,
         start: np.ndarray | None = None, fix: np.ndarray | None = None) -> _Result:
    """Solve the built program: an LP in ``linprog`` (duals), a MILP in HiGHS through highspy.

    ``start``: a feasible point of the MILP (its first incumbent). ``fix``: values of the
    chance binaries (concatenated over ``built.blocks``); they are fixed and the rest
    solved as an LP.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    prog = built.prog
    system = prob.system
    assert system is not None
    size = prog.size
    A_ub = _pad(prog.matrix(), size)
    b_ub = np.concatenate(prog.rhs) if prog.rhs else np.zeros(0)
    A_eq = _pad(sparse.csr_matrix(system.A_eq), size) if system.A_eq.shape[0] else None
    lo, hi = np.concatenate(prog.lo), np.concatenate(prog.hi)
    cmin = -np.concatenate([built.c, np.zeros(size - built.c.shape[0])])
    integer = built.integer
    opts: dict[str, Any] = {"time_limit": time_limit}
    if fix is not None:
        pos = np.concatenate([blk.start + np.arange(blk.rows.size) for blk in built.blocks])
        lo, hi = lo.copy(), hi.copy()
        lo[pos] = hi[pos] = fix
        integer = False
        # the draws kept above a threshold are kept there by a hair more than HiGHS's
        # feasibility tolerance: a draw at t - 1e-9 would count as below t on the draws
        b_ub = b_ub.copy()
        off = 0
        for blk in built.blocks:
            zb = fix[off:off + blk.rows.size]
            off += blk.rows.size
            on = 0 if blk.sense > 0 else 1  # the rows that bind the draw to its side of t
            up = blk.big_rows[(zb == on) & (blk.big_rows >= 0)]
            b_ub[up] -= _MARGIN * max(1.0, abs(blk.threshold))
        opts["primal_feasibility_tolerance"] = 0.1 * _MARGIN
    if not integer:
        res = linprog(
            cmin, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
            A_eq=A_eq, b_eq=system.b_eq if A_eq is not None else None,
            bounds=[(a if np.isfinite(a) else None, b if np.isfinite(b) else None)
                    for a, b in zip(lo.tolist(), hi.tolist())],
            method="highs", options=opts,
        )
        names = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}
        status = names.get(res.status, "failed")
        x = np.asarray(res.x, float) if res.x is not None else None
        duals = None
        if status == "optimal" and A_ub.shape[0]:
            duals = np.asarray(res.ineqlin.marginals, float)
        value = -float(res.fun) + built.const if x is not None else np.nan
        return _Result(status, x, value, duals, value, 0.0, str(res.message))
    M = sparse.vstack([A_ub] + ([A_eq] if A_eq is not None else []), format="csr")
    rlo = np.concatenate([np.full(A_ub.shape[0], -np.inf)] + ([system.b_eq] if A_eq is not None else []))
    rhi = np.concatenate([b_ub] + ([system.b_eq] if A_eq is not None else []))
    out = run_highspy(cmin, M, rlo, rhi, lo, hi, np.concatenate(prog.integer).astype(bool),
                      time_limit, mip_rel_gap, start)
    value = -out.objective + built.const if out.x is not None else np.nan
    bound = -out.dual_bound + built.const if np.isfinite(out.dual_bound) else np.inf
    msg = out.message + (" (the incumbent is the warm start)" if out.from_start else "")
    return _Result(out.status, out.x, value, None, bound, out.gap if out.x is not None else np.inf, msg)


def _warm_start(prob: Problem, built: _Built, tl: float, notes: list[str]) -> _Result | None:
    """A feasible point of the exact chance-constrained MILP, or None.

    The CVaR approximation's action (feasible for every chance constraint), then the LP
    with the binaries fixed: in each chance constraint the draws lowest at the current
    action are allowed below the threshold up to the cap; repeated while it improves.
    """
    if prob.space.integer or not built.blocks:
        return None
    t0 = time.perf_counter()
    approx = None
    A, b = built.prog.A, built.prog.b
    sub = ""
    if all(blk.sense > 0 for blk in built.blocks):
        data = None
        if A.shape[0] > _START_DRAWS:  # the CVaR LP on every draw is slow: a spread subsample
            idx = np.linspace(0, A.shape[0] - 1, _START_DRAWS).astype(np.int64)
            p = built.prog.p[idx]
            data = (A[idx], b[idx], p / p.sum())
            sub = f" on {_START_DRAWS} of the {A.shape[0]} draws"
        try:
            approx = _run(prob, _build(prob, prob.objective, prob.constraints, "cvar", data=data),
                          tl, 1e-9)
        except DecideValueError:
            approx = None
    if approx is None or approx.x is None or approx.status != "optimal":
        rel = _run(prob, _build(prob, prob.objective, prob.constraints, "exact", relax=True), tl, 1e-9)
        if rel.x is None:
            return None
        x = rel.x[: prob.n]
        first = "the LP relaxation's action"
    else:
        x = approx.x[: prob.n]
        first = f"the CVaR approximation{sub} (value {approx.value:.10g})"
    lo_all = np.concatenate(built.prog.lo)
    hi_all = np.concatenate(built.prog.hi)
    best: _Result | None = None
    rounds = 0
    while rounds == 0 or (rounds < 20 and time.perf_counter() - t0 < 0.25 * tl):
        z = []
        for blk in built.blocks:
            y = A[blk.rows] @ x + b[blk.rows]
            zb = np.zeros(blk.rows.size)
            lo_z = lo_all[blk.start:blk.start + blk.rows.size]
            forced = lo_z >= 1.0
            zb[forced] = 1.0
            used = float(blk.q[forced].sum())
            hi_z = hi_all[blk.start:blk.start + blk.rows.size]
            for i in np.argsort(y - blk.threshold, kind="stable"):
                if forced[i] or hi_z[i] <= 0.0:
                    continue
                if blk.sense > 0 and used + blk.q[i] > blk.cap + 1e-12:
                    break  # the cap on the draws allowed below t is used up
                if blk.sense < 0 and used >= blk.cap - 1e-12:
                    break  # enough draws held at or below t
                zb[i] = 1.0
                used += blk.q[i]
            z.append(zb)
        res = _run(prob, built, tl, 1e-9, fix=np.concatenate(z))
        rounds += 1
        if res.x is None or res.status != "optimal":
            break
        if best is not None and res.value <= best.value + 1e-9 * max(1.0, abs(best.value)):
            break
        best, x = res, res.x[: prob.n]
    if best is not None:
        notes.append(f"warm start: {first}, then {rounds} LP(s) with the binaries fixed at the "
                     f"lowest draws (value {best.value:.10g}, {time.perf_counter() - t0:.3g} s)")
    return best


def _best_value(prob: Problem, con: OutcomeConstraint, chance: str, time_limit: float) -> float | None:
    """The best value of one constraint's measure over the space alone (for InfeasibleError)."""
    form = con.chance_form()
    try:
        if form is not None and chance != "cvar":
            return _best_chance(prob, con, time_limit)
        use = con.conservative()
        terms = lp_form(use.objective)
        if terms is None:
            return None
        d = use.direction
        obj = WeightedObjective([(d * wt, t) for wt, t in terms])
        if lp_form(obj) is None:  # minimizing a concave risk term: not an LP
            return None
        built = _build(prob, obj, (), chance)
        res = _run(prob, built, time_limit, 1e-9)
        if res.x is None or res.status not in ("optimal", "time_limit"):
            return None
        return float(use.objective.conventional_sign * d * res.value)
    except DecideValueError:
        return None


def _best_chance(prob: Problem, con: OutcomeConstraint, time_limit: float) -> float | None:
    """Exact best of a chance measure over the space: max VaR, or min P(y < t), as a MILP."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    form = con.chance_form()
    assert form is not None
    A, b, p = _flat(prob)
    lb, ub = _box(prob)
    ymin, ymax = box_range(A, b, lb, ub)
    if not (np.all(np.isfinite(ymin)) and np.all(np.isfinite(ymax))):
        return None
    system = prob.system
    assert system is not None
    m, n = A.shape
    equal = bool(np.allclose(p, p[0]))
    cons = []
    if form.strict:  # max tau  s.t.  y_i >= tau - M_i z_i,  sum q z <= cap
        top = float(ymax.max())
        big_m = top - ymin
        rows = sparse.hstack([sparse.csr_matrix(-A), sparse.csr_matrix(np.ones((m, 1))),
                              -sparse.diags(big_m, format="csr")], format="csr")
        cons.append(LinearConstraint(rows, -np.inf, b))
        q, cap = (np.ones(m), float(form.max_violations(m))) if equal else (p, form.prob * (1 - 1e-9))
        cons.append(LinearConstraint(sparse.hstack([sparse.csr_matrix((1, n + 1)),
                                                    sparse.csr_matrix(q.reshape(1, -1))]), -np.inf, cap))
        c = np.concatenate([np.zeros(n), [-1.0], np.zeros(m)])
        lo = np.concatenate([system.lb, [float(ymin.min())], np.zeros(m)])
        hi = np.concatenate([system.ub, [top], np.ones(m)])
        integ = np.concatenate([np.zeros(n + 1), np.ones(m)])
    else:  # min sum p z  s.t.  y_i >= t - M_i z_i
        t = form.threshold
        big_m = np.maximum(t - ymin, 0.0)
        rows = sparse.hstack([sparse.csr_matrix(-A), -sparse.diags(big_m, format="csr")], format="csr")
        cons.append(LinearConstraint(rows, -np.inf, b - t))
        c = np.concatenate([np.zeros(n), p])
        lo = np.concatenate([system.lb, np.zeros(m)])
        hi = np.concatenate([system.ub, np.ones(m)])
        integ = np.concatenate([np.zeros(n), np.ones(m)])
    size = c.shape[0]
    if system.A_ub.shape[0]:
        cons.append(LinearConstraint(_pad(system.A_ub, size), -np.inf, system.b_ub))
    if system.A_eq.shape[0]:
        cons.append(LinearConstraint(_pad(system.A_eq, size), system.b_eq, system.b_eq))
    res = milp(c, integrality=integ, bounds=Bounds(lo, hi), constraints=cons,
               options={"time_limit": float(time_limit)})
    if res.x is None:
        return None
    if form.strict:
        from decide.measures import VaR

        x = res.x[:n]
        return float(VaR(form.prob)(A @ x + b, p))
    return float(res.fun)


def solve_highs(
    prob: Problem, time_limit: float | None = None, mip_rel_gap: float = 1e-9
) -> Decision:
    """Solve a linear-outcome problem with constraints on outcomes as one HiGHS LP or MILP."""
    tl = _config.CHANCE_MILP_TIME_LIMIT if time_limit is None else float(time_limit)
    if not (np.isfinite(tl) and tl > 0):
        raise DecideValueError(f"time_limit must be a positive number of seconds; got {time_limit!r}.")
    if not (0 <= float(mip_rel_gap) < 1):
        raise DecideValueError(f"mip_rel_gap must be in [0, 1); got {mip_rel_gap!r}.")
    chance = prob.chance
    t0 = time.perf_counter()
    built = _build(prob, prob.objective, prob.constraints, chance, budget=0.1 * tl)
    diag = Diagnostics(solver="HIGHS", status="")
    diag.notes.extend(built.notes)
    start = None
    reserve = 0.0
    if built.chance_exact:
        t1 = time.perf_counter()
        start = _warm_start(prob, built, tl, diag.notes)
        # after the MILP one more LP with the binaries fixed (the final action and the
        # prices): keep time for it, about what one LP of the warm start took
        reserve = (time.perf_counter() - t1) / 3.0
    left = max(tl - (time.perf_counter() - t0) - reserve, 0.05 * tl)
    n_bin = int(sum(blk.rows.size for blk in built.blocks))
    if start is not None and left < _SETUP_SECONDS_PER_BINARY * n_bin:
        # HiGHS sets up a MILP (clique table, probing) before it looks at its clock
        # again: with too little time left for that, keep the start within the limit
        res = _Result("time_limit", start.x, start.value, None, np.inf, np.inf,
                      f"MILP not run: {left:.3g} s left for {n_bin} binaries")
        diag.notes.append(f"the MILP was not run ({left:.3g} s of the time limit left for {n_bin} "
                          "binaries); the answer is the warm start, with no bound")
    else:
        res = _run(prob, built, left, mip_rel_gap, start=start.x if start is not None else None)
    if res.x is None and start is not None and res.status not in ("infeasible", "unbounded"):
        res = _Result(res.status, start.x, start.value, None, res.bound,
                      abs(res.bound - start.value) / max(abs(start.value), 1e-300)
                      if np.isfinite(res.bound) else np.inf, res.message + " (warm start kept)")
    diag.status = res.message
    kind = "MILP" if built.integer else "LP"
    diag.notes.append(
        f"one {kind} in HiGHS ({built.prog.size} variables, "
        f"{sum(r.shape[0] for r in built.prog.rhs)} inequality rows; {time.perf_counter() - t0:.3g} s)"
    )
    if res.status == "infeasible":
        raise_infeasible(
            prob, lambda c: _best_value(prob, c, chance, tl),
            "best values of each constraint's measure over the space alone, solved exactly"
            if chance != "cvar" else
            "chance constraints read as their CVaR surrogate, chance='cvar'; chance='exact' may "
            "still be feasible",
        )
    if res.status == "unbounded":
        raise UnboundedError(
            f"the problem is unbounded (HiGHS): the objective {prob.objective!r} grows without "
            "limit over the space and the constraints. Bound the action with a Box or Budget."
        )
    if res.x is None:
        hint = "pass chance='cvar' (the convex approximation)" if built.integer else (
            "use method='cvxpy' (an interior point method) or 'cvar-lp'")
        raise SolverError(
            f"HiGHS found no feasible action ({res.status}: {res.message}); raise time_limit or "
            f"{hint}."
        )
    x = res.x[: prob.n]
    diag.converged = res.status == "optimal"
    if built.integer:
        diag.iterations = 1
        diag.certificate = {"lower_bound": res.value, "upper_bound": res.bound, "gap": res.gap}
        diag.notes.append(
            f"MILP {'certified' if diag.converged else 'NOT certified (time limit)'}: value "
            f"{res.value:.10g}, bound {res.bound:.10g}, relative gap {res.gap:.3g}"
        )
    if prob.space.integer:
        x = np.round(x) + 0.0
    shadow = None
    if res.duals is not None:
        # linprog minimizes -score; the marginal of a row "... <= rhs" is d(min)/d(rhs) <= 0,
        # and relaxing a bound raises rhs: the optimal score gains -marginal per unit
        shadow = np.array([-res.duals[r] if r is not None else np.nan for r in built.rows]) + 0.0
        # an LP holds a chance constraint only as its CVaR form: that row's dual prices the
        # approximation, not the constraint (scipy reports NaN there too)
        is_chance = np.array([c.chance_form() is not None for c in prob.constraints], dtype=bool)
        if is_chance.any():
            shadow = np.where(is_chance, np.nan, shadow) + 0.0
            diag.notes.append("no shadow price for a chance constraint solved through its CVaR "
                              "approximation (its dual prices the approximation)")
    elif prob.constraints:
        shadow = _fixed_prices(prob, built, res, tl, diag)
        if built.blocks and res.x is not None:
            x = res.x[: prob.n]
    if any(c.chance_form() is not None for c in prob.constraints):
        _chance_notes(prob, built, res, diag, tl)
    diag.evaluations = 1
    return prob.finish(x, "highs", diag, exact="certificate", shadow_prices=shadow)


def _fixed_prices(prob: Problem, built: _Built, res: _Result, tl: float,
                  diag: Diagnostics) -> np.ndarray | None:
    """Shadow prices of a MILP's solution: the duals of its LP with the binaries fixed.

    Local prices: the optimal value's rate of change while the same draws stay below
    each chance threshold. A floor ``VaR(alpha) >= t`` is priced through its rows
    ``y_i >= t`` of the draws kept above ``t`` (``M_i`` moves with ``t``);
    ``ProbabilityOfShortfall(t) <= p`` has none (the value is a step function of ``p``).
    """
    assert res.x is not None
    if prob.space.integer or not built.blocks:
        diag.notes.append("no shadow prices: an integer action space has no duals")
        return None
    z = np.concatenate([np.round(res.x[blk.start:blk.start + blk.rows.size]) for blk in built.blocks])
    fixed = _run(prob, built, tl, 1e-9, fix=z)
    if fixed.duals is None or fixed.status != "optimal" or abs(fixed.value - res.value) > 1e-6 * max(1.0, abs(res.value)):
        diag.notes.append("no shadow prices: the LP with the binaries fixed at the solution did not "
                          "reproduce its value")
        return None
    # the action of the fixed LP: the same binaries, the draws kept above t by a margin
    assert fixed.x is not None  # optimal
    res.x = fixed.x
    out = []
    of = {blk.constraint: blk for blk in built.blocks}
    for ci, (con, r) in enumerate(zip(prob.constraints, built.rows)):
        form = con.chance_form()
        blk = of.get(ci)
        if blk is None:
            out.append(-fixed.duals[r] if r is not None else np.nan)
            continue
        if blk.sense < 0 or form is None or not form.strict:
            out.append(np.nan)  # a probability cap or a reversed constraint: a step function
            continue
        zb = np.round(res.x[blk.start:blk.start + blk.rows.size])
        # relaxing VaR(alpha) >= t lowers t: each row -A_i x <= b_i - t of a draw kept above t
        # gains 1 of right-hand side
        rows = blk.big_rows[(zb == 0) & (blk.big_rows >= 0)]
        out.append(-float(np.sum(fixed.duals[rows])))
    diag.notes.append("shadow prices from the LP with the chance binaries fixed at the solution "
                      "(local: valid while the same draws stay below each threshold; none for a "
                      "probability cap)")
    return np.array(out, dtype=np.float64) + 0.0


def _chance_notes(prob: Problem, built: _Built, res: _Result, diag: Diagnostics, tl: float) -> None:
    if built.chance_exact and prob.chance != "cvar":
        diag.notes.append("chance constraints solved exactly: one binary per draw that may fall "
                          "below the threshold (see the notes above for the big-M and the start)")
        return
    diag.notes.append("chance constraints replaced by CVaR(prob) >= threshold (conservative: "
                      "implies VaR(prob) >= threshold)")
    try:
        relaxed = _build(prob, prob.objective, prob.constraints, "exact", relax=True)
        rel = _run(prob, relaxed, tl, 1e-9)
    except DecideValueError as exc:
        diag.notes.append(f"no bound on the exact optimum: {exc}")
        return
    if rel.status == "optimal":
        diag.certificate = {"lower_bound": res.value, "upper_bound": rel.value,
                            "gap": rel.value - res.value}
        diag.notes.append(
            f"gap to the exact chance-constrained optimum at most {rel.value - res.value:.6g} "
            f"(LP relaxation of the big-M program bounds it by {rel.value:.10g})"
        )


@register
class HighsBackend(Backend):
    """``method="highs"``: constraints on a linear outcome as one LP or MILP (see the module)."""

    name = "highs"
    options = frozenset({"time_limit", "mip_rel_gap"})
    #: None: cvxpy solves chance constraints only through their approximation, and an
    #: integer program in cvxpy goes to the same HiGHS
    fallback = None

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name)
        if reason is not None:
            return reason
        if not problem.constraints:
            return "'highs' solves problems with constraints on outcomes (subject_to=[...])"
        aff = problem.outcome.affine_form()
        if aff is None:
            return f"the outcome {type(problem.outcome).__name__} is not affine in the action"
        if lp_form(problem.objective) is None:
            return (f"the objective {problem.objective!r} is not linear-programmable (Mean, CVaR, "
                    "MeanCVaR, WorstCase, ActionCost with non-negative risk weights)")
        for c in problem.constraints:
            if c.chance_form() is not None or reversed_form(c) is not None:
                continue
            terms = lp_form(c.objective)
            if terms is None or (c.direction < 0 and c.kind != "linear"):
                return f"the constraint {c!r} has no linear-programming form"
        return None

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        # first for chance constraints (the exact MILP, or the approximation with its gap
        # bound) and integer spaces; LP-only problems go to cvxpy first (CLARABEL's interior
        # point beats HiGHS's simplex on the CVaR rows of many draws), then here
        chance = any(c.chance_form() is not None for c in problem.constraints)
        if any(reversed_form(c) is not None for c in problem.constraints):
            return 1.5  # only this backend solves a reversed chance constraint exactly
        if problem.space.integer or (chance and problem.chance != "cvar"):
            return 1.5
        if chance and int(problem.outcome.n_samples) <= _config.CHANCE_GAP_MAX_SAMPLES:
            return 1.5  # the approximation, with the gap bound of the LP relaxation
        return 2.5

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        return solve_highs(problem, **options)
