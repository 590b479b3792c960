"""The failure a check raises, its counterexample, tolerances and the hypothesis runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decide._validation import as_draws
from decide.errors import DecideTypeError, DecideValueError

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


def score(objective: Callable[[np.ndarray], Any], x: np.ndarray) -> float:
    """``float(objective(x))`` on a copy (a subject may not change the caller's draws)."""
    return float(objective(np.array(x, dtype=np.float64, copy=True)))


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
    """Settings of a check's hypothesis run.

    Defaults: ``max_examples=100``, ``derandomize=True`` (the same examples on
    every run, so a check inside a test suite is reproducible), no example
    database, no deadline, one bug reported. A ``settings`` object given by the
    caller is the parent; ``max_examples`` overrides it when given.
    """
    from hypothesis import HealthCheck
    from hypothesis import settings as hsettings

    if settings is not None and not isinstance(settings, hsettings):
        raise DecideTypeError(
            f"settings must be a hypothesis.settings object or None; got {type(settings).__name__}."
        )
    if max_examples is not None and (isinstance(max_examples, bool) or int(max_examples) < 1):
        raise DecideValueError(f"max_examples must be an int >= 1; got {max_examples!r}.")
    if settings is None:
        settings = hsettings(
            max_examples=100,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                   HealthCheck.data_too_large],
        )
    kwargs: dict[str, Any] = {"report_multiple_bugs": False}
    if max_examples is not None:
        kwargs["max_examples"] = int(max_examples)
    return hsettings(settings, **kwargs)


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
    """
    from hypothesis import given, reject

    def inner(**kwargs: Any) -> None:
        try:
            body(**kwargs)
        except DecideValueError:
            reject()

    test = given(**strategies)(inner)
    try:
        hypothesis_settings(max_examples, settings)(test)()
    except BaseExceptionGroup as group:
        # a subject that fails only sometimes (e.g. unseeded randomness) makes hypothesis
        # report a flaky failure; the violation it saw is the answer
        found = _first_violation(group)
        if found is None:
            raise
        raise found from group


def _first_violation(group: BaseExceptionGroup) -> PropertyViolation | None:
    for exc in group.exceptions:
        if isinstance(exc, PropertyViolation):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            inner = _first_violation(exc)
            if inner is not None:
                return inner
    return None
