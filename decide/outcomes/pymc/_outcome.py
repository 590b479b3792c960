"""Outcome draws from a PyMC model under ``do(action)``: :func:`from_pymc`.

Outcomes are rewards (higher is better). Draw arrays put the sample axis first:
``(n_samples, *outcome_shape)`` in ``"mean"`` mode (or without replicates) and
``(n_samples, n_replicates, *outcome_shape)`` with replicates.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from decide import _config
from decide._config import SAMPLE_DIM
from decide._posterior import posterior_dataset, thin
from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import ActionSpec, OutcomeModel, Reduce, resolve_reduce
from decide.outcomes._window import check_new_periods, resolve_window
from decide.outcomes.pymc import _grad
from decide.outcomes.pymc._cache import cached_compile
from decide.outcomes.pymc._categorical import Categorical, resolve_categorical
from decide.outcomes.pymc._data import (
    history_warning,
    model_with_data,
    refitted_elsewhere,
    tied_observed,
    training_range,
)
from decide.outcomes.pymc._grad import default_vjp_strategy, hoist_noise, vjp_graph
from decide.outcomes.pymc._graph import MODES, GraphSpec, build_graph
from decide.outcomes.pymc._ops import graph_key, valid_convolutions
from decide.outcomes.pymc._quiet import no_tag_traces, quiet_blas_probe

__all__ = ["PyMCOutcome", "default_backend", "from_pymc"]


def default_backend() -> str:
    """The fastest pytensor mode measured on this stack: ``"NUMBA"``.

    On pytensor 3.x numba is the backend that pytensor optimizes for. On pytensor
    2.38, ``benchmarks/bench_outcomes.py`` measured numba at or below the C backend
    (``"FAST_RUN"``) for the value, and with a steadier value+vjp / value ratio (2.1-2.4
    against 2.4-4.9 with the ``"split"`` strategy).
    """
    return "NUMBA"


#: Rewrites left out of decide's numba compiles: they cost compile time and cannot pay on
#: an outcome graph. pytensor 3.3's ``useless_symmetric_transpose`` infers symmetry over
#: every ancestor of each matrix transpose to drop the transpose (a view in numba): 65 ms,
#: 12% of compiling the pymc-marketing MMM's Jacobian function, for the same code.
_EXCLUDED_REWRITES = ("useless_symmetric_transpose",)


def _compile_mode(backend: str) -> Any:
    """The pytensor mode decide compiles with: ``backend``, less the excluded rewrites."""
    if str(backend).upper() != "NUMBA":
        return backend
    from pytensor.compile.mode import get_mode

    return get_mode(backend).excluding(*_EXCLUDED_REWRITES)


def _numba_on_pytensor2(backend: Any) -> bool:
    """Whether ``backend`` is numba on pytensor 2.x (whose numba has the limits below)."""
    import pytensor

    return isinstance(backend, str) and backend.upper() == "NUMBA" and (
        pytensor.__version__.startswith("2.")
    )


def _function(inputs: list[Any], outputs: Any, backend: str) -> Any:
    """``pytensor.function`` in ``backend``; on pytensor 2.x, numba falls back to C.

    pytensor 2.x's numba backend compiles a ``Blockwise`` only once its core shape
    is explicit; one it cannot rewrite (e.g. a batched ``Convolve1d`` whose output
    length depends on a batched input, as in pymc-marketing 0.x's adstock) runs its
    core op per item in Python and can fail there. Such a graph is compiled with the
    C backend (``"FAST_RUN"``) instead; the values are the same.
    """
    import warnings

    import pytensor

    if str(backend).upper() == "NUMBA":
        single = not isinstance(outputs, list | tuple)
        outs = valid_convolutions([outputs] if single else list(outputs))
        outputs = outs[0] if single else outs
    mode = _compile_mode(backend)
    if not _numba_on_pytensor2(backend):
        with quiet_blas_probe(backend):
            return pytensor.function(inputs, outputs, mode=mode, on_unused_input="ignore")
    from pytensor.tensor.blockwise import Blockwise

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_blas_probe(backend):
            fn = pytensor.function(inputs, outputs, mode=mode, on_unused_input="ignore")
    if any(type(n.op) is Blockwise for n in fn.maker.fgraph.apply_nodes):
        # decide's choice, not the user's: pytensor's BLAS probe stays as quiet as for numba
        with quiet_blas_probe(backend):
            return pytensor.function(inputs, outputs, mode="FAST_RUN", on_unused_input="ignore")
    for w in caught:  # the numba function is kept: its warnings stand
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return fn


def _vjp_backend(backend: Any) -> Any:
    """The backend of the gradient function: C in place of numba on pytensor 2.x.

    pytensor 2.x's numba backend recompiles a new gradient graph in every process (0.7 to
    6 s on ``benchmarks/bench_mmm.py``'s pymc-marketing 0.x MMM, varying with the
    process), where its C backend reuses the modules it compiled before (pytensor's
    compiledir) and runs the same gradient in 1.5 ms against numba's 1.2 ms.
    """
    return "FAST_RUN" if _numba_on_pytensor2(backend) else backend


def _mode_of(backend: Any) -> Callable[[Any], str] | None:
    """The mode a function of :func:`_function` was compiled with (for the disk cache).

    None for a backend given as a ``Mode`` object (not cached on disk).
    """
    if not isinstance(backend, str):
        return None

    def mode(fn: Any) -> str:
        if backend.upper() == "NUMBA" and type(fn.maker.linker).__name__ != "NumbaLinker":
            return "FAST_RUN"  # the C fallback of pytensor 2.x
        return backend

    return mode


def _action_spec(graph: GraphSpec) -> ActionSpec:
    """The action's names, shapes, dims and coordinates in the compiled graph."""
    coords = {}
    for ds in graph.action_dims:
        for d in ds:
            if d in graph.model_coords:
                coords[d] = graph.model_coords[d]
    return ActionSpec(
        names=tuple(x.name.removesuffix("__action") for x in graph.action_inputs),
        shapes=tuple(graph.action_shapes),
        dims=tuple(
            ds or tuple(f"{x.name.removesuffix('__action')}_dim_{i}" for i in range(len(sh)))
            for ds, x, sh in zip(graph.action_dims, graph.action_inputs, graph.action_shapes)
        ),
        coords=coords,
    )


