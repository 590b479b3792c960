"""Hypothesis strategies for outcome draws and tables of outcome draws per action.

Outcomes are rewards (higher is better); risk lives in the lower tail. Draw
arrays put the sample axis first: ``(n_samples,)`` or ``(n_samples, n_replicates)``.

Every strategy builds its arrays from hypothesis primitives (no hidden random
seed), so failing examples shrink towards short, simple arrays: fewer samples,
values towards the centre of the range, fewer distinct values.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from decide.errors import DecideTypeError, DecideValueError

__all__ = ["DISTRIBUTIONS", "draws", "outcome_tables", "sample_sizes", "sample_weights"]

#: Families that :func:`draws` can generate (``"any"`` mixes all of them).
DISTRIBUTIONS: tuple[str, ...] = (
    "uniform",
    "normal",
    "heavy_tailed",
    "skewed",
    "bimodal",
    "discrete",
    "constant",
    "near_tied",
)
_TIED = ("discrete", "constant", "near_tied")
#: Above this many values an array is generated from one drawn seed (numpy), not value by value.
_BULK = 256
#: Sizes around the block and vector widths where blocked or vectorized code paths start.
_EDGE_SIZES = (63, 64, 65, 100, 127, 128, 129, 255, 256)
_LARGE_SIZES = (257, 500, 512, 1000, 1023, 1024, 1025, 2048, 4096)

IntLike = int | st.SearchStrategy[int]


def _int_strategy(value: IntLike | None, name: str, low: int) -> st.SearchStrategy[int] | None:
    if value is None or isinstance(value, st.SearchStrategy):
        return value
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise DecideTypeError(
            f"{name} must be an int or a hypothesis strategy of ints; got {type(value).__name__}."
        )
    if value < low:
        raise DecideValueError(f"{name} must be >= {low}; got {value}.")
    return st.just(int(value))


def _check_bounds(min_value: float, max_value: float) -> tuple[float, float]:
    lo, hi = float(min_value), float(max_value)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise DecideValueError(
            "min_value and max_value must be finite with min_value < max_value; "
            f"got min_value={min_value!r}, max_value={max_value!r}."
        )
    return lo, hi


def _standard(dist: str, u: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Map base values ``u`` in [-1, 1] to a standardized draw of family ``dist``.

    ``u = 0`` maps to 0 for every family, so shrinking ``u`` shrinks the draws
    towards the centre of the range.
    """
    from scipy.special import ndtri

    p = np.clip((u + 1.0) / 2.0, 1e-9, 1.0 - 1e-9)
    if dist == "uniform":
        return u
    if dist == "normal":
        return ndtri(p) / 3.0
    if dist == "heavy_tailed":  # symmetric Pareto-type tails with index 1 (Cauchy-like)
        return np.sign(u) * (1.0 / np.maximum(1.0 - np.abs(u), 1e-12) - 1.0) / 10.0
    if dist == "skewed":  # log-normal, its long tail on the side picked by extra[0]
        side = 1.0 if extra[0] >= 0 else -1.0
        return side * (np.exp(ndtri(p)) - 1.0) / 5.0
    if dist == "bimodal":
        return np.sign(u) * 0.6 + 0.3 * u
    raise AssertionError(dist)  # pragma: no cover


