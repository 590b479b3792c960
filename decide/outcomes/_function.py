"""Outcomes from a user's numpy function ``fn(action, params)`` over posterior draws.

Outcomes are rewards (higher is better) and draw arrays put the sample axis
first. ``fn`` is called once for all posterior draws (it must broadcast over
the leading sample axis of ``params``), or once per draw with
``vectorized=False``. Gradients come from ``jac`` or central finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from decide._config import SAMPLE_DIM
from decide._posterior import posterior_dataset
from decide._validation import as_indices, check_in_range
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import SMOOTHNESS, ActionSpec, OutcomeModel, Reduce, resolve_reduce

__all__ = ["FunctionOutcome", "from_function"]

Params = dict[str, np.ndarray]


def _shape(value: Any, name: str) -> tuple[int, ...]:
    shape = (value,) if isinstance(value, int | np.integer) else tuple(value)
    if any(int(s) < 0 for s in shape):
        raise DecideValueError(f"{name} must hold non-negative lengths; got {shape}.")
    return tuple(int(s) for s in shape)


def _function_space(
    action_shape: int | Sequence[int] | Mapping[str, Any] | None,
    names: str | Sequence[str] | None,
    dims: str | Sequence[str] | Mapping[str, Sequence[str]] | None,
    coords: Mapping[str, Any] | None,
) -> ActionSpec:
    """Build the action space from the keyword arguments of :func:`from_function`."""
    coords = dict(coords or {})
    if isinstance(action_shape, Mapping):
        if names is not None:
            raise DecideValueError(
                "give the variable names either as the keys of action_shape or as names, not both."
            )
        var_names = tuple(str(k) for k in action_shape)
        shapes = tuple(_shape(v, f"action_shape[{k!r}]") for k, v in action_shape.items())
        if dims is not None and not isinstance(dims, Mapping):
            raise DecideTypeError(
                "with several action variables, dims must be a dict name -> tuple of dim names; "
                f"got {type(dims).__name__}."
            )
        dims_t = (
            tuple(tuple(dims.get(n, [f"{n}_dim_{i}" for i in range(len(s))])) for n, s in zip(var_names, shapes))
            if dims is not None
            else ()
        )
        return ActionSpec(names=var_names, shapes=shapes, dims=dims_t, coords=coords)
    if names is not None and not isinstance(names, str):
        if action_shape is not None or dims is not None:
            raise DecideValueError(
                "names given as a list makes one scalar action variable per name; do not combine "
                "it with action_shape or dims (use action_shape={name: shape} instead)."
            )
        var_names = tuple(str(n) for n in names)
        return ActionSpec(names=var_names, shapes=((),) * len(var_names))
    name = "action" if names is None else names
    dims_t1: tuple[str, ...] | None = None
    if dims is not None:
        if isinstance(dims, Mapping):
            raise DecideTypeError("for one action variable, dims must be a str or a tuple of str.")
        dims_t1 = (dims,) if isinstance(dims, str) else tuple(str(d) for d in dims)
    if action_shape is not None:
        shape = _shape(action_shape, "action_shape")
    elif dims_t1 is not None and all(d in coords for d in dims_t1):
        shape = tuple(len(coords[d]) for d in dims_t1)
    else:
        raise DecideValueError(
            "from_function needs the action's shape: pass action_shape (an int, a tuple, or a "
            "dict name -> shape), names=[...] (one scalar per name), or dims with coords for "
            "every dim."
        )
    return ActionSpec(names=(name,), shapes=(shape,), dims=(dims_t1,) if dims_t1 else (), coords=coords)


class FunctionOutcome(OutcomeModel):
    """Outcome draws from ``fn(action, params)`` evaluated over posterior draws.

    Build it with :func:`from_function`, which documents the arguments.
    Outcomes are rewards (higher is better).

    Attributes
    ----------
    params : dict of str to ndarray
        Read-only posterior draws, each of shape ``(n_samples, *param_shape)``.
    fn, jac : callable
        The user's outcome function and optional Jacobian.
    vectorized : bool
        Whether ``fn`` receives all draws at once.
    fd_step : float or None
        Absolute finite-difference step, or ``None`` for the relative default.
    reduce : {"sum", "mean"} or callable
        How a vector outcome becomes one scalar per draw.
    smoothness : {"smooth", "nonsmooth", "noisy"}
        As declared to :func:`from_function` (see :attr:`OutcomeModel.smoothness`).
    """

    #: Dims and coordinates of each parameter as given to :func:`from_function` (a
    #: Dataset, InferenceData or DataTree), so that :attr:`parameters` keeps them.
    _param_layout: dict[str, tuple[tuple[str, ...], dict[str, np.ndarray]]] | None = None

    @property
    def parameters(self) -> xr.Dataset:
        """The parameter draws ``params`` as a Dataset with a leading ``"sample"`` dim.

        Dims and coordinates of ``params`` given as a Dataset, InferenceData or
        DataTree are kept (so that :func:`decide.uncertainty.evppi` can select
        parameters by coordinate); a dict's dims are named ``<name>_dim_<i>``.
        """
        layout = self._param_layout
        if layout is None or set(layout) != set(self.params) or any(
            len(layout[k][0]) != np.ndim(v) - 1 for k, v in self.params.items()
        ):
            return posterior_dataset(self.params, name="params")
        coords = {d: c for dims_, cs in layout.values() for d, c in cs.items()}
        return xr.Dataset(
            {k: ((SAMPLE_DIM, *layout[k][0]), np.array(v)) for k, v in self.params.items()},
            coords=coords,
        )

    def __init__(
        self,
        fn: Callable[..., Any],
        params: Params,
        action_space: ActionSpec,
        *,
        jac: Callable[..., Any] | None = None,
        vectorized: bool = True,
        fd_step: float | None = None,
        reduce: Reduce = "sum",
        outcome_dims: Sequence[str] = (),
        conditional_mean: bool = False,
        smoothness: str = "smooth",
    ) -> None:
        if not callable(fn):
            raise DecideTypeError(f"fn must be callable as fn(action, params); got {type(fn).__name__}.")
        if jac is not None and not callable(jac):
            raise DecideTypeError(
                f"jac must be None or callable as jac(action, params); got {type(jac).__name__}."
            )
        resolve_reduce(reduce, 1)  # fail early on a bad name
        if smoothness not in SMOOTHNESS:
            raise DecideValueError(
                f"smoothness must be one of {list(SMOOTHNESS)}; got {smoothness!r}. Use "
                "'nonsmooth' when fn jumps as the action moves (counts from an inverse CDF, "
                "steps), 'noisy' when fn draws fresh random numbers at every call."
            )
        self._smoothness = smoothness
        self.fn = fn
        self.jac = jac
        self.vectorized = bool(vectorized)
        self.fd_step = (
            None
            if fd_step is None
            else check_in_range(fd_step, "fd_step", low=0.0, low_inclusive=False, high=1e300)
        )
        self.reduce = reduce
        self.params = params
        self.action_space = action_space
        self.n_samples = int(next(iter(params.values())).shape[0])
        self.n_replicates = None
        self.outcome_dims = tuple(str(d) for d in outcome_dims)
        self._is_mean = bool(conditional_mean)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        return (
            f"FunctionOutcome(fn={name}, n_samples={self.n_samples}, "
            f"action={self.action_space.names}, params={list(self.params)})"
        )

    @property
    def has_conditional_mean(self) -> bool:
        """Whether ``fn`` was declared to return ``E[outcome | theta, action]``."""
        return self._is_mean

    @property
    def smoothness(self) -> str:
        """As declared with ``from_function(..., smoothness=...)`` (default ``"smooth"``)."""
        return self._smoothness

    # -- evaluation -------------------------------------------------------
    def _action_arg(self, x: np.ndarray) -> Any:
        parts = {
            n: (float(v) if v.ndim == 0 else v.copy())
            for n, v in self.action_space.unflatten(x).items()
        }
        return next(iter(parts.values())) if len(parts) == 1 else parts

    def _call(self, func: Callable[..., Any], x: np.ndarray, what: str) -> np.ndarray:
        action = self._action_arg(x)
        if self.vectorized:
            out = func(action, self.params)
        else:
            rows = [
                np.asarray(func(action, {k: v[s] for k, v in self.params.items()}), dtype=np.float64)
                for s in range(self.n_samples)
            ]
            shapes = {r.shape for r in rows}
            if len(shapes) != 1:
                raise DecideValueError(
                    f"{what} must return the same shape for every posterior draw; got shapes "
                    f"{sorted(shapes)}."
                )
            out = np.stack(rows)
        try:
            arr = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise DecideTypeError(
                f"{what} must return a numeric array; got {type(out).__name__}."
            ) from None
        if arr.ndim == 0 or arr.shape[0] != self.n_samples:
            hint = (
                " fn must broadcast over the leading sample axis of params (scalar parameters "
                "arrive with shape (n_samples,)), or pass vectorized=False."
                if self.vectorized
                else ""
            )
            raise DecideValueError(
                f"{what} must return an array with n_samples={self.n_samples} rows first; got "
                f"shape {arr.shape}.{hint}"
            )
        if not np.all(np.isfinite(arr)):
            bad = int(np.argwhere(~np.isfinite(arr))[0][0])
            raise DecideValueError(
                f"{what} returned {int(np.sum(~np.isfinite(arr)))} non-finite values (first at "
                f"sample {bad}) at action {self.action_space.unflatten(x)}; outcomes must be "
                "finite. Check the action lies in fn's domain (e.g. add bounds to the action space)."
            )
        return arr

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        arr = self._call(self.fn, x, "fn")
        if arr.ndim != 1 + len(self.outcome_dims):
            raise DecideValueError(
                f"fn returned shape {arr.shape}, but outcome_dims={self.outcome_dims} declares "
                f"{len(self.outcome_dims)} outcome axes after the sample axis. Pass outcome_dims "
                "naming one dim per outcome axis (they are reduced with `reduce` before scoring)."
            )
        return arr

    def draws_flat(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self.reduce_draws(self.sample_flat(x)), dtype=np.float64)
        if out.shape != (self.n_samples,):
            raise DecideValueError(
                f"reduce must map the outcome to one scalar per draw, shape ({self.n_samples},); "
                f"got shape {out.shape}."
            )
        return out

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        return self.sample_flat(x)

    # -- gradient ---------------------------------------------------------
    def _fd_steps(self, x: np.ndarray) -> np.ndarray:
        if self.fd_step is not None:
            return np.full(x.shape, self.fd_step)
        return np.finfo(np.float64).eps ** (1.0 / 3.0) * np.maximum(1.0, np.abs(x))

    def jacobian(self, action: Any) -> np.ndarray:
        """D draws / d action for every posterior draw.

        Parameters
        ----------
        action : array_like, dict or xarray
            The action at which to differentiate.

        Returns
        -------
        ndarray of shape (n_samples, action_space.size)
            From ``jac`` when given (an outcome-shaped Jacobian is reduced like
            the outcome), else from central finite differences at a cost of
            ``2 * action_space.size`` calls of ``fn``.
        """
        return self._jacobian(self.action_space.flatten(action))

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        size = self.action_space.size
        if self.jac is None:
            steps = self._fd_steps(x)
            out = np.empty((self.n_samples, size))
            for i in range(size):
                xp, xm = x.copy(), x.copy()
                xp[i] += steps[i]
                xm[i] -= steps[i]
                out[:, i] = (self.draws_flat(xp) - self.draws_flat(xm)) / (xp[i] - xm[i])
            return out
        jmat = self._call(self.jac, x, "jac")
        n_out = len(self.outcome_dims)
        if jmat.shape[-1] != size or jmat.ndim not in (2, 2 + n_out):
            raise DecideValueError(
                f"jac must return shape (n_samples, {size}) (Jacobian of the reduced draws) or "
                f"(n_samples, *outcome_shape, {size}) with {n_out} outcome axes; got shape "
                f"{jmat.shape}. The last axis runs over the flat action."
            )
        if jmat.ndim == 2:
            return jmat
        if self.reduce not in ("sum", "mean"):
            raise DecideValueError(
                "an outcome-shaped jac can only be reduced with reduce='sum' or 'mean'; with a "
                f"callable reduce return the Jacobian of the reduced draws, shape "
                f"(n_samples, {size})."
            )
        axes = tuple(range(1, jmat.ndim - 1))
        return jmat.sum(axis=axes) if self.reduce == "sum" else jmat.mean(axis=axes)

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        if cotangent.shape != (self.n_samples,):
            raise DecideValueError(
                f"cotangent must have the shape of draws(action), ({self.n_samples},); got "
                f"shape {cotangent.shape}."
            )
        return self._jacobian(x).T @ cotangent

    def subset(self, indices: Sequence[int] | np.ndarray) -> FunctionOutcome:
        """The same function over the posterior samples ``indices`` only.

        Returns
        -------
        FunctionOutcome
            With every parameter array sliced along its sample axis.
        """
        idx = as_indices(indices, self.n_samples)
        return self._over({k: v[idx] for k, v in self.params.items()})

    def _over(self, params: Params) -> FunctionOutcome:
        """The same function, options, guards and parameter layout over other draws."""
        out = FunctionOutcome(
            self.fn,
            _read_only(params),
            self.action_space,
            jac=self.jac,
            vectorized=self.vectorized,
            fd_step=self.fd_step,
            reduce=self.reduce,
            outcome_dims=self.outcome_dims,
            conditional_mean=self._is_mean,
            smoothness=self._smoothness,
        )._with_guards_of(self)
        out._param_layout = self._param_layout
        return out

    def with_parameters(self, parameters: xr.Dataset) -> FunctionOutcome:
        """The same function over other parameter draws (a refitted posterior, say).

        Parameters
        ----------
        parameters : xarray.Dataset
            Draws with a leading ``"sample"`` dim holding every name of :attr:`params`
            (same non-sample shapes); the number of samples may differ.

        Returns
        -------
        FunctionOutcome
        """
        missing = [k for k in self.params if k not in parameters.data_vars]
        if missing:
            raise DecideValueError(
                f"parameters must hold every parameter of the outcome {sorted(self.params)}; "
                f"missing {missing}."
            )
        new = {}
        for k, v in self.params.items():
            arr = np.asarray(parameters[k].transpose(SAMPLE_DIM, ...).values)
            if arr.shape[1:] != v.shape[1:]:
                raise DecideValueError(
                    f"parameters[{k!r}] must have shape (n, *{v.shape[1:]}); got {arr.shape}."
                )
            new[k] = arr
        return self._over(new)


def _read_only(params: Params) -> Params:
    out = {}
    for k, v in params.items():
        arr = np.array(v)
        arr.setflags(write=False)
        out[k] = arr
    return out


def _param_draws(values: Any, name: str) -> np.ndarray:
    """One parameter's draws as float64, raising on non-numeric or non-finite values."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"params[{name!r}] must be numeric draws; got values of dtype "
            f"{np.asarray(values).dtype}."
        ) from None
    if not np.all(np.isfinite(arr)):
        bad = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise DecideValueError(
            f"params[{name!r}] must be finite; got {int(np.sum(~np.isfinite(arr)))} NaN or inf "
            f"values (first at sample {bad}). Drop those draws first."
        )
    return arr