class PyMCOutcome(OutcomeModel):
    """Outcome model compiled from a PyMC model (built by :func:`from_pymc`).

    Outcomes are rewards (higher is better). Draw arrays put the sample axis first.
    One function is compiled at construction and reused for every action: for a
    differentiable outcome it returns the draws and their per-draw Jacobian together
    (the action batched along the draws, so one reverse pass gives every row; see
    :meth:`draws_and_jacobian`), otherwise the draws only. The posterior draws,
    fixed uniforms and the model's shared data (copied at construction) are
    function inputs, so :meth:`subset` costs no recompilation and compiled
    functions are shared between outcome models with the same graph through a
    bounded in-memory cache (:data:`decide._config.PYMC_COMPILE_CACHE_SIZE`).

    Attributes
    ----------
    mode : {"mean", "sample", "crn"}
        How the simulated variables (observed and downstream of the action) enter.
    simulated : tuple of str
        Variables simulated under ``do`` rather than read from the posterior.
    backend : str
        pytensor mode used to compile.
    vjp_strategy : {"jacobian", "joint", "split"}
        ``"jacobian"``: :meth:`vjp` is ``cotangent @ J`` from the compiled function's
        per-draw Jacobian (the default when it is available); ``"joint"``: a second
        function returns the reduced value and the gradient (the forward pass shared);
        ``"split"``: a gradient-only function next to the value function
        (:func:`default_vjp_strategy` picks between these two on this stack); set it
        before the first :meth:`vjp` call to change it.
    posterior : xarray.Dataset
        The parameter draws the outcome is computed from, read-only (see :attr:`posterior`).
    options : tuple of str or None
        The labels of a categorical action (one-hot or index ``pm.Data``), else None.
    categorical : bool
        Whether the action is categorical: only a ``Discrete`` space applies.
    """

    _categorical: Categorical | None = None

    def __init__(
        self,
        graph: GraphSpec,
        posterior: xr.Dataset,
        *,
        mode: str,
        n_replicates: int | None,
        reduce: Reduce,
        backend: str,
        rng: np.random.Generator,
        n_samples: int,
    ) -> None:

        self._graph = graph
        self.mode = mode
        self.simulated = tuple(graph.simulated)
        self.backend = backend
        self.reduce = reduce
        self.n_replicates = n_replicates
        self._reps = 1 if n_replicates is None else int(n_replicates)
        self._rng = rng
        self._set_posterior(posterior)
        self.n_samples = int(n_samples)
        self.action_space = _action_spec(graph)
        rows = self.n_samples * self._reps
        uniforms = {u: rng.uniform(size=(rows, *shape)) for _, u, shape in graph.uniforms}
        self._vjp_reason = graph.no_grad_reason
        if callable(reduce) and self._vjp_reason is None:
            # applied to the draws in numpy, scalar outcomes included: no gradient through it
            self._vjp_reason = (
                "a callable reduce is applied in numpy, so the gradient cannot pass through "
                "it; use reduce='sum' or 'mean' (or write the transformation into the outcome)."
            )
        size = sum(int(np.prod(sh)) for sh in graph.action_shapes)
        # the per-draw Jacobian path: the action batched along the draw rows
        self._rows = (
            _grad.default_jacobian()
            and graph.row_output is not None
            and self._vjp_reason is None
            and rows * size <= _config.PYMC_JACOBIAN_MAX_ELEMENTS
        )
        self._memo: tuple[bytes, Any] | None = None
        self._value_calls = 0
        self._uniforms = uniforms
        self._crn_seeds = [int(s) for s in rng.integers(2**63 - 1, size=len(graph.rngs))]
        self._vjp_fn: Any = None
        self._mean_fn: Any = None
        self._plain: _Fn | None = None
        if self._rows:
            try:
                self._main = self._setup(rows=True)
            except _NoGradient as exc:
                self._vjp_reason = f"pytensor cannot differentiate the outcome in the action: {exc}"
                self._rows = False
        if not self._rows:
            self._main = self._plain = self._setup(rows=False)
        self._value_fn = self._main.fn
        self.vjp_strategy = "jacobian" if self._rows else default_vjp_strategy()
        first = self._value_flat(self.action_space.flatten(graph_defaults(graph)))
        self._outcome_shape = tuple(first.shape[1:])
        dims = graph.outcome_dims
        if len(dims) != len(self._outcome_shape):
            dims = tuple(f"{graph.outcome_name}_dim_{i}" for i in range(len(self._outcome_shape)))
        self.outcome_dims = dims
        self.outcome_coords = {d: graph.model_coords[d] for d in dims if d in graph.model_coords}

    def _setup(self, rows: bool) -> _Fn:
        """Hoist the fixed noise out of the outcome graph and compile it (through the cache).

        ``rows=True``: the graph with the action batched along the draw rows, compiled
        with its per-draw Jacobian; ``rows=False``: the plain graph, draws only.
        """
        import pytensor

        g = self._graph
        output = g.row_output if rows else g.output
        n_rows = self.n_samples * self._reps
        out, noise = hoist_noise(output, self._uniforms, n_rows)
        v = _Fn(rows, out, [nv for nv, _ in noise], [a for _, a in noise], None)
        inputs = self._inputs(v)
        backend = self.backend
        reduce = self.reduce if isinstance(self.reduce, str) else "callable"
        key = graph_key(inputs, [out])
        if key is not None:
            key = ("jacobian" if rows else "value", backend, reduce, key)

        def build() -> Any:
            outs: list[Any] = [out]
            if rows:
                try:
                    grads = pytensor.grad(
                        _reduced(out, self.reduce).sum(), list(g.row_actions),
                        disconnected_inputs="ignore",
                    )
                except Exception as exc:
                    raise _NoGradient(str(exc)) from None
                outs += list(grads)
            try:
                fn = _function(inputs, outs, backend)
            except Exception as exc:
                raise DecideValueError(
                    f"backend {backend!r} could not compile the outcome graph ({exc}); pass "
                    f"backend=None for the default ({default_backend()!r}) or 'FAST_COMPILE'."
                ) from None
            fn.trust_input = True
            return fn

        with no_tag_traces():
            v.fn = cached_compile(key, build, _mode_of(backend))
        return v

    def _plain_fn(self) -> _Fn:
        """The draws-only function on the unbatched action (compiled on first need)."""
        if self._plain is None:
            self._plain = self._setup(rows=False)
        return self._plain

    def one_hot(self, option: Any) -> np.ndarray:
        """The flat action giving every row the category ``option`` (a categorical action).

        One-hot data: a 1 in the option's column of every row; index data: the
        option's position in every cell.

        Raises
        ------
        DecideValueError
            If the action is not categorical or ``option`` is not one of :attr:`options`.
        """
        cat = self._categorical
        if cat is None:
            return super().one_hot(option)
        if str(option) not in cat.labels:
            raise DecideValueError(
                f"option must be one of {list(cat.labels)} (the categories of {cat.name!r}); "
                f"got {option!r}."
            )
        return cat.action(str(option)).reshape(-1)

    # -- posterior draws ----------------------------------------------------
    def _set_posterior(self, posterior: xr.Dataset) -> None:
        """Keep the draws read-only; ``_draws`` holds the same (C-contiguous) arrays."""
        names = [name for name, *_ in self._graph.params]
        data = {}
        for name in names:
            arr = np.ascontiguousarray(posterior[name].values)
            arr.flags.writeable = False
            data[name] = (posterior[name].dims, arr)
        self._posterior = xr.Dataset(data, coords=posterior[names].coords)
        self._draws = {name: self._posterior[name].values for name in names}

    @property
    def posterior(self) -> xr.Dataset:
        """The parameter draws the outcome is computed from (read-only).

        The free random variables of the model that the outcome reads from the
        posterior (not the simulated ones), after thinning by ``max_draws``, in
        the dtype the model uses, aligned with the sample axis of :meth:`sample`
        and :meth:`draws`: row ``s`` of every array is the draw that produced
        ``sample(a)[s]``. Use it to regress outcomes on parameters (e.g.
        :func:`decide.uncertainty.evppi`).

        Returns
        -------
        xarray.Dataset
            One variable per posterior-fed free variable, dims ``("sample", *var_dims)``.
            A new Dataset on each access, sharing read-only arrays: writing into
            ``.values`` raises ``ValueError``; copy it (``.copy(deep=True)``) to edit.
        """
        return self._posterior.copy(deep=False)

    def default_action_flat(self) -> np.ndarray:
        """The data the action variables hold in the model (or in ``data=``), flat."""
        return self.action_space.flatten(graph_defaults(self._graph))

    @property
    def parameters(self) -> xr.Dataset:
        """The same as :attr:`posterior` (the declared :class:`OutcomeModel` capability)."""
        return self.posterior

    # -- inputs -----------------------------------------------------------
    def _inputs(self, v: _Fn) -> list[Any]:
        g = self._graph
        return [
            *(g.row_actions if v.rows else g.action_inputs),
            *[b for _, b, _, _ in g.params],
            *v.noise_vars,
            *g.rngs,
            *[s for s, _ in g.shared],
        ]

    def _args(self, x: np.ndarray, v: _Fn | None = None, replicate: bool = True) -> list[Any]:
        g = self._graph
        parts = self.action_space.unflatten(x)
        reps = self._reps if replicate else 1
        rows = v is not None and v.rows
        if rows and replicate:
            n = self.n_samples * reps
            args: list[Any] = [
                np.ascontiguousarray(np.broadcast_to(parts[k], (n, *parts[k].shape)))
                for k in self.action_space.names
            ]
        else:
            args = [np.array(parts[k], order="C") for k in self.action_space.names]
        for name, *_ in g.params:
            arr = self._draws[name]
            args.append(np.repeat(arr, reps, axis=0) if reps > 1 else arr)
        if not replicate or v is None:
            return [*args, *[a for _, a in g.shared]]
        args.extend(v.noise)
        if self.mode == "sample":
            seeds = self._rng.integers(2**63 - 1, size=len(g.rngs)).tolist()
        else:
            seeds = self._crn_seeds
        args.extend(np.random.default_rng(int(s)) for s in seeds)
        args.extend(a for _, a in g.shared)
        return args

    def _call(self, x: np.ndarray) -> list[np.ndarray]:
        """The main compiled function's outputs at ``x`` (the last point remembered)."""
        v = self._main
        if not v.rows:
            return [np.asarray(o, dtype=np.float64) for o in v.fn(*self._args(x, v))]
        tag = x.tobytes()
        if self._memo is not None and self._memo[0] == tag:
            return self._memo[1]
        outs = [np.asarray(o, dtype=np.float64) for o in v.fn(*self._args(x, v))]
        self._memo = (tag, outs)
        return outs

    def _value_flat(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if not self._rows or (self._memo is not None and self._memo[0] == x.tobytes()):
            return self._call(x)[0].copy()
        # draws only, at a new point: the first few calls use the main function (an
        # optimizer needs the Jacobian there next); a caller asking for many draws
        # (evpi, compare, a sweep of values) gets the draws-only function
        self._value_calls += 1
        if self._value_calls <= _VALUE_CALLS_BEFORE_PLAIN:
            return self._call(x)[0].copy()
        v = self._plain_fn()
        return np.asarray(v.fn(*self._args(x, v))[0], dtype=np.float64)

    def _lead_shape(self) -> tuple[int, ...]:
        if self.n_replicates is None:
            return (self.n_samples,)
        return (self.n_samples, self._reps)

    # -- OutcomeModel -------------------------------------------------------
    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        out = self._value_flat(x)
        return out.reshape(*self._lead_shape(), *out.shape[1:])

    @property
    def has_vjp(self) -> bool:
        """Whether :meth:`vjp` is available (see :attr:`vjp_unavailable_reason`)."""
        return self._vjp_reason is None

    @property
    def vjp_unavailable_reason(self) -> str | None:
        """Why the outcome has no gradient in the action, or None."""
        return self._vjp_reason

    @property
    def has_conditional_mean(self) -> bool:
        """Whether :meth:`conditional_mean` is available."""
        return self._graph.mean_output is not None

    @property
    def smoothness(self) -> str:
        """How the draws move with the action (see :attr:`~decide.outcomes.OutcomeModel.smoothness`).

        ``"noisy"`` in ``"sample"`` mode (fresh noise per call); ``"nonsmooth"`` when
        the outcome has no gradient in the action (a discrete likelihood in ``"crn"``
        mode, a replayed random stream); else ``"smooth"``.
        """
        if self.mode == "sample":
            return "noisy"
        return "smooth" if self._vjp_reason is None else "nonsmooth"

    def vjp(self, action: Any, cotangent: Any) -> np.ndarray:
        """Vector-Jacobian product of :meth:`draws` (see :meth:`OutcomeModel.vjp`).

        Raises
        ------
        NotImplementedError
            If the outcome is not differentiable in the action; the message says
            why (random variable on the path, discrete likelihood in ``"crn"``,
            no inverse CDF) and which mode is differentiable.
        """
        if self._vjp_reason is not None:
            raise NotImplementedError(self._vjp_reason)
        return super().vjp(action, cotangent)

    def draws_and_jacobian_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draws and per-draw Jacobian at the flat action ``x`` (one compiled call).

        Returns
        -------
        draws : ndarray of shape (n_samples,) or (n_samples, n_replicates)
        jacobian : ndarray of shape (*draws.shape, action_space.size)
        """
        if not self._rows:
            if self._vjp_reason is not None:
                raise NotImplementedError(self._vjp_reason)
            raise NotImplementedError(
                "the per-draw Jacobian of this outcome is not available (its graph did not "
                "vectorize over the action, or n_samples x action size exceeds "
                "decide._config.PYMC_JACOBIAN_MAX_ELEMENTS); use vjp()."
            )
        out, *jacs = self._call(np.asarray(x, dtype=np.float64))
        lead = self._lead_shape()
        red = np.asarray(self.reduce_draws(out.reshape(*lead, *self._outcome_shape)), float)
        n = out.shape[0]
        jac = np.concatenate([j.reshape(n, -1) for j in jacs], axis=1)
        return red.reshape(lead), jac.reshape(*lead, -1)

    @property
    def has_jacobian(self) -> bool:
        """Whether :meth:`draws_and_jacobian` is available."""
        return bool(self._rows)

    def _compile_vjp(self) -> Any:
        """Compile the gradient (``"split"``) or value and gradient (``"joint"``)."""
        import pytensor.tensor as pt

        v = self._plain_fn()
        actions = self._graph.action_inputs
        # keyed on the value graph it is derived from (the cotangent appended as an input),
        # so a cache hit skips building and rewriting the gradient graph (about 0.2 s on
        # pymc-marketing 0.x's MMM); the code deriving it is in the disk key's source hash
        cot_type = pt.vector("cotangent", dtype="float64")
        key = graph_key([*self._inputs(v), cot_type], [v.output])
        if key is not None:  # through the compile cache, like the main function
            reduce = self.reduce if isinstance(self.reduce, str) else "callable"
            key = ("vjp", self.vjp_strategy, self.backend, reduce, len(actions), key)

        vjp_backend = _vjp_backend(self.backend)

        def build() -> Any:
            with no_tag_traces():
                red, cot, grads = vjp_graph(v.output, actions, self.reduce)
            outs = grads if self.vjp_strategy == "split" else [red, *grads]
            fn = _function([*self._inputs(v), cot], outs, vjp_backend)
            fn.trust_input = True
            return fn

        with no_tag_traces():
            return cached_compile(key, build, _mode_of(vjp_backend))

    def value_and_vjp(self, action: Any, cotangent: Any) -> tuple[np.ndarray, np.ndarray]:
        """Reduced draws and their vector-Jacobian product in one call.

        Parameters
        ----------
        action : array_like, dict or xarray
            The action.
        cotangent : array_like of shape (n_samples,) or (n_samples, n_replicates)
            Same shape as :meth:`draws`.

        Returns
        -------
        draws : ndarray of shape (n_samples,) or (n_samples, n_replicates)
        grad : ndarray of shape (action_space.size,)
        """
        if self._vjp_reason is not None:
            raise NotImplementedError(self._vjp_reason)
        x = self.action_space.flatten(action)
        return self._value_and_vjp_flat(x, np.asarray(cotangent, dtype=np.float64))

    def _value_and_vjp_flat(self, x: np.ndarray, cot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lead = self._lead_shape()
        if cot.shape != lead:
            raise DecideValueError(
                f"cotangent must have the shape of draws(action), {lead}; got {cot.shape}."
            )
        if self.vjp_strategy == "jacobian" and self._rows:
            red, jac = self.draws_and_jacobian_flat(x)
            return red, cot.reshape(-1) @ jac.reshape(cot.size, -1)
        if self._vjp_fn is None:
            self._vjp_fn = self._compile_vjp()
        v = self._plain_fn()
        args = self._args(x, v)
        if self.vjp_strategy == "split":
            out = np.asarray(v.fn(*args)[0], dtype=np.float64)
            red = self.reduce_draws(out.reshape(*lead, *self._outcome_shape))
            grads = self._vjp_fn(*args, np.ascontiguousarray(cot.reshape(-1)))
        else:
            red, *grads = self._vjp_fn(*args, np.ascontiguousarray(cot.reshape(-1)))
        grad = np.concatenate([np.asarray(g, dtype=np.float64).reshape(-1) for g in grads])
        return np.asarray(red, dtype=np.float64).reshape(lead), grad

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        return self._value_and_vjp_flat(x, cotangent)[1]

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        if self._graph.mean_output is None:
            raise NotImplementedError(self._graph.no_mean_reason)
        if self.mode == "mean":
            return self._value_flat(x)
        if self._mean_fn is None:

            g = self._graph
            self._mean_fn = _function(
                [*g.action_inputs, *[b for _, b, _, _ in g.params], *[v for v, _ in g.shared]],
                g.mean_output,
                self.backend,
            )
            self._mean_fn.trust_input = True
        return np.asarray(self._mean_fn(*self._args(x, None, replicate=False)), dtype=np.float64)

    def conditional_mean(self, action: Any) -> np.ndarray:
        """E[outcome | theta, do(action)] for every posterior sample theta.

        The simulated variables are replaced by their means (``pymc`` moments).
        This is exact when the outcome is affine in the simulated variables
        (e.g. ``price * demand - cost``); otherwise the value is the plug-in
        ``f(E[Y | theta])`` and a warning is raised (at construction in ``"mean"``
        mode, on each call in the other modes) that points to ``"crn"`` / ``"sample"``.

        Returns
        -------
        ndarray of shape (n_samples, *outcome_shape)

        Raises
        ------
        NotImplementedError
            If a simulated variable's distribution has no mean in pymc (the
            message names it).
        """
        if self._graph.mean_output is None:
            raise NotImplementedError(self._graph.no_mean_reason)
        if not self._graph.mean_exact and self.mode != "mean":  # "mean" warned at construction
            warnings.warn(_plugin_message(self._graph), UserWarning, stacklevel=2)
        return super().conditional_mean(action)

    def _reindex_noise(self, new: PyMCOutcome, idx: np.ndarray) -> None:
        """Give ``new`` the fixed noise (uniforms, hoisted noise) of the samples ``idx``."""

        def rows_of(v: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(
                v.reshape(self.n_samples, self._reps, *v.shape[1:])[idx].reshape(-1, *v.shape[1:])
            )

        new._uniforms = {u: rows_of(a) for u, a in self._uniforms.items()}
        new._main = dataclasses.replace(self._main, noise=[rows_of(a) for a in self._main.noise])
        if self._plain is self._main:
            new._plain = new._main
        elif self._plain is not None:
            new._plain = dataclasses.replace(
                self._plain, noise=[rows_of(a) for a in self._plain.noise]
            )

    def subset(self, indices: Sequence[int] | np.ndarray) -> PyMCOutcome:
        """The same outcome model on the posterior samples ``indices`` (no recompilation).

        Parameters
        ----------
        indices : sequence of int
            Positions along the sample axis, in ``[0, n_samples)``.
        """
        idx = np.asarray(indices)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise DecideValueError(
                f"indices must be a non-empty 1-d array of integers; got {np.asarray(indices)!r}."
            )
        if idx.min() < -self.n_samples or idx.max() >= self.n_samples:
            raise DecideValueError(
                f"indices must be in [0, {self.n_samples}); got min {idx.min()}, max {idx.max()}."
            )
        new = copy.copy(self)
        new._set_posterior(self._posterior.isel({SAMPLE_DIM: idx}))
        self._reindex_noise(new, idx)
        new.n_samples = int(idx.size)
        new._memo = None
        new._rng = np.random.default_rng(self._rng.integers(2**63 - 1))
        return new

    def with_parameters(self, parameters: xr.Dataset) -> PyMCOutcome:
        """The same compiled outcome at other posterior draws (no recompilation).

        Parameters
        ----------
        parameters : xarray.Dataset
            Draws with a leading ``"sample"`` dim holding every variable of
            :attr:`posterior` (same non-sample shapes), e.g. the posterior of the
            model refitted to more data; the number of samples may differ. The
            noise of the common random numbers is reused cyclically (it does
            not depend on the parameters).

        Returns
        -------
        PyMCOutcome
        """
        names = list(self._posterior.data_vars)
        missing = [k for k in names if k not in parameters.data_vars]
        if missing:
            raise DecideValueError(
                f"parameters must hold every variable the outcome reads {names}; missing {missing}."
            )
        m = int(parameters.sizes[SAMPLE_DIM])
        ds = parameters[names].transpose(SAMPLE_DIM, ...)
        for k in names:
            want, got = self._posterior[k].shape[1:], ds[k].shape[1:]
            if want != got:
                raise DecideValueError(
                    f"parameters[{k!r}] must have shape (n, *{want}); got {ds[k].shape}."
                )
            ds[k] = ds[k].astype(self._posterior[k].dtype)
        idx = np.arange(m) % self.n_samples
        new = copy.copy(self)
        new._set_posterior(ds)
        self._reindex_noise(new, idx)
        new._memo = None
        new.n_samples = m
        new._rng = np.random.default_rng(self._rng.integers(2**63 - 1))
        return new


def _reduced(output: Any, reduce: Reduce) -> Any:
    """The outcome reduced to one value per row, symbolically (``"mean"`` or else the sum)."""
    axes = tuple(range(1, output.ndim))
    if not axes:
        return output
    return output.mean(axis=axes) if reduce == "mean" else output.sum(axis=axes)


_VALUE_CALLS_BEFORE_PLAIN = 3


@dataclasses.dataclass
class _Fn:
    """One compiled function of the outcome with the inputs it was built on."""

    rows: bool  # the action batched along the draw rows (returns the per-draw Jacobian too)
    output: Any  # the outcome graph, fixed noise hoisted
    noise_vars: list[Any]
    noise: list[np.ndarray]
    fn: Any


class _NoGradient(Exception):
    """pytensor could not build the gradient of the outcome graph."""


def _plugin_message(graph: GraphSpec) -> str:
    return (
        f"the outcome is not affine in the simulated variables {graph.simulated}, so "
        'mode="mean" and conditional_mean() plug the means in: f(E[Y | theta]), not '
        'E[f(Y) | theta]. For a non-linear outcome use mode="crn" (common random numbers, '
        'differentiable for continuous likelihoods) or mode="sample" with n_replicates, '
        "and average the replicates."
    )


def graph_defaults(graph: GraphSpec) -> dict[str, np.ndarray]:
    """The model's current value of each action variable (ones if it has none)."""
    return {
        x.name.removesuffix("__action"): d
        for x, d in zip(graph.action_inputs, graph.action_defaults)
    }


