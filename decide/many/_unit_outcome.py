"""One unit's slice of an outcome model whose outcome has a unit dim (a store, a region)."""

from __future__ import annotations

import math

import numpy as np

from decide.errors import DecideValueError
from decide.outcomes import ActionSpec, OutcomeModel, resolve_reduce

__all__ = ["UnitOutcome"]


class UnitOutcome(OutcomeModel):
    r"""The outcome of unit ``index`` along the dim ``over`` of a parent outcome model.

    The parent's unreduced outcome (:meth:`~decide.outcomes.OutcomeModel.sample`)
    must have the dim ``over`` in its ``outcome_dims``, e.g. the ``store`` dim of a
    hierarchical PyMC model's ``sales``. The unit's action is the parent's action
    with the dim ``over`` removed: an action variable with that dim is the unit's
    own slice, an action variable without it is a value the unit chooses for
    itself. Outcomes are rewards (higher is better); draws put the sample axis
    first and the remaining outcome dims are reduced with the parent's ``reduce``.

    Parameters
    ----------
    parent : OutcomeModel
        Outcome with ``over`` in ``parent.outcome_dims``.
    over : str
        The unit dim.
    index : int
        Position of the unit along ``over``.
    n_units : int
        Length of ``over``.

    Notes
    -----
    The parent is evaluated with every unit taking the same unit action ``a``
    (the unit's value tiled along ``over``), and the unit's slice is read:

    .. math:: y_u(a) = \mathrm{reduce}\big(Y(a \otimes \mathbf 1_U)_{\cdot, u}\big).

    This is unit ``u``'s outcome under ``do(a)`` when the units are decoupled (unit
    ``u``'s outcome depends on its own slice of the action only), which is what a
    batch of separate decisions assumes. Units that share a resource are one
    problem: use :func:`decide.optimize` on the stacked action instead.
    The gradient is the parent's vector-Jacobian product restricted to the unit's
    slice (available when every action variable has the dim ``over`` and ``reduce``
    is ``"sum"`` or ``"mean"``).

    Examples
    --------
    >>> import numpy as np
    >>> from decide.many import UnitOutcome
    >>> from decide.outcomes import from_function
    >>> demand = np.random.default_rng(0).gamma(4.0, 25.0, size=(500, 3))   # 3 stores
    >>> parent = from_function(lambda q, p: 5 * np.minimum(q, p["d"]) - 3 * q, {"d": demand},
    ...                        action_shape=(), outcome_dims=("store",))
    >>> unit = UnitOutcome(parent, "store", 2, 3)
    >>> bool(np.allclose(unit.draws(80.0), 5 * np.minimum(80.0, demand[:, 2]) - 3 * 80.0))
    True
    """

    def __init__(self, parent: OutcomeModel, over: str, index: int, n_units: int) -> None:
        dims = tuple(parent.outcome_dims)
        if over not in dims:
            raise DecideValueError(
                f"over={over!r} must be a dim of the outcome; its outcome_dims are {dims}."
            )
        if not 0 <= index < n_units:
            raise DecideValueError(f"index must be in [0, {n_units}); got {index}.")
        self.parent, self.over, self.index, self.n_units = parent, over, int(index), int(n_units)
        self._axis = dims.index(over)
        self.n_samples = parent.n_samples
        self.n_replicates = parent.n_replicates
        self.outcome_dims = tuple(d for d in dims if d != over)
        self.outcome_coords = {
            k: v for k, v in dict(parent.outcome_coords).items() if k != over
        }
        self.reduce = parent.reduce
        self.action_space, self._lift, self._own, self._all_over = _unit_space(
            parent.action_space, over, self.index, self.n_units
        )
        self._vjp_ok = bool(
            parent.has_vjp and self._all_over and self.reduce in ("sum", "mean")
        )

    def __repr__(self) -> str:
        return f"UnitOutcome({type(self.parent).__name__}, {self.over}={self.index})"

    @property
    def has_vjp(self) -> bool:
        """Whether :meth:`vjp` is available (see Notes of the class)."""
        return self._vjp_ok

    def lift(self, x: np.ndarray) -> np.ndarray:
        """The parent's flat action with every unit taking the unit action ``x``."""
        return np.asarray(x, dtype=np.float64)[self._lift]

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self.parent.sample_flat(self.lift(x)))
        lead = 1 if self.n_replicates is None else 2
        return np.take(out, self.index, axis=lead + self._axis)

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        g = np.asarray(self.parent.vjp_flat(self.lift(x), cotangent), dtype=np.float64)
        out = np.zeros(self.action_space.size)
        out[self._lift[self._own]] = g[self._own]
        if self.reduce == "mean":
            out *= self.n_units
        return out


def _unit_space(
    spec: ActionSpec, over: str, index: int, n_units: int
) -> tuple[ActionSpec, np.ndarray, np.ndarray, bool]:
    """The unit's action space, the lift index map, the unit's own parent positions."""
    shapes, dims, lift, own = [], [], [], []
    offset = 0
    all_over = True
    for name, sh, ds in zip(spec.names, spec.shapes, spec.dims):
        if over in ds:
            j = ds.index(over)
            if sh[j] != n_units:
                raise DecideValueError(
                    f"action {name!r} has length {sh[j]} along {over!r} but the outcome has "
                    f"{n_units} units; they must match."
                )
            ush = sh[:j] + sh[j + 1 :]
            ids = np.arange(math.prod(ush)).reshape(ush) + offset
            lift.append(np.broadcast_to(np.expand_dims(ids, j), sh).reshape(-1))
            shape_along = [1] * len(sh)
            shape_along[j] = sh[j]
            along = np.broadcast_to(np.arange(sh[j]).reshape(shape_along), sh).reshape(-1)
            own.append(along == index)
            shapes.append(ush)
            dims.append(tuple(d for d in ds if d != over))
        else:
            all_over = False
            k = math.prod(sh)
            lift.append(np.arange(k) + offset)
            own.append(np.ones(k, dtype=bool))
            shapes.append(sh)
            dims.append(ds)
            ush = sh
        offset += math.prod(ush)
    coords = {k: v for k, v in spec.coords.items() if k != over}
    unit = ActionSpec(names=spec.names, shapes=tuple(shapes), dims=tuple(dims), coords=coords)
    return unit, np.concatenate(lift), np.concatenate(own), all_over


def unit_draws(parent: OutcomeModel, over: str, out: np.ndarray) -> np.ndarray:
    """Every unit's reduced draws from one unreduced parent sample.

    Parameters
    ----------
    parent : OutcomeModel
    over : str
    out : ndarray of shape (n_samples[, n_replicates], *outcome_shape)

    Returns
    -------
    ndarray of shape (n_units, n_samples[, n_replicates])
    """
    lead = 1 if parent.n_replicates is None else 2
    axis = lead + tuple(parent.outcome_dims).index(over)
    if out.ndim == lead + 1:  # the unit dim is the only outcome dim: nothing to reduce
        return np.ascontiguousarray(np.moveaxis(out, axis, 0), dtype=np.float64)
    # reduce each unit's slice exactly as UnitOutcome does (same summation order)
    fn = resolve_reduce(parent.reduce, lead)
    return np.stack(
        [np.asarray(fn(np.take(out, u, axis=axis)), dtype=np.float64) for u in range(out.shape[axis])]
    )
