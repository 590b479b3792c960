"""The outcome-model interface: ``action -> outcome draws`` for every posterior sample.

Outcomes are rewards (higher is better). Draw arrays put the sample axis first:
``(n_samples, *outcome_shape)`` in mean mode and
``(n_samples, n_replicates, *outcome_shape)`` with replicates. Objectives
score one scalar per draw, so :meth:`OutcomeModel.draws` reduces a vector
outcome (``reduce="sum"`` by default) to shape ``(n_samples,)`` or
``(n_samples, n_replicates)``.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import xarray as xr

from decide._validation import label_text
from decide.errors import DecideTypeError, DecideValueError

if TYPE_CHECKING:
    from decide.outcomes._range import ObservedRange
    from decide.outcomes._window import PlanningWindow

__all__ = ["SMOOTHNESS", "ActionSpec", "OutcomeModel", "Reduce", "resolve_reduce"]

Reduce = str | Callable[[np.ndarray], np.ndarray]

#: The values of :attr:`OutcomeModel.smoothness`, from most to least regular.
SMOOTHNESS: tuple[str, ...] = ("smooth", "nonsmooth", "noisy")


@dataclass(frozen=True)
class ActionSpec:
    """Names, shapes, dims and coordinates of an action.

    An action is one or more named arrays (e.g. ``spend`` with dims
    ``("channel",)``). Optimizers work on the flat concatenation of all of
    them, of length :attr:`size`; :meth:`flatten` and :meth:`to_xarray` convert.

    Parameters
    ----------
    names : tuple of str
        Action variable names.
    shapes : tuple of tuple of int
        Shape of each variable (``()`` for a scalar).
    dims : tuple of tuple of str, optional
        Dim names of each variable; default ``"{name}_dim_{i}"``.
    coords : dict of str to array_like, optional
        Coordinates of the dims (labels such as channel names).
    """

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    dims: tuple[tuple[str, ...], ...] = ()
    coords: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.names)
        shapes = tuple(tuple(int(s) for s in sh) for sh in self.shapes)
        if not names:
            raise DecideValueError("an action needs at least one variable name; got none.")
        if len(set(names)) != len(names):
            raise DecideValueError(f"action names must be unique; got {names}.")
        if len(shapes) != len(names):
            raise DecideValueError(
                f"shapes must give one shape per action name ({len(names)}); got {len(shapes)}."
            )
        dims = self.dims or tuple(
            tuple(f"{n}_dim_{i}" for i in range(len(sh))) for n, sh in zip(names, shapes)
        )
        dims = tuple(tuple(str(d) for d in ds) for ds in dims)
        for n, sh, ds in zip(names, shapes, dims):
            if len(ds) != len(sh):
                raise DecideValueError(
                    f"action {n!r} has shape {sh} but dims {ds}; give one dim name per axis."
                )
        coords = {k: np.asarray(v) for k, v in dict(self.coords).items()}
        for n, sh, ds in zip(names, shapes, dims):
            for d, s in zip(ds, sh):
                if d in coords and len(coords[d]) != s:
                    raise DecideValueError(
                        f"coords[{d!r}] has {len(coords[d])} labels but action {n!r} has "
                        f"length {s} along {d!r}."
                    )
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "shapes", shapes)
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "coords", coords)

    @property
    def size(self) -> int:
        """Length of the flat action vector."""
        return sum(math.prod(sh) for sh in self.shapes)

    @property
    def labels(self) -> list[str]:
        """One readable label per flat element, e.g. ``"spend[tv]"``."""
        cached = self.__dict__.get("_labels")
        if cached is None:  # built once per (frozen) spec: optimize() asks on every call
            cached = self._make_labels()
            object.__setattr__(self, "_labels", cached)
        return list(cached)

    def _make_labels(self) -> list[str]:
        out: list[str] = []
        for n, sh, ds in zip(self.names, self.shapes, self.dims):
            if not sh:
                out.append(n)
                continue
            axes = [
                [label_text(c) for c in self.coords[d]] if d in self.coords else [str(i) for i in range(s)]
                for d, s in zip(ds, sh)
            ]
            for idx in np.ndindex(*sh):
                out.append(f"{n}[{', '.join(axes[a][i] for a, i in enumerate(idx))}]")
        return out

    def flatten(self, action: Any, name: str = "action") -> np.ndarray:
        """Return the action as a flat float vector of length :attr:`size`.

        Parameters
        ----------
        action : array_like, dict of str to array_like, xarray.DataArray or xarray.Dataset
            A flat vector of length ``size``, an array with the variable's shape
            (single variable), a dict or Dataset by variable name, or a DataArray
            named after the variable (dims are aligned by name).

        Raises
        ------
        DecideValueError
            If a shape does not match, a variable is missing or unknown, or a value is not finite.
        """
        if isinstance(action, xr.Dataset):
            action = {k: action[k] for k in action.data_vars}
        if isinstance(action, xr.DataArray):
            if len(self.names) == 1:
                action = {self.names[0]: action}
            elif action.name in self.names:
                raise DecideValueError(
                    f"{name} must give all action variables {list(self.names)}; got only "
                    f"{action.name!r}."
                )
            else:
                action = action.values
        if isinstance(action, Mapping):
            unknown = sorted(set(map(str, action)) - set(self.names))
            missing = [n for n in self.names if n not in action]
            if unknown or missing:
                raise DecideValueError(
                    f"{name} must have exactly the keys {list(self.names)}; "
                    f"missing {missing}, unknown {unknown}."
                )
            parts = []
            for n, sh, ds in zip(self.names, self.shapes, self.dims):
                v = action[n]
                if isinstance(v, xr.DataArray) and set(v.dims) == set(ds):
                    v = self._align_labels(v, ds, f"{name}[{n!r}]").transpose(*ds).values
                arr = np.asarray(v, dtype=np.float64)
                if arr.shape != sh:
                    raise DecideValueError(
                        f"{name}[{n!r}] must have shape {sh}; got shape {arr.shape}."
                    )
                parts.append(arr.reshape(-1))
            flat = np.concatenate(parts) if parts else np.zeros(0)
        else:
            try:
                arr = np.asarray(action, dtype=np.float64)
            except (TypeError, ValueError):
                raise DecideTypeError(
                    f"{name} must be numeric (array, dict of arrays or xarray); got "
                    f"{type(action).__name__}."
                ) from None
            if arr.ndim <= 1 and arr.size == self.size:
                flat = arr.reshape(-1)
            elif len(self.names) == 1 and arr.shape == self.shapes[0]:
                flat = arr.reshape(-1)
            else:
                expected = (
                    f"shape {self.shapes[0]}"
                    if len(self.names) == 1
                    else f"a dict with keys {list(self.names)}"
                )
                raise DecideValueError(
                    f"{name} must be a flat vector of length {self.size} or {expected}; "
                    f"got shape {arr.shape}."
                )
        if not np.all(np.isfinite(flat)):
            raise DecideValueError(f"{name} must be finite; got {flat.tolist()}.")
        return flat.astype(np.float64, copy=True)

    def _align_labels(self, v: xr.DataArray, dims: tuple[str, ...], name: str) -> xr.DataArray:
        """Reorder ``v`` along each dim that both it and the spec label."""
        for d in dims:
            if d in self.coords and d in v.coords:
                want, have = self.coords[d].tolist(), v.coords[d].values.tolist()
                if want == have:
                    continue
                if set(have) != set(want) or len(set(have)) != len(have):
                    raise DecideValueError(
                        f"{name} has labels {have} along {d!r}; expected the labels {want} "
                        "(in any order)."
                    )
                v = v.isel({d: [have.index(lab) for lab in want]})
        return v

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Split a flat vector into one array per action variable."""
        flat = np.asarray(flat, dtype=np.float64)
        if flat.shape != (self.size,):
            raise DecideValueError(
                f"a flat action must have shape ({self.size},); got {flat.shape}."
            )
        out, start = {}, 0
        for n, sh in zip(self.names, self.shapes):
            k = math.prod(sh)
            out[n] = flat[start : start + k].reshape(sh)
            start += k
        return out

    def to_xarray(self, flat: np.ndarray) -> xr.DataArray | xr.Dataset:
        """The action as a named DataArray (one variable) or Dataset (several)."""
        parts = self.unflatten(flat)
        arrays = {
            n: xr.DataArray(
                parts[n],
                dims=ds,
                coords={d: self.coords[d] for d in ds if d in self.coords},
                name=n,
            )
            for n, ds in zip(self.names, self.dims)
        }
        if len(arrays) == 1:
            return next(iter(arrays.values()))
        return xr.Dataset(arrays)


