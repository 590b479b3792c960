"""Property checks for objectives (scores of outcome draws, higher is better).

Each check has two forms:

* **plain**: given draws, it evaluates the law on them (and on a few inputs
  derived from them when some are omitted) and raises
  :class:`PropertyViolation` on failure. Deterministic; use it inside your own
  tests, including your own ``@given`` tests.
* **search**: called with the objective only, it runs hypothesis internally
  (``@given`` over :func:`decide.testing.draws`, or over ``strategy``) and
  raises the shrunk :class:`PropertyViolation`.

Outcomes are rewards, risk lives in the lower tail; draw arrays put the sample
axis first, ``(n_samples,)`` or ``(n_samples, n_replicates)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide._validation import as_draws, check_finite_scalar
from decide.errors import DecideValueError
from decide.testing import _laws
from decide.testing._strategies import draws, sample_sizes, sample_weights
from decide.testing._violation import ATOL, RTOL, accepts_weights, as_pair, check_tols, run_given

__all__ = [
    "check_coherent",
    "check_monotone",
    "check_positive_homogeneous",
    "check_translation_invariant",
]

Objective = Callable[[np.ndarray], Any]
Strategy = st.SearchStrategy[np.ndarray]


def _base(strategy: Strategy | None, plain: bool) -> Strategy:
    if strategy is not None and plain:
        raise DecideValueError(
            "strategy is used only when no draws are given (search form); got both draws and a "
            "strategy. Drop one of them."
        )
    return default_draws() if strategy is None else strategy


def default_draws() -> Strategy:
    """The draws every search uses by default.

    One-dimensional draws of :func:`sample_sizes` (1 to 4096 samples, biased
    towards the sizes where blocked code starts) or, second, draws with 2 to 4
    replicates per sample (pooled by the objective).
    """
    return st.one_of(
        draws(n_samples=sample_sizes()),
        draws(n_samples=st.integers(1, 64), n_replicates=st.integers(2, 4)),
    )


@st.composite
def with_weights(draw: Any, objective: Any, inner: st.SearchStrategy[Any]) -> tuple[Any, Any]:
    """``(example, w)``: an example of ``inner`` and, maybe, sample weights.

    When ``objective`` takes weights, ``w`` is ``None`` or weights of
    :func:`sample_weights` for the example's samples; otherwise always ``None``.
    """
    ex = draw(inner)
    if not accepts_weights(objective):
        return ex, None
    first = ex[0] if isinstance(ex, tuple) else ex
    return ex, draw(st.none() | sample_weights(int(first.shape[0])))


@st.composite
def _pairs(draw: Any, base: Strategy) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of the same shape from ``base`` (the second resized to the first)."""
    x = draw(base)
    y = np.resize(draw(base), x.shape).astype(np.float64)
    return x, y


def _two_forms(
    x: Any,
    y: Any,
    strategy: Strategy | None,
    search: Callable[[Strategy], None],
    plain: Callable[[np.ndarray], None],
    **constants: Any,
) -> None:
    """Run a check in its search form (neither ``x`` nor ``y`` given) or its plain form.

    ``search(base)`` runs the hypothesis search over the draws strategy
    ``base``; ``plain(xa)`` evaluates the law on the validated draws ``xa``
    (``y``, when the check takes it, is validated by ``plain``).
    ``constants`` are the check's arguments that only the plain form takes
    (``c``, ``t``, ``lam``, ``perm``): none may be given without ``x``.
    """
    if x is None and y is None:
        for name, value in constants.items():
            if value is not None:
                raise DecideValueError(f"x must be given when {name} is given; got x=None.")
        search(_base(strategy, plain=False))
        return
    _base(strategy, plain=True)
    if x is None:
        raise DecideValueError("x must be given when y is given; got x=None.")
    plain(as_draws(x, "x"))