@st.composite
def _draws(
    draw: Any,
    n_samples: st.SearchStrategy[int],
    n_replicates: st.SearchStrategy[int] | None,
    distribution: str,
    elements: st.SearchStrategy[float] | None,
    allow_ties: bool,
    lo: float,
    hi: float,
) -> np.ndarray:
    n = draw(n_samples)
    shape: tuple[int, ...] = (n,) if n_replicates is None else (n, draw(n_replicates))
    size = int(np.prod(shape))
    if elements is not None:
        arr = draw(hnp.arrays(np.float64, shape, elements=elements, unique=not allow_ties))
        return np.asarray(arr, dtype=np.float64)
    families = DISTRIBUTIONS if distribution == "any" else (distribution,)
    if not allow_ties and size > 1:
        families = tuple(f for f in families if f not in _TIED)
    dist = draw(st.sampled_from(families))
    rng = None
    if size > _BULK:
        # thousands of values: one seed drawn by hypothesis, the values from numpy
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    loc = centre + half * draw(st.floats(-1.0, 1.0, allow_subnormal=False))
    if dist == "constant":
        return np.full(shape, float(np.clip(loc, lo, hi)))
    scale = half * draw(st.floats(1e-3, 1.0, allow_subnormal=False))
    unit = st.floats(-1.0, 1.0, allow_subnormal=False)
    if dist in ("discrete", "near_tied"):
        k = draw(st.integers(1, 4))
        levels = np.asarray(draw(st.lists(unit, min_size=k, max_size=k)))
        if rng is None:
            idx = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, k - 1)))
        else:
            idx = rng.integers(0, k, size=shape)
        t = levels[idx]
    else:
        if rng is None:
            u = draw(hnp.arrays(np.float64, shape, elements=unit, unique=not allow_ties))
        else:
            u = rng.uniform(-1.0, 1.0, size=shape)
        extra = np.asarray([draw(st.sampled_from([-1.0, 1.0]))]) if dist == "skewed" else u
        t = _standard(dist, u, extra)
    v = loc + scale * t
    if dist == "near_tied":
        # each value one ulp below, at, or one ulp above its level
        if rng is None:
            step = draw(hnp.arrays(np.int64, shape, elements=st.integers(-1, 1)))
        else:
            step = rng.integers(-1, 2, size=shape)
        v = np.where(step < 0, np.nextafter(v, -np.inf), np.where(step > 0, np.nextafter(v, np.inf), v))
    if allow_ties:
        out = np.clip(v, lo, hi)
    elif v.size > 1 and (v.min() < lo or v.max() > hi):
        # rescale affinely into the bounds: clipping would tie the values beyond them
        out = lo + (v - v.min()) / (v.max() - v.min()) * (hi - lo)
    else:
        out = v
    out = np.clip(out, lo, hi).astype(np.float64)
    if not allow_ties and np.unique(out).size != out.size:
        from hypothesis import reject

        reject()
    return out


def sample_sizes(max_size: int = 4096) -> st.SearchStrategy[int]:
    """Hypothesis strategy for numbers of posterior samples that reach every code path.

    A mix, in shrinking order, of tiny sizes (1-8, where failures shrink to),
    small ones (9-62), sizes around the block and vector widths where blocked
    or vectorized code paths start (63-65, 127-129, 255, 256) and large ones
    (257 to 4096). Shrinking moves to the first branches, so counterexamples
    stay short unless the bug needs many draws.

    Parameters
    ----------
    max_size : int, default 4096
        Largest size drawn (at least 8).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of int

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from decide.testing import sample_sizes
    >>> @settings(max_examples=30, derandomize=True, database=None)
    ... @given(sample_sizes(max_size=1000))
    ... def test_sizes(n):
    ...     assert 1 <= n <= 1000
    >>> test_sizes()
    """
    if isinstance(max_size, bool) or not isinstance(max_size, int | np.integer) or max_size < 8:
        raise DecideValueError(f"max_size must be an int >= 8; got {max_size!r}.")
    m = int(max_size)
    parts = [st.integers(1, 8), st.integers(9, min(62, m))]
    edge = [k for k in _EDGE_SIZES if k <= m]
    large = [k for k in _LARGE_SIZES if k <= m]
    parts += [st.sampled_from(edge)] if edge else []
    parts += [st.sampled_from(large)] if large else []
    return st.one_of(*parts)


@st.composite
def _weights(draw: Any, n: int) -> np.ndarray:
    kind = draw(st.sampled_from(("integer", "positive", "with_zeros")))
    if kind != "with_zeros" or n > _BULK:
        # varied weights from one drawn seed: hypothesis fills arrays with repeated values
        # too often to tell weights from repeated samples
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        if kind == "positive":
            return rng.uniform(0.01, 10.0, size=n)
        k = rng.integers(0 if kind == "with_zeros" else 1, 5, size=n)
    else:
        k = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 4)))
    if not np.any(k > 0):
        k[draw(st.integers(0, n - 1))] = 1
    return k.astype(np.float64)


