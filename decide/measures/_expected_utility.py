"""Expected utility and certainty equivalent, as plain functions and as objectives.

Conventions: outcomes are rewards (higher is better); objectives are scores to
maximize. The certainty equivalent is in the units of the outcome, the
expected utility in utility units. Draws put the sample axis first;
``weights`` are probability weights over the reduced axes. The utilities
themselves (``Linear``, ``Exponential``, ...) are in ``_utilities.py``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError, SaturationWarning
from decide.measures._base import Objective, Property
from decide.measures._entropic import entropic_cvxpy, grad_entropic, k_entropic
from decide.measures._moments import cp_mean
from decide.measures._reduce import DOC_DRAWS, DOC_REDUCE, Axis, Dims, fill_doc, reduce_draws
from decide.measures._utilities import Exponential, Linear, Log, Power, Utility

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["CertaintyEquivalent", "ExpectedUtility", "certainty_equivalent", "expected_utility"]

P = Property


def check_utility(utility: Any) -> Utility:
    if not isinstance(utility, Utility):
        raise DecideTypeError(
            f"utility must be a decide.measures.Utility (Linear, Exponential, Power, Log, "
            f"Quadratic, PiecewiseLinear); got {type(utility).__name__}."
        )
    return utility


#: E[exp(-a X)] below this: E[u(X)] = (1 - E[exp(-a X)]) / a equals 1/a to 8 digits
_SATURATED = 1e-8


def _warn_saturated(a: float) -> None:
    warnings.warn(
        f"ExpectedUtility(Exponential({a:g})) is saturated on these outcome draws: a * x is "
        f"above 18 for (nearly) every draw, so the expected utility equals 1/a = {1 / a:g} to 8 "
        "digits and cannot tell actions apart (an optimizer returns an arbitrary action). The "
        "risk aversion is per unit of the outcome: choose it relative to the outcome's scale, "
        "Exponential.relative(r, scale=outcome_sd), or maximize "
        "CertaintyEquivalent(Exponential(a)), the same ranking computed without saturation.",
        SaturationWarning,
        stacklevel=4,
    )


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
        if np.any(np.asarray(s) < _SATURATED):
            _warn_saturated(a)
        return (1.0 - s) / a
    vals = u(x)
    return vals.mean(axis=-1) if w is None else vals @ w


def k_certainty_equivalent(x: np.ndarray, w: np.ndarray | None, u: Utility) -> Any:
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


# -- public functions -----------------------------------------------------------------
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


# -- objectives -----------------------------------------------------------------------
def _is_linear(u: Utility) -> bool:
    return u.homogeneous and u.ce_translation_invariant


class ExpectedUtility(Objective):
    r"""Expected utility :math:`E[u(X)] = \sum_i w_i u(x_i)`.

    Parameters
    ----------
    utility : Utility
        ``Linear()``, ``Exponential(a)``, ``Power(g)``, ``Log()``, ``Quadratic(b)``
        or ``PiecewiseLinear(breakpoints, slopes)``.

    Raises
    ------
    DecideTypeError
        If ``utility`` is not a :class:`Utility`.
    DecideValueError
        When scoring draws outside the utility's domain (``Power``, ``Log``:
        positive outcomes; the message names the smallest draw).

    Warns
    -----
    SaturationWarning
        ``Exponential(a)`` on draws with :math:`E[e^{-aX}] < 10^{-8}` (``a * x``
        large for nearly every draw): the value is :math:`1/a` to 8 digits and
        no longer ranks actions. Use ``Exponential.relative(r, scale)`` or
        :class:`CertaintyEquivalent`.

    Notes
    -----
    Law invariant; monotone when ``u`` is increasing; concave when ``u`` is;
    SSD-consistent when both; translation invariant only for linear ``u`` and
    positively homogeneous when ``u(tx) = t u(x)``. Gradient :math:`w_i u'(x_i)`.
    DCP form ``mean(u(expr))`` when ``u`` has one (all but a non-concave
    ``PiecewiseLinear``): exponential cone for ``Exponential``, ``cvxpy.log``
    for ``Log``, ``-pos`` terms for a concave ``PiecewiseLinear``.

    References
    ----------
    von Neumann, J., & Morgenstern, O. (1944). *Theory of Games and Economic Behavior*.

    Examples
    --------
    >>> from decide.measures import ExpectedUtility, Log
    >>> round(ExpectedUtility(Log())([1.0, 100.0]), 6)
    2.302585
    """

    def __init__(self, utility: Utility):
        self.utility = check_utility(utility)
        u = self.utility
        props = {P.LAW_INVARIANT}
        if u.increasing:
            props.add(P.MONOTONE)
        if u.concave:
            props.add(P.CONCAVE)
        if u.increasing and u.concave:
            props.add(P.SSD_CONSISTENT)
        if u.homogeneous:
            props.add(P.POSITIVELY_HOMOGENEOUS)
        if _is_linear(u):
            props.add(P.TRANSLATION_INVARIANT)
        self._properties = frozenset(props)

    @property
    def has_cvxpy(self) -> bool:
        return self.utility.has_cvxpy and self.utility.concave

    def _check_domain(self, x: np.ndarray) -> None:
        self.utility.check_domain(x)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_expected_utility(x, w, self.utility))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        d = self.utility.derivative(x)
        return d / x.shape[0] if w is None else d * w

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        if not self.has_cvxpy:
            raise NotImplementedError(f"{self!r} has no DCP form (the utility is not DCP-concave).")
        return cp_mean(self.utility.to_cvxpy(expr), w)

    def _params(self) -> dict[str, Any]:
        return {"utility": self.utility}


class CertaintyEquivalent(Objective):
    r"""Certainty equivalent :math:`u^{-1}(E[u(X)])`, in the units of the outcome.

    Parameters
    ----------
    utility : Utility
        See :class:`ExpectedUtility`.

    Raises
    ------
    DecideTypeError
        If ``utility`` is not a :class:`Utility`.
    DecideValueError
        When scoring draws outside the utility's domain.

    Notes
    -----
    Ranks actions like :class:`ExpectedUtility` but is in outcome units. For
    ``Exponential(a)`` it is the entropic risk (translation invariant and
    concave; :math:`\mu - a\sigma^2/2` for a normal law); for ``Power`` and
    ``Log`` the power / geometric mean (positively homogeneous and concave).
    Monotone and SSD-consistent for an increasing concave utility.
    Gradient :math:`w_i u'(x_i) / u'(\mathrm{CE})`. DCP form for ``Exponential``
    (``log_sum_exp``) and ``Linear`` only.

    References
    ----------
    Pratt, J. W. (1964). Risk aversion in the small and in the large.
    *Econometrica* 32, 122-136.

    Examples
    --------
    >>> from decide.measures import CertaintyEquivalent, Log
    >>> round(CertaintyEquivalent(Log())([1.0, 100.0]), 6)
    10.0
    """

    def __init__(self, utility: Utility):
        self.utility = check_utility(utility)
        u = self.utility
        props = {P.LAW_INVARIANT}
        if u.increasing:
            props.add(P.MONOTONE)
        if u.increasing and u.concave:
            props.add(P.SSD_CONSISTENT)
        if u.ce_translation_invariant and u.increasing:
            props.add(P.TRANSLATION_INVARIANT)
        if u.ce_homogeneous and u.increasing:
            props.add(P.POSITIVELY_HOMOGENEOUS)
        if u.ce_concave:
            props.add(P.CONCAVE)
        self._properties = frozenset(props)

    @property
    def has_cvxpy(self) -> bool:
        u = self.utility
        return isinstance(u, Exponential | Linear) or _is_linear(u)

    def _check_domain(self, x: np.ndarray) -> None:
        self.utility.check_domain(x)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_certainty_equivalent(x, w, self.utility))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        u = self.utility
        if isinstance(u, Exponential) and u.risk_aversion > 0:
            return grad_entropic(x, w, u.risk_aversion)
        ce = k_certainty_equivalent(x, w, u)
        wt = np.full(x.shape[0], 1.0 / x.shape[0]) if w is None else w
        return wt * u.derivative(x) / u.derivative(np.asarray(ce))

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        u = self.utility
        if isinstance(u, Exponential) and u.risk_aversion > 0:
            return entropic_cvxpy(expr, w, u.risk_aversion)
        if _is_linear(u):
            return cp_mean(expr, w)
        raise NotImplementedError(f"{self!r} has no DCP form; use method='scipy'.")

    def _params(self) -> dict[str, Any]:
        return {"utility": self.utility}
