"""Checks of the order laws of objectives: law invariance and second-order dominance.

See :mod:`decide.testing._checks` for the two forms (plain and search) every
check has. Outcomes are rewards (higher is better); draw arrays put the sample
axis first, ``(n_samples,)`` or ``(n_samples, n_replicates)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from decide.errors import DecideValueError
from decide.testing import _laws
from decide.testing._checks import Objective, Strategy, _two_forms, with_weights
from decide.testing._strategies import _group_means
from decide.testing._violation import ATOL, RTOL, as_pair, check_tols, run_given

__all__ = ["check_law_invariant", "check_ssd_consistent"]


@st.composite
def _ssd_pairs(draw: Any, base: Strategy, objective: Any) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                    Any]:
    """``((x, y), w)`` with ``x >=_SSD y`` under the weights ``w`` (``None``: equal weights).

    ``x`` averages groups of ``y`` (weighted means) then adds a shift >= 0.
    """
    y, w = draw(with_weights(objective, base))
    m = y.size
    if m > 256:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        groups = rng.integers(0, m, size=y.shape)
    else:
        groups = draw(hnp.arrays(np.int64, y.shape, elements=st.integers(0, max(m - 1, 0))))
    per_value = None
    if w is not None:
        per_value = np.broadcast_to(
            (np.asarray(w) / y[0].size).reshape((-1,) + (1,) * (y.ndim - 1)), y.shape)
    x = _group_means(y, groups, per_value)
    if m > 256:
        frac = rng.uniform(0.0, 1.0, size=y.shape) * draw(st.sampled_from([0.0, 1.0]))
    else:
        frac = draw(hnp.arrays(np.float64, y.shape, elements=st.floats(0.0, 1.0)))
    spread = float(np.ptp(y)) if m > 1 else 0.0
    x = x + frac * max(spread, 1e-3 * max(1.0, float(np.max(np.abs(y)))))
    return (x, y), w


def _spreads(x: np.ndarray) -> list[np.ndarray]:
    """Arrays that dominate ``x`` in SSD: its mean, and neighbours in sort order averaged."""
    flat = x.reshape(-1)
    groups = np.empty(flat.size, dtype=np.int64)
    groups[np.argsort(flat, kind="stable")] = np.arange(flat.size) // 2
    return [np.full(x.shape, flat.mean()), _group_means(x, groups.reshape(x.shape))]


def check_law_invariant(
    objective: Objective,
    x: Any = None,
    perm: Any = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check that permuting the posterior samples leaves the score unchanged.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws; without them the check searches with hypothesis.
    perm : array_like of int of shape (n_samples,), optional
        A permutation of the sample axis; by default the reversal, a roll by
        one and a permutation drawn with seed 0.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the draws, the permuted draws and both scores.
    DecideValueError
        If ``perm`` is not a permutation of ``range(n_samples)``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_law_invariant
    >>> check_law_invariant(np.median, np.array([1.0, -3.0, 4.0]))
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        @st.composite
        def with_perm(draw: Any) -> tuple[np.ndarray, np.ndarray, Any]:
            xa, w = draw(with_weights(objective, base))
            n = xa.shape[0]
            if n > 256:
                perm = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).permutation(n)
            else:
                perm = np.asarray(draw(st.permutations(range(n))), dtype=np.int64)
            return xa, perm, w

        run_given(lambda xp: _laws.law_invariance(objective, xp[0], xp[1], rtol, atol, xp[2]),
                  {"xp": with_perm()}, max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        n = xa.shape[0]
        if perm is None:
            perms = [np.arange(n)[::-1], np.roll(np.arange(n), 1),
                     np.random.default_rng(0).permutation(n)]
        else:
            p = np.asarray(perm)
            if p.shape != (n,) or not np.array_equal(np.sort(p), np.arange(n)):
                raise DecideValueError(
                    f"perm must be a permutation of range({n}) (one index per sample); got "
                    f"{perm!r}."
                )
            perms = [p.astype(np.int64)]
        for p in perms:
            _laws.law_invariance(objective, xa, p, rtol, atol)

    _two_forms(x, None, strategy, search, plain, perm=perm)


def check_ssd_consistent(
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
    """Check consistency with second-order stochastic dominance (SSD).

    If ``x`` dominates ``y`` in SSD (every risk-averse expected utility
    prefers ``x``) then ``score(x) >= score(y)``; in particular a score never
    prefers a mean-preserving spread.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        The dominating draws. Given alone, ``x`` is taken as the *dominated*
        draws and compared with arrays that dominate it: its mean (a
        constant), and its draws averaged by neighbouring pairs in sort order.
    y : array_like of the same shape, optional
        The dominated draws.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With both draws and both scores on ``exc.counterexample``.
    DecideValueError
        If ``x`` does not dominate ``y`` in SSD.

    Notes
    -----
    For ``m`` equally weighted draws, ``x >=_SSD y`` iff
    ``sum_{i<=k} x_(i) >= sum_{i<=k} y_(i)`` for every ``k`` (sorted draws).
    The search builds ``x`` from a generated ``y`` by averaging random groups
    of its draws (a mean-preserving contraction) and adding a non-negative
    shift, which gives every SSD pair in the limit.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_ssd_consistent
    >>> check_ssd_consistent(np.min, np.array([0.0, 0.0]), np.array([-1.0, 1.0]))
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        run_given(lambda xyw: _laws.ssd(objective, xyw[0][0], xyw[0][1], rtol, atol, xyw[1], verify=True),
                  {"xyw": _ssd_pairs(base, objective)}, max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        if y is None:
            for dom in _spreads(xa):
                _laws.ssd(objective, dom, xa, rtol, atol)
            return
        xa, ya = as_pair(xa, y)
        if not _laws.ssd_dominates(xa, ya):
            raise DecideValueError(
                "check_ssd_consistent needs x to dominate y in second-order stochastic "
                "dominance (partial sums of the sorted draws of x >= those of y); it does not. "
                "Swap x and y or pass only the dominated draws as x."
            )
        _laws.ssd(objective, xa, ya, rtol, atol)

    _two_forms(x, y, strategy, search, plain)
