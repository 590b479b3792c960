r"""The sufficient statistics of a PyMC likelihood: the default summary of ``Experiment.from_pymc``.

The regression estimator of :func:`evsi` regresses the utilities on a summary
:math:`T(X)` of each simulated dataset; it estimates
:math:`E[U(a,\theta)\mid T(X)]`, which equals :math:`E[U(a,\theta)\mid X]` only
when :math:`T` is sufficient for the parameters. For :math:`n` exchangeable
units from an exponential family
:math:`p(y\mid\eta) = h(y)\exp(\eta^\top t(y) - A(\eta))` the sums
:math:`\sum_i t(y_i)` are sufficient (Fisher-Neyman factorisation; Casella and
Berger 2002, theorem 6.2.10); we use their means over the units (the same
information for a fixed ``n``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SufficientSummary", "detect_statistics"]

# t(y) of each statistic name
_STATS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "y": lambda y: y,
    "y^2": lambda y: y * y,
    "log y": lambda y: np.log(y),
    "log^2 y": lambda y: np.log(y) ** 2,
    "log(1-y)": lambda y: np.log1p(-y),
    "1/y": lambda y: 1.0 / y,
}

# op class name -> (family, statistics when every parameter is free,
#                   {parameter index: statistics that suffice when that parameter is fixed})
_FAMILIES: dict[str, tuple[str, tuple[str, ...], dict[int, tuple[str, ...]]]] = {
    "NormalRV": ("Normal", ("y", "y^2"), {1: ("y",)}),
    "HalfNormalRV": ("HalfNormal", ("y", "y^2"), {}),
    "LogNormalRV": ("LogNormal", ("log y", "log^2 y"), {1: ("log y",)}),
    "PoissonRV": ("Poisson", ("y",), {}),
    "BernoulliRV": ("Bernoulli", ("y",), {}),
    "BinomialRV": ("Binomial", ("y",), {}),
    "GeometricRV": ("Geometric", ("y",), {}),
    "ExponentialRV": ("Exponential", ("y",), {}),
    "GammaRV": ("Gamma", ("log y", "y"), {0: ("y",)}),
    "InvGammaRV": ("InverseGamma", ("log y", "1/y"), {0: ("1/y",)}),
    "BetaRV": ("Beta", ("log y", "log(1-y)"), {}),
}
# a family whose statistics are finite only while one parameter is fixed
_ONLY_IF_FIXED: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "NegBinomialRV": ("NegativeBinomial", 0, ("y",)),
}
_FALLBACK = ("y", "y^2")
MAX_GROUPS = 8


def _depends_on(var: Any, roots: set[Any]) -> bool:
    try:  # pytensor >= 2.31
        from pytensor.graph.traversal import ancestors
    except ImportError:  # pragma: no cover - older pytensor
        from pytensor.graph.basic import ancestors

    return any(a in roots for a in ancestors([var]))


def detect_statistics(model: Any, observed: str) -> tuple[str, tuple[str, ...], bool]:
    """``(family, statistic names, sufficient)`` of the observed variable of a PyMC model.

    A parameter counts as free when its graph reaches a free random variable
    of the model; a fixed one (a constant or data) lets a smaller statistic suffice.
    """
    rv = model[observed]
    node = rv.owner
    op = node.op if node is not None else None
    name = type(op).__name__
    if op is None or getattr(op, "ndim_supp", 1) != 0 or not hasattr(op, "dist_params"):
        return name or "unknown", _FALLBACK, False
    params = list(op.dist_params(node))
    free = set(model.free_RVs)
    if name in _FAMILIES:
        family, stats, when_fixed = _FAMILIES[name]
        for idx, smaller in when_fixed.items():
            if idx < len(params) and not _depends_on(params[idx], free):
                stats = smaller
        return family, stats, True
    if name in _ONLY_IF_FIXED:
        family, idx, stats = _ONLY_IF_FIXED[name]
        if idx < len(params) and not _depends_on(params[idx], free):
            return family, stats, True
        return f"{family} (free dispersion)", _FALLBACK, False
    return name.removesuffix("RV") or "unknown", _FALLBACK, False


@dataclass
class SufficientSummary:
    r"""The statistics :math:`\bar t(y)` of each simulated dataset, per design group.

    Units with the same design row (the values ``design`` gives the new
    units) are exchangeable, so the means of :math:`t(y)` within each group
    are sufficient for any mean function of the design. With more than
    ``MAX_GROUPS`` distinct rows the statistics of a generalised linear model
    are used instead, :math:`n^{-1} X^\top t(y)` with :math:`X = [1, \text{design}]`:
    sufficient when the natural parameter is linear in the design columns
    (a normal linear regression, a log-linear Poisson, a logistic Binomial).

    Called on data of shape ``(m, n, ...)``, returns shape ``(m, k)``.
    """

    family: str
    stats: tuple[str, ...]
    sufficient: bool
    new_units: Callable[[int], Mapping[str, np.ndarray]]

    def _design(self, n: int) -> tuple[np.ndarray, str]:
        rows = self.new_units(n)
        cols = [np.asarray(v, dtype=np.float64).reshape(n, -1) for _, v in sorted(rows.items())]
        Z = np.concatenate(cols, axis=1) if cols else np.zeros((n, 0))
        uniq, inverse = np.unique(Z, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        if uniq.shape[0] <= MAX_GROUPS:
            G = np.zeros((n, uniq.shape[0]))
            G[np.arange(n), inverse] = 1.0
            return G / G.sum(axis=0), "group"
        X = np.column_stack([np.ones(n), Z])
        return X / n, "linear"

    def kind(self, n: int) -> str:
        """``"group"`` (means per distinct design row) or ``"linear"`` (GLM statistics) at size ``n``."""
        return self._design(n)[1]

    def __call__(self, data: Any) -> np.ndarray:
        y = np.asarray(data, dtype=np.float64)
        if y.ndim < 2:
            y = y[:, None]
        m, n = y.shape[:2]
        W, _ = self._design(n)
        out = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for s in self.stats:
                t = _STATS[s](y).reshape(m, n, -1)
                out.append(np.einsum("mnk,ng->mgk", t, W).reshape(m, -1))
        return np.concatenate(out, axis=1)

    def describe(self) -> str:
        """A one-line statement of the statistics and whether they are sufficient."""
        what = ", ".join(f"mean of {s}" for s in self.stats)
        if self.sufficient:
            return (
                f"{self.family} likelihood: sufficient statistics ({what}) per design group "
                f"(GLM statistics X't(y)/n beyond {MAX_GROUPS} distinct design rows)"
            )
        return (
            f"{self.family} likelihood has no finite sufficient statistics: ({what}) per design "
            "group, NOT sufficient (the regression values the information in this summary "
            "only, a lower bound; pass summary= for a better one)"
        )