def sample_weights(n_samples: int) -> st.SearchStrategy[np.ndarray]:
    """Hypothesis strategy for weights of posterior samples (e.g. importance weights).

    Three kinds: integer counts 1-4 (comparable with repeating the samples),
    positive floats in [0.01, 10], and counts 0-4 with some zero weights (at
    least one positive). Weights are not normalized: a score must normalize
    them itself.

    Parameters
    ----------
    n_samples : int
        Number of samples (length of the weight vector).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from decide.measures import CVaR
    >>> from decide.testing import draws, sample_weights
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(draws(n_samples=6), sample_weights(6))
    ... def test_weighted(x, w):
    ...     assert CVaR(0.5)(x, w) <= np.average(x, weights=w) + 1e-9
    >>> test_weighted()
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise DecideValueError(f"n_samples must be an int >= 1; got {n_samples!r}.")
    return _weights(int(n_samples))


def draws(
    *,
    n_samples: IntLike = st.integers(1, 200),  # noqa: B008
    n_replicates: IntLike | None = None,
    distribution: str = "any",
    elements: st.SearchStrategy[float] | None = None,
    allow_ties: bool = True,
    min_value: float = -100.0,
    max_value: float = 100.0,
) -> st.SearchStrategy[np.ndarray]:
    """Hypothesis strategy for float64 outcome draw arrays (rewards, sample axis first).

    Parameters
    ----------
    n_samples : int or strategy of int, default ``st.integers(1, 200)``
        Number of posterior samples (rows); tiny samples (1, 2, 3) are included
        and are where failures shrink to.
    n_replicates : int or strategy of int, optional
        Replicates per sample; ``None`` (default) gives 1-d arrays.
    distribution : str, default "any"
        Family of the draws: ``"uniform"``, ``"normal"``, ``"heavy_tailed"``
        (Cauchy-like tails on both sides, clipped at the bounds),
        ``"skewed"`` (log-normal, long tail on either side), ``"bimodal"``,
        ``"discrete"`` (at most four distinct values: ties), ``"constant"``,
        ``"near_tied"`` (at most four levels, each value at its level or one
        ulp away: floating-point near-ties), or ``"any"`` for a mix of all of
        them.
    elements : strategy of float, optional
        Draw every value from this strategy instead (overrides
        ``distribution`` and the bounds).
    allow_ties : bool, default True
        If False, every value in an array is distinct (``"discrete"`` and
        ``"constant"`` are left out of ``"any"``, and an array reaching past
        the bounds is rescaled affinely into them instead of clipped).
    min_value, max_value : float, default -100.0 and 100.0
        Bounds of every value. Magnitudes are bounded by default so that
        properties can be checked with tolerances relative to the size of the
        draws (and exponential utilities do not overflow); narrow them to a
        measure's domain, e.g. ``min_value=0.01`` for log utility.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of ndarray
        Arrays of shape ``(n_samples,)`` or ``(n_samples, n_replicates)``,
        dtype float64, finite, within ``[min_value, max_value]``.

    Raises
    ------
    DecideValueError
        If ``distribution`` is unknown, a count is below 1, or the bounds are
        not finite with ``min_value < max_value``.
    DecideTypeError
        If a count is neither an int nor a strategy.

    Notes
    -----
    A value is ``clip(loc + scale * t(u), min_value, max_value)`` with ``loc``
    and ``scale`` drawn once per array and ``u`` in [-1, 1] drawn per value;
    ``t`` is the family's standardized quantile map with ``t(0) = 0``, so
    hypothesis shrinks failures towards few samples at the centre of the range.
    Arrays of more than 256 values take their ``u`` from numpy with a seed
    drawn by hypothesis (so sizes in the thousands stay cheap to generate).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from decide.testing import draws
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(draws(n_samples=5, n_replicates=2, distribution="heavy_tailed"))
    ... def test_shape(x):
    ...     assert x.shape == (5, 2) and abs(x).max() <= 100.0
    >>> test_shape()
    """
    if distribution != "any" and distribution not in DISTRIBUTIONS:
        raise DecideValueError(
            f"distribution must be 'any' or one of {list(DISTRIBUTIONS)}; got {distribution!r}."
        )
    if not allow_ties and distribution in _TIED:
        raise DecideValueError(
            f"distribution={distribution!r} always has ties; use allow_ties=True or another "
            "distribution."
        )
    if elements is not None and not isinstance(elements, st.SearchStrategy):
        raise DecideTypeError(
            f"elements must be a hypothesis strategy of floats; got {type(elements).__name__}."
        )
    lo, hi = _check_bounds(min_value, max_value)
    ns = _int_strategy(n_samples, "n_samples", 1)
    nr = _int_strategy(n_replicates, "n_replicates", 1)
    assert ns is not None
    return _draws(ns, nr, distribution, elements, bool(allow_ties), lo, hi)


@st.composite
def _tables(
    draw: Any,
    n_actions: st.SearchStrategy[int],
    n_samples: st.SearchStrategy[int],
    dominance: str | None,
    strict: bool,
    distribution: str,
    lo: float,
    hi: float,
) -> dict[str, np.ndarray]:
    k = draw(n_actions)
    n = draw(n_samples)
    labels = [f"a{i}" for i in range(k)]
    rng = hi - lo
    if dominance is None:
        cols = [draw(draws(n_samples=n, distribution=distribution, min_value=lo, max_value=hi))
                for _ in range(k)]
        return dict(zip(labels, cols))
    weak, strong = draw(st.permutations(range(k)))[:2]
    cols = [draw(draws(n_samples=n, distribution=distribution, min_value=lo, max_value=hi))
            for _ in range(k)]
    if dominance == "first":
        # the dominated action lives in [lo, hi - rng/4]; its dominator adds a shift in [0, rng/4]
        base = draw(draws(n_samples=n, distribution=distribution, min_value=lo,
                          max_value=hi - rng / 4))
        frac = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)))
        shift = frac * rng / 4
        floor = rng * 1e-3
        if strict:
            shift = np.maximum(shift, floor)
        else:
            j = draw(st.integers(0, n - 1))
            shift[j] = max(shift[j], floor)
        cols[weak], cols[strong] = base, base + shift
    else:
        # the dominated action is a mean-preserving spread of its dominator:
        # the dominator replaces the dominated draws by their group means
        base = draw(draws(n_samples=n, distribution=distribution, min_value=lo, max_value=hi))
        groups = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, max(n // 2, 1) - 1)))
        means = _group_means(base, groups)
        if np.allclose(means, base) and n > 1:
            means = np.full(n, base.mean())
        cols[weak], cols[strong] = base, means
    return dict(zip(labels, cols))


def _group_means(x: np.ndarray, groups: np.ndarray, weights: Any = None) -> np.ndarray:
    """Replace each value of ``x`` by the (weighted) mean of its group (same shape).

    ``weights`` (the shape of ``x``) are the probabilities of the values; a
    group whose weights are all zero keeps its values.
    """
    flat = x.reshape(-1)
    g = np.asarray(groups).reshape(-1)
    _, inv = np.unique(g, return_inverse=True)
    wf = np.ones(flat.size) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    sums = np.bincount(inv, weights=flat * wf)
    counts = np.bincount(inv, weights=wf)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)[inv]
    return np.where(counts[inv] > 0, means, flat).reshape(x.shape)


def outcome_tables(
    *,
    n_actions: IntLike = st.integers(2, 5),  # noqa: B008
    n_samples: IntLike = st.integers(1, 50),  # noqa: B008
    dominance: Literal["first", "second"] | None = None,
    strict: bool = False,
    distribution: str = "any",
    min_value: float = -100.0,
    max_value: float = 100.0,
) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """Hypothesis strategy for outcome draws of a finite set of actions.

    Each table maps an action label (``"a0"``, ``"a1"``, ...) to its outcome
    draws (rewards) of shape ``(n_samples,)``; draws of different actions are
    paired by index (the same posterior sample), as ``from_draws`` expects.

    Parameters
    ----------
    n_actions : int or strategy of int, default ``st.integers(2, 5)``
        Number of actions (at least 2 when ``dominance`` is set).
    n_samples : int or strategy of int, default ``st.integers(1, 50)``
        Number of posterior samples, shared by every action.
    dominance : {None, "first", "second"}
        ``None``: independent actions. ``"first"``: one action is dominated
        draw by draw: another action equals it plus a non-negative shift that
        is positive on at least one draw (on every draw with ``strict=True``),
        so it is dominated in first-order stochastic dominance too.
        ``"second"``: one action is a mean-preserving spread of another (the
        dominator replaces groups of its draws by their mean), so it is
        dominated in second-order stochastic dominance, with the same mean
        (strictly unless its draws are constant).
    strict : bool, default False
        With ``dominance="first"``, make the shift positive on every draw.
    distribution : str, default "any"
        Family of the draws, see :func:`draws`.
    min_value, max_value : float, default -100.0 and 100.0
        Bounds of every value (dominated and dominating actions stay inside).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of dict of str to ndarray
        Tables ``{label: ndarray of shape (n_samples,)}``.

    Raises
    ------
    DecideValueError
        If ``dominance`` is unknown or a count is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from decide.testing import outcome_tables
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(outcome_tables(n_actions=3, dominance="first", strict=True))
    ... def test_one_is_dominated(table):
    ...     cols = list(table.values())
    ...     assert any(np.all(a > b) for a in cols for b in cols)
    >>> test_one_is_dominated()
    """
    if dominance not in (None, "first", "second"):
        raise DecideValueError(f"dominance must be None, 'first' or 'second'; got {dominance!r}.")
    low = 2 if dominance is not None else 1
    na = _int_strategy(n_actions, "n_actions", low)
    ns = _int_strategy(n_samples, "n_samples", 1)
    assert na is not None and ns is not None
    if dominance is not None:
        na = na.filter(lambda k: k >= 2)
    if distribution != "any" and distribution not in DISTRIBUTIONS:
        raise DecideValueError(
            f"distribution must be 'any' or one of {list(DISTRIBUTIONS)}; got {distribution!r}."
        )
    lo, hi = _check_bounds(min_value, max_value)
    return _tables(na, ns, dominance, bool(strict), distribution, lo, hi)
