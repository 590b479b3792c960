"""Utility functions of an outcome (a reward).

A utility maps an outcome to its worth to the decision maker; increasing
means more is better, concave means risk averse. Each utility is a small
object with ``__call__(x)``, ``derivative(x)``, ``inverse(u)`` and, where the
form is DCP-concave, ``to_cvxpy(expr)`` (elementwise).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_in_range
from decide.errors import DecideValueError

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = [
    "Exponential",
    "Linear",
    "Log",
    "PiecewiseLinear",
    "Power",
    "Quadratic",
    "Utility",
]


def _risk_aversion(value: Any) -> float:
    return check_in_range(value, "risk_aversion", low=0.0, high=math.inf, high_inclusive=False)


class Utility:
    """Base class of utility functions ``u(x)`` of a reward ``x``.

    Attributes
    ----------
    increasing : bool
        ``u`` is strictly increasing on its whole domain.
    concave : bool
        ``u`` is concave (risk averse).
    """

    increasing: bool = True
    concave: bool = True
    #: u(t x) = t u(x) for t > 0 (expected utility positively homogeneous).
    homogeneous: bool = False
    #: certainty equivalent is cash additive: CE(X + c) = CE(X) + c.
    ce_translation_invariant: bool = False
    #: certainty equivalent is positively homogeneous: CE(t X) = t CE(X).
    ce_homogeneous: bool = False
    #: certainty equivalent is concave in the draws.
    ce_concave: bool = False

    def __call__(self, x: Any) -> np.ndarray:
        """Utility of each outcome, same shape as ``x``."""
        raise NotImplementedError

    def derivative(self, x: Any) -> np.ndarray:
        """Marginal utility ``u'(x)``, same shape as ``x``."""
        raise NotImplementedError

    def inverse(self, u: Any) -> np.ndarray:
        """The outcome with utility ``u`` (on the increasing branch)."""
        raise NotImplementedError

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        """Elementwise DCP-concave cvxpy form of ``u(expr)``."""
        raise NotImplementedError(f"{self!r} has no DCP form.")

    @property
    def has_cvxpy(self) -> bool:
        """Whether :meth:`to_cvxpy` gives a DCP-concave form."""
        return type(self).to_cvxpy is not Utility.to_cvxpy

    def check_domain(self, x: np.ndarray) -> None:
        """Raise ``DecideValueError`` if some outcome lies outside the domain."""

    def _params(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._params().items())})"
        )

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


