"""HiGHS linear programs used by the exact CVaR solver (private).

Three programs, all small in the number of rows that HiGHS has to factorize:

* :func:`solve_reduced_dual` - the reduced Rockafellar-Uryasev problem without a
  CVaR floor, written as its LP dual: ``n + 1`` equality rows (one per action
  coordinate and one for the VaR level ``t``) and one boxed column per band
  scenario. The action ``x`` and the level ``t`` are read off the row duals.
* :func:`solve_reduced_primal` - the same reduced problem with a CVaR floor,
  written in primal form (one row per band scenario plus the floor row).
* :func:`max_linear` - ``max r @ x`` over the action set
  ``{lb <= x <= ub, A_ub x <= b_ub, A_eq x = b_eq}``; used to evaluate the dual
  (upper) bound and to check that the action set is not empty.

Conventions: the solver maximizes a reward; HiGHS minimizes, so costs are negated
where needed and every sign flip is written next to it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from decide.optimization._polyhedron import LinearSystem

__all__ = [
    "LPOutcome",
    "max_linear",
    "solve_reduced_dual",
    "solve_reduced_primal",
]

_INF = np.inf


@dataclass(frozen=True)
class LPOutcome:
    """What a HiGHS solve returned, in the solver's own terms.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"infeasible"``, ``"unbounded"`` (of the reduced primal
        problem) or ``"error"``.
    x : ndarray of shape (n,) or None
        Action at the optimum of the reduced problem.
    lam : ndarray of shape (n_band,) or None
        Multipliers of the band rows ``t - y_i(x) <= u_i`` (tail weights times
        ``weight_cvar + nu``).
    nu : float
        Multiplier of the CVaR floor row (0 without a floor).
    value : float
        Optimal value of the reduced problem as reported by HiGHS.
    ray : ndarray of shape (n,) or None
        A direction of unboundedness in ``x`` when ``status == "unbounded"``.
    iterations : int
        Simplex iterations.
    """

    status: str
    x: np.ndarray | None
    lam: np.ndarray | None
    nu: float
    value: float
    ray: np.ndarray | None
    iterations: int


_BANNER_SILENCED = False


@contextlib.contextmanager
def _quiet_c_stdout() -> Iterator[None]:
    """Send the C-level stdout (file descriptor 1) to /dev/null for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def silence_banner() -> None:
    """Make HiGHS's one banner per process silent (before another library creates a Highs)."""
    if not _BANNER_SILENCED:
        silent_highs()


def silent_highs() -> Any:
    """A silent HiGHS instance (the first one in a process prints a banner from C)."""
    global _BANNER_SILENCED
    import highspy

    if _BANNER_SILENCED:
        h = highspy.Highs()
    else:
        with _quiet_c_stdout(), contextlib.redirect_stdout(io.StringIO()):
            h = highspy.Highs()
        _BANNER_SILENCED = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


def pass_lp(
    h: Any,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray,
    index: np.ndarray,
    value: np.ndarray,
    offset: float = 0.0,
    integer: np.ndarray | None = None,
) -> None:
    """Load ``min cost . v + offset`` s.t. row and column bounds into ``h`` (CSC columns)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = int(cost.shape[0])
    lp.num_row_ = int(row_lower.shape[0])
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(row_upper, dtype=np.float64)
    lp.offset_ = float(offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = np.ascontiguousarray(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.ascontiguousarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.ascontiguousarray(value, dtype=np.float64)
    if integer is not None and np.any(integer):
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    h.passModel(lp)


def _status(h: Any) -> str:
    import highspy

    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if st == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    if st == highspy.HighsModelStatus.kUnbounded:
        return "unbounded"
    if st == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        return "unbounded_or_infeasible"
    return "error"


def _set_tolerances(h: Any, tol: float) -> None:
    h.setOptionValue("primal_feasibility_tolerance", tol)
    h.setOptionValue("dual_feasibility_tolerance", tol)


#: Iteration cap of HiGHS's QP solver in the QP forms.
_QP_ITERATION_LIMIT = 5_000


def configure_dual(h: Any, tol: float) -> None:
    """Set the options :func:`solve_reduced_dual` runs with (tolerances, no presolve, simplex).

    The QP forms (``hessian_inv``, :func:`solve_reduced_qp_primal`) run HiGHS's
    active-set QP solver, capped at ``_QP_ITERATION_LIMIT`` iterations (it can cycle).
    """
    _set_tolerances(h, tol)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("qp_iteration_limit", _QP_ITERATION_LIMIT)


def _dense_columns(block: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSC pieces for columns that are dense over ``rows``: ``block`` is (n_cols, len(rows))."""
    n_cols, k = block.shape
    start = np.arange(0, n_cols * k + 1, k, dtype=np.int64)
    index = np.tile(rows.astype(np.int64), n_cols)
    return start, index, block.ravel()


