"""Expected utility and certainty equivalent as plain functions over a sample axis.

Conventions: outcomes are rewards (higher is better); draws put the sample
axis first; ``weights`` are probability weights over the reduced axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError
from decide.measures._reduce import DOC_DRAWS, DOC_REDUCE, Axis, Dims, fill_doc, reduce_draws
from decide.measures._utilities import Exponential, Log, Power, Utility

__all__ = ["certainty_equivalent", "expected_utility"]


def check_utility(utility: Any) -> Utility:
    if not isinstance(utility, Utility):
        raise DecideTypeError(
            f"utility must be a decide.measures.Utility (Linear, Exponential, Power, Log, "
            f"Quadratic, PiecewiseLinear); got {type(utility).__name__}."
        )
    return utility


# -- kernels --------------------------------------------------------------------------
def k_expected_utility(x: np.ndarray, w: np.ndarray | None, u: Utility) -> Any:
    if isinstance(u, Exponential) and u.risk_aversion > 0:  # fast path, one exp pass
        a = u.risk_aversion
        with np.errstate(over="ignore"):
            e = np.exp(x * -a)
        s = e.mean(axis=-1) if w is None else e @ w
        if not np.all(np.isfinite(s)):
            raise DecideValueError(
                f"expected utility overflows: risk_aversion * (smallest draw) = "
                f"{a * float(np.min(x))!r} makes exp(-a x) infinite. Rescale the outcomes."
            )
        return (1.0 - s) / a
    vals = u(x)
    return vals.mean(axis=-1) if w is None else vals @ w


def k_certainty_equivalent(x: np.ndarray, w: np.ndarray | None, u: Utility) -> Any:
    from decide.measures._entropic import k_entropic

    if isinstance(u, Exponential) and u.risk_aversion > 0:
        return k_entropic(x, w, u.risk_aversion)
    if isinstance(u, Log | Power) and (isinstance(u, Log) or u._p != 1):
        p = 0.0 if isinstance(u, Log) else u._p
        lx = np.log(x)
        if p == 0:
            return np.exp(lx.mean(axis=-1) if w is None else lx @ w)
        # power mean through a shifted log-sum-exp of p log x
        z = p * lx
        top = z.max(axis=-1, keepdims=True)
        e = np.exp(z - top)
        s = e.mean(axis=-1) if w is None else e @ w
        return np.exp((top[..., 0] + np.log(s)) / p)
    return u.inverse(k_expected_utility(x, w, u))


def expected_utility(
    draws: Any, utility: Utility, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    r"""Expected utility :math:`E[u(X)] = \sum_i w_i u(x_i)`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray

    Raises
    ------
    DecideValueError
        If some draw is outside the utility's domain (``Power``, ``Log``: positive).

    Examples
    --------
    >>> from decide.measures import expected_utility, Log
    >>> round(expected_utility([1.0, 100.0], Log()), 6)
    2.302585
    """
    u = check_utility(utility)

    def kernel(x: np.ndarray, w: np.ndarray | None) -> Any:
        u.check_domain(x)
        return k_expected_utility(x, w, u)

    return reduce_draws(kernel, draws, axis=axis, weights=weights, dims=dims)


def certainty_equivalent(
    draws: Any, utility: Utility, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    r"""Certainty equivalent :math:`u^{-1}(E[u(X)])`: the sure outcome worth as much as ``X``.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray
        In the units of the outcome; at most the mean for a concave utility.

    Raises
    ------
    DecideValueError
        If some draw is outside the utility's domain.

    Notes
    -----
    Computed without overflow for ``Exponential`` (a log-sum-exp: the entropic
    risk), ``Power`` (the power mean) and ``Log`` (the geometric mean).
    For CARA utility and a normal law it is :math:`\mu - a\sigma^2/2`.

    References
    ----------
    Pratt, J. W. (1964). Risk aversion in the small and in the large.
    *Econometrica* 32, 122-136.

    Examples
    --------
    >>> from decide.measures import certainty_equivalent, Log
    >>> round(certainty_equivalent([1.0, 100.0], Log()), 6)
    10.0
    """
    u = check_utility(utility)

    def kernel(x: np.ndarray, w: np.ndarray | None) -> Any:
        u.check_domain(x)
        return k_certainty_equivalent(x, w, u)

    return reduce_draws(kernel, draws, axis=axis, weights=weights, dims=dims)


_UTILITY = """    utility : Utility
        E.g. ``Exponential(1.0)``."""
for _f in (expected_utility, certainty_equivalent):
    fill_doc(common="\n".join((DOC_DRAWS, _UTILITY, DOC_REDUCE)))(_f)