class Linear(Utility):
    """Risk-neutral utility ``u(x) = x``.

    Examples
    --------
    >>> from decide.measures import Linear
    >>> float(Linear()(3.0))
    3.0
    """

    homogeneous = True
    ce_translation_invariant = True
    ce_homogeneous = True
    ce_concave = True

    def __call__(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def derivative(self, x: Any) -> np.ndarray:
        return np.ones_like(np.asarray(x, dtype=np.float64))

    def inverse(self, u: Any) -> np.ndarray:
        return np.asarray(u, dtype=np.float64)

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        return expr


class Exponential(Utility):
    r"""Exponential (CARA) utility :math:`u(x) = (1 - e^{-a x}) / a`.

    Parameters
    ----------
    risk_aversion : float
        Absolute risk aversion :math:`a = -u''/u' \ge 0`; ``0`` gives ``u(x) = x``.

    Raises
    ------
    DecideValueError
        If ``risk_aversion`` is negative or not finite.

    Notes
    -----
    The certainty equivalent is the entropic risk
    :math:`-\frac1a \log E[e^{-aX}]`, :math:`\mu - a\sigma^2/2` for a normal law.

    ``a`` is per unit of the outcome: ``a * x`` must be of order one on the
    outcome draws. Choose it relative to the outcome's scale with
    :meth:`Exponential.relative`. When :math:`a x` is large for every draw
    (outcomes in the hundreds with ``a = 0.3``), :math:`E[u(X)]` equals
    :math:`1/a` to machine precision and no longer ranks actions;
    :class:`ExpectedUtility` then warns (:class:`decide.errors.SaturationWarning`)
    and :class:`CertaintyEquivalent` (the same ranking, computed stably in
    outcome units) is the objective to use.

    Examples
    --------
    >>> from decide.measures import Exponential
    >>> u = Exponential(risk_aversion=1.0)
    >>> float(u(0.0)), float(u.inverse(u(2.0)))
    (0.0, 2.0)
    >>> Exponential.relative(2.0, scale=50.0)   # a = 2 / 50
    Exponential(risk_aversion=0.04)
    """

    ce_translation_invariant = True
    ce_concave = True

    def __init__(self, risk_aversion: float):
        self.risk_aversion = _risk_aversion(risk_aversion)
        if self.risk_aversion == 0:
            self.homogeneous = self.ce_homogeneous = True

    @classmethod
    def relative(cls, risk_aversion: float, scale: float) -> Exponential:
        r"""CARA utility with risk aversion relative to the outcome's scale: ``a = r / scale``.

        Parameters
        ----------
        risk_aversion : float
            Relative risk aversion :math:`r \ge 0` (dimensionless).
        scale : float
            A positive outcome scale in outcome units, typically the predictive
            standard deviation of the outcome at a reasonable action (or the
            risk tolerance: the stake of a 50-50 gamble the decision maker
            would just take).

        Returns
        -------
        Exponential
            ``Exponential(risk_aversion / scale)``.

        Raises
        ------
        DecideValueError
            If ``risk_aversion`` is negative or ``scale`` is not a positive finite number.

        Notes
        -----
        For a normal outcome with standard deviation :math:`\sigma` the
        certainty equivalent is :math:`\mu - a\sigma^2/2`; with
        ``scale = sigma`` the risk premium is :math:`r\sigma/2`: ``r = 1``
        gives up half a standard deviation of mean for certainty, ``r = 0.2``
        a tenth. The value does not depend on the outcome's units.
        """
        r = _risk_aversion(risk_aversion)
        s = check_in_range(scale, "scale", low=0.0, high=math.inf, low_inclusive=False,
                           high_inclusive=False)
        return cls(r / s)

    def __call__(self, x: Any) -> np.ndarray:
        a = self.risk_aversion
        x = np.asarray(x, dtype=np.float64)
        if a == 0:
            return x
        with np.errstate(over="ignore"):
            return -np.expm1(-a * x) / a

    def derivative(self, x: Any) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(-self.risk_aversion * np.asarray(x, dtype=np.float64))

    def inverse(self, u: Any) -> np.ndarray:
        a = self.risk_aversion
        u = np.asarray(u, dtype=np.float64)
        return u if a == 0 else -np.log1p(-a * u) / a

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        a = self.risk_aversion
        return expr if a == 0 else (1 - cp.exp(-a * expr)) / a

    def _params(self) -> dict[str, Any]:
        return {"risk_aversion": self.risk_aversion}


#: log of the largest float64: x ** -gamma overflows when -gamma * log(x) exceeds it
_LOG_MAX = float(np.log(np.finfo(np.float64).max))


def _check_positive(x: np.ndarray, who: Utility, gamma: float = 0.0) -> None:
    lo = float(np.min(x))
    if lo <= 0:
        raise DecideValueError(
            f"{who!r} is defined for positive outcomes only; got smallest draw {lo!r}. "
            "Shift the outcomes (e.g. wealth = initial + outcome) or use Exponential utility."
        )
    if gamma > 0 and -gamma * np.log(lo) >= _LOG_MAX:
        raise DecideValueError(
            f"{who!r} cannot score a draw this close to 0: the smallest draw {lo!r} makes the "
            f"marginal utility x**-{gamma:g} overflow float64. Rescale the outcomes (other "
            "units) or shift them away from 0."
        )


class Power(Utility):
    r"""Power (CRRA) utility of a positive outcome.

    .. math:: u(x) = \frac{x^{1-\gamma} - 1}{1 - \gamma}, \quad u(x) = \log x \text{ at } \gamma = 1.

    Parameters
    ----------
    risk_aversion : float
        Relative risk aversion :math:`\gamma = -x u''/u' \ge 0`.

    Raises
    ------
    DecideValueError
        If ``risk_aversion`` is negative or not finite; when scoring outcomes
        that are not all positive (the message names the smallest draw).

    Notes
    -----
    The certainty equivalent is the power mean of order :math:`1 - \gamma`
    (the geometric mean at :math:`\gamma = 1`): positively homogeneous and concave.

    Examples
    --------
    >>> from decide.measures import Power
    >>> float(Power(2.0)(1.0)), float(Power(2.0)(2.0))
    (0.0, 0.5)
    """

    ce_homogeneous = True
    ce_concave = True

    def __init__(self, risk_aversion: float):
        self.risk_aversion = _risk_aversion(risk_aversion)

    @property
    def _p(self) -> float:
        return 1.0 - self.risk_aversion

    def __call__(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        p = self._p
        return np.log(x) if p == 0 else np.expm1(p * np.log(x)) / p

    def derivative(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) ** (-self.risk_aversion)

    def inverse(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        p = self._p
        return np.exp(u) if p == 0 else np.exp(np.log1p(p * u) / p)

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        p = self._p
        if p == 0:
            return cp.log(expr)
        if p == 1:
            return expr - 1
        return (cp.power(expr, p) - 1) / p

    def check_domain(self, x: np.ndarray) -> None:
        _check_positive(x, self, self.risk_aversion)

    def _params(self) -> dict[str, Any]:
        return {"risk_aversion": self.risk_aversion}


class Log(Utility):
    r"""Logarithmic utility :math:`u(x) = \log x` of a positive outcome (Kelly).

    Raises
    ------
    DecideValueError
        When scoring outcomes that are not all positive.

    Notes
    -----
    Power utility with :math:`\gamma = 1`; the certainty equivalent is the geometric mean.

    Examples
    --------
    >>> from decide.measures import Log
    >>> float(Log()(1.0))
    0.0
    """

    ce_homogeneous = True
    ce_concave = True

    def __call__(self, x: Any) -> np.ndarray:
        return np.log(np.asarray(x, dtype=np.float64))

    def derivative(self, x: Any) -> np.ndarray:
        return 1.0 / np.asarray(x, dtype=np.float64)

    def inverse(self, u: Any) -> np.ndarray:
        return np.exp(np.asarray(u, dtype=np.float64))

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        return cp.log(expr)

    def check_domain(self, x: np.ndarray) -> None:
        _check_positive(x, self, 1.0)


class Quadratic(Utility):
    r"""Quadratic utility :math:`u(x) = x - b x^2`.

    Parameters
    ----------
    b : float
        Curvature, ``b >= 0``.

    Raises
    ------
    DecideValueError
        If ``b`` is negative or not finite.

    Notes
    -----
    Concave, but increasing only for :math:`x < 1/(2b)` (the bliss point): above
    it more outcome scores lower, so the utility is not monotone and the
    expected utility is not SSD-consistent in general. Keep the outcomes below
    ``1 / (2 b)``. ``inverse`` returns the root on the increasing branch. The
    expected utility is :math:`\mu - b(\sigma^2 + \mu^2)`.

    Examples
    --------
    >>> from decide.measures import Quadratic
    >>> float(Quadratic(0.1)(1.0))
    0.9
    """

    increasing = False

    def __init__(self, b: float):
        self.b = check_in_range(b, "b", low=0.0, high=math.inf, high_inclusive=False)
        if self.b == 0:
            self.increasing = self.homogeneous = True
            self.ce_translation_invariant = self.ce_homogeneous = self.ce_concave = True

    def __call__(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return x - self.b * x * x

    def derivative(self, x: Any) -> np.ndarray:
        return 1.0 - 2.0 * self.b * np.asarray(x, dtype=np.float64)

    def inverse(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        if self.b == 0:
            return u
        return 2.0 * u / (1.0 + np.sqrt(1.0 - 4.0 * self.b * u))

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        return expr - self.b * cp.square(expr)

    def _params(self) -> dict[str, Any]:
        return {"b": self.b}


class PiecewiseLinear(Utility):
    r"""Continuous piecewise-linear utility with ``u(0) = 0``.

    Parameters
    ----------
    breakpoints : array_like of shape (k,)
        Strictly increasing finite kinks :math:`b_1 < \dots < b_k`.
    slopes : array_like of shape (k + 1,)
        Positive slopes left of :math:`b_1`, between kinks, and right of :math:`b_k`.

    Raises
    ------
    DecideValueError
        If the shapes do not match, a breakpoint is not finite or out of order,
        or a slope is not positive and finite.

    Notes
    -----
    .. math:: u(x) = s_0 x + \sum_j (s_j - s_{j-1}) \left[(x - b_j)_+ - (-b_j)_+\right].

    Concave (risk averse) when the slopes do not increase, e.g. loss aversion
    ``PiecewiseLinear([0.0], [2.25, 1.0])`` (Kahneman-Tversky): then its
    cvxpy form is concave (a sum of ``-pos`` terms).

    Examples
    --------
    >>> from decide.measures import PiecewiseLinear
    >>> u = PiecewiseLinear([0.0], [2.0, 1.0])
    >>> u([-1.0, 1.0]).tolist()
    [-2.0, 1.0]
    """

    def __init__(self, breakpoints: Any, slopes: Any):
        b = np.atleast_1d(np.asarray(breakpoints, dtype=np.float64))
        s = np.atleast_1d(np.asarray(slopes, dtype=np.float64))
        if b.ndim != 1 or s.shape != (b.size + 1,):
            raise DecideValueError(
                f"slopes must have one more entry than breakpoints; got breakpoints of shape "
                f"{b.shape} and slopes of shape {s.shape}."
            )
        if not np.all(np.isfinite(b)) or np.any(np.diff(b) <= 0):
            raise DecideValueError(
                f"breakpoints must be finite and strictly increasing; got {b.tolist()}."
            )
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise DecideValueError(f"slopes must be positive and finite; got {s.tolist()}.")
        self.breakpoints, self.slopes = b, s
        self.concave = bool(np.all(np.diff(s) <= 0))
        self.homogeneous = self.ce_homogeneous = bool(np.all(b == 0))
        self._offset = float(np.sum(np.diff(s) * np.maximum(-b, 0.0)))
        self._knot_u = self(b)

    def __call__(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        ds = np.diff(self.slopes)
        out = self.slopes[0] * x
        for bj, dj in zip(self.breakpoints, ds):
            out = out + dj * np.maximum(x - bj, 0.0)
        return out - self._offset

    def derivative(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return self.slopes[np.searchsorted(self.breakpoints, x, side="right")]

    def inverse(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        j = np.searchsorted(self._knot_u, u, side="right")
        ref = np.where(j > 0, self.breakpoints[np.maximum(j - 1, 0)], self.breakpoints[0])
        ref_u = np.where(j > 0, self._knot_u[np.maximum(j - 1, 0)], self._knot_u[0])
        return ref + (u - ref_u) / self.slopes[j]

    @property
    def has_cvxpy(self) -> bool:
        return self.concave

    def to_cvxpy(self, expr: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        if not self.concave:
            raise NotImplementedError(f"{self!r} is not concave, so it has no DCP-concave form.")
        out = self.slopes[0] * expr - self._offset
        for bj, dj in zip(self.breakpoints, np.diff(self.slopes)):
            out = out - (-dj) * cp.pos(expr - bj)
        return out

    def _params(self) -> dict[str, Any]:
        return {"breakpoints": self.breakpoints.tolist(), "slopes": self.slopes.tolist()}
