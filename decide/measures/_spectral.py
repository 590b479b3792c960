"""Spectral (distortion) risk measures on the reward scale.

Conventions: outcomes are rewards (higher is better); risk lives in the lower
tail. A spectral measure is a weighted mean of the outcome quantiles that puts
more weight on worse outcomes. Draws put the sample axis first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError
from decide.measures._base import Objective, Property
from decide.measures._moments import cp_mean
from decide.measures._quantile import CVaR

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["Spectral"]

P = Property


def _distortion_weights(
    x: np.ndarray, w: np.ndarray | None, g: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Sort order of the draws and the weight ``g(F_i) - g(F_{i-1})`` of each sorted draw."""
    order = np.argsort(x)
    m = x.shape[0]
    cum = np.arange(1, m + 1) / m if w is None else np.cumsum(w[order])
    cum[-1] = 1.0
    g_cum = np.asarray(g(cum), dtype=np.float64)
    return order, np.diff(g_cum, prepend=0.0)


class Spectral(Objective):
    r"""Spectral risk measure on the reward scale: a tail-weighted mean of the quantiles.

    .. math:: M_\phi(X) = \int_0^1 \phi(p)\, q_p(X)\, dp
              = \sum_i \left[g(F_i) - g(F_{i-1})\right] x_{(i)},

    with a non-negative, non-increasing spectrum :math:`\phi` integrating to
    one, :math:`g(u) = \int_0^u \phi`, sorted draws :math:`x_{(i)}` and
    cumulative weights :math:`F_i`.

    Parameters
    ----------
    weights : array_like of shape (k,), optional
        Spectrum on ``k`` equal bins of [0, 1], worst bin first: non-negative,
        non-increasing, positive sum (normalized). With ``k`` equal to the
        number of equally weighted draws it is the weight of each sorted draw.
    distortion : callable, optional
        A concave non-decreasing ``g`` on [0, 1] with ``g(0) = 0`` and
        ``g(1) = 1``, vectorized over arrays. Give exactly one of the two.

    Raises
    ------
    DecideValueError
        If the weights are negative, increasing or sum to zero, or the
        distortion fails its checks on a grid of 1001 points.

    Notes
    -----
    Coherent, law invariant and SSD-consistent (Acerbi, 2002). ``CVaR(alpha)``
    is the distortion ``min(u / alpha, 1)``. Supergradient: the weight of each
    sorted draw. DCP form (``weights`` only): the mixture of CVaRs
    :math:`\sum_j (\phi_j - \phi_{j+1})\frac{j}{k}\,\mathrm{CVaR}_{j/k}`.

    References
    ----------
    Acerbi, C. (2002). Spectral measures of risk: a coherent representation of
    subjective risk aversion. *Journal of Banking & Finance* 26, 1505-1518.

    Examples
    --------
    >>> from decide.measures import Spectral
    >>> Spectral(weights=[3.0, 1.0])([4.0, 0.0, 2.0, 6.0])   # 0.75 * 1 + 0.25 * 5
    2.0
    """

    _properties = frozenset(
        {
            P.MONOTONE,
            P.TRANSLATION_INVARIANT,
            P.POSITIVELY_HOMOGENEOUS,
            P.CONCAVE,
            P.LAW_INVARIANT,
            P.SSD_CONSISTENT,
        }
    )

    def __init__(
        self, weights: Any = None, distortion: Callable[[np.ndarray], np.ndarray] | None = None
    ):
        if (weights is None) == (distortion is None):
            raise DecideTypeError(
                "Spectral needs exactly one of weights= or distortion=; got "
                f"{'both' if weights is not None else 'neither'}."
            )
        self.weights: np.ndarray | None = None
        self.distortion = distortion
        if weights is not None:
            phi = np.atleast_1d(np.asarray(weights, dtype=np.float64))
            if phi.ndim != 1 or not np.all(np.isfinite(phi)) or np.any(phi < 0) or phi.sum() <= 0:
                raise DecideValueError(
                    f"weights must be a 1-d array of finite non-negative numbers with a positive "
                    f"sum; got {phi.tolist()}."
                )
            if np.any(np.diff(phi) > 1e-12 * phi.max()):
                raise DecideValueError(
                    "weights must be non-increasing (worst outcomes weigh most) for a coherent "
                    f"spectral measure; got {phi.tolist()}."
                )
            self.weights = phi / phi.sum()
            knots = np.linspace(0.0, 1.0, phi.size + 1)
            cum = np.concatenate([[0.0], np.cumsum(self.weights)])
            cum[-1] = 1.0
            self._g: Callable[[np.ndarray], np.ndarray] = lambda u: np.interp(u, knots, cum)
        else:
            if not callable(distortion):
                raise DecideTypeError(
                    f"distortion must be callable; got {type(distortion).__name__}."
                )
            self._g = distortion
            self._check_distortion()

    def _check_distortion(self) -> None:
        u = np.linspace(0.0, 1.0, 1001)
        try:
            g = np.asarray(self._g(u), dtype=np.float64)
        except Exception as exc:  # user callable
            raise DecideValueError(
                f"distortion must accept an array of probabilities; it raised {exc!r}."
            ) from None
        if g.shape != u.shape or not np.all(np.isfinite(g)):
            raise DecideValueError(
                f"distortion must return finite values of the input's shape; got shape {g.shape}."
            )
        if abs(g[0]) > 1e-9 or abs(g[-1] - 1.0) > 1e-9:
            raise DecideValueError(
                f"distortion must satisfy g(0) = 0 and g(1) = 1; got g(0) = {g[0]} and g(1) = {g[-1]}."
            )
        if np.any(np.diff(g) < -1e-9):
            raise DecideValueError("distortion must be non-decreasing on [0, 1].")
        if np.any(np.diff(g, 2) > 1e-9):
            raise DecideValueError(
                "distortion must be concave on [0, 1] (worse outcomes weigh more); it is not."
            )

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        order, dw = _distortion_weights(x, w, self._g)
        return float(dw @ x[order])

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        order, dw = _distortion_weights(x, w, self._g)
        g = np.empty_like(x)
        g[order] = dw
        return g

    @property
    def has_cvxpy(self) -> bool:
        return self.weights is not None

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        if self.weights is None:
            raise NotImplementedError(
                "Spectral(distortion=...) has no DCP form; give weights= instead."
            )
        k = self.weights.size
        phi = self.weights * k
        coef = (phi - np.append(phi[1:], 0.0)) * np.arange(1, k + 1) / k
        out = 0
        for j, c in enumerate(coef, start=1):
            if c <= 0:
                continue
            term = cp_mean(expr, w) if j == k else CVaR(j / k)._to_cvxpy(expr, w)
            out = out + c * term
        return out

    def _params(self) -> dict[str, Any]:
        if self.weights is not None:
            return {"weights": self.weights.tolist()}
        return {"distortion": self.distortion}