def check_monotone(
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
    """Check ``x >= y`` draw by draw implies ``score(x) >= score(y)``.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize (any
        :class:`decide.measures.Objective` or a plain function).
    x, y : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws (rewards) paired by index with ``x >= y`` everywhere.
        Without ``y`` the check compares ``x`` with ``min(x) + (x - min(x)) / 2``
        and with the constant ``min(x)``. Without ``x`` the check searches
        with hypothesis.
    rtol, atol : float, default 1e-6 and 1e-9
        A comparison passes within ``tol = rtol * s + atol``, where ``s`` is the
        largest absolute value among the draws and the scores compared.
    strategy : hypothesis strategy of ndarray, optional
        Draws for the search. The default mixes 1-d draws of 1 to 4096
        samples (:func:`sample_sizes`: tiny, small, around the widths where
        blocked code starts, large) and draws with 2 to 4 replicates per
        sample. Narrow it to the objective's domain, e.g.
        ``draws(min_value=0.01)``. When the objective takes ``weights`` (an
        :class:`decide.measures.Objective`, or a ``weights=`` keyword), the
        search also passes ``None`` or :func:`sample_weights` to every score.
    max_examples : int, optional
        Examples to try in the search; wins over ``settings`` and the active
        hypothesis profile (default 100).
    settings : hypothesis.settings, optional
        Settings of the search, merged setting by setting over the check's
        defaults (``derandomize=True``: the same examples on every run; no
        database; no deadline) and the active hypothesis profile: see
        ``docs/testing.md``.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        An ``AssertionError`` whose message shows the draws, the two scores and
        the law; ``exc.counterexample`` holds them.
    DecideValueError
        If ``x >= y`` does not hold draw by draw, or the shapes differ.

    Notes
    -----
    In the search, pairs are ``(max(a, b), min(a, b))`` of two generated
    arrays; draws on which the objective raises ``DecideValueError`` (outside
    its domain) are rejected. Do not call the search form inside your own
    ``@given`` test: pass the draws instead.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_monotone
    >>> check_monotone(np.mean, np.array([1.0, 2.0]), np.array([0.0, 2.0]))
    >>> check_monotone(np.mean, max_examples=20)
    >>> check_monotone(lambda d: -np.var(d), np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    Traceback (most recent call last):
    ...
    decide.testing._violation.PropertyViolation: check_monotone: ...
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        def body(xyw: tuple[tuple[np.ndarray, np.ndarray], Any]) -> None:
            __tracebackhide__ = True
            (a, b), w = xyw
            _laws.monotone(objective, np.maximum(a, b), np.minimum(a, b), rtol, atol, w)

        run_given(body, {"xyw": with_weights(objective, _pairs(base))}, max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        if y is None:
            lo = float(xa.min())
            ys = [lo + (xa - lo) / 2.0, np.full(xa.shape, lo)]
        else:
            xa, ya = as_pair(xa, y)
            if np.any(xa < ya):
                i = tuple(int(k) for k in np.argwhere(xa < ya)[0])
                raise DecideValueError(
                    f"check_monotone needs x >= y draw by draw; got x{list(i)} = {xa[i]} < "
                    f"y{list(i)} = {ya[i]}. Pass (np.maximum(x, y), np.minimum(x, y))."
                )
            ys = [ya]
        for yy in ys:
            _laws.monotone(objective, xa, yy, rtol, atol)

    _two_forms(x, y, strategy, search, plain)


def check_translation_invariant(
    objective: Objective,
    x: Any = None,
    c: float | None = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check cash additivity: ``score(x + c) = score(x) + c``.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws; without them the check searches with hypothesis.
    c : float, optional
        The constant; by default ``-s``, ``s / 2`` and ``s`` with
        ``s = max(1, max |x|)``. In the search, ``c`` is in [-100, 100].
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the draws, ``c`` and both scores on ``exc.counterexample``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_translation_invariant
    >>> check_translation_invariant(np.mean, np.array([1.0, -3.0, 2.5]), c=4.0)
    >>> check_translation_invariant(np.mean, max_examples=20)
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        run_given(lambda xw, c: _laws.translation(objective, xw[0], c, rtol, atol, xw[1]),
                  {"xw": with_weights(objective, base),
                   "c": st.floats(-100.0, 100.0, allow_subnormal=False)},
                  max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        s = max(1.0, float(np.max(np.abs(xa))))
        cs = [-s, s / 2.0, s] if c is None else [check_finite_scalar(c, "c")]
        for cc in cs:
            _laws.translation(objective, xa, cc, rtol, atol)

    _two_forms(x, None, strategy, search, plain, c=c)


def check_positive_homogeneous(
    objective: Objective,
    x: Any = None,
    t: float | None = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    strategy: Strategy | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check ``score(t * x) = t * score(x)`` for ``t > 0``.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws; without them the check searches with hypothesis.
    t : float, optional
        The positive factor; by default 0.5, 2 and 10. In the search, ``t`` is
        in [0.1, 10].
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the draws, ``t`` and both scores on ``exc.counterexample``.
    DecideValueError
        If ``t <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_positive_homogeneous
    >>> check_positive_homogeneous(np.min, np.array([1.0, -3.0]), t=3.0)
    """
    __tracebackhide__ = True
    rtol, atol = check_tols(rtol, atol)

    def search(base: Strategy) -> None:

        __tracebackhide__ = True
        run_given(lambda xw, t: _laws.homogeneity(objective, xw[0], t, rtol, atol, xw[1]),
                  {"xw": with_weights(objective, base), "t": st.floats(0.1, 10.0)},
                  max_examples, settings)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        if t is not None and not check_finite_scalar(t, "t") > 0:
            raise DecideValueError(f"t must be > 0; got {t!r}.")
        ts = [0.5, 2.0, 10.0] if t is None else [float(t)]
        for tt in ts:
            _laws.homogeneity(objective, xa, tt, rtol, atol)

    _two_forms(x, None, strategy, search, plain, t=t)


def check_coherent(
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
    """Check the four axioms of a coherent measure on the reward scale.

    Monotone, translation invariant (cash additive), positively homogeneous
    and subadditive (``score(x + y) >= score(x) + score(y)``), after Artzner
    et al. (1999); the first failing axiom is reported.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.
    x, y : array_like of shape (n_samples,) or (n_samples, n_replicates), optional
        Outcome draws. Monotonicity uses ``(max(x, y), min(x, y))`` (or the
        defaults of :func:`check_monotone` without ``y``), translation and
        homogeneity use ``x``, subadditivity ``(x, y)``. Without draws each
        axiom is searched with hypothesis.
    rtol, atol, strategy, max_examples, settings
        See :func:`check_monotone`; ``max_examples`` applies to each axiom.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        From the first axiom that fails.

    References
    ----------
    Artzner, P., Delbaen, F., Eber, J.-M. and Heath, D. (1999). Coherent
    measures of risk. Mathematical Finance 9(3), 203-228.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_coherent
    >>> check_coherent(np.min, np.array([1.0, -3.0]), np.array([0.0, 2.0]))
    """
    __tracebackhide__ = True
    from decide.testing._convexity_checks import check_subadditive

    kw: dict[str, Any] = {"rtol": rtol, "atol": atol}

    def search(_: Strategy) -> None:

        __tracebackhide__ = True
        # each axiom runs its own search, over ``strategy`` or its default
        skw = kw | {"strategy": strategy, "max_examples": max_examples, "settings": settings}
        check_monotone(objective, **skw)
        check_translation_invariant(objective, **skw)
        check_positive_homogeneous(objective, **skw)
        check_subadditive(objective, **skw)

    def plain(xa: np.ndarray) -> None:

        __tracebackhide__ = True
        if y is None:
            check_monotone(objective, xa, **kw)
        else:
            xa, ya = as_pair(xa, y)
            check_monotone(objective, np.maximum(xa, ya), np.minimum(xa, ya), **kw)
        check_translation_invariant(objective, xa, **kw)
        check_positive_homogeneous(objective, xa, **kw)
        check_subadditive(objective, xa, None if y is None else ya, **kw)

    _two_forms(x, y, strategy, search, plain)
