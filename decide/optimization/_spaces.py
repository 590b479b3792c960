"""Action spaces: where the optimizer may look.

Continuous spaces (:class:`Box`, :class:`Budget`, :class:`LinearConstraints` and
their intersections ``a & b``) are polyhedra ``{x : lb <= x <= ub, A_ub x <= b_ub,
A_eq x = b_eq}`` over the flat action vector (see
:class:`decide.outcomes.ActionSpec`); :meth:`Space.linear_constraints` returns
exactly those arrays. :class:`Integer` restricts a polyhedron to integer points;
:class:`Discrete` is a finite list of candidate actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from decide._validation import check_finite_scalar
from decide.errors import DecideTypeError, DecideValueError, InfeasibleError
from decide.optimization._polyhedron import LinearSystem, _fmt
from decide.outcomes import ActionSpec

__all__ = [
    "Box",
    "Budget",
    "Constraints",
    "Integer",
    "LinearConstraints",
    "Space",
]



def _as_vector(value: Any, spec: ActionSpec, name: str, default: float) -> np.ndarray:
    """A bound as a flat float vector of length ``spec.size`` (inf allowed)."""
    n = spec.size
    if value is None:
        return np.full(n, default)
    if isinstance(value, xr.Dataset):
        value = {k: value[k] for k in value.data_vars}
    if isinstance(value, xr.DataArray) and len(spec.names) == 1:
        ds = spec.dims[0]
        value = value.transpose(*ds).values if set(value.dims) == set(ds) else value.values
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - set(spec.names))
        if unknown:
            raise DecideValueError(
                f"{name} has unknown action names {unknown}; valid names are {list(spec.names)}."
            )
        parts = []
        for n_, sh in zip(spec.names, spec.shapes):
            v = value.get(n_, default)
            if isinstance(v, xr.DataArray):
                v = v.values
            arr = np.asarray(v, dtype=float)
            try:
                parts.append(np.broadcast_to(arr, sh).reshape(-1))
            except ValueError:
                raise DecideValueError(
                    f"{name}[{n_!r}] must be a scalar or have shape {sh}; got shape {arr.shape}."
                ) from None
        out = np.concatenate(parts)
    else:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise DecideTypeError(
                f"{name} must be a number, an array or a dict by action name; got "
                f"{type(value).__name__}."
            ) from None
        if arr.ndim == 0:
            out = np.full(n, float(arr))
        elif arr.size == n and (arr.ndim == 1 or (len(spec.names) == 1 and arr.shape == spec.shapes[0])):
            out = arr.reshape(-1).copy()
        else:
            raise DecideValueError(
                f"{name} must be a scalar, a flat vector of length {n} or a dict by action name; "
                f"got shape {arr.shape}."
            )
    if np.any(np.isnan(out)):
        raise DecideValueError(f"{name} must not contain NaN; got {_fmt(out)}.")
    return out


class Space:
    """An action space (see :mod:`decide.optimize`). Combine linear ones with ``&``."""

    #: Whether the actions are restricted to integers.
    integer: bool = False
    #: Whether the space is a finite list of candidate actions.
    discrete: bool = False

    def __and__(self, other: object) -> Constraints:
        if not isinstance(other, Space):
            return NotImplemented
        return Constraints(self, other)

    def linear_constraints(self, action_space: ActionSpec) -> LinearSystem:
        """The space as a :class:`LinearSystem` over the flat action of ``action_space``."""
        raise DecideTypeError(
            f"{type(self).__name__} is not a polyhedron; it has no linear-constraint form."
        )


def _empty(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, n)), np.zeros(0)


def _bounds_only(lb: np.ndarray, ub: np.ndarray) -> LinearSystem:
    A, b = _empty(lb.shape[0])
    return LinearSystem(lb, ub, A, b, A.copy(), b.copy())


class Box(Space):
    """Per-element bounds ``lower <= action <= upper``.

    Parameters
    ----------
    lower, upper : float, array_like of shape (size,) or the action's shape, dict by action name, or None
        Bounds on the flat action; ``None`` (or ``-inf`` / ``inf``) for unbounded.

    Examples
    --------
    >>> from decide.optimization import Box
    >>> Box(0, 1)
    Box(lower=0, upper=1)
    """

    def __init__(self, lower: Any = None, upper: Any = None):
        self.lower, self.upper = lower, upper

    def linear_constraints(self, action_space: ActionSpec) -> LinearSystem:
        lb = _as_vector(self.lower, action_space, "Box lower", -np.inf)
        ub = _as_vector(self.upper, action_space, "Box upper", np.inf)
        return _bounds_only(lb, ub)

    def __repr__(self) -> str:
        return f"Box(lower={self.lower!r}, upper={self.upper!r})"


class Budget(Space):
    r"""A total spread over the action's elements: ``sum(action) == total`` (or ``<=``).

    Parameters
    ----------
    total : float
        The budget.
    lower : float, array_like or dict by action name, default 0
        Per-element lower bounds (``None`` for unbounded below).
    upper : float, array_like or dict by action name, optional
        Per-element upper bounds (``None`` for unbounded above).
    equality : bool, default True
        ``True``: spend exactly ``total``; ``False``: spend at most ``total``.

    Notes
    -----
    The polyhedron :math:`\{x: \sum_i x_i = T,\ l \le x \le u\}` (or
    :math:`\sum_i x_i \le T`). It is empty when :math:`\sum_i l_i > T`, or, with
    equality, when :math:`\sum_i u_i < T`; both raise :class:`decide.errors.InfeasibleError`.

    Examples
    --------
    >>> from decide.optimization import Budget
    >>> Budget(100.0, upper=60.0)
    Budget(total=100.0, lower=0.0, upper=60.0, equality=True)
    """

    def __init__(self, total: float, lower: Any = 0.0, upper: Any = None, equality: bool = True):
        self.total = check_finite_scalar(total, "total")
        self.lower, self.upper, self.equality = lower, upper, bool(equality)

    def linear_constraints(self, action_space: ActionSpec) -> LinearSystem:
        n = action_space.size
        lb = _as_vector(self.lower, action_space, "Budget lower", -np.inf)
        ub = _as_vector(self.upper, action_space, "Budget upper", np.inf)
        row = np.ones((1, n))
        tot = np.array([self.total])
        name = f"Budget(total={self.total:g}, equality={self.equality})"
        A0, b0 = _empty(n)
        if self.equality:
            return LinearSystem(lb, ub, A0, b0, row, tot, (), (name,))
        return LinearSystem(lb, ub, row, tot, A0, b0, (name,), ())

    def __repr__(self) -> str:
        return (
            f"Budget(total={self.total!r}, lower={self.lower!r}, upper={self.upper!r}, "
            f"equality={self.equality})"
        )


class LinearConstraints(Space):
    """General linear constraints ``lb <= A @ action <= ub`` on the flat action.

    Parameters
    ----------
    A : array_like of shape (k, size)
        One row per constraint over the flat action (see ``ActionSpec.labels``).
    lb, ub : float or array_like of shape (k,), optional
        Row bounds; ``None`` / ``-inf`` / ``inf`` for one-sided rows, ``lb == ub``
        for an equality.

    Examples
    --------
    >>> from decide.optimization import Budget, LinearConstraints
    >>> space = Budget(1.0, upper=1.0) & LinearConstraints([[1.0, -1.0]], ub=0.0)
    >>> space
    Budget(total=1.0, lower=0.0, upper=1.0, equality=True) & LinearConstraints(k=1)
    """

    def __init__(self, A: Any, lb: Any = None, ub: Any = None):
        A_ = np.atleast_2d(np.asarray(A, dtype=float))
        if A_.ndim != 2 or A_.shape[0] == 0 or not np.all(np.isfinite(A_)):
            raise DecideValueError(
                f"A must be a finite 2-d array of shape (k, size) with k >= 1; got shape "
                f"{np.shape(A)}."
            )
        k = A_.shape[0]
        lb_ = np.full(k, -np.inf) if lb is None else np.broadcast_to(np.asarray(lb, float), (k,)).copy()
        ub_ = np.full(k, np.inf) if ub is None else np.broadcast_to(np.asarray(ub, float), (k,)).copy()
        if np.any(np.isnan(lb_)) or np.any(np.isnan(ub_)):
            raise DecideValueError("lb and ub must not contain NaN.")
        bad = np.flatnonzero(lb_ > ub_)
        if bad.size:
            i = int(bad[0])
            raise InfeasibleError(
                f"LinearConstraints row {i} is empty: lb={lb_[i]:g} > ub={ub_[i]:g}."
            )
        self.A, self.lb, self.ub = A_, lb_, ub_

    def linear_constraints(self, action_space: ActionSpec) -> LinearSystem:
        n = action_space.size
        if self.A.shape[1] != n:
            raise DecideValueError(
                f"LinearConstraints A must have {n} columns (the flat action size); got "
                f"{self.A.shape[1]}."
            )
        eq = np.isfinite(self.lb) & (self.lb == self.ub)
        up = np.isfinite(self.ub) & ~eq
        lo = np.isfinite(self.lb) & ~eq
        rows = np.arange(self.A.shape[0])
        A_ub = np.vstack([self.A[up], -self.A[lo]])
        b_ub = np.concatenate([self.ub[up], -self.lb[lo]])
        names_ub = tuple(f"LinearConstraints row {i} (<= ub)" for i in rows[up]) + tuple(
            f"LinearConstraints row {i} (>= lb)" for i in rows[lo]
        )
        names_eq = tuple(f"LinearConstraints row {i} (== {self.lb[i]:g})" for i in rows[eq])
        return LinearSystem(
            np.full(n, -np.inf), np.full(n, np.inf), A_ub, b_ub, self.A[eq], self.lb[eq],
            names_ub, names_eq,
        )

    def __repr__(self) -> str:
        return f"LinearConstraints(k={self.A.shape[0]})"


class Constraints(Space):
    """The intersection of linear spaces, built by ``a & b`` or ``Constraints(a, b, ...)``.

    Parameters
    ----------
    *parts : Space
        :class:`Box`, :class:`Budget`, :class:`LinearConstraints` or other intersections.
    """

    parts: tuple[Space, ...]

    def __init__(self, *parts: Space):
        flat: list[Space] = []
        for p in parts:
            if isinstance(p, list | tuple):
                flat.extend(Constraints(*p).parts)
            elif isinstance(p, Constraints):
                flat.extend(p.parts)
            elif isinstance(p, Box | Budget | LinearConstraints):
                flat.append(p)
            else:
                raise DecideTypeError(
                    "only Box, Budget and LinearConstraints can be combined with & (wrap the "
                    f"combination in Integer(...) for integer actions); got {type(p).__name__}."
                )
        if not flat:
            raise DecideValueError("Constraints needs at least one space; got none.")
        self.parts = tuple(flat)

    def linear_constraints(self, action_space: ActionSpec) -> LinearSystem:
        systems = [p.linear_constraints(action_space) for p in self.parts]
        return LinearSystem(
            np.max([s.lb for s in systems], axis=0),
            np.min([s.ub for s in systems], axis=0),
            np.vstack([s.A_ub for s in systems]),
            np.concatenate([s.b_ub for s in systems]),
            np.vstack([s.A_eq for s in systems]),
            np.concatenate([s.b_eq for s in systems]),
            sum((s.rows_ub for s in systems), ()),
            sum((s.rows_eq for s in systems), ()),
        )

    def __repr__(self) -> str:
        return " & ".join(repr(p) for p in self.parts)


class Integer(Space):
    """Integer actions inside a :class:`Box`, :class:`Budget` or their intersection.

    Parameters
    ----------
    space : Box, Budget, LinearConstraints or Constraints
        The continuous space; its finite bounds and budget totals must be integers.

    Raises
    ------
    DecideValueError
        If a bound or total is not an integer.

    Examples
    --------
    >>> from decide.optimization import Budget, Integer
    >>> Integer(Budget(10, upper=6))
    Integer(Budget(total=10.0, lower=0.0, upper=6, equality=True))
    """

    integer = True

    def __init__(self, space: Space):
        if isinstance(space, list | tuple):
            space = Constraints(*space)
        if not isinstance(space, Box | Budget | LinearConstraints | Constraints):
            raise DecideTypeError(
                "Integer wraps a Box, Budget, LinearConstraints or their intersection; got "
                f"{type(space).__name__}."
            )
        parts = space.parts if isinstance(space, Constraints) else (space,)
        for p in parts:
            if isinstance(p, Budget) and p.total != np.round(p.total):
                raise DecideValueError(
                    f"Integer(Budget) needs an integer total; got total={p.total!r}. Round it."
                )
        self.space = space

    def linear_constraints(self, action_space: ActionSpec) -> LinearSystem:
        sys_ = self.space.linear_constraints(action_space)
        for name, v in (("lower", sys_.lb), ("upper", sys_.ub)):
            fin = v[np.isfinite(v)]
            if np.any(fin != np.round(fin)):
                raise DecideValueError(
                    f"Integer space needs integer {name} bounds; got {name}={_fmt(v)}. Round them "
                    "(ceil the lower and floor the upper bounds)."
                )
        return sys_

    def __repr__(self) -> str:
        return f"Integer({self.space!r})"


def as_space(space: Any) -> Space:
    """Accept a Space, or a list/tuple of linear spaces (their intersection)."""
    if isinstance(space, Space):
        return space
    if isinstance(space, list | tuple):
        return Constraints(*space)
    if isinstance(space, Mapping):
        from decide.optimization._discrete import Discrete

        return Discrete(space)
    raise DecideTypeError(
        "space must be a Box, Budget, LinearConstraints, Discrete or Integer space, or a list of "
        f"linear spaces; got {type(space).__name__}."
    )
