"""Symbolic part of :func:`decide.outcomes.from_pymc`: one vectorized graph per model.

Steps (all symbolic, done once):

1. ``pm.do(model, {name: action_input})`` with the action as a symbolic input
   (``pm.do`` returns a new model; the user's model is not touched);
2. the outcome expression is taken from the intervened model (a variable name
   or a callable over its named variables);
3. every random variable in the outcome's ancestry is classified: a free
   variable that does not depend on the action (directly or through another
   simulated variable) becomes a *placeholder* fed by the posterior draws;
   observed variables, free variables downstream of the action and free
   variables absent from the posterior on which neither the data nor the
   posterior-fed variables depend (forecast variables added after sampling)
   are *simulated* given their
   parents, as ``pm.sample_posterior_predictive`` would;
4. simulated variables are replaced according to the mode: their mean
   (``"mean"``), an inverse CDF of fixed uniforms (``"crn"``), or kept as
   random variables whose generator is a function input (``"sample"``);
5. the core graph (one draw) is vectorized over a leading draw dim, one output
   at a time.

pymc and pytensor are imported inside the functions (``import decide`` stays light).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes.pymc._data import resize_observed
from decide.outcomes.pymc._ops import (
    _affine_in,
    _check_grad,
    _check_param_shapes,
    _graph_tools,
    _is_xtensor,
    _lower_xtensor,
    _rng_inputs,
    _shared_inputs,
    _value_ancestors,
    _vectorize,
    eval_shapes,
    rebuild,
    unroll_convolutions,
    unrolled_convolutions,
)
from decide.outcomes.pymc._quantile import (
    closed_form_quantile,
    quantile_search,
    search_parts,
)

__all__ = ["GraphSpec", "build_graph"]

MODES = ("mean", "sample", "crn")


@dataclass
class GraphSpec:
    """The vectorized graph of one outcome model (pytensor objects inside).

    Attributes
    ----------
    action_inputs : list of TensorVariable
        One unbatched input per action variable, with its core shape.
    action_shapes, action_dims : list
        Shapes and dims of the action variables.
    params : list of tuple (name, batched input)
        Posterior-fed placeholders, batched over a leading draw dim.
    uniforms : list of tuple (name, batched input, core shape)
        Fixed uniforms of the ``"crn"`` mode (inverse-CDF noise).
    rngs : list of random generator inputs
        Generator inputs of the random variables kept in the graph.
    output : TensorVariable
        Batched outcome, shape ``(batch, *outcome_shape)``.
    mean_output : TensorVariable or None
        Batched conditional mean (plug-in of the simulated variables' means), or None.
    no_grad_reason : str or None
        Why the outcome is not differentiable in the action, or None.
    no_mean_reason : str or None
        Why the conditional mean is unavailable, or None.
    mean_exact : bool
        Whether the plug-in mean is exact (outcome affine in the simulated variables).
    row_output : TensorVariable or None
        The outcome with the action batched too (one action row per draw row), shape
        ``(batch, *outcome_shape)``: its gradient in the batched action is the
        per-draw Jacobian in one reverse pass. None when there is no gradient.
    row_actions : list of TensorVariable
        The batched action inputs of ``row_output``, shape ``(batch, *action_shape)``.
    shared : list of tuple (input, ndarray)
        The model's shared data (``pm.Data`` other than the action) as explicit
        inputs of every output, with the values copied at build time.
    """

    action_inputs: list[Any]
    action_shapes: list[tuple[int, ...]]
    action_dims: list[tuple[str, ...]]
    action_defaults: list[np.ndarray]
    params: list[tuple[str, Any, tuple[int, ...], str]]
    uniforms: list[tuple[str, Any, tuple[int, ...]]]
    rngs: list[Any]
    output: Any
    mean_output: Any
    outcome_name: str
    outcome_dims: tuple[str, ...]
    simulated: list[str]
    no_grad_reason: str | None
    no_mean_reason: str | None
    mean_exact: bool
    model_coords: dict[str, Any] = field(default_factory=dict)
    xtensor: bool = False
    row_output: Any = None
    row_actions: list[Any] = field(default_factory=list)
    shared: list[tuple[Any, np.ndarray]] = field(default_factory=list)


def _var_list(model: Any) -> str:
    return ", ".join(sorted(model.named_vars))


def _to_tensor(var: Any) -> Any:
    """An xtensor variable as a plain tensor (dims kept in their order)."""
    return var.values if _is_xtensor(var) else var


def _dist_name(rv: Any) -> str:
    op = rv.owner.op
    return str(getattr(op, "name", None) or type(op).__name__)


def _static_shape(model: Any, name: str) -> tuple[tuple[int, ...], np.ndarray | None]:
    var = model[name]
    get_value = getattr(var, "get_value", None)
    if get_value is not None:
        value = np.asarray(get_value())
        return tuple(value.shape), value
    try:
        shape = tuple(int(s) for s in np.asarray(var.shape.eval()))
    except Exception as exc:  # shape depends on other random variables
        raise DecideValueError(
            f"cannot infer the shape of action {name!r} from the model ({exc}); declare it "
            "with pm.Data or give it a fixed shape."
        ) from None
    return shape, None


def _resolve_outcome(model: Any, outcome: str | Callable[..., Any]) -> tuple[Any, str]:
    if isinstance(outcome, str):
        if outcome not in model.named_vars:
            raise DecideValueError(
                f"outcome {outcome!r} is not a variable of the model; variables: "
                f"{_var_list(model)}. Pass a variable name or a callable over them."
            )
        return model[outcome], outcome
    if callable(outcome):
        variables = dict(model.named_vars)
        try:
            expr = outcome(variables)
        except KeyError as exc:
            raise DecideValueError(
                f"the outcome callable asked for {exc.args[0]!r}, which is not a variable of "
                f"the model; variables: {_var_list(model)}."
            ) from None
        import pytensor.tensor as pt

        try:
            if not (hasattr(expr, "type") and _is_xtensor(expr)):
                expr = pt.as_tensor_variable(expr)
        except Exception:
            raise DecideTypeError(
                "the outcome callable must return a pytensor expression built from the "
                f"variables it receives; got {type(expr).__name__}."
            ) from None
        return expr, getattr(outcome, "__name__", "outcome")
    raise DecideTypeError(
        "outcome must be a variable name or a callable receiving the variables by name; got "
        f"{type(outcome).__name__}."
    )


def _mean_of(rv: Any, modes_hint: str) -> Any:
    from pymc.distributions.moments import mean
    from pymc.exceptions import UndefinedMomentException

    try:
        return mean(rv)
    except (NotImplementedError, UndefinedMomentException):
        raise DecideValueError(
            f"the distribution {_dist_name(rv)!r} of {rv.name!r} has no mean in pymc, so "
            f'mode="mean" cannot be used; use {modes_hint}.'
        ) from None


def _is_discrete(rv: Any) -> bool:
    return str(rv.dtype).startswith(("int", "uint", "bool"))


def _crn_draw(rv: Any, u: Any) -> Any | None:
    """``F^{-1}(u)`` of a continuous ``rv`` from pymc's ``icdf``, or None when pymc has none."""
    import pymc as pm

    try:
        return pm.icdf(rv, u)
    except NotImplementedError:
        return None


def _no_quantile(rv: Any) -> DecideValueError:
    return DecideValueError(
        f'mode="crn" needs the quantile function of the simulated variable {rv.name!r}, a '
        f"discrete {_dist_name(rv)!r} for which pymc has neither an inverse CDF nor a CDF "
        "(pm.icdf / pm.logcdf raise NotImplementedError), so its noise cannot be common "
        'across actions. Use mode="sample" (fresh noise on each call) or mode="mean", or '
        "give the distribution a logcdf (pm.CustomDist(..., logcdf=...))."
    )


@dataclass
class _Actions:
    """Step 1: the symbolic action inputs and what ``pm.do`` sets them to."""

    inputs: list[Any]
    shapes: list[tuple[int, ...]]
    dims: list[tuple[str, ...]]
    defaults: list[np.ndarray]
    do_values: dict[str, Any]


def _action_inputs(model: Any, action: Sequence[str]) -> _Actions:
    """One unbatched float input per action variable, cast and wrapped as the model needs."""
    import pytensor.tensor as pt

    unknown = [n for n in action if n not in model.named_vars]
    if unknown:
        raise DecideValueError(
            f"action {unknown} not found in the model; variables: {_var_list(model)}."
        )
    dims_map = dict(getattr(model, "named_vars_to_dims", {}) or {})
    acts = _Actions([], [], [], [], {})
    for name in action:
        shape, default = _static_shape(model, name)
        x = pt.tensor(f"{name}__action", shape=shape, dtype="float64")
        var = model[name]
        value = x if var.dtype == "float64" else pt.cast(x, var.dtype)
        if _is_xtensor(var):
            from pytensor.xtensor import as_xtensor

            value = as_xtensor(value, dims=var.type.dims)
        acts.do_values[name] = value
        acts.inputs.append(x)
        acts.shapes.append(shape)
        d = tuple(str(v) for v in (dims_map.get(name) or ()))
        acts.dims.append(d if len(d) == len(shape) and all(v != "None" for v in d) else ())
        acts.defaults.append(
            np.ones(shape) if default is None else np.asarray(default, dtype=np.float64)
        )
    return acts


def _classify(
    out: Any,
    free_rvs: list[Any],
    observed_rvs: list[Any],
    action_inputs: list[Any],
    posterior_vars: Mapping[str, tuple[int, ...]],
) -> tuple[list[Any], dict[Any, Any], list[tuple[str, Any, tuple[int, ...], str]]]:
    """Step 3: split the outcome's random ancestors into simulated and posterior-fed.

    Returns the simulated variables (topological order), the map from each
    posterior-fed variable to its core (one-draw) placeholder, and the batched
    placeholders ``(name, input, core shape, dtype)``.
    """
    import pytensor.tensor as pt

    ancestors, io_toposort = _graph_tools()
    rv_set = set(free_rvs) | set(observed_rvs)
    observed = set(observed_rvs)
    order = [v for node in io_toposort([], [out]) for v in node.outputs]
    rvs = [v for v in order if v in rv_set]

    replace: dict[Any, Any] = {}
    params: list[tuple[str, Any, tuple[int, ...], str]] = []
    simulated: list[Any] = []
    volatile = set(action_inputs)
    # variables whose values are given: the data, and the posterior-fed variables (read
    # from the draws); a free variable upstream of either is conditioned on it
    acts = set(action_inputs)
    # dependence in value only: a variable whose size follows the action's shape (e.g.
    # ``shape=X.shape[1]``) is not downstream of the action; its draws fix its shape
    pinned = [
        rv for rv in rvs
        if rv not in observed and rv.name in posterior_vars
        and not _value_ancestors(rv.owner.inputs) & acts
    ]
    given = [*observed_rvs, *pinned]
    # by name: variables outside the outcome's ancestry may be left in xtensor form
    conditioned = {v.name for v in ancestors(given) if v.name} if given else set()

    def above(rv: Any, var: Any) -> bool:
        return rv.name in {v.name for v in ancestors([var]) if v.name}

    for rv in rvs:
        deps = _value_ancestors(rv.owner.inputs)
        if rv in observed or deps & volatile:
            simulated.append(rv)
            volatile.add(rv)
            continue
        if rv.name not in posterior_vars:
            if rv.name not in conditioned:
                # not an ancestor of the data: its posterior given its parents is its
                # conditional prior (a forecast variable added after sampling)
                simulated.append(rv)
                volatile.add(rv)
                continue
            obs = sorted(o.name for o in observed_rvs if above(rv, o))
            kids = sorted(p.name for p in pinned if p is not rv and above(rv, p))
            on = " and ".join(
                part for part in (
                    f"the observed data {obs}" if obs else "",
                    f"the posterior draws of its descendants {kids}" if kids else "",
                ) if part
            )
            raise DecideValueError(
                f"the posterior has no draws of the free variable {rv.name!r}, which the "
                f"outcome needs; it is conditioned on {on}, so it cannot be simulated from "
                f"its parents. Posterior variables: {sorted(posterior_vars)}. Pass draws of "
                "this model's free variables (the InferenceData returned by pm.sample on this "
                "model, or group='prior' for prior draws)."
            )
        shape = tuple(posterior_vars[rv.name])
        static = tuple(rv.type.shape)
        if len(static) != len(shape) or any(
            a is not None and a != b for a, b in zip(static, shape)
        ):
            raise DecideValueError(
                f"posterior draws of {rv.name!r} have shape {shape} per draw but the model "
                f"variable has shape {static}; pass the posterior of this model."
            )
        replace[rv] = pt.tensor(f"{rv.name}__draw", shape=shape, dtype=str(rv.dtype))
        batched = pt.tensor(f"{rv.name}__draws", shape=(None, *shape), dtype=str(rv.dtype))
        params.append((rv.name, batched, shape, str(rv.dtype)))
    return simulated, replace, params


def _mean_graph(
    out: Any, simulated: list[Any], core_params: dict[Any, Any], mode: str
) -> tuple[Any, str | None, bool]:
    """Step 4, ``"mean"``: plug in the simulated variables' means in topological order.

    Returns the core mean graph (or None), why it is unavailable (or None), and
    whether the plug-in is exact (the outcome is affine in the simulated variables).
    Raises when ``mode == "mean"`` and a simulated variable has no mean.
    """
    import pytensor.tensor as pt

    try:
        mean_repl = dict(core_params)
        ys: list[Any] = []
        fns: list[Any] = []
        for i, rv in enumerate(simulated):
            raw = _to_tensor(_mean_of(rv, '"sample" or "crn"'))
            mean_repl[rv] = rebuild(raw, mean_repl)
            fns.append(rebuild(raw, {**core_params, **dict(zip(simulated[:i], ys))}))
            ys.append(pt.tensor(f"{rv.name}__y", shape=rv.type.shape, dtype="float64"))
        mean_core = rebuild(out, mean_repl)
        fns.append(rebuild(out, {**core_params, **dict(zip(simulated, ys))}))
        return mean_core, None, _affine_in(fns, ys)
    except DecideValueError as exc:
        if mode == "mean":
            raise
        return None, str(exc), True


def _crn_graph(
    out: Any,
    simulated: list[Any],
    core_params: dict[Any, Any],
    params: list[tuple[str, Any, tuple[int, ...], str]],
    acts: _Actions,
    batch_map: dict[Any, Any],
) -> tuple[Any, list[tuple[str, Any, tuple[int, ...]]], str | None]:
    """Step 4, ``"crn"``: ``y = F^{-1}(u | parameters)`` with fixed uniforms ``u``.

    Adds the batched uniforms to ``batch_map``; returns the core graph, the
    uniforms ``(name, batched input, core shape)`` and why there is no gradient
    (or None).
    """
    import pytensor.tensor as pt

    no_grad_reason: str | None = None
    crn_repl = dict(core_params)
    core_us: list[tuple[str, Any, Any]] = []
    searches: list[tuple[Any, Any, Any, Any, Any, str, str]] = []
    for rv in simulated:
        u = pt.tensor(f"{rv.name}__u", shape=(None,) * rv.ndim, dtype="float64")
        rv_sub = rebuild(rv, crn_repl)
        if _is_discrete(rv):
            draw = closed_form_quantile(rv_sub, u)
            if draw is None:
                try:
                    log_f, k, start, kind = search_parts(rv_sub, u)
                except NotImplementedError:
                    raise _no_quantile(rv) from None
                draw = pt.tensor(f"{rv.name}__q", shape=rv_sub.type.shape, dtype=rv.dtype)
                searches.append((draw, u, log_f, k, start, str(rv.dtype), kind))
            no_grad_reason = no_grad_reason or (
                f"{rv.name!r} is discrete ({_dist_name(rv)!r}): its inverse CDF is a step "
                'function of the action, so mode="crn" has no gradient; use mode="mean" '
                "for gradients, or a derivative-free optimizer."
            )
        else:
            draw = _crn_draw(rv_sub, u)
            if draw is None:
                no_grad_reason = no_grad_reason or (
                    f"the distribution {_dist_name(rv)!r} of {rv.name!r} has no inverse CDF "
                    'in pymc, so mode="crn" replays the same random stream for it (value '
                    'only, no gradient); use mode="mean" for gradients.'
                )
                crn_repl[rv] = rv_sub
                continue
        crn_repl[rv] = draw
        core_us.append((rv.name, u, rv_sub.shape))
    core_out = rebuild(out, crn_repl)
    uniforms: list[tuple[str, Any, tuple[int, ...]]] = []
    if core_us:  # core shapes (one draw), evaluated once at the default action
        first = [np.ones(shape, dtype=dtype) for _, _, shape, dtype in params]
        core_shapes = eval_shapes(
            [*acts.inputs, *core_params.values()], [s for _, _, s in core_us],
            [*acts.defaults, *first],
        )
        for (n, u, _), s in zip(core_us, core_shapes):
            shape = tuple(int(v) for v in np.atleast_1d(s)) if np.ndim(s) else ()
            ub = pt.tensor(f"{n}__u_draws", shape=(None, *shape), dtype="float64")
            batch_map[u] = ub
            uniforms.append((n, ub, shape))
    for draw, u, log_f, k, start, dtype, kind in searches:  # topological order
        ub = batch_map[u]
        kb = pt.tensor(k.name, shape=(None,) * ub.ndim, dtype="int64")
        batch_map[draw] = quantile_search(
            _vectorize(log_f, {**batch_map, k: kb}),
            kb,
            ub,
            _vectorize(start, batch_map),
            dtype,
            draw.name.removesuffix("__q"),
            kind,
            batched=set(batch_map.values()),
        )
    return core_out, uniforms, no_grad_reason


_SAMPLE_NO_GRAD = (
    'mode="sample" draws fresh noise from random variables, which have no gradient; '
    'use mode="mean" or mode="crn" for a differentiable outcome.'
)


def _gradient_advice(
    reason: str | None, mode: str, mean_exact: bool, simulated: list[Any]
) -> str | None:
    """``reason`` with advice that holds for this outcome.

    ``mode="mean"`` is differentiable but exact only for an outcome affine in the
    simulated variables; otherwise it is the biased plug-in ``f(E[Y | theta])``
    (a newsvendor's ``min(q, demand)``), so the advice points to ``"crn"``, a
    derivative-free optimizer or a ``Discrete`` grid instead.
    """
    if reason is None or mean_exact or 'mode="mean"' not in reason:
        return reason
    head = reason.split("; use ")[0].split(". Use ")[0].rstrip(". ")
    names = [rv.name for rv in simulated]
    plug_in = (
        f'mode="mean" would be the biased plug-in f(E[Y | theta]) here (the outcome is not '
        f"affine in the simulated variables {names})"
    )
    if mode == "crn":
        return (
            f"{head}. Optimize it with a derivative-free method or over a Discrete grid of "
            f"actions (exact on the grid); {plug_in}."
        )
    return (
        f'{head}. Use mode="crn" (common random numbers: differentiable for continuous '
        "likelihoods; for a discrete one, a derivative-free method or a Discrete grid of "
        f"actions); {plug_in}."
    )


def build_graph(
    model: Any,
    action: Sequence[str],
    outcome: str | Callable[..., Any],
    mode: str,
    posterior_vars: Mapping[str, tuple[int, ...]],
    resize: frozenset[str] = frozenset(),
) -> GraphSpec:
    """Build the vectorized graph of ``outcome`` under ``do(action)``.

    The steps of the module docstring, one helper each: action inputs
    (:func:`_action_inputs`), ``pm.do`` and the outcome expression, the
    classification of random variables (:func:`_classify`), the mode's
    replacement (:func:`_mean_graph`, :func:`_crn_graph`), vectorization.

    Parameters
    ----------
    model : pymc.Model
        The user's model (not modified).
    action : sequence of str
        Names of the action variables.
    outcome : str or callable
        Outcome variable name, or callable over the intervened model's variables by name.
    mode : {"mean", "sample", "crn"}
        How simulated variables enter the outcome.
    posterior_vars : mapping of str to tuple of int
        Core shape (one draw) of each posterior variable.
    resize : frozenset of str
        Observed variables to rebuild at the size their parameters give (new data
        set by ``from_pymc(data=...)``; see :func:`resize_observed`).

    Returns
    -------
    GraphSpec

    Raises
    ------
    DecideValueError
        Unknown names, a posterior missing a free variable, an outcome that does not
        depend on the action, or a distribution the mode cannot handle.
    """
    import pymc as pm

    ancestors, _ = _graph_tools()
    acts = _action_inputs(model, action)
    intervened = pm.do(model, acts.do_values)
    out, out_name = _resolve_outcome(intervened, outcome)
    free_rvs, observed_rvs = list(intervened.free_RVs), list(intervened.observed_RVs)
    # xtensor anywhere: the outcome, a random variable, or an op inside a tensor outcome's
    # graph (e.g. ``ptx.concat(...).values``); lowered so that vectorize_graph can batch it
    anc = set(ancestors([out]))
    is_x = any(_is_xtensor(v) for v in [*anc, *free_rvs, *observed_rvs])
    dims_map = dict(getattr(model, "named_vars_to_dims", {}) or {})
    if _is_xtensor(out):
        out_dims = tuple(str(d) for d in out.type.dims)
    elif isinstance(outcome, str):
        out_dims = tuple(str(v) for v in (dims_map.get(out_name) or ()))
    else:
        out_dims = ()
    if is_x and resize:
        out, lowered = _lower_xtensor(out, free_rvs + observed_rvs)
        free_rvs, observed_rvs = lowered[: len(free_rvs)], lowered[len(free_rvs) :]
    elif is_x:
        # lower the outcome's random ancestors only: lowering a likelihood infers the static
        # shape of its whole mean graph (seconds on pytensor 2.x). The others are used only
        # by name (what the data condition on, in _classify).
        needed = [v for v in free_rvs + observed_rvs if v in anc]
        out, lowered = _lower_xtensor(out, needed)
        low = dict(zip(needed, lowered))
        free_rvs = [low.get(v, v) for v in free_rvs]
        observed_rvs = [low.get(v, v) for v in observed_rvs]
    if resize:
        out, observed_rvs, free_rvs = resize_observed(out, observed_rvs, free_rvs, resize)

    if not any(x in set(ancestors([out])) for x in acts.inputs):
        raise DecideValueError(
            f"the outcome {out_name!r} does not depend on the action {list(action)}; check the "
            "names (the action must be an ancestor of the outcome in the model graph)."
        )
    simulated, core_params, params = _classify(
        out, free_rvs, observed_rvs, acts.inputs, posterior_vars
    )
    _check_param_shapes(core_params, acts.inputs, acts.defaults, posterior_vars)
    batch_map = {core_params[rv]: b for rv, (_, b, _, _) in zip(core_params, params)}

    uniforms: list[tuple[str, Any, tuple[int, ...]]] = []
    no_grad_reason: str | None = None
    if not simulated:
        # nothing simulated (the outcome is a function of the posterior and the data): in
        # every mode the outcome graph is its own conditional mean, built and vectorized once
        core_out = mean_core = rebuild(out, core_params)
        no_mean_reason, mean_exact = None, True
        if mode == "sample":
            no_grad_reason = _SAMPLE_NO_GRAD
    else:
        mean_core, no_mean_reason, mean_exact = _mean_graph(out, simulated, core_params, mode)
        if mode == "mean":
            core_out = mean_core
        elif mode == "sample":
            core_out = rebuild(out, core_params)
            no_grad_reason = _SAMPLE_NO_GRAD
        else:
            core_out, uniforms, no_grad_reason = _crn_graph(
                out, simulated, core_params, params, acts, batch_map
            )
    try:
        output = _vectorize(core_out, batch_map)
    except NotImplementedError as exc:  # an op pytensor cannot batch over the draws
        raise DecideValueError(
            f"pytensor cannot batch the outcome {out_name!r} over the posterior draws in "
            f"mode={mode!r} ({exc}). A simulated variable of this kind (e.g. pm.Mixture) "
            'cannot be simulated per draw here: use mode="mean" (exact when the outcome is '
            "affine in it), or pass posterior draws of it."
        ) from None
    if mean_core is None:
        mean_output = None
    elif mode == "mean" or not simulated:
        mean_output = output
    else:
        mean_output = _vectorize(mean_core, batch_map)
    output, rngs = _rng_inputs(output)
    if unroll_convolutions():  # short batched convolutions (adstock) as shifted sums
        same = mean_output is output
        output, mean_output = unrolled_convolutions([output, None if same else mean_output])
        mean_output = output if same else mean_output
    if no_grad_reason is None:
        no_grad_reason = _check_grad(output, acts.inputs)
    no_grad_reason = _gradient_advice(no_grad_reason, mode, mean_exact, simulated)
    row_output, row_actions = _row_graph(core_out, batch_map, acts, no_grad_reason, rngs)
    if row_output is not None and unroll_convolutions():
        row_output = unrolled_convolutions([row_output])[0]
    (output, mean_output, row_output), shared = _shared_inputs([output, mean_output, row_output])
    return GraphSpec(
        action_inputs=acts.inputs,
        action_shapes=acts.shapes,
        action_dims=acts.dims,
        action_defaults=acts.defaults,
        params=params,
        uniforms=uniforms,
        rngs=rngs,
        output=output,
        mean_output=mean_output,
        outcome_name=out_name,
        outcome_dims=out_dims,
        simulated=[rv.name for rv in simulated],
        no_grad_reason=no_grad_reason,
        no_mean_reason=no_mean_reason,
        mean_exact=mean_exact,
        model_coords={k: np.asarray(v) for k, v in (model.coords or {}).items() if v is not None},
        xtensor=is_x,
        row_output=row_output,
        row_actions=row_actions,
        shared=shared,
    )


def _row_graph(
    core_out: Any, batch_map: dict[Any, Any], acts: _Actions, no_grad_reason: str | None,
    rngs: list[Any],
) -> tuple[Any, list[Any]]:
    """Step 5 for the gradient: the outcome vectorized over the action as well.

    With one action row per draw row, ``d sum_s y_s / d a_s`` is row ``s`` of the
    per-draw Jacobian: one reverse pass gives all of it. None (no such graph) when
    the outcome has no gradient, keeps random variables, does not vectorize, or the
    stack compiles the value and the ``vjp`` instead (:func:`~decide.outcomes.pymc._grad.default_jacobian`).
    """
    import pytensor.tensor as pt

    from decide.outcomes.pymc import _grad

    if no_grad_reason is not None or rngs or not _grad.default_jacobian():
        return None, []
    rows = [
        pt.tensor(x.name + "_rows", shape=(None, *x.type.shape), dtype="float64")
        for x in acts.inputs
    ]
    try:
        out = _vectorize(core_out, {**batch_map, **dict(zip(acts.inputs, rows))})
    except Exception:  # a op without a batched form: the unbatched-action path is used
        return None, []
    return out, rows
