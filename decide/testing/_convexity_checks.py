"""Checks of the convexity laws of objectives: subadditivity and concavity.

See :mod:`decide.testing._checks` for the two forms (plain and search) every
check has. Outcomes are rewards (higher is better); draw arrays put the sample
axis first, ``(n_samples,)`` or ``(n_samples, n_replicates)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide._validation import check_finite_scalar
from decide.errors import DecideValueError
from decide.testing import _laws
from decide.testing._checks import Objective, Strategy, _pairs, _two_forms, with_weights
from decide.testing._violation import ATOL, RTOL, as_pair, check_tols, run_given

__all__ = ["check_concave", "check_subadditive"]


def _partners(xa: np.ndarray, y: Any) -> list[np.ndarray]:
    """Second arguments of a two-argument law: ``y``, or without it ``xa``, reversed and rolled."""
    if y is None:
        return [xa.copy(), xa[::-1].copy(), np.roll(xa, 1, axis=0)]
    return [as_pair(xa, y)[1]]


def check_subadditive(
    objective: Objective,
    x: Any = None,
    y: Any = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check subadditivity of risk on the reward scale: ``score(x + y) >= score(x) + score(y)``.

    Diversification never lowers the score (a score is superadditive exactly
    when the risk ``-score`` is subadditive).

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x, y : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws paired by posterior sample. Without ``y``: ``y = x``,
        ``x`` reversed and ``x`` rolled by one sample. Without ``x`` the check
        searches with hypothesis.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With both draws and the three scores on ``exc.counterexample``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_subadditive
    >>> check_subadditive(np.min, np.array([1.0, -3.0]), np.array([0.0, 2.0]))
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        run_given(lambda xyw: _laws.subadditive(objective, xyw[0][0], xyw[0][1], rtol, atol, xyw[1]),
                  {"xyw": with_weights(objective, _pairs(base))}, max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        for yy in _partners(xa, y):
            _laws.subadditive(objective, xa, yy, rtol, atol)

    _two_forms(x, y, strategy, search, plain)


def check_concave(
    objective: Objective,
    x: Any = None,
    y: Any = None,
    lam: float | None = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check ``score(l x + (1 - l) y) >= l score(x) + (1 - l) score(y)``.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x, y : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws paired by posterior sample; ``y`` defaults as in
        :func:`check_subadditive`. Without ``x`` the check searches.
    lam : float in [0, 1], optional
        The mixing weight ``l``; by default 0.25, 0.5 and 0.75.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With both draws, ``l`` and the three scores on ``exc.counterexample``.
    DecideValueError
        If ``lam`` is outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_concave
    >>> check_concave(np.mean, np.array([1.0, -3.0]), np.array([0.0, 2.0]), lam=0.3)
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        run_given(lambda xyw, lam: _laws.concave(objective, xyw[0][0], xyw[0][1], lam, rtol, atol, xyw[1]),
                  {"xyw": with_weights(objective, _pairs(base)), "lam": st.floats(0.0, 1.0)},
                  max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        if lam is not None:
            lam_f = check_finite_scalar(lam, "lam")
            if not 0.0 <= lam_f <= 1.0:
                raise DecideValueError(f"lam must be in [0, 1]; got {lam!r}.")
        lams = [0.25, 0.5, 0.75] if lam is None else [lam_f]
        for yy in _partners(xa, y):
            for lm in lams:
                _laws.concave(objective, xa, yy, lm, rtol, atol)

    _two_forms(x, y, strategy, search, plain, lam=lam)