def solve_reduced_dual(
    R_band: np.ndarray,
    b_band: np.ndarray,
    a: np.ndarray,
    const: float,
    wc: float,
    c: float,
    tau: float,
    cons: LinearSystem,
    tol: float,
    h: Any = None,
    hessian_inv: np.ndarray | None = None,
    center: np.ndarray | None = None,
    configure: bool = True,
) -> LPOutcome:
    """Solve the reduced problem (no CVaR floor) through its n + 1 row LP dual.

    ``h``: a HiGHS instance to reuse (its model is replaced), else a new one;
    ``configure=False`` keeps its options (set by :func:`configure_dual` before).

    With ``hessian_inv`` (``H = B^-1`` of shape (n, n), ``B`` symmetric positive
    definite) and ``center`` (``x0`` of shape (n,)), the primal objective also has the
    proximal term ``- 1/2 (x - x0)' B (x - x0)`` (a QP: the step of
    ``method="cvar-sqp"``). Its dual gains ``n`` free columns ``v`` with entry 1 in
    rows ``0..n-1``, cost ``x0 @ v`` and the Hessian ``H``::

        min  ... + x0 @ v + 1/2 v' H v     s.t.  v - R_band.T @ lam + ... = a

    (``max_x v'x - 1/2 (x - x0)' B (x - x0) = x0 @ v + 1/2 v' H v`` at
    ``x = x0 + H v``), and ``x`` is read as ``x0 + H v`` (Nocedal and Wright 2006,
    sec. 16.1 for the QP dual).

    Primal (maximized)::

        max  a @ x + wc * tau * t - wc * c * sum(u) + const
        s.t. t - R_band @ x - u <= b_band        (multipliers lam >= 0)
             A_ub x <= b_ub (mu >= 0), A_eq x = b_eq (eta), lb <= x <= ub, u >= 0

    Dual (minimized, what HiGHS sees)::

        min  b_band @ lam + b_ub @ mu + b_eq @ eta + ub @ p - lb @ m + const
        s.t. -R_band.T @ lam + A_ub.T @ mu + A_eq.T @ eta + p - m = a   (rows 0..n-1)
             sum(lam) = wc * tau                                        (row n)
             0 <= lam <= wc * c, mu >= 0, p >= 0, m >= 0

    The row duals of the ``n`` first rows are ``x``; of row ``n``, ``t``.
    """
    n = cons.n
    nb = R_band.shape[0]
    rows = np.arange(n + 1)
    blocks_start = []
    blocks_index = []
    blocks_value = []
    costs = []
    lowers = []
    uppers = []

    # band columns lam_i: entries -R_i in rows 0..n-1 and 1 in row n
    block = np.empty((nb, n + 1))
    block[:, :n] = -R_band
    block[:, n] = 1.0
    s, i, v = _dense_columns(block, rows)
    blocks_start.append(s)
    blocks_index.append(i)
    blocks_value.append(v)
    costs.append(b_band)
    lowers.append(np.zeros(nb))
    uppers.append(np.full(nb, wc * c))

    for A, bvec, lo in ((cons.A_ub, cons.b_ub, 0.0), (cons.A_eq, cons.b_eq, -_INF)):
        if A.shape[0]:
            s, i, v = _dense_columns(A, rows[:n])
            blocks_start.append(s)
            blocks_index.append(i)
            blocks_value.append(v)
            costs.append(bvec)
            lowers.append(np.full(A.shape[0], lo))
            uppers.append(np.full(A.shape[0], _INF))
    fin_ub = np.flatnonzero(np.isfinite(cons.ub))
    fin_lb = np.flatnonzero(np.isfinite(cons.lb))
    for idx, sign, bound in ((fin_ub, 1.0, cons.ub), (fin_lb, -1.0, cons.lb)):
        if idx.size:
            blocks_start.append(np.arange(idx.size + 1, dtype=np.int64))
            blocks_index.append(idx.astype(np.int64))
            blocks_value.append(np.full(idx.size, sign))
            costs.append(sign * bound[idx])
            lowers.append(np.zeros(idx.size))
            uppers.append(np.full(idx.size, _INF))
    n_before_v = sum(c.shape[0] for c in costs)
    if hessian_inv is not None:
        assert center is not None
        blocks_start.append(np.arange(n + 1, dtype=np.int64))
        blocks_index.append(np.arange(n, dtype=np.int64))
        blocks_value.append(np.ones(n))
        costs.append(np.asarray(center, dtype=np.float64))
        lowers.append(np.full(n, -_INF))
        uppers.append(np.full(n, _INF))

    # concatenate CSC pieces
    start = [np.zeros(1, dtype=np.int64)]
    offset = 0
    for s in blocks_start:
        start.append(s[1:] + offset)
        offset += int(s[-1])
    rhs = np.concatenate([a, [wc * tau]])
    if h is None:
        h = silent_highs()
        configure = True
    if configure:
        configure_dual(h, tol)
    pass_lp(
        h,
        np.concatenate(costs),
        np.concatenate(lowers),
        np.concatenate(uppers),
        rhs,
        rhs,
        np.concatenate(start),
        np.concatenate(blocks_index),
        np.concatenate(blocks_value),
        offset=const,
    )
    if hessian_inv is not None:
        _pass_hessian(h, hessian_inv, n_before_v)
    h.run()
    status = _status(h)
    info = h.getInfo()
    iters = int(info.simplex_iteration_count if hessian_inv is None else info.qp_iteration_count)
    if status == "optimal":
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        duals = np.asarray(sol.row_dual)
        if hessian_inv is not None:
            x = np.asarray(center, dtype=np.float64) + hessian_inv @ col[n_before_v:]
        else:
            x = duals[:n].copy()
        return LPOutcome(
            "optimal",
            x=x,
            lam=np.clip(col[:nb], 0.0, wc * c),
            nu=0.0,
            value=float(h.getInfo().objective_function_value),
            ray=None,
            iterations=iters,
        )
    if status in ("infeasible", "unbounded_or_infeasible"):
        # dual infeasible: the reduced primal is unbounded (the action set was checked non-empty)
        ray = None
        _, has, vals = h.getDualRay()
        if has:
            ray = np.asarray(vals)[:n].copy()
        return LPOutcome("unbounded", None, None, 0.0, _INF, ray, iters)
    return LPOutcome(status, None, None, 0.0, np.nan, None, iters)


