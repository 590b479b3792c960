r"""Decisions in the user's terms: a small decision mapped onto the model's action.

A model's action is often a large array (spend per week and channel, price per week
and product) of which only part is decided: the weeks before the planning window are
history (their effect carries in), the weeks after it only carry the effect out, and
within the window spend may move in flights (equal spend over a run of weeks) or be
spread by a fixed weekly profile. :class:`MappedOutcome` decides a small vector
:math:`z` through an affine map onto the full action,

.. math:: x(z) = x_0 + M z,

so every optimizer, table and plot works in :math:`z` (a handful of named numbers)
while the model sees the full action. Gradients pass through the map exactly:
:math:`\nabla_z = M^\top \nabla_x`. :func:`plan` builds the map of a planning
window; :func:`linear_map` takes any map.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from decide._validation import label_text
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import ActionSpec, OutcomeModel
from decide.outcomes._draws import _label_array
from decide.outcomes._range import ObservedRange

__all__ = ["MappedOutcome", "discount_factors", "linear_map", "plan"]


class MappedOutcome(OutcomeModel):
    r"""An outcome model decided through an affine map ``x = offset + matrix @ z``.

    Build it with :func:`plan` (a planning window with fixed history, carry-out
    weeks and flights) or :func:`linear_map` (any map). Every capability of the
    base model passes through the map: draws, gradient (:math:`M^\top` times the
    base gradient), exact conditional mean, affine form, subsets and replicates.

    Attributes
    ----------
    base : OutcomeModel
        The model whose action is mapped.
    matrix : ndarray of shape (base.action_space.size, action_space.size)
        :math:`M`.
    offset : ndarray of shape (base.action_space.size,)
        :math:`x_0`: the full action at ``z = 0`` (history and fixed cells).
    free : ndarray of bool, shape (base.action_space.size,)
        The cells of the full action that the decision moves (nonzero rows of M).
    window_cells : ndarray of int, shape (n_window_periods, n_units), or None
        For a :func:`plan`: the flat index in the full action of each window cell
        (period x unit, e.g. week x channel); None for :func:`linear_map`.
    window_units : list of str or None
        For a :func:`plan`: the name of each unit (``n_units``, e.g. the channels);
        None for :func:`linear_map`.
    """

    def __init__(
        self,
        base: OutcomeModel,
        matrix: np.ndarray,
        offset: np.ndarray,
        action_space: ActionSpec,
        window_cells: np.ndarray | None = None,
        window_units: Sequence[Hashable] | None = None,
    ):
        self.base = base
        self.window_cells = window_cells
        self.window_units = None if window_units is None else list(window_units)
        self.matrix = np.asarray(matrix, dtype=np.float64)
        self.offset = np.asarray(offset, dtype=np.float64)
        self.matrix.setflags(write=False)
        self.offset.setflags(write=False)
        self.free = np.any(self.matrix != 0.0, axis=1)
        self.action_space = action_space
        self.n_samples = base.n_samples
        self.n_replicates = base.n_replicates
        self.outcome_dims = base.outcome_dims
        self.outcome_coords = base.outcome_coords
        self.reduce = base.reduce

    def __repr__(self) -> str:
        return (
            f"MappedOutcome({type(self.base).__name__}: {self.action_space.size} decided "
            f"values -> {self.base.action_space.size} action cells, "
            f"{int(self.free.sum())} of them moved)"
        )

    def full_action_flat(self, z: np.ndarray) -> np.ndarray:
        """The base model's flat action for the decision ``z``: ``offset + matrix @ z``."""
        return self.offset + self.matrix @ np.asarray(z, dtype=np.float64)

    def full_action(self, z: Any) -> xr.DataArray | xr.Dataset:
        """The base model's action for the decision ``z``, labelled (an xarray object)."""
        return self.base.action_space.to_xarray(
            self.full_action_flat(self.action_space.flatten(z))
        )

    # -- the contract, passed through the map --------------------------------
    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        """Unreduced draws of the base model at the mapped action."""
        return self.base.sample_flat(self.full_action_flat(x))

    def draws_flat(self, x: np.ndarray) -> np.ndarray:
        """Draws of the base model at the mapped action."""
        return self.base.draws_flat(self.full_action_flat(x))

    @property
    def has_vjp(self) -> bool:
        """Whether the base model has a gradient."""
        return self.base.has_vjp

    @property
    def has_conditional_mean(self) -> bool:
        """Whether the base model gives the exact conditional mean."""
        return self.base.has_conditional_mean

    @property
    def smoothness(self) -> str:
        """The base model's smoothness (an affine map of the action keeps it)."""
        return self.base.smoothness

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """``matrix.T @ base.vjp_flat(offset + matrix @ x, cotangent)``."""
        return self.matrix.T @ self.base.vjp_flat(self.full_action_flat(x), cotangent)

    @property
    def has_jacobian(self) -> bool:
        """Whether the base model gives its per-draw Jacobian."""
        return self.base.has_jacobian

    def draws_and_jacobian_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The base model's draws and per-draw Jacobian at the mapped action, times ``matrix``."""
        draws, jac = self.base.draws_and_jacobian_flat(self.full_action_flat(x))
        return draws, jac @ self.matrix

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        """The base model's conditional mean at the mapped action."""
        return self.base.conditional_mean_flat(self.full_action_flat(x))

    def affine_form(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(A M, A x0 + b)`` when the base model is affine ``(A, b)``."""
        form = self.base.affine_form()
        if form is None:
            return None
        A, b = form
        return A @ self.matrix, A @ self.offset + b

    def subset(self, indices: Sequence[int] | np.ndarray) -> MappedOutcome:
        """The same map over the base model restricted to ``indices``."""
        return MappedOutcome(
            self.base.subset(indices), self.matrix, self.offset, self.action_space,
            self.window_cells,
            self.window_units,
        )._with_guards_of(self)

    def with_replicates(
        self, n_replicates: int, random_seed: int | np.random.Generator | None = None
    ) -> MappedOutcome:
        """The same map over the base model with ``n_replicates`` replicates."""
        return MappedOutcome(
            self.base.with_replicates(n_replicates, random_seed),
            self.matrix,
            self.offset,
            self.action_space,
            self.window_cells,
            self.window_units,
        )._with_guards_of(self)

    @property
    def parameters(self) -> xr.Dataset | None:
        """The base model's parameter draws."""
        return self.base.parameters

    def observed_range(self) -> ObservedRange | None:
        """The base model's observed range, stated on the base cells the decision moves.

        A cell ``c`` of the base's range becomes the linear function
        ``c(offset + matrix @ z)`` of the decision: the report speaks the model's cells
        (``spend[2025-01-05, tv]``) and ``within_observed=`` turns the range into linear
        constraints on ``z``. The cells the decision does not move (history, carry-out)
        are left out.
        """
        if self._observed_range is not None:
            return self._observed_range
        rng = self.base.observed_range()
        return None if rng is None else rng.composed(self.matrix, self.offset)

    def history_flat(self) -> np.ndarray | None:
        """The decided values that move a history cell of the base model (see its ``history_flat``).

        The base's history cells include the cells outside its declared planning window
        (:meth:`~decide.outcomes.OutcomeModel.planning_window`): a map that moves them is
        refused by :func:`decide.optimize` like one that moves history.
        """
        hist = self.base.history_flat()
        if hist is None:
            return self._with_window_cells(None)
        return self._with_window_cells(np.any(self.matrix[np.asarray(hist, dtype=bool)] != 0.0, axis=0))

    def with_parameters(self, parameters: xr.Dataset) -> MappedOutcome:
        """The same map over the base model at other parameter draws."""
        return MappedOutcome(
            self.base.with_parameters(parameters), self.matrix, self.offset,
            self.action_space, self.window_cells, self.window_units,
        )._with_guards_of(self)


def _base_values(outcome: OutcomeModel, base: Any) -> np.ndarray:
    if base is not None:
        return outcome.action_space.flatten(base, name="base")
    default = outcome.default_action_flat()
    if default is None:
        raise DecideValueError(
            f"base=None but {type(outcome).__name__} has no default action: pass base= (the "
            "full action, history and fixed cells included)."
        )
    return default


def linear_map(
    outcome: OutcomeModel,
    matrix: Any,
    offset: Any = None,
    *,
    name: str = "decision",
    labels: Sequence[Hashable] | None = None,
    dim: str | None = None,
) -> MappedOutcome:
    r"""Decide ``z`` of length ``k`` through ``x = offset + matrix @ z``.

    Parameters
    ----------
    outcome : OutcomeModel
        The model whose (flat) action ``x`` is mapped; see ``outcome.action_space.labels``.
    matrix : array_like of shape (outcome.action_space.size, k)
        :math:`M`; column ``j`` is the change of the full action per unit of ``z[j]``.
    offset : array_like or None
        :math:`x_0`, in any form ``outcome.action_space.flatten`` accepts; default
        zeros.
    name : str
        Name of the decision variable.
    labels : sequence of hashable or None
        Labels of the ``k`` decided values (default ``0 .. k-1``).
    dim : str or None
        Dim name of the decision (default ``"{name}_dim_0"``).

    Returns
    -------
    MappedOutcome

    Raises
    ------
    DecideValueError
        A matrix of the wrong shape or with non-finite entries, labels of the wrong
        length.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.outcomes import linear, linear_map
    >>> om = linear(np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]))  # 2 draws, 3 cells
    >>> tied = linear_map(om, [[1.0], [1.0], [0.0]], offset=[0.0, 0.0, 5.0],
    ...                   name="level", labels=["first two"])
    >>> tied.draws([1.0]).tolist()   # x = (1, 1, 5)
    [18.0, 14.0]
    """
    size = outcome.action_space.size
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim == 1:
        M = M[:, None]
    if M.ndim != 2 or M.shape[0] != size or M.shape[1] < 1:
        raise DecideValueError(
            f"matrix must have shape (outcome.action_space.size, k) = ({size}, k) with k >= 1; "
            f"got shape {np.shape(matrix)}."
        )
    if not np.all(np.isfinite(M)):
        raise DecideValueError("matrix must be finite; found NaN or inf.")
    x0 = np.zeros(size) if offset is None else outcome.action_space.flatten(offset, name="offset")
    k = M.shape[1]
    labs = list(range(k)) if labels is None else list(labels)
    if len(labs) != k:
        raise DecideValueError(f"labels must have {k} entries (one per column); got {len(labs)}.")
    d = dim or f"{name}_dim_0"
    spec = ActionSpec((name,), ((k,),), ((d,),), {d: _label_array(labs)})
    return MappedOutcome(outcome, M, x0, spec)


def _positions(window: Any, labels: np.ndarray | None, n: int, what: str, dim: str = "period") -> np.ndarray:
    """Positions along a dim of length ``n`` from a range, a slice, positions or labels.

    A 2-tuple ``(start, end)`` and a slice of labels are a range with both ends included,
    read as :func:`~decide.outcomes.with_window` reads it (dates, numbers, names or
    positions); a slice of integers is a Python slice of positions; a list (or array,
    range) names the periods one by one.
    """
    from decide.outcomes._window import _bound_order

    if isinstance(window, tuple):
        if len(window) != 2:
            raise DecideTypeError(
                f"{what}: a tuple is a range (start, end), both included, as in "
                f"with_window; got {len(window)} items {window!r}. Give the periods one by "
                "one as a list."
            )
        order = _bound_order(dim, labels, n, window[0], window[1])
        return np.flatnonzero(order == 0)
    if isinstance(window, slice):
        ends = [b for b in (window.start, window.stop) if b is not None]
        if window.step is None and ends and not all(
            isinstance(b, int | np.integer) and not isinstance(b, bool) for b in ends
        ):
            if len(ends) != 2:
                raise DecideValueError(
                    f"{what}: a slice of labels needs both ends (start and end, both "
                    f"included); got {window!r}."
                )
            order = _bound_order(dim, labels, n, window.start, window.stop)
            return np.flatnonzero(order == 0)
        bad = [b for b in (window.start, window.stop, window.step) if b is not None and (
            isinstance(b, bool) or not isinstance(b, int | np.integer))]
        if bad:
            raise DecideTypeError(
                f"{what}: a slice of positions takes integers; got {window!r}."
            )
        out = [b for b in (window.start, window.stop) if b is not None and not -n <= b <= n]
        if out:
            raise DecideValueError(
                f"{what}={window!r} is out of range: dim {dim!r} has {n} periods, so a slice's "
                f"ends must be in [-{n}, {n}] (positions 0 .. {n - 1}); got {out}."
            )
        pos = np.arange(n)[window]
    else:
        items = list(window) if isinstance(window, Sequence | np.ndarray | range) else None
        if items is None or isinstance(window, str):
            raise DecideTypeError(
                f"{what} must be a range (start, end), a slice, a list of positions or a "
                f"list of labels; got {type(window).__name__}."
            )
        if labels is not None and all(
            not isinstance(v, int | np.integer) or isinstance(v, bool) for v in items
        ):
            lookup = {str(v): i for i, v in enumerate(labels.tolist())}
            lookup.update({label_text(v): i for i, v in enumerate(labels)})
            missing = [v for v in items if str(v) not in lookup and label_text(v) not in lookup]
            if missing:
                raise DecideValueError(
                    f"{what}: labels {missing[:5]} are not among the period labels "
                    f"{[label_text(v) for v in labels[:5]]}{' ...' if len(labels) > 5 else ''}."
                )
            pos = np.array([lookup.get(str(v), lookup.get(label_text(v))) for v in items], dtype=int)
        else:
            pos = np.array(items, dtype=int)
            beyond = pos[(pos < 0) | (pos >= n)]
            if beyond.size:
                raise DecideValueError(
                    f"{what}: positions must be in [0, {n - 1}]; got {beyond.tolist()[:5]}."
                )
    if pos.size == 0:
        raise DecideValueError(f"{what} selects no period (of {n}); got {window!r}.")
    if np.unique(pos).size != pos.size:
        raise DecideValueError(f"{what} selects a period twice; got {pos.tolist()}.")
    return np.sort(pos)


def plan(
    outcome: OutcomeModel,
    window: Any = None,
    *,
    action: str | None = None,
    period_dim: str | None = None,
    flights: str | Mapping[Hashable, Sequence[Sequence[int]]] | None = None,
    shares: Mapping[Hashable, Any] | None = None,
    base: Any = None,
    carry_out: int = 0,
) -> MappedOutcome:
    r"""A planning window: decide only the window's cells, the rest fixed.

    The action variable has a period dim (weeks) and other dims (channels). Cells
    before the window are history (their effect carries into the window through the
    model's lags or adstock), cells after it carry the effect of the window out over
    the horizon the data covers; both stay at ``base`` (by default the outcome's
    own default action: the data given to ``from_pymc(data=...)``). Inside the
    window, per channel (one position of the other dims):

    * ``flights=None``, ``shares=None``: every cell is decided (``z`` has the
      window's shape; labels ``spend[week, channel]``);
    * ``flights="window"``: one level per channel, the same spend every week of the
      window (``z`` = weekly spend per channel);
    * ``flights={channel: [[weeks], [weeks], ...]}``: one level per flight, equal
      spend over the weeks of the flight (positions within the window), zero in
      the window's other weeks; channels not named get one flight over the window;
    * ``shares={channel: weights}``: the channel's total over the window spread by
      a fixed profile (weights over the window's weeks, normalized to sum 1);
      ``z`` = total per channel.

    Parameters
    ----------
    outcome : OutcomeModel
        The model over the full action (history, window and carry-out periods).
    window : tuple (start, end), slice, list of int, list of labels or None
        The periods decided along ``period_dim``. A tuple ``(start, end)`` is a range,
        both ends included, read as :func:`~decide.outcomes.with_window` reads it (the
        first and last date for a dim of dates, positions for a dim without labels); a
        slice of labels (``slice("2025-06-29", "2025-08-17")``) is the same range; a
        slice of integers is a Python slice of positions (``slice(3, 7)``: positions 3
        to 6); a list names the periods one by one (positions or labels). None: the
        outcome's declared window (:func:`~decide.outcomes.with_window`,
        ``from_pymc(..., window=)``), an error when it has none.
    action : str or None
        The action variable (needed when the outcome has several).
    period_dim : str or None
        The period dim of that variable (default the declared window's dim, else its
        first dim).
    flights, shares : see above; at most one of them.
    base : action or None
        The full action that fixes the cells outside the window (and inside it,
        cells of other action variables); default the outcome's default action.
    carry_out : int
        Periods after the window that the outcome must cover (the length of the
        model's carry-over, e.g. an adstock's ``l_max``): an error when the action
        has fewer periods after the window, so that the effect after the window
        is not silently cut off.

    Returns
    -------
    MappedOutcome
        Its ``action_space`` is the small decision; ``full_action(z)`` gives the
        full action back. Constrain it with :func:`decide.optimization.plan_space`.

    Raises
    ------
    DecideValueError
        No window (``window=None`` on an outcome without a declared window), unknown
        action or dim, an empty window or one out of range, flights or
        shares that name unknown channels, overlap, or leave the window, weights
        that are negative or sum to 0, both ``flights`` and ``shares``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.outcomes import from_function, plan
    >>> decay = 0.5
    >>> def sales(x, p):          # x: (6 weeks, 2 channels); geometric adstock
    ...     ad = np.zeros_like(x)
    ...     for t in range(6):
    ...         ad[t] = x[t] + (decay * ad[t - 1] if t else 0.0)
    ...     return p["beta"] @ ad.sum(axis=0)
    >>> om = from_function(sales, {"beta": np.array([[1.0, 2.0], [1.5, 1.0]])},
    ...                    action_shape=(6, 2), names="spend", dims=("week", "channel"),
    ...                    coords={"channel": ["tv", "search"]}, vectorized=False)
    >>> history = np.zeros((6, 2)); history[0] = [4.0, 0.0]   # spent before the window
    >>> weekly = plan(om, window=slice(1, 4), flights="window", base=history)
    >>> weekly.action_space.labels
    ['spend[tv]', 'spend[search]']
    >>> weekly.full_action([1.0, 2.0]).values[:5].tolist()   # week 0 history, weeks 4-5 after
    [[4.0, 0.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [0.0, 0.0]]
    """
    spec = outcome.action_space
    if action is None:
        if len(spec.names) != 1:
            raise DecideValueError(
                f"the outcome has several action variables {list(spec.names)}: pass action=."
            )
        action = spec.names[0]
    if action not in spec.names:
        raise DecideValueError(
            f"action must be one of the outcome's action variables {list(spec.names)}; got "
            f"{action!r}."
        )
    k = spec.names.index(action)
    shape, dims = spec.shapes[k], spec.dims[k]
    if not shape:
        raise DecideValueError(f"action {action!r} is a scalar: it has no period dim to plan.")
    declared = outcome.planning_window()
    if window is None:
        if declared is None:
            raise DecideValueError(
                "window=None but the outcome declares no planning window: pass window= (a "
                "slice, positions or labels of the periods decided), or declare it with "
                "decide.outcomes.with_window(outcome, (start, end)) or "
                "from_pymc(..., window=(start, end))."
            )
        if declared.dim not in dims or period_dim not in (None, declared.dim):
            raise DecideValueError(
                f"window=None: the declared window runs along dim {declared.dim!r}, but "
                f"{action!r} has dims {list(dims)} and period_dim={period_dim!r}; pass window=."
            )
        window = declared.positions.tolist()
    if period_dim is None and declared is not None and declared.dim in dims:
        period_dim = declared.dim
    pdim = dims[0] if period_dim is None else period_dim
    if pdim not in dims:
        raise DecideValueError(f"period_dim must be one of the dims {list(dims)} of {action!r}; got {pdim!r}.")
    if flights is not None and shares is not None:
        raise DecideValueError("pass flights= or shares=, not both.")
    x0 = _base_values(outcome, base)
    start = sum(int(np.prod(s)) for s in spec.shapes[:k])
    axis = dims.index(pdim)
    # cell index of the variable, moved so that the period axis is first
    cells = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), axis, 0)
    n_periods = shape[axis]
    period_labels = spec.coords.get(pdim)
    pos = _positions(
        window, None if period_labels is None else np.asarray(period_labels), n_periods, "window", pdim
    )
    if isinstance(carry_out, bool) or not isinstance(carry_out, int | np.integer) or carry_out < 0:
        raise DecideValueError(f"carry_out must be an integer >= 0; got {carry_out!r}.")
    after = n_periods - 1 - int(pos.max())
    if after < carry_out:
        raise DecideValueError(
            f"carry_out={carry_out} periods after the window are needed but {action!r} has "
            f"{after} after it (the window ends at period {int(pos.max())} of {n_periods}): "
            f"extend the data by {carry_out - after} periods after the window (spend 0), e.g. "
            "with from_pymc(data=..., coords=...)."
        )
    rest = cells.shape[1:]
    rest_dims = tuple(d for d in dims if d != pdim)
    groups = cells[pos].reshape(pos.size, -1)  # (window periods, units)
    n_units = groups.shape[1]
    unit_labels = _unit_labels(spec.coords, rest_dims, rest)
    columns: list[np.ndarray] = []
    labels: list[Hashable] = []
    if flights is None and shares is None:
        wshape = list(shape)
        wshape[axis] = pos.size
        idx = np.indices(wshape).reshape(len(shape), -1)
        idx[axis] = pos[idx[axis]]
        full = np.ravel_multi_index(tuple(idx), shape)
        M = np.zeros((spec.size, full.size))
        M[start + full, np.arange(full.size)] = 1.0
        x0 = x0.copy()
        x0[start + full] = 0.0
        coords = {d: v for d, v in spec.coords.items() if d in dims and d != pdim}
        coords[pdim] = np.arange(n_periods)[pos] if period_labels is None else np.asarray(period_labels)[pos]
        new_spec = ActionSpec((action,), (tuple(wshape),), (dims,), coords)
        return MappedOutcome(outcome, M, x0, new_spec, start + groups, unit_labels)
    if shares is not None:
        if not isinstance(shares, Mapping):
            raise DecideTypeError(f"shares must be a dict unit -> weights; got {type(shares).__name__}.")
        _check_units(shares, unit_labels, "shares")
        for u in range(n_units):
            key = unit_labels[u]
            if key in shares:
                w = np.asarray(shares[key], dtype=np.float64)
                if w.shape != (pos.size,) or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
                    raise DecideValueError(
                        f"shares[{key!r}] must be {pos.size} finite weights >= 0 with a positive "
                        f"sum (one per window period); got {np.asarray(shares[key]).tolist()}."
                    )
                w = w / w.sum()
            else:
                w = np.full(pos.size, 1.0 / pos.size)
            col = np.zeros(spec.size)
            col[start + groups[:, u]] = w
            columns.append(col)
            labels.append(f"{key} total")
    else:
        if isinstance(flights, str):
            if flights != "window":
                raise DecideValueError(f'flights must be "window", a dict or None; got {flights!r}.')
            flights = {}
        if not isinstance(flights, Mapping):
            raise DecideTypeError(f"flights must be a dict unit -> list of flights; got {type(flights).__name__}.")
        _check_units(flights, unit_labels, "flights")
        for u in range(n_units):
            key = unit_labels[u]
            runs = flights.get(key, [list(range(pos.size))])
            seen: set[int] = set()
            for j, run in enumerate(runs):
                weeks = np.asarray(list(run), dtype=int)
                if weeks.size == 0 or np.any((weeks < 0) | (weeks >= pos.size)):
                    raise DecideValueError(
                        f"flights[{key!r}][{j}] must be non-empty positions within the window "
                        f"[0, {pos.size - 1}]; got {list(run)}."
                    )
                if seen & set(weeks.tolist()):
                    raise DecideValueError(f"flights[{key!r}] overlap in window weeks {sorted(seen & set(weeks.tolist()))}.")
                seen |= set(weeks.tolist())
                col = np.zeros(spec.size)
                col[start + groups[weeks, u]] = 1.0
                columns.append(col)
                labels.append(key if len(runs) == 1 else f"{key} flight {j}")
    x0 = x0.copy()
    x0[start + cells[pos].ravel()] = 0.0
    M = np.stack(columns, axis=1)
    d = "flight" if shares is None else "total"
    new_spec = ActionSpec((action,), ((M.shape[1],),), ((d,),), {d: _label_array(labels)})
    return MappedOutcome(outcome, M, x0, new_spec, start + groups, unit_labels)