def from_function(
    fn: Callable[..., Any],
    params: Any,
    *,
    action_shape: int | Sequence[int] | Mapping[str, Any] | None = None,
    names: str | Sequence[str] | None = None,
    dims: str | Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    coords: Mapping[str, Any] | None = None,
    jac: Callable[..., Any] | None = None,
    vectorized: bool = True,
    fd_step: float | None = None,
    reduce: Reduce = "sum",
    outcome_dims: Sequence[str] = (),
    var_names: Sequence[str] | None = None,
    group: str = "posterior",
    conditional_mean: bool = False,
    smoothness: str = "smooth",
) -> FunctionOutcome:
    r"""Outcome model from a numpy function of the action and the posterior draws.

    Outcomes are rewards (higher is better); ``fn`` returns one row per
    posterior draw, sample axis first.

    Parameters
    ----------
    fn : callable
        ``fn(action, params) -> array of shape (n_samples, *outcome_shape)``.
        ``action`` is an ndarray of the action's shape (a float for a scalar
        variable), or a dict name -> value with several variables. ``params`` is
        a dict name -> read-only ndarray of shape ``(n_samples, *param_shape)``:
        fn must broadcast over that leading sample axis (a scalar parameter has
        shape ``(n_samples,)``; write ``p["a"][:, None] * x`` against a vector
        action). With ``vectorized=False`` it gets one draw at a time instead
        (no sample axis) and returns ``outcome_shape``.
    params : dict of array_like, xarray.Dataset, arviz.InferenceData or xarray.DataTree
        Posterior draws: a dict of arrays with the sample axis first, or an
        object with dims ``("chain", "draw")`` (stacked chain-major) or
        ``"sample"``. Constants belong in ``fn`` itself.
    action_shape : int, tuple of int or dict of str to shape, optional
        Shape of the single action variable, or ``{name: shape}`` for several.
    names : str or sequence of str, optional
        Name of the single action variable (default ``"action"``), or a list of
        names for one scalar variable each.
    dims : str, tuple of str or dict, optional
        Dim names of the action variable (``{name: dims}`` with several); with
        ``coords`` for every dim they also give the shape.
    coords : dict of str to array_like, optional
        Labels along the action dims.
    jac : callable, optional
        ``jac(action, params)`` called like ``fn``, returning d draws / d action
        as ``(n_samples, size)`` over the flat action (``size`` =
        ``action_space.size``), or the outcome-shaped
        ``(n_samples, *outcome_shape, size)`` that is then reduced like the
        outcome (``reduce`` "sum" or "mean"). Default: central finite differences.
    vectorized : bool
        ``True`` (default): one call of ``fn`` for all draws. ``False``: one call
        per draw, a slow path (a Python loop over ``n_samples``) for functions
        that cannot broadcast.
    fd_step : float, optional
        Absolute finite-difference step; default ``eps**(1/3) * max(1, |x_i|)``
        (about ``6e-6`` relative).
    reduce : {"sum", "mean"} or callable
        How a vector outcome (``outcome_dims`` non-empty) becomes one scalar per draw.
    outcome_dims : sequence of str
        Names of the outcome axes after the sample axis; ``()`` (default)
        requires one scalar per draw.
    var_names : sequence of str, optional
        Parameters passed to ``fn``; default all variables of the group.
    group : str
        Group of an InferenceData/DataTree to read.
    conditional_mean : bool
        Declare that ``fn`` returns ``E[outcome | theta, action]`` (``params``
        are model parameters, not predictive draws of a noisy quantity); only
        then is :meth:`~OutcomeModel.conditional_mean` available.
    smoothness : {"smooth", "nonsmooth", "noisy"}
        How ``fn`` moves with the action (see :attr:`OutcomeModel.smoothness`).
        ``"nonsmooth"`` when it jumps: counts drawn by an inverse CDF of fixed
        uniforms (``scipy.stats.poisson.ppf(u, mu(action))``), rounding, steps;
        :func:`decide.optimize` then uses a derivative-free method. ``"noisy"``
        when ``fn`` draws fresh random numbers at every call: continuous
        optimization is refused (fix the random numbers instead).

    Returns
    -------
    FunctionOutcome
        With ``vjp`` (from ``jac`` or finite differences), ``jacobian(action)``
        and ``subset(indices)``.

    Raises
    ------
    DecideValueError
        If the action shape cannot be determined, ``params`` has fewer than 2
        draws, a NaN or inf draw, or a ``var_names`` entry is missing, or (when called) ``fn`` or ``jac`` returns
        the wrong shape or non-finite values.
    DecideTypeError
        If ``fn`` or ``jac`` is not callable or ``params`` has an unsupported type.

    Notes
    -----
    Without ``jac`` the gradient of draw ``s`` along flat coordinate ``i`` is the
    central difference

    .. math:: \partial_i y_s(x) \approx \frac{y_s(x + h_i e_i) - y_s(x - h_i e_i)}{2 h_i},

    with error :math:`O(h_i^2)` for smooth ``fn`` (plus rounding of order
    :math:`\epsilon / h_i`), costing ``2 * size`` vectorized calls of ``fn`` per
    gradient. At a kink (e.g. ``min(q, D)``) it averages the one-sided slopes.

    References
    ----------
    .. [1] Nocedal, J. and Wright, S. J. (2006). Numerical Optimization, 2nd ed.,
       section 8.1 (finite-difference derivative approximations). Springer.

    Examples
    --------
    Newsvendor profit with demand draws: order ``q``, sell ``min(q, D)`` at
    price 5, pay 3 per unit.

    >>> import numpy as np
    >>> from decide.outcomes import from_function
    >>> demand = np.random.default_rng(0).gamma(4.0, 25.0, size=1000)
    >>> def profit(q, p):
    ...     return 5.0 * np.minimum(q, p["demand"]) - 3.0 * q
    >>> model = from_function(profit, {"demand": demand}, action_shape=())
    >>> model.draws(80.0).shape
    (1000,)
    >>> grad = model.vjp(80.0, np.full(1000, 1 / 1000))  # d mean profit / d q
    >>> bool(np.isclose(grad[0], 5.0 * np.mean(demand > 80.0) - 3.0, atol=0.01))
    True
    """
    ds = posterior_dataset(params, group=group, name="params")
    if var_names is not None:
        names_list = [var_names] if isinstance(var_names, str) else list(var_names)
        missing = [v for v in names_list if v not in ds.data_vars]
        if missing or not names_list:
            raise DecideValueError(
                f"var_names must name variables of params; missing {missing}, available "
                f"{sorted(map(str, ds.data_vars))}."
            )
        ds = ds[names_list]
    arrays = _read_only({str(k): _param_draws(ds[k].values, str(k)) for k in ds.data_vars})
    n_samples = next(iter(arrays.values())).shape[0]
    if n_samples < 2:
        raise DecideValueError(
            f"params must hold at least 2 posterior draws to describe uncertainty; got "
            f"{n_samples} (variables {list(arrays)}). Pass the full posterior, not one draw."
        )
    space = _function_space(action_shape, names, dims, coords)
    model = FunctionOutcome(
        fn,
        arrays,
        space,
        jac=jac,
        vectorized=vectorized,
        fd_step=fd_step,
        reduce=reduce,
        outcome_dims=outcome_dims,
        conditional_mean=conditional_mean,
        smoothness=smoothness,
    )
    model._param_layout = {
        str(k): (
            tuple(str(d) for d in ds[k].dims if d != SAMPLE_DIM),
            {str(d): np.asarray(ds.indexes[d]) for d in ds[k].dims if d != SAMPLE_DIM and d in ds.indexes},
        )
        for k in ds.data_vars
    }
    return model