def _pass_hessian(h: Any, H: np.ndarray, first: int, ncol: int | None = None) -> None:
    """Give ``h`` the Hessian ``H`` (dense, symmetric) on its columns ``first..first+n-1``."""
    import highspy

    n = H.shape[0]
    ncol = h.getNumCol() if ncol is None else ncol
    # lower triangle, column by column: entries (i, j) with i >= j, sorted by j then i
    j, i = np.nonzero(np.triu(np.ones((n, n), dtype=bool)))
    hess = highspy.HighsHessian()
    hess.dim_ = ncol
    hess.format_ = highspy.HessianFormat.kTriangular
    counts = np.zeros(ncol, dtype=np.int64)
    counts[first:first + n] = np.arange(n, 0, -1)
    hess.start_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    hess.index_ = (first + i).astype(np.int32)
    hess.value_ = np.ascontiguousarray(H[i, j], dtype=np.float64)
    h.passHessian(hess)


def solve_reduced_qp_primal(
    R_band: np.ndarray,
    b_band: np.ndarray,
    a: np.ndarray,
    const: float,
    wc: float,
    c: float,
    tau: float,
    cons: LinearSystem,
    tol: float,
    B: np.ndarray,
    center: np.ndarray,
    h: Any = None,
) -> LPOutcome:
    """The QP of :func:`solve_reduced_dual` with ``hessian_inv = B^-1``, in primal form.

    Variables ``(x, t, u)``; HiGHS minimizes the negated objective::

        max  a @ x + wc * tau * t - wc * c * sum(u) - 1/2 (x - x0)' B (x - x0) + const
        s.t. t - R_band @ x - u <= b_band        (lam >= 0)
             A_ub x <= b_ub, A_eq x = b_eq, lb <= x <= ub, u >= 0

    One row per band scenario: the form to use when the band is small (or when the
    dual QP fails). ``lam`` is read off the row duals.
    """
    n = cons.n
    nb = R_band.shape[0]
    m_ub, m_eq = cons.A_ub.shape[0], cons.A_eq.shape[0]
    m = nb + m_ub + m_eq
    A = np.zeros((m, n + 1 + nb))
    A[:nb, :n] = -R_band
    A[:nb, n] = 1.0
    A[np.arange(nb), n + 1 + np.arange(nb)] = -1.0
    A[nb:nb + m_ub, :n] = cons.A_ub
    A[nb + m_ub:, :n] = cons.A_eq
    nz = A != 0.0
    counts = nz.sum(axis=0)
    start = np.concatenate([[0], np.cumsum(counts)])
    index = np.nonzero(nz.T)[1]
    value = A.T[nz.T]
    row_lower = np.concatenate([np.full(nb + m_ub, -_INF), cons.b_eq])
    row_upper = np.concatenate([b_band, cons.b_ub, cons.b_eq])
    x0 = np.asarray(center, dtype=np.float64)
    cost = np.concatenate([-(a + B @ x0), [-wc * tau], np.full(nb, wc * c)])
    col_lower = np.concatenate([cons.lb, [-_INF], np.zeros(nb)])
    col_upper = np.concatenate([cons.ub, [_INF], np.full(nb, _INF)])
    if h is None:
        h = silent_highs()
        configure_dual(h, tol)
    pass_lp(h, cost, col_lower, col_upper, row_lower, row_upper, start, index, value,
            -const + 0.5 * float(x0 @ B @ x0))
    _pass_hessian(h, B, 0)
    h.run()
    status = _status(h)
    if status == "optimal":
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        lam = np.clip(-np.asarray(sol.row_dual)[:nb], 0.0, wc * c)
        return LPOutcome("optimal", col[:n].copy(), lam, 0.0,
                         -float(h.getInfo().objective_function_value), None,
                         int(h.getInfo().qp_iteration_count))
    return LPOutcome(status, None, None, 0.0, np.nan, None, -1)