def resolve_reduce(reduce: Reduce, n_lead: int) -> Callable[[np.ndarray], np.ndarray]:
    """Return a function mapping ``(*lead, *outcome_shape)`` to ``lead``.

    Parameters
    ----------
    reduce : {"sum", "mean"} or callable
        How a vector outcome becomes one scalar per draw. A callable receives
        the array with the ``n_lead`` leading (sample, replicate) axes and must
        return an array of the leading shape.
    n_lead : int
        Number of leading axes kept (1 for samples, 2 with replicates).
    """
    if callable(reduce):
        return reduce
    if reduce not in ("sum", "mean"):
        raise DecideValueError(f"reduce must be 'sum', 'mean' or a callable; got {reduce!r}.")
    fn = np.sum if reduce == "sum" else np.mean

    def _reduce(arr: np.ndarray) -> np.ndarray:
        axes = tuple(range(n_lead, arr.ndim))
        return fn(arr, axis=axes) if axes else arr

    return _reduce


class OutcomeModel(abc.ABC):
    """Outcome draws under an action, for every posterior sample.

    Outcomes are rewards (higher is better). This class is the whole contract
    between an outcome source and the rest of decide: the optimizers, the
    uncertainty analysis and the policy comparisons use only what is declared
    here.

    A subclass sets :attr:`action_space`, :attr:`n_samples` (and, where they
    apply, :attr:`n_replicates`, :attr:`outcome_dims`, :attr:`outcome_coords`,
    :attr:`reduce`, :attr:`options`) and implements :meth:`sample_flat`. It
    overrides the optional capabilities it has; each has a default here:

    * gradient: :meth:`vjp_flat` (default none; see :attr:`has_vjp`);
    * draws with their per-draw Jacobian in one evaluation:
      :meth:`draws_and_jacobian_flat` (default: from :meth:`affine_form` when the
      model is affine, else none; see :attr:`has_jacobian`);
    * exact conditional mean: :meth:`conditional_mean_flat` (default none);
    * affine in the action: :meth:`affine_form` (default ``None``);
    * held-out subsets: :meth:`subset` (default raises);
    * replicates on request: :meth:`with_replicates` (default raises);
    * new parameter draws: :meth:`with_parameters` (default raises);
    * named options: :attr:`options` and :meth:`one_hot` (default ``None``), and
      :attr:`categorical` when only those options are valid actions (default False);
    * parameter draws: :attr:`parameters` (default ``None``);
    * a default action: :meth:`default_action_flat` (default ``None``);
    * the range of the action in the training data: :meth:`observed_range`
      (default ``None``; see :func:`~decide.outcomes.with_observed_range`);
    * which action elements are history: :meth:`history_flat` (default ``None``);
    * a declared planning window: :meth:`planning_window` (default ``None``; see
      :func:`~decide.outcomes.with_window`); its outside cells join :meth:`history_flat`;
    * how the draws move with the action: :attr:`smoothness` (default ``"smooth"``).

    The ``*_flat`` methods take the action as a flat float vector of length
    ``action_space.size`` (no parsing); the methods without the suffix accept
    any form :meth:`ActionSpec.flatten` accepts.

    Attributes
    ----------
    action_space : ActionSpec
        Names, shapes and coordinates of the action.
    n_samples : int
        Number of posterior samples (chain x draw).
    n_replicates : int or None
        Outcome replicates per sample, or ``None`` when :meth:`sample` returns
        one value per sample (the conditional mean, or precomputed draws).
    outcome_dims : tuple of str
        Dims of the (unreduced) outcome, ``()`` for a scalar outcome.
    outcome_coords : dict of str to array_like
        Labels of the outcome dims, where known.
    reduce : {"sum", "mean"} or callable
        How a vector outcome becomes one scalar per draw (see :func:`resolve_reduce`).
    options : tuple of str or None
        Labels of the options when the action is a choice among named options
        (``from_draws``): the flat action is then a one-hot (or probability) vector
        over them, see :meth:`one_hot`.
    categorical : bool
        True when the action can only be one of :attr:`options` (a treatment given
        as one-hot or index data in ``from_pymc``): no mixture of options means
        anything, so only a :class:`~decide.optimization.Discrete` space applies.
        False (the default) when a probability vector over the options is a
        randomized policy (``from_draws``) or there are no options.
    """

    action_space: ActionSpec
    n_samples: int
    n_replicates: int | None = None
    outcome_dims: tuple[str, ...] = ()
    outcome_coords: Mapping[str, Any] = {}
    reduce: Reduce = "sum"
    options: tuple[Hashable, ...] | None = None
    categorical: bool = False
    #: set by :func:`~decide.outcomes.with_observed_range` and ``from_pymc``
    _observed_range: ObservedRange | None = None
    #: set by ``from_pymc`` for a planning window whose first periods are training periods
    _history: np.ndarray | None = None
    #: set by :func:`~decide.outcomes.with_window` and ``from_pymc(window=)``
    _window: PlanningWindow | None = None

    # -- public -----------------------------------------------------------
    def sample(self, action: Any) -> np.ndarray:
        """Outcome draws under ``do(action)``, unreduced.

        Returns
        -------
        ndarray of shape (n_samples, *outcome_shape) or (n_samples, n_replicates, *outcome_shape)
        """
        return self.sample_flat(self.action_space.flatten(action))

    def draws(self, action: Any) -> np.ndarray:
        """One scalar outcome per draw (the vector outcome reduced), ready to score.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_replicates)
        """
        return self.draws_flat(self.action_space.flatten(action))

    def vjp(self, action: Any, cotangent: Any) -> np.ndarray:
        """Vector-Jacobian product: ``sum_ij cotangent_ij * d draws_ij / d action``.

        Parameters
        ----------
        action : array_like, dict or xarray
            The action at which to differentiate.
        cotangent : array_like of shape (n_samples,) or (n_samples, n_replicates)
            Same shape as :meth:`draws`, typically ``objective.grad(draws)``.

        Returns
        -------
        ndarray of shape (action_space.size,)
            Gradient with respect to the flat action.

        Raises
        ------
        NotImplementedError
            If the model is not differentiable (see :attr:`has_vjp`).
        """
        if not self.has_vjp:
            raise NotImplementedError(
                f"{type(self).__name__} has no vector-Jacobian product; use a derivative-free "
                "method."
            )
        return self.vjp_flat(self.action_space.flatten(action), np.asarray(cotangent, float))

    def conditional_mean(self, action: Any) -> np.ndarray:
        """E[outcome | theta, do(action)] for every posterior sample theta.

        Returns
        -------
        ndarray of shape (n_samples, *outcome_shape)

        Raises
        ------
        NotImplementedError
            If the model cannot give the conditional mean exactly.
        """
        if not self.has_conditional_mean:
            raise NotImplementedError(
                f"{type(self).__name__} cannot give E[outcome | theta, action] exactly."
            )
        return self.conditional_mean_flat(self.action_space.flatten(action))

    @property
    def has_vjp(self) -> bool:
        """Whether :meth:`vjp` is available."""
        return type(self).vjp_flat is not OutcomeModel.vjp_flat

    @property
    def has_conditional_mean(self) -> bool:
        """Whether :meth:`conditional_mean` is available."""
        return type(self).conditional_mean_flat is not OutcomeModel.conditional_mean_flat

    @property
    def has_jacobian(self) -> bool:
        """Whether :meth:`draws_and_jacobian` is available (cheaply, in one evaluation)."""
        if type(self).draws_and_jacobian_flat is not OutcomeModel.draws_and_jacobian_flat:
            return True
        return self.n_replicates is None and self.affine_form() is not None

    def draws_and_jacobian(self, action: Any) -> tuple[np.ndarray, np.ndarray]:
        """The draws and the Jacobian of every draw in the action, in one evaluation.

        Optimizers chain it with the objective's gradient (``g = cot @ J``) without a
        second forward pass, and linearize the draws around ``action``
        (``draws(action + d) ~ draws + J @ d``).

        Returns
        -------
        draws : ndarray of shape (n_samples,) or (n_samples, n_replicates)
        jacobian : ndarray of shape (*draws.shape, action_space.size)
            ``jacobian[s, j] = d draws[s] / d action_flat[j]``.

        Raises
        ------
        NotImplementedError
            If the model has no Jacobian (see :attr:`has_jacobian`).
        """
        if not self.has_jacobian:
            raise NotImplementedError(
                f"{type(self).__name__} has no per-draw Jacobian; use vjp() or a "
                "derivative-free method."
            )
        return self.draws_and_jacobian_flat(self.action_space.flatten(action))

    def affine_form(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(A, b)`` with ``draws(x) = A @ x + b`` if the draws are affine in the action.

        Returns
        -------
        tuple of ndarray of shapes (n_samples, size) and (n_samples,), or None
            ``None`` when the model is not affine; used by the exact convex backend.
        """
        return None

    def subset(self, indices: Sequence[int] | np.ndarray) -> OutcomeModel:
        """The same model restricted to the posterior samples ``indices``.

        Used for held-out evaluation and cross-fitting.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support subset().")

    def with_replicates(
        self, n_replicates: int, random_seed: int | np.random.Generator | None = None
    ) -> OutcomeModel:
        """The same model with ``n_replicates`` simulated outcomes per posterior sample.

        Raises
        ------
        DecideValueError
            If the model cannot simulate replicates (the default).
        """
        raise DecideValueError(
            f"{type(self).__name__} gives n_replicates={self.n_replicates} and cannot change "
            "it. Build the outcome model with the replicates you need (e.g. "
            "from_pymc(..., mode='crn', n_replicates=...))."
        )

    def with_parameters(self, parameters: xr.Dataset) -> OutcomeModel:
        """The same outcome re-evaluated at other parameter draws (e.g. a refitted posterior).

        Parameters
        ----------
        parameters : xarray.Dataset
            Draws with a leading ``"sample"`` dim holding (at least) every
            parameter the outcome reads, with the same non-sample shapes; the
            number of samples may differ.

        Raises
        ------
        DecideValueError
            If the model cannot change its parameter draws (the default).
        """
        raise DecideValueError(
            f"{type(self).__name__} cannot be re-evaluated at new parameter draws; build the "
            "outcome with from_function or from_pymc to use refitted posteriors."
        )

    def one_hot(self, option: Any) -> np.ndarray:
        """The flat action that picks the named ``option`` (see :attr:`options`).

        Raises
        ------
        DecideValueError
            If the model has no named options (the default) or ``option`` is not one.
        """
        raise DecideValueError(
            f"{type(self).__name__} has no named options; pass the action itself, not "
            f"{option!r}."
        )

    def default_action_flat(self) -> np.ndarray | None:
        """The model's own default action (flat), or None when it has none (the default).

        A PyMC outcome's default is the data its action variables hold (the data
        given to ``from_pymc(data=...)``); :func:`decide.outcomes.plan` fixes the
        cells outside a planning window at it.
        """
        return None

    def observed_range(self) -> ObservedRange | None:
        """The range of the action in the data the model was fitted on, or None (the default).

        An :class:`~decide.outcomes.ObservedRange`: per cell of the action, the smallest
        and largest value of the training data. ``from_pymc`` reads it from the action's
        data (reduced over the observation dims, see ``docs/optimize.md``);
        :func:`~decide.outcomes.with_observed_range` declares it for any outcome; a
        :class:`~decide.outcomes.MappedOutcome` states it on the model's own cells.
        :func:`decide.optimize` reports the decision against it
        (``Decision.extrapolation``) and keeps inside it with ``within_observed=``.
        """
        return self._observed_range

    def history_flat(self) -> np.ndarray | None:
        """Which elements of the flat action are fixed history, or None when unknown (the default).

        A boolean mask of shape ``(action_space.size,)``: True for an element that holds
        data the model was fitted on in an action that also holds new periods (the
        carry-in weeks of a planning window), and, when a planning window is declared
        (:meth:`planning_window`), for every element outside it (carry-in and carry-out
        periods). :func:`decide.optimize` refuses a space that would move them
        (``move_history=True`` allows it).
        """
        return self._with_window_cells(self._history)

    def planning_window(self) -> PlanningWindow | None:
        """The declared planning window, or None (the default).

        A :class:`~decide.outcomes.PlanningWindow`, declared by
        :func:`~decide.outcomes.with_window` or ``from_pymc(..., window=)``: the periods
        decided along one dim of the action. The cells outside it are fixed (they join
        :meth:`history_flat`); :func:`~decide.outcomes.plan` decides the window by
        default.
        """
        return self._window

    def _with_window_cells(self, history: np.ndarray | None) -> np.ndarray | None:
        """``history`` joined with the cells outside the declared window (if any)."""
        if self._window is None:
            return history
        outside = self._window.outside
        if history is None:
            return outside.copy() if outside.any() else None
        return np.asarray(history, dtype=bool) | outside

    @property
    def smoothness(self) -> str:
        """How the draws move with the action: ``"smooth"``, ``"nonsmooth"`` or ``"noisy"``.

        * ``"smooth"`` (the default): each draw is a continuous, piecewise
          differentiable function of the action, so a gradient (analytic or by
          finite differences) is meaningful;
        * ``"nonsmooth"``: draws jump as the action moves (integer-valued counts
          from an inverse CDF of fixed uniforms, step functions, a replayed random
          stream): the sample-average objective is piecewise constant or jagged and
          a derivative-free method is the right tool;
        * ``"noisy"``: two calls at the same action give different draws (fresh
          noise per call, ``from_pymc(mode="sample")``); optimizing over a
          continuous space is refused, use common random numbers (``mode="crn"``).

        :func:`decide.optimize` reads it to choose the method (see
        ``docs/optimize.md``).
        """
        return "smooth"

    @property
    def parameters(self) -> xr.Dataset | None:
        """Posterior parameter draws aligned with the sample axis, or None.

        Row ``s`` of every variable (dims ``("sample", ...)``) is the parameter
        draw that produced ``draws(a)[s]``; used to regress outcomes on parameters
        (:func:`decide.uncertainty.evppi`). ``None`` when the model does not know
        its parameters (the default).
        """
        return None

    def _with_guards_of(self, other: OutcomeModel) -> Self:
        """Self with ``other``'s observed range and history mask (for subsets and copies)."""
        self._observed_range = other._observed_range
        self._history = other._history
        self._window = other._window
        return self

    # -- flat interface: what subclasses implement and other layers call ----
    @abc.abstractmethod
    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        """Unreduced draws at the flat action ``x`` of shape (action_space.size,).

        Returns
        -------
        ndarray of shape (n_samples, *outcome_shape) or (n_samples, n_replicates, *outcome_shape)
        """

    def reduce_draws(self, arr: np.ndarray) -> np.ndarray:
        """Reduce unreduced draws to one scalar per (sample, replicate) with :attr:`reduce`."""
        n_lead = 1 if self.n_replicates is None else 2
        return resolve_reduce(self.reduce, n_lead)(arr)

    def draws_flat(self, x: np.ndarray) -> np.ndarray:
        """:meth:`draws` at the flat action ``x``: shape (n_samples,) or (n_samples, n_replicates)."""
        return self.reduce_draws(self.sample_flat(x))

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """:meth:`vjp` at the flat action ``x``; returns shape (action_space.size,)."""
        raise NotImplementedError

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        """:meth:`conditional_mean` at the flat action ``x``."""
        raise NotImplementedError

    def draws_and_jacobian_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`draws_and_jacobian` at the flat action ``x`` (default: the affine form)."""
        form = self.affine_form() if self.n_replicates is None else None
        if form is None:
            raise NotImplementedError(f"{type(self).__name__} has no per-draw Jacobian.")
        return np.asarray(self.draws_flat(x), dtype=np.float64), np.asarray(form[0], dtype=float)