def _unit_labels(coords: Mapping[str, Any], dims: tuple[str, ...], shape: tuple[int, ...]) -> list[Hashable]:
    """One label per position of the non-period dims (channel names where known)."""
    axes = [
        [label_text(v) for v in np.asarray(coords[d])] if d in coords else [str(i) for i in range(s)]
        for d, s in zip(dims, shape)
    ]
    if not axes:
        return ["all"]
    out: list[Hashable] = [""]
    for ax in axes:
        out = [f"{a}, {b}" if a else b for a in out for b in ax]
    return out


def _check_units(given: Mapping[Hashable, Any], units: list[Hashable], what: str) -> None:
    unknown = [k for k in given if str(k) not in {str(u) for u in units}]
    if unknown:
        raise DecideValueError(f"{what} names units {unknown} that are not among {units}.")


def discount_factors(rate: float, n_periods: int, *, periods_per_year: float = 1.0, start: int = 0) -> np.ndarray:
    r"""Discount factors :math:`(1 + r)^{-(t + start) / m}`, one per period :math:`t`.

    The periods are ``t = 0, 1, ..., n_periods - 1``.

    Multiply an outcome per period by them (inside ``from_pymc``'s ``outcome=``
    callable or a ``from_function`` outcome) to score its net present value; the
    gradient passes through, as the factors are constants.

    Parameters
    ----------
    rate : float
        Discount rate per year, ``> -1`` (0.08 = 8%).
    n_periods : int
        Number of periods, ``>= 1``.
    periods_per_year : float
        ``m``: 52 for weekly periods with an annual rate, 1 for a rate per period.
    start : int
        Periods between now and the first period.

    Returns
    -------
    ndarray of shape (n_periods,)

    Examples
    --------
    >>> from decide.outcomes import discount_factors
    >>> discount_factors(0.1, 3).round(4).tolist()
    [1.0, 0.9091, 0.8264]
    """
    if isinstance(rate, bool) or not np.isfinite(rate) or rate <= -1:
        raise DecideValueError(f"rate must be a finite number > -1; got {rate!r}.")
    if isinstance(n_periods, bool) or int(n_periods) != n_periods or n_periods < 1:
        raise DecideValueError(f"n_periods must be an integer >= 1; got {n_periods!r}.")
    if not np.isfinite(periods_per_year) or periods_per_year <= 0:
        raise DecideValueError(f"periods_per_year must be > 0; got {periods_per_year!r}.")
    t = np.arange(int(n_periods)) + int(start)
    return (1.0 + float(rate)) ** (-t / float(periods_per_year))