def solve_reduced_primal(
    R_band: np.ndarray,
    b_band: np.ndarray,
    a: np.ndarray,
    const: float,
    wc: float,
    c: float,
    tau: float,
    sL: np.ndarray,
    bL: float,
    floor: float,
    cons: LinearSystem,
    tol: float,
) -> LPOutcome:
    """Solve the reduced problem with the CVaR floor in primal form.

    Variables ``(x, t, u)``; HiGHS minimizes the negated objective::

        max  a @ x + wc * tau * t - wc * c * sum(u) + const
        s.t. t - R_band @ x - u <= b_band                              (lam >= 0)
             c * (sL @ x + bL) + tau * t - c * sum(u) >= floor           (nu >= 0)
             A_ub x <= b_ub, A_eq x = b_eq, lb <= x <= ub, u >= 0
    """
    import scipy.sparse as sp

    n = cons.n
    nb = R_band.shape[0]
    m_ub = cons.A_ub.shape[0]
    m_eq = cons.A_eq.shape[0]
    band = sp.hstack(
        [sp.csr_matrix(-R_band), sp.csr_matrix(np.ones((nb, 1))), -sp.identity(nb, format="csr")]
    )
    floor_row = sp.csr_matrix(np.concatenate([c * sL, [tau], np.full(nb, -c)])[None, :])
    parts = [band, floor_row]
    zeros = sp.csr_matrix((0, 1 + nb))
    if m_ub:
        parts.append(sp.hstack([sp.csr_matrix(cons.A_ub), sp.csr_matrix((m_ub, 1 + nb))]))
    if m_eq:
        parts.append(sp.hstack([sp.csr_matrix(cons.A_eq), sp.csr_matrix((m_eq, 1 + nb))]))
    del zeros
    A = sp.vstack(parts).tocsc()
    A.sort_indices()
    row_lower = np.concatenate([np.full(nb, -_INF), [floor - c * bL], np.full(m_ub, -_INF), cons.b_eq])
    row_upper = np.concatenate([b_band, [_INF], cons.b_ub, cons.b_eq])
    cost = -np.concatenate([a, [wc * tau], np.full(nb, -wc * c)])
    col_lower = np.concatenate([cons.lb, [-_INF], np.zeros(nb)])
    col_upper = np.concatenate([cons.ub, [_INF], np.full(nb, _INF)])
    h = silent_highs()
    _set_tolerances(h, tol)
    h.setOptionValue("solver", "simplex")
    pass_lp(h, cost, col_lower, col_upper, row_lower, row_upper, A.indptr, A.indices, A.data, -const)
    h.run()
    status = _status(h)
    iters = int(h.getInfo().simplex_iteration_count)
    if status == "unbounded_or_infeasible":
        # decide with presolve off
        h.setOptionValue("presolve", "off")
        h.run()
        status = _status(h)
    if status == "optimal":
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        duals = np.asarray(sol.row_dual)
        # HiGHS minimizes -objective: a binding <= row has dual <= 0, a binding >= row >= 0.
        lam = np.clip(-duals[:nb], 0.0, None)
        nu = max(float(duals[nb]), 0.0)
        return LPOutcome(
            "optimal",
            x=col[:n].copy(),
            lam=np.clip(lam, 0.0, (wc + nu) * c),
            nu=nu,
            value=-float(h.getInfo().objective_function_value),
            ray=None,
            iterations=iters,
        )
    if status == "unbounded":
        ray = None
        _, has, vals = h.getPrimalRay()
        if has:
            ray = np.asarray(vals)[:n].copy()
        return LPOutcome("unbounded", None, None, 0.0, _INF, ray, iters)
    return LPOutcome(status, None, None, 0.0, np.nan, None, iters)


