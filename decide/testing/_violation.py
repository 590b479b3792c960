"""The failure a check raises, its counterexample, tolerances and the hypothesis runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decide._validation import as_draws
from decide.errors import DecideValueError

__all__ = ["Counterexample", "PropertyViolation"]

#: Default relative tolerance of every check (see :func:`tolerance`).
RTOL = 1e-6
#: Default absolute tolerance of every check.
ATOL = 1e-9


def short(value: Any, limit: int = 8) -> str:
    """A short readable form of an array (at most ``limit`` values), a float or anything."""
    if isinstance(value, np.ndarray):
        flat = value.reshape(-1)
        vals = [f"{v:.6g}" for v in flat[:limit]]
        if flat.size > limit:
            vals.append(f"... ({flat.size} values)")
        shape = "" if value.ndim == 1 else f" shape {value.shape}"
        return "[" + ", ".join(vals) + "]" + shape
    if isinstance(value, float | np.floating):
        return f"{float(value):.10g}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


#: Checks whose two scores are compared with each other directly (a tie note applies).
_DIRECT = frozenset({"check_monotone", "check_ssd_consistent", "check_law_invariant",
                     "check_pooled"})


@dataclass(frozen=True)
class Counterexample:
    """Inputs on which a subject (objective or decision rule) breaks a law.

    Attributes
    ----------
    check : str
        Name of the check that failed, e.g. ``"check_monotone"``.
    law : str
        The law in words, e.g. ``"x >= y draw by draw implies score(x) >= score(y)"``.
    subject : str
        ``repr`` of the objective or rule.
    inputs : dict of str to Any
        Everything needed to recompute the violation: draw arrays of shape
        ``(n_samples,)`` or ``(n_samples, n_replicates)``, constants, the table.
    scores : dict of str to Any
        What the subject returned on the inputs (scores or chosen actions).
    expected : str
        The relation that should have held.
    tol : float or None
        The tolerance the comparison allowed (``None`` for exact comparisons).
    """

    check: str
    law: str
    subject: str
    inputs: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)
    expected: str = ""
    tol: float | None = None

    def __str__(self) -> str:
        lines = [f"{self.check}: {self.subject} violates the law: {self.law}"]
        lines += [f"  {k} = {short(v)}" for k, v in self.inputs.items()]
        lines += [f"  {k} = {short(v)}" for k, v in self.scores.items()]
        if self.expected:
            tol = "" if self.tol is None else f" (tol = {self.tol:.3g})"
            lines.append(f"  expected {self.expected}{tol}, which is false")
        nums = [float(v) for v in self.scores.values()
                if isinstance(v, float | int | np.floating) and not isinstance(v, bool)]
        if len(nums) == 2 and self.check in _DIRECT:
            gap = ulps_apart(*nums)
            if gap <= 8:
                lines.append(f"  note: two scores are {gap:.0f} ulp apart: a floating-point "
                             "tie, not necessarily a real violation (raise atol to allow it)")
        return "\n".join(lines)


class PropertyViolation(AssertionError):
    """Raised by a check: an ``AssertionError`` carrying the :class:`Counterexample`.

    Attributes
    ----------
    counterexample : Counterexample
        The inputs, the scores and the law violated (``str(exc)`` shows them).
    """

    def __init__(self, counterexample: Counterexample):
        super().__init__(str(counterexample))
        self.counterexample = counterexample


def tolerance(rtol: float, atol: float, *values: Any) -> float:
    """``rtol * s + atol`` with ``s`` the largest absolute value among ``values``.

    ``values`` are the draws, constants and scores of one comparison, so the
    tolerance scales with the magnitude of the problem.
    """
    s = 0.0
    for v in values:
        a = np.abs(np.asarray(v, dtype=np.float64))
        if a.size:
            m = float(np.max(a))
            if np.isfinite(m):
                s = max(s, m)
    return rtol * s + atol


def score(objective: Callable[..., Any], x: np.ndarray, w: Any = None) -> float:
    """``float(objective(x))`` (or ``objective(x, weights=w)``) on copies.

    A subject may not change the caller's draws or weights.
    """
    xc = np.array(x, dtype=np.float64, copy=True)
    if w is None:
        return float(objective(xc))
    return float(objective(xc, weights=np.array(w, dtype=np.float64, copy=True)))


def accepts_weights(objective: Any) -> bool:
    """Whether ``objective`` takes per-sample ``weights``.

    True for an ``Objective``, or a callable with a ``weights=`` keyword.
    """
    import inspect

    from decide.measures import Objective

    if isinstance(objective, Objective):
        return True
    try:
        params = inspect.signature(objective).parameters
    except (TypeError, ValueError):
        return False
    p = params.get("weights")
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def ulps_apart(a: float, b: float) -> float:
    """How many representable doubles lie between ``a`` and ``b`` (inf if not finite)."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return float("inf")
    if a == b:
        return 0.0
    return float(abs(a - b) / np.spacing(max(abs(a), abs(b))))


