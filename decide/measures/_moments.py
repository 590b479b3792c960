"""Moment and threshold measures as plain functions over a sample axis.

Conventions: outcomes are rewards (higher is better); the functions here return
the *conventional* values (a variance is positive, a shortfall probability is
in [0, 1]); the objective classes turn them into scores to maximize. Draws put
the sample axis first; ``weights`` are non-negative probability weights over the
reduced axes, normalized internally. Moments are those of the (weighted)
empirical law: population moments, no ``n - 1`` correction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from decide._validation import check_finite_scalar
from decide.measures._reduce import DOC_DRAWS, DOC_REDUCE, Axis, Dims, fill_doc, reduce_draws

__all__ = [
    "mean",
    "semivariance",
    "std",
    "variance",
]


# -- kernels: reduce the last axis of x (..., m) with weights w (m,) or None ----------
def k_mean(x: np.ndarray, w: np.ndarray | None) -> Any:
    return x.mean(axis=-1) if w is None else x @ w


def k_variance(x: np.ndarray, w: np.ndarray | None) -> Any:
    d = x - k_mean(x, w)[..., None] if x.ndim > 1 else x - k_mean(x, w)
    return k_mean(d * d, w)


def k_semivariance(x: np.ndarray, w: np.ndarray | None, target: float | None) -> Any:
    t = k_mean(x, w) if target is None else target
    d = np.maximum(np.expand_dims(t, -1) - x, 0.0)
    return k_mean(d * d, w)


# -- public functions ----------------------------------------------------------------
_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE)


@_doc
def mean(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Expected outcome, :math:`\sum_i w_i x_i`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray
        The reduced axes removed (a DataArray keeps its other dims).

    Raises
    ------
    DecideValueError
        If the draws are empty or not finite, or the weights do not match.

    Examples
    --------
    >>> from decide.measures import mean
    >>> mean([1.0, 2.0, 6.0])
    3.0
    """
    return reduce_draws(k_mean, draws, axis=axis, weights=weights, dims=dims)


@_doc
def variance(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Variance of the (weighted) empirical law, :math:`\sum_i w_i (x_i - \mu)^2`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray

    Notes
    -----
    The population (plug-in) variance of the predictive distribution, no
    ``n - 1`` correction: it is a property of the law the draws represent.

    Examples
    --------
    >>> from decide.measures import variance
    >>> variance([0.0, 2.0])
    1.0
    """
    return reduce_draws(k_variance, draws, axis=axis, weights=weights, dims=dims)


@_doc
def std(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Standard deviation, the square root of :func:`variance`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray

    Examples
    --------
    >>> from decide.measures import std
    >>> std([0.0, 2.0])
    1.0
    """
    return reduce_draws(
        lambda x, w: np.sqrt(k_variance(x, w)), draws, axis=axis, weights=weights, dims=dims
    )


@_doc
def semivariance(
    draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None, target: float | None = None
) -> Any:
    r"""Downside semivariance, :math:`E[(t - X)_+^2]` with :math:`t` the mean or a target.

    Parameters
    ----------
    {common}
    target : float, optional
        Reference level ``t``; default the mean of the draws.

    Returns
    -------
    float, ndarray or xarray.DataArray

    Notes
    -----
    Only outcomes below ``t`` count (rewards: the lower side is the bad side).
    For a law symmetric about its mean it is half the variance.

    References
    ----------
    Markowitz, H. (1959). *Portfolio Selection*, ch. IX.

    Examples
    --------
    >>> from decide.measures import semivariance
    >>> semivariance([-1.0, 1.0])
    0.5
    """
    t = None if target is None else check_finite_scalar(target, "target")
    return reduce_draws(
        lambda x, w: k_semivariance(x, w, t), draws, axis=axis, weights=weights, dims=dims
    )
