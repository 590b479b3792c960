"""The newsvendor outcome: profit of an order quantity against demand draws, per unit."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._config import SAMPLE_DIM
from decide._validation import as_indices, stack_sample_dims
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import ActionSpec, OutcomeModel

__all__ = ["NewsvendorOutcome", "newsvendor"]


def _per_unit(value: Any, n_units: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_units, float(arr))
    if arr.shape != (n_units,) or not np.all(np.isfinite(arr)):
        raise DecideValueError(
            f"{name} must be a finite number or one finite number per unit, shape ({n_units},); "
            f"got {np.asarray(value).tolist() if arr.size < 10 else arr.shape}."
        )
    return arr


class NewsvendorOutcome(OutcomeModel):
    """Profit of ordering ``q`` units against demand draws, for one or many units.

    Build it with :func:`newsvendor`, which documents the model. Outcomes are
    rewards (higher is better); draws put the sample axis first.

    Attributes
    ----------
    demand : ndarray of shape (n_samples,) or (n_samples, n_units)
        Read-only demand draws.
    price, cost, salvage : ndarray of shape (n_units,)
        Per-unit prices (a single unit has shape (1,)).
    unit_dim : str or None
        The unit dim, ``None`` for a single unit.
    """

    def __init__(
        self,
        demand: np.ndarray,
        price: Any,
        cost: Any,
        salvage: Any = 0.0,
        *,
        unit_dim: str | None = None,
        units: Sequence[Any] | np.ndarray | None = None,
    ) -> None:
        d = np.array(demand, dtype=np.float64)
        if d.ndim not in (1, 2) or d.shape[0] < 2 or (d.ndim == 2 and d.shape[1] == 0):
            raise DecideValueError(
                "demand must have shape (n_samples,) or (n_samples, n_units) with at least 2 "
                f"samples and 1 unit; got shape {d.shape}."
            )
        n_units = 1 if d.ndim == 1 else d.shape[1]
        p = _per_unit(price, n_units, "price")
        c = _per_unit(cost, n_units, "cost")
        s = _per_unit(salvage, n_units, "salvage")
        if not (np.all(s < c) and np.all(c < p)):
            raise DecideValueError(
                "newsvendor needs salvage < cost < price for every unit (else ordering nothing "
                f"or everything is optimal); got price={p.tolist()}, cost={c.tolist()}, "
                f"salvage={s.tolist()}."
            )
        d.setflags(write=False)
        self.demand, self.price, self.cost, self.salvage = d, p, c, s
        self.n_samples = int(d.shape[0])
        self.n_replicates = None
        self.reduce = "sum"
        if d.ndim == 1:
            self.unit_dim = None
            self.outcome_dims = ()
            self.outcome_coords = {}
            self.action_space = ActionSpec(names=("order",), shapes=((),))
        else:
            self.unit_dim = unit_dim or "unit"
            labels = np.asarray(list(units) if units is not None else np.arange(n_units))
            if labels.shape != (n_units,):
                raise DecideValueError(
                    f"units must give one label per unit ({n_units}); got {labels.shape[0]}."
                )
            self.outcome_dims = (self.unit_dim,)
            self.outcome_coords = {self.unit_dim: labels}
            self.action_space = ActionSpec(
                names=("order",), shapes=((n_units,),), dims=((self.unit_dim,),),
                coords={self.unit_dim: labels},
            )
        self._bad = ~np.all(np.isfinite(d.reshape(d.shape[0], -1)), axis=0)

    def __repr__(self) -> str:
        units = "" if self.unit_dim is None else f", {self.unit_dim}={self.demand.shape[1]}"
        return f"NewsvendorOutcome(n_samples={self.n_samples}{units})"

    @property
    def critical_fractile(self) -> np.ndarray:
        """``(price - cost) / (price - salvage)`` per unit, shape (n_units,)."""
        return (self.price - self.cost) / (self.price - self.salvage)

    def _check(self) -> None:
        if self._bad.any():
            bad = np.flatnonzero(self._bad).tolist()
            raise DecideValueError(
                f"demand has non-finite draws (NaN or inf) for unit positions {bad}; drop or "
                "impute them first."
            )

    def profit(self, q: np.ndarray, demand: np.ndarray) -> np.ndarray:
        """``price * min(q, D) - cost * q + salvage * max(q - D, 0)``, broadcast per unit."""
        p, c, s = (v if demand.ndim == 2 else v[0] for v in (self.price, self.cost, self.salvage))
        return p * np.minimum(q, demand) - c * q + s * np.maximum(q - demand, 0.0)

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        self._check()
        q = x if self.unit_dim is not None else x[0]
        return self.profit(q, self.demand)

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        self._check()
        if cotangent.shape != (self.n_samples,):
            raise DecideValueError(
                f"cotangent must have the shape of draws(action), ({self.n_samples},); got "
                f"shape {cotangent.shape}."
            )
        d = self.demand.reshape(self.n_samples, -1)
        slope = np.where(x[None, :] < d, self.price - self.cost, self.salvage - self.cost)
        return cotangent @ slope

    def unit(self, index: int) -> NewsvendorOutcome:
        """The single-unit newsvendor of the unit at position ``index``.

        Raises
        ------
        DecideValueError
            If that unit's demand draws are not finite.
        """
        if self.unit_dim is None:
            return self
        if self._bad[index]:
            raise DecideValueError(
                f"demand of unit {_plain(self.outcome_coords[self.unit_dim][index])!r} has non-finite "
                "draws (NaN or inf); drop or impute them first."
            )
        i = int(index)
        return NewsvendorOutcome(
            self.demand[:, i], self.price[i], self.cost[i], self.salvage[i]
        )

    def subset(self, indices: Sequence[int] | np.ndarray) -> NewsvendorOutcome:
        """The same units restricted to the demand draws ``indices``."""
        idx = as_indices(indices, self.n_samples)
        new = copy.copy(self)  # a single draw is a valid subset (evpi solves draw by draw)
        d = np.array(self.demand[idx], dtype=np.float64)
        d.setflags(write=False)
        new.demand, new.n_samples = d, int(d.shape[0])
        new._bad = ~np.all(np.isfinite(d.reshape(d.shape[0], -1)), axis=0)
        return new


def newsvendor(
    demand: Any,
    price: Any,
    cost: Any,
    salvage: Any = 0.0,
    *,
    dim: str | None = None,
) -> NewsvendorOutcome:
    r"""Newsvendor profit: order ``q`` before demand ``D`` is known, per unit.

    Each unit (store, product) orders ``q_u``, sells ``min(q_u, D_u)`` at
    ``price``, pays ``cost`` per unit ordered and recovers ``salvage`` per unsold
    unit. Outcomes are rewards (higher is better); draws put the sample axis first.

    Parameters
    ----------
    demand : array_like of shape (n_samples,) or (n_samples, n_units), pandas.DataFrame or xarray.DataArray
        Posterior predictive demand draws: one column per unit (a DataFrame's
        columns label the units), or a DataArray with the sample dims
        (``("chain", "draw")`` or ``"sample"``) and at most one unit dim.
    price, cost, salvage : float or array_like of shape (n_units,)
        Per-unit economics with ``salvage < cost < price``.
    dim : str, optional
        Name of the unit dim (default: the DataArray's other dim, the DataFrame's
        ``columns.name``, else ``"unit"``).

    Returns
    -------
    NewsvendorOutcome
        Action ``order`` (scalar for one unit, dims ``(dim,)`` for several), outcome
        dims ``(dim,)``; an exact :meth:`~decide.outcomes.OutcomeModel.vjp`.

    Raises
    ------
    DecideValueError
        If the shapes do not fit or the prices are not ordered ``salvage < cost < price``.
        Non-finite demand of a unit makes that unit fail when it is evaluated.

    Notes
    -----
    Profit :math:`\pi(q, D) = p \min(q, D) - c q + s (q - D)_+`. The expected
    profit is concave in :math:`q` with right derivative
    :math:`(p - c) - (p - s) F(q)`, so it is maximized at the critical fractile
    :math:`q^* = F^{-1}\big(\tfrac{p - c}{p - s}\big)`. Over ``n`` equally
    weighted draws the maximizer is the lower empirical quantile, the
    :math:`\lceil n (p - c)/(p - s) \rceil`-th smallest draw
    (:func:`decide.measures.value_at_risk` of the demand);
    :func:`decide.many.optimize_many` uses it to solve every unit at once for the
    ``Mean()`` objective over a :class:`~decide.optimization.Box`.

    References
    ----------
    .. [1] Arrow, K. J., Harris, T. and Marschak, J. (1951). Optimal inventory
       policy. Econometrica, 19(3), 250-272.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.many import newsvendor
    >>> demand = np.random.default_rng(0).gamma(4.0, 25.0, size=(1000, 3))
    >>> model = newsvendor(demand, price=5.0, cost=3.0, salvage=1.0, dim="store")
    >>> model.action_space.labels
    ['order[0]', 'order[1]', 'order[2]']
    >>> model.critical_fractile.tolist()
    [0.5, 0.5, 0.5]
    """
    units = None
    if isinstance(demand, xr.DataArray):
        stacked = stack_sample_dims(demand, "demand")
        others = [d for d in stacked.dims if d != SAMPLE_DIM]
        if len(others) > 1:
            raise DecideValueError(
                f"demand must have the sample dims and at most one unit dim; got the extra dims "
                f"{others}."
            )
        if others:
            dim = dim or str(others[0])
            if dim != others[0]:
                raise DecideValueError(f"dim={dim!r} is not a dim of demand; it has {others}.")
            stacked = stacked.transpose(SAMPLE_DIM, dim)
            units = (
                stacked[dim].values if dim in stacked.coords else np.arange(stacked.sizes[dim])
            )
        arr = stacked.values
    elif isinstance(demand, pd.DataFrame):
        arr = demand.to_numpy(dtype=np.float64)
        units = np.asarray(demand.columns)
        dim = dim or (str(demand.columns.name) if demand.columns.name is not None else None)
    else:
        try:
            arr = np.asarray(demand, dtype=np.float64)
        except (TypeError, ValueError):
            raise DecideTypeError(
                f"demand must be numeric (array, DataFrame or DataArray); got {type(demand).__name__}."
            ) from None
    return NewsvendorOutcome(arr, price, cost, salvage, unit_dim=dim, units=units)


def _plain(label: Any) -> Any:
    """A numpy scalar label as the Python value it holds (``'b'``, not ``np.str_('b')``)."""
    return label.item() if isinstance(label, np.generic) else label