def max_linear(r: np.ndarray, cons: LinearSystem, tol: float = 1e-10) -> tuple[str, float, np.ndarray | None]:
    """Return ``(status, max r @ x, argmax)`` over the action set.

    Without linear rows the maximum is the closed form
    ``sum_j max(r_j lb_j, r_j ub_j)`` (exact up to rounding); otherwise an
    ``n``-column HiGHS LP with tight tolerances, whose value is recomputed as
    ``r @ x`` at the vertex returned. ``status`` is ``"optimal"``,
    ``"infeasible"`` (empty action set) or ``"unbounded"``.
    """
    n = cons.n
    if cons.A_ub.shape[0] == 0 and cons.A_eq.shape[0] == 0:
        if np.any(cons.lb > cons.ub):
            return "infeasible", -_INF, None
        x = np.where(r > 0, cons.ub, np.where(r < 0, cons.lb, np.clip(0.0, cons.lb, cons.ub)))
        if not np.all(np.isfinite(x)):
            return "unbounded", _INF, None
        return "optimal", float(r @ x), x
    m_ub = cons.A_ub.shape[0]
    A = np.vstack([cons.A_ub, cons.A_eq])
    colA = np.ascontiguousarray(A.T)
    start = np.arange(0, n * A.shape[0] + 1, A.shape[0], dtype=np.int64)
    index = np.tile(np.arange(A.shape[0], dtype=np.int64), n)
    row_lower = np.concatenate([np.full(m_ub, -_INF), cons.b_eq])
    row_upper = np.concatenate([cons.b_ub, cons.b_eq])
    h = silent_highs()
    _set_tolerances(h, tol)
    pass_lp(h, -r, cons.lb, cons.ub, row_lower, row_upper, start, index, colA.ravel())
    h.run()
    status = _status(h)
    if status == "unbounded_or_infeasible":
        h.setOptionValue("presolve", "off")
        h.run()
        status = _status(h)
    if status == "optimal":
        x = np.clip(np.asarray(h.getSolution().col_value)[:n], cons.lb, cons.ub)
        return "optimal", float(r @ x), x
    if status == "infeasible":
        return "infeasible", -_INF, None
    if status == "unbounded":
        return "unbounded", _INF, None
    return "error", np.nan, None