def as_pair(x: Any, y: Any, names: tuple[str, str] = ("x", "y")) -> tuple[np.ndarray, np.ndarray]:
    """Two draw arrays of the same shape (paired by posterior sample)."""
    a = as_draws(x, names[0])
    b = as_draws(y, names[1])
    if a.shape != b.shape:
        raise DecideValueError(
            f"{names[0]} and {names[1]} must have the same shape (draws paired by posterior "
            f"sample); got {a.shape} and {b.shape}."
        )
    return a, b


def check_tols(rtol: float, atol: float) -> tuple[float, float]:
    """Validate the tolerances."""
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, int | float) and np.isfinite(v) and v >= 0):
            raise DecideValueError(f"{name} must be a finite number >= 0; got {v!r}.")
    return float(rtol), float(atol)


def hypothesis_settings(max_examples: int | None, settings: Any) -> Any:
    """Settings of a check's hypothesis run, see :func:`decide.testing._settings.check_settings`."""
    from decide.testing._settings import check_settings

    return check_settings(max_examples, settings)


def run_given(
    body: Callable[..., None],
    strategies: Mapping[str, Any],
    max_examples: int | None,
    settings: Any,
) -> None:
    """Run ``body(**example)`` under ``@given(**strategies)``.

    ``DecideValueError`` raised by the subject (inputs outside its domain)
    rejects the example instead of failing; a subject that rejects every
    example makes hypothesis fail its health check, so nothing is hidden.
    The shrunk failure is then shrunk along the sample axis (fewest draws
    first) and its values simplified (see :mod:`decide.testing._shrink`), and
    raised as a fresh
    :class:`PropertyViolation`, without hypothesis's frames.
    """
    __tracebackhide__ = True
    from hypothesis import given, reject

    from decide.testing._settings import no_module_constants

    failing: dict[str, Any] = {}

    def inner(**kwargs: Any) -> None:
        try:
            body(**kwargs)
        except DecideValueError:
            reject()
        except PropertyViolation:
            failing.clear()
            failing.update(kwargs)
            raise

    test = given(**strategies)(inner)
    found: PropertyViolation | None = None
    with no_module_constants():
        try:
            hypothesis_settings(max_examples, settings)(test)()
        except PropertyViolation as exc:
            found = exc
        except BaseExceptionGroup as group:
            # a subject that fails only sometimes (e.g. unseeded randomness) makes hypothesis
            # report a flaky failure; the violation it saw is the answer
            found = _first_violation(group)
            if found is None:
                raise
    if found is None:
        return
    if failing:
        from decide.testing._shrink import shrink

        found = shrink(body, failing, found)
    raise PropertyViolation(found.counterexample) from None


def _first_violation(group: BaseExceptionGroup) -> PropertyViolation | None:
    for exc in group.exceptions:
        if isinstance(exc, PropertyViolation):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            inner = _first_violation(exc)
            if inner is not None:
                return inner
    return None
