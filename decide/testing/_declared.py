"""Checks of the conventions every objective shares, and of every law it declares.

The conventions are pooled replicates and sample weights; ``check_declared``
runs them and every declared law in one call.

Outcomes are rewards (higher is better); draw arrays put the sample axis first,
``(n_samples,)`` or ``(n_samples, n_replicates)``; weights have shape ``(n_samples,)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide._validation import as_draws, as_weights
from decide.errors import DecideTypeError, DecideValueError
from decide.testing import _laws
from decide.testing._checks import Objective, Strategy, default_draws, with_weights
from decide.testing._strategies import draws, sample_weights
from decide.testing._violation import ATOL, RTOL, accepts_weights, check_tols, run_given

__all__ = ["check_declared", "check_pooled", "check_weights"]


def _replicated() -> Strategy:
    return draws(n_samples=st.integers(1, 64), n_replicates=st.integers(2, 4))


def check_pooled(
    objective: Objective,
    x: Any = None,
    weights: Any = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check that replicates are pooled with the samples.

    The library's convention: draws of shape ``(n, r)`` are one predictive
    distribution of ``n * r`` values, each replicate carrying ``1 / r`` of its
    sample's weight, so ``score(x) == score(x.reshape(-1))`` and
    ``score(x, w) == score(x.reshape(-1), np.repeat(w / r, r))``.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float`` (or ``objective(draws, weights=w)``).
    x : array_like of shape (n_samples, n_replicates), optional
        Outcome draws; without them the check searches over draws with 2 to 4
        replicates per sample (and weights, when the objective takes them).
    weights : array_like of shape (n_samples,), optional
        Sample weights for the plain form.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the draws, the pooled draws and both scores.
    DecideValueError
        If ``x`` is not two-dimensional.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_pooled
    >>> check_pooled(lambda d: float(np.min(d)), np.array([[1.0, -2.0], [0.5, 3.0]]))
    >>> def mean_of_sample_minima(d):   # pools nothing: a minimum per sample, then a mean
    ...     return float(np.mean(np.min(np.atleast_2d(d.T).T, axis=1)))
    >>> check_pooled(mean_of_sample_minima, max_examples=30)
    Traceback (most recent call last):
    ...
    decide.testing._violation.PropertyViolation: check_pooled: ...
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)
    if x is None:
        if weights is not None:
            raise DecideValueError("x must be given when weights is given; got x=None.")
        base = _replicated() if strategy is None else strategy
        run_given(lambda xw: _laws.pooled(objective, xw[0], rtol, atol, xw[1]),
                  {"xw": with_weights(objective, base)}, max_examples, settings)
        return
    if strategy is not None:
        raise DecideValueError("strategy is used only when no draws are given; got both.")
    xa = as_draws(x, "x")
    if xa.ndim != 2:
        raise DecideValueError(
            f"x must have shape (n_samples, n_replicates) for check_pooled; got shape {xa.shape}."
        )
    w = None if weights is None else as_weights(weights, xa.shape[0])
    _laws.pooled(objective, xa, rtol, atol, w)


def check_weights(
    objective: Objective,
    x: Any = None,
    weights: Any = None,
    *,
    repeat: bool = True,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check that sample weights act as probabilities of the samples.

    Three laws: ``score(x, 3 w) == score(x, w)`` (weights are normalized),
    ``score(x, equal weights) == score(x)``, and, with ``repeat=True`` and
    integer weights ``k``, ``score(x, k) == score(np.repeat(x, k, axis=0))``
    (a weight-2 sample counts as two samples; this one assumes the score is
    law invariant).

    Parameters
    ----------
    objective : callable
        ``objective(draws, weights=w) -> float``: an
        :class:`decide.measures.Objective` or a function with a ``weights``
        keyword.
    x : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws; without them the check searches over draws and
        :func:`sample_weights`.
    weights : array_like of shape (n_samples,), optional
        Non-negative weights for the plain form; default ``1, 2, 3, 1, 2, 3, ...``.
    repeat : bool, default True
        Also compare integer weights with repeated samples (law-invariant scores).
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the draws, the weights and both scores.
    DecideTypeError
        If ``objective`` takes no weights.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR
    >>> from decide.testing import check_weights
    >>> check_weights(CVaR(0.2), np.array([3.0, -1.0, 2.0]), [1.0, 2.0, 1.0])
    >>> def unnormalized(d, weights=None):   # forgets to divide by the total weight
    ...     return float(np.mean(d) if weights is None else np.sum(weights * d))
    >>> check_weights(unnormalized, max_examples=30)
    Traceback (most recent call last):
    ...
    decide.testing._violation.PropertyViolation: check_weights: ...
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)
    if not accepts_weights(objective):
        raise DecideTypeError(
            f"objective must take weights (an Objective or a function with a weights= keyword) "
            f"for check_weights; got {objective!r}."
        )
    rep = bool(repeat)
    if x is None:
        if weights is not None:
            raise DecideValueError("x must be given when weights is given; got x=None.")
        base = default_draws() if strategy is None else strategy

        @st.composite
        def pairs(draw: Any) -> tuple[np.ndarray, np.ndarray]:
            xa = draw(base)
            return xa, draw(sample_weights(int(xa.shape[0])))

        run_given(lambda xw: _laws.weights(objective, xw[0], xw[1], rtol, atol, rep),
                  {"xw": pairs()}, max_examples, settings)
        return
    if strategy is not None:
        raise DecideValueError("strategy is used only when no draws are given; got both.")
    xa = as_draws(x, "x")
    n = xa.shape[0]
    w = np.arange(n) % 3 + 1.0 if weights is None else np.asarray(weights, dtype=np.float64)
    as_weights(w, n)  # validates
    _laws.weights(objective, xa, w, rtol, atol, rep)


def check_declared(
    objective: Objective,
    *,
    laws: Iterable[str] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Search every law an objective declares, and the conventions all objectives share.

    For an :class:`decide.measures.Objective` (yours or a built-in) the laws
    are its ``properties``, plus :func:`check_pooled` and
    :func:`check_weights` (integer weights against repeated samples only when
    it declares ``law_invariant``). ``coherent`` adds subadditivity to its
    parts. Each law runs its own search with the same ``strategy``,
    ``max_examples`` and ``settings``; the first violation is raised.

    Parameters
    ----------
    objective : Objective or callable
        The score to check.
    laws : iterable of str, optional
        Names of :class:`decide.measures.Property` values (and ``"pooled"``,
        ``"weights"``) to check instead of the declared ones; required for a
        plain function.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`; ``strategy`` (draws in the objective's
        domain) is used by every law.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        From the first law that fails; ``exc.counterexample.check`` names it.
    DecideValueError
        If a law name is unknown, or a plain function is given without ``laws``.

    Examples
    --------
    >>> from decide.measures import CVaR
    >>> from decide.testing import check_declared
    >>> sorted(CVaR(0.1).properties)[:3]
    [<Property.COHERENT: 'coherent'>, <Property.CONCAVE: 'concave'>, <Property.LAW_INVARIANT: 'law_invariant'>]
    >>> check_declared(CVaR(0.1), max_examples=20)
    """
    __tracebackhide__ = True
    from decide.measures import Objective as ObjectiveBase
    from decide.testing._catalog import CHECKS
    from decide.testing._convexity_checks import check_subadditive

    if laws is None:
        if not isinstance(objective, ObjectiveBase):
            raise DecideValueError(
                "laws must be given for a plain function (it declares none), e.g. "
                f"laws=['monotone', 'concave']; got laws=None for {objective!r}."
            )
        names = [str(p) for p in objective.properties] + ["pooled", "weights"]
    else:
        names = [str(getattr(law, "value", law)) for law in laws]
    known = {*CHECKS, "pooled", "weights"}
    bad = [n for n in names if n not in known]
    if bad:
        raise DecideValueError(f"laws must be among {sorted(known)}; got {bad}.")
    kw: dict[str, Any] = {"rtol": rtol, "atol": atol, "strategy": strategy,
                          "max_examples": max_examples, "settings": settings}
    order = ["pooled", "weights", *CHECKS]
    for name in sorted(set(names), key=order.index):
        if name == "coherent":
            check_subadditive(objective, **kw)
        elif name == "pooled":
            check_pooled(objective, **kw)
        elif name == "weights":
            if accepts_weights(objective):
                check_weights(objective, repeat="law_invariant" in names, **kw)
        else:
            CHECKS[name](objective, **kw)