def _seed(random_seed: Any) -> np.random.Generator:
    """A generator of the model's own: a Generator argument seeds it (the caller's is not shared)."""
    rng = as_rng(random_seed)
    if isinstance(random_seed, np.random.Generator):
        return np.random.default_rng(rng.integers(2**63 - 1))
    return rng


def from_pymc(
    model: Any,
    idata: Any,
    action: str | Sequence[str],
    outcome: str | Callable[[dict[str, Any]], Any],
    mode: str = "mean",
    n_replicates: int | None = None,
    reduce: Reduce = "sum",
    group: str = "posterior",
    max_draws: int | None = None,
    random_seed: int | np.random.Generator | None = None,
    backend: str | None = None,
    data: Mapping[str, Any] | None = None,
    coords: Mapping[str, Any] | None = None,
    categorical: Any = None,
    window: Any = None,
) -> PyMCOutcome:
    r"""Outcome draws of a PyMC model under ``do(action)``, compiled once for every action.

    Outcomes are rewards (higher is better); risk is in the lower tail. Draw
    arrays put the sample axis first.

    Parameters
    ----------
    model : pymc.Model
        The model; never modified (``pm.do`` returns a new model).
    idata : arviz.InferenceData, xarray.DataTree, xarray.Dataset or dict of array_like
        Posterior (or prior) draws of the model's free variables, any chain/draw layout;
        a dict maps names to arrays with the sample axis first.
    action : str or sequence of str
        Names of the action variables (usually ``pm.Data``; any shape).
    outcome : str or callable
        An outcome variable name (deterministic, free or observed; an observed
        variable means its predictive distribution under ``do``), or a callable
        receiving the intervened model's variables by name (pytensor tensors) and
        returning an expression, e.g.
        ``lambda v: (v["sales"] * price).sum() - v["spend"].sum()``.
    mode : {"mean", "sample", "crn"}
        ``"mean"``: E[outcome | theta, do(a)], the simulated variables replaced by
        their means (deterministic, differentiable). ``"sample"``: fresh noise on
        every call, seeded by ``random_seed`` (no gradient). ``"crn"``: common
        random numbers, ``y = F^{-1}(u | params)`` with uniforms ``u`` fixed per
        draw and replicate, smooth in the action for continuous likelihoods
        (``Normal``: ``mu + sigma * z``). Discrete likelihoods use their quantile
        function ``min{k : F(k | params) >= u}`` (closed form, pymc's ``icdf``, or a
        search on pymc's ``logcdf``): common across actions, monotone in the
        rate, value-only (no gradient). See ``docs/outcomes_pymc.md``.
    n_replicates : int or None
        Outcome replicates per posterior draw in ``"sample"`` / ``"crn"`` modes;
        ``None`` gives one and drops the replicate axis. Must be None in ``"mean"``.
    reduce : {"sum", "mean"} or callable
        How a vector outcome becomes one scalar per draw in :meth:`draws`. A callable
        is applied in numpy (to a scalar outcome's draws too), so the outcome then has
        no gradient (see :attr:`PyMCOutcome.vjp_unavailable_reason`).
    group : {"posterior", "prior"}
        Group of ``idata`` to read; ``"prior"`` simulates decisions before fitting.
    max_draws : int or None
        Keep at most this many samples (chosen at random without replacement).
    random_seed : int, numpy.random.Generator or None
        Seeds thinning, the fixed uniforms of ``"crn"`` and the noise of ``"sample"``.
    backend : str or None
        pytensor mode; default :func:`default_backend` (``"NUMBA"``; ``"FAST_RUN"`` is
        the C backend).
    data : mapping of str to array_like or None
        The new period's data: new values of the model's data containers
        (``pm.Data``), e.g. the covariates of next week and the action's default
        values, set with ``pm.set_data`` on a copy of the model (the user's model is
        never changed). Observed variables written without ``shape=`` tied to the
        data are rebuilt at the new size where their parameters allow. With
        ``data=None`` and an action as long as the observed data, a warning says that
        the fitted history is being decided; ``data={}`` says that this is intended.
    coords : mapping of str to sequence or None
        New labels of dims that change length with ``data``.
    categorical : None, False, str, list of str or dict of str to list of str
        A treatment among named categories. ``None`` (default) detects a single
        action given as one-hot ``pm.Data`` (0/1, one 1 per row along a last dim
        with coords: the labels); a name (or list) declares a one-hot action; a
        dict ``{"treat": ["A", "B", "C"]}`` names the categories of an index action
        (``effect[treat_idx]``, position ``k`` is the ``k``-th label) or of one-hot
        data without coords; ``False`` keeps one-hot data numeric (doses). A
        categorical action is decided by label: :attr:`PyMCOutcome.options`, a
        ``Discrete`` space (the default of ``optimize``), labels as fixed policies
        in ``compare``; a continuous space is an error. Option ``k`` gives every
        row category ``k``; other assignments are arrays of the action's shape.
    window : tuple (start, end), slice(start, end), dict {dim: (start, end)} or None
        A planning window: the first and last period decided, both included, along
        the action's period dim (dates for a dim of dates, e.g.
        ``("2025-01-05", "2025-03-30")``; the dim is found from the bounds, name it
        with a dict when several fit). Every cell outside it (carry-in and carry-out
        periods) is fixed like history: ``optimize`` refuses a space that would move
        it, ``plan(om)`` decides the window. It holds new periods only: a window
        that holds dates of the training data is refused, naming them. See
        :func:`~decide.outcomes.with_window`.

    Returns
    -------
    PyMCOutcome
        ``sample(a)`` has shape ``(n_samples, *outcome_shape)``, or
        ``(n_samples, n_replicates, *outcome_shape)`` with replicates;
        ``draws(a)`` reduces it to ``(n_samples,)`` or ``(n_samples, n_replicates)``.

    Raises
    ------
    DecideValueError
        Unknown action or outcome (the message lists the model's variables), a
        posterior missing a free variable, an empty posterior, a bad mode,
        ``n_replicates`` or ``reduce``, a likelihood without a mean in ``"mean"`` mode,
        or in ``"crn"`` a discrete simulated variable whose distribution has neither
        an inverse CDF nor a CDF in pymc (the message names it).
        Also ``data`` / ``coords`` naming no data container or dim of the model, or
        with the wrong number of dims, ``coords`` labels whose number differs from
        the new data's length along that dim; a ``window`` whose bounds do not fit the
        action's period dim or that holds training periods (see
        :func:`~decide.outcomes.with_window`).
    DecideTypeError
        If ``model`` is not a ``pymc.Model`` or ``outcome`` is neither a name nor a callable.

    The data the model was fitted on (the fit's ``constant_data`` group when
    ``idata`` has it, else the model's own data before ``data=``) gives
    :meth:`~decide.outcomes.OutcomeModel.observed_range`: per action element, the
    minimum and maximum over the *observation axes* (the dims an observed variable
    carries, e.g. ``date``; unnamed axes as long as the observed data; axes whose
    length ``data=`` changed), other axes (``channel``) kept. Along a labelled
    observation axis, periods whose labels are training labels, in an action that
    also has new periods (a planning window's carry-in weeks), are
    :meth:`~decide.outcomes.OutcomeModel.history_flat`: ``optimize`` refuses a space
    that moves them. The weeks after a window (carry-out) are new periods too: declare
    the window (``window=``) to fix them as well. A model that already holds another period than the fit's
    ``constant_data`` (e.g. pymc-marketing's ``create_optimization_model``) is not
    taken for the fitted history.

    Notes
    -----
    With draws :math:`\theta_s` and the intervened model :math:`M_{do(a)}`,
    ``"mean"`` returns :math:`E[Y \mid \theta_s, do(a)]` for every :math:`s`;
    for a Normal likelihood ``"crn"`` returns
    :math:`\mu(a, \theta_s) + \sigma(\theta_s) z_{sr}` with
    :math:`z_{sr} = \Phi^{-1}(u_{sr})` fixed. Free variables that depend on the
    action (a future outcome declared in the model) and observed variables are
    simulated, as ``pm.sample_posterior_predictive`` does; so is a free variable
    absent from the posterior on which neither the data nor the variables read
    from the draws depend (a forecast variable such as ``demand_next = pm.NegativeBinomial(..., dims="store")`` added
    to the model after sampling): its posterior given its parents is its
    conditional prior. The other free variables are read from the draws; one
    missing from the posterior is an error.

    References
    ----------
    .. [1] Pearl, J. (2009). *Causality*, 2nd ed., ch. 3 (the do-operator).
    .. [2] Glasserman, P. (2003). *Monte Carlo Methods in Financial Engineering*,
       sec. 7.1 (common random numbers, pathwise derivatives).

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> from decide.outcomes import from_pymc
    >>> with pm.Model() as model:
    ...     spend = pm.Data("spend", 1.0)
    ...     beta = pm.Normal("beta", 1.0, 0.1)
    ...     sales = pm.Normal("sales", beta * pm.math.log(1 + spend), 1.0, observed=0.0)
    >>> om = from_pymc(model, {"beta": np.array([0.9, 1.0, 1.1])}, action="spend",
    ...                outcome="sales")
    >>> om.draws(np.e - 1).round(6)
    array([0.9, 1. , 1.1])
    >>> om.vjp(np.e - 1, np.ones(3)).round(6)  # sum_s beta_s / (1 + a)
    array([1.103638])
    """
    import pymc as pm

    if not isinstance(model, pm.Model):
        raise DecideTypeError(f"model must be a pymc.Model; got {type(model).__name__}.")
    if isinstance(action, str):
        names = [action]
    elif isinstance(action, list | tuple):
        names = list(action)
    else:
        raise DecideTypeError(
            f"action must be a variable name or a list of names; got {action!r} of type "
            f"{type(action).__name__}. Variables: {', '.join(sorted(model.named_vars))}."
        )
    if not names or not all(isinstance(n, str) for n in names):
        raise DecideValueError(
            f"action must be a variable name or a list of names; got {action!r}. Variables: "
            f"{', '.join(sorted(model.named_vars))}."
        )
    if mode not in MODES:
        raise DecideValueError(f"mode must be one of {MODES}; got {mode!r}.")
    if n_replicates is not None:
        if mode == "mean":
            raise DecideValueError(
                'n_replicates must be None in mode="mean" (the conditional mean has no noise); '
                f'got {n_replicates!r}. Use mode="sample" or "crn" for replicates.'
            )
        if isinstance(n_replicates, bool) or not isinstance(n_replicates, int | np.integer):
            raise DecideTypeError(
                f"n_replicates must be a positive integer or None; got {n_replicates!r}."
            )
        if n_replicates < 1:
            raise DecideValueError(
                f"n_replicates must be a positive integer or None; got {n_replicates}."
            )
    resolve_reduce(reduce, 1)
    rng = _seed(random_seed)
    ds = posterior_dataset(idata, group=group, name="idata")
    ds = thin(ds, max_draws, rng)
    if ds.sizes[SAMPLE_DIM] < 2:
        raise DecideValueError(
            f"idata group {group!r} must hold at least 2 posterior draws (a decision needs the "
            f"spread of the posterior); got {ds.sizes[SAMPLE_DIM]} (max_draws={max_draws!r})."
        )
    fitted_model = model
    if data is None and coords is None:
        unknown = [n for n in names if n not in model.named_vars]
        history = None if unknown or window is not None else history_warning(model, names)
        if history is not None and not refitted_elsewhere(model, idata, names):
            warnings.warn(history, UserWarning, stacklevel=2)
    else:
        tied = frozenset(tied_observed(model)) if data or coords else frozenset()
        model = model_with_data(model, data, coords)
    with no_tag_traces():
        graph = build_graph(
            model,
            names,
            outcome,
            mode,
            {str(k): tuple(v.shape[1:]) for k, v in ds.data_vars.items()},
            resize=frozenset() if data is None and coords is None else tied,
        )
    declared = None if window is None else resolve_window(_action_spec(graph), window)
    used: dict[str, Any] = {}
    for name, _, _, dtype in graph.params:
        da = ds[name].transpose(SAMPLE_DIM, ...)
        arr = np.asarray(da.values)
        if not np.all(np.isfinite(arr)):
            raise DecideValueError(f"posterior draws of {name!r} must be finite; found NaN or inf.")
        used[name] = (da.dims, arr.astype(dtype, copy=False))
    posterior = ds[list(used)].assign(used)
    cat = resolve_categorical(model, names, graph.action_shapes, categorical)
    if not graph.mean_exact and mode == "mean":
        warnings.warn(_plugin_message(graph), UserWarning, stacklevel=2)
    om = PyMCOutcome(
        graph,
        posterior,
        mode=mode,
        n_replicates=None if n_replicates is None else int(n_replicates),
        reduce=reduce,
        backend=backend or default_backend(),
        rng=rng,
        n_samples=int(ds.sizes[SAMPLE_DIM]),
    )
    if cat is not None:
        om._categorical = cat
        om.options = cat.labels
        om.categorical = True
    else:
        om._observed_range, om._history = training_range(fitted_model, idata, om.action_space)
    if declared is not None:
        check_new_periods(om.action_space, declared, om.history_flat(), window)
    om._window = declared
    return om
