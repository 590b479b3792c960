"""Graph utilities of :func:`decide.outcomes.from_pymc` (pytensor objects, no model logic).

Node-by-node rebuilding, lowering of xtensor graphs (``pymc.dims``), the symbolic
affinity check of the plug-in mean, per-output vectorization over the draw dim,
generator inputs of the random variables left in the graph, and the gradient check.
pytensor is imported inside the functions (``import decide`` stays light).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from decide.errors import DecideValueError

__all__ = ["eval_shapes", "rebuild"]


def _graph_tools() -> tuple[Any, Any]:
    try:  # pytensor 3.x
        from pytensor.graph.traversal import ancestors, io_toposort
    except ImportError:  # pytensor 2.x
        from pytensor.graph.basic import ancestors, io_toposort
    return ancestors, io_toposort


def _is_xtensor(var: Any) -> bool:
    return type(var.type).__name__ == "XTensorType"


def _lower_xtensor(out: Any, rvs: Sequence[Any]) -> tuple[Any, list[Any]]:
    """Lower a graph built on xtensor ops (``pymc.dims``) to plain tensors.

    The outcome and the model's random variables are lowered together
    (``rewrite_graph(..., include=("lower_xtensor",))`` on a clone, inputs kept), so
    the lowered outcome refers to the lowered random variables, which are plain
    pytensor ``RandomVariable`` outputs (dims in the order of the xtensor's dims):
    moments, inverse CDFs, the plain ``vectorize_graph`` and ``pytensor.grad`` then
    work as on a tensor model.
    """
    from pytensor.graph.replace import clone_replace
    from pytensor.graph.rewriting.utils import rewrite_graph
    from pytensor.tensor.random.op import RandomVariable

    def inner(v: Any) -> Any:
        while v.owner is not None and type(v.owner.op).__name__ == "XTensorFromTensor":
            v = v.owner.inputs[0]
        return v

    lowered = rewrite_graph(clone_replace([out, *rvs]), include=("lower_xtensor",))
    res = [inner(v) for v in lowered]
    for low, rv in zip(res[1:], rvs):
        if low.owner is None or not isinstance(low.owner.op, RandomVariable):
            raise DecideValueError(
                f"the random variable {rv.name!r} (named dims, pytensor.xtensor) did not lower "
                "to a plain pytensor random variable; from_pymc cannot classify it. Build "
                "the model without pymc.dims for this variable."
            )
        low.name = rv.name
    if _is_xtensor(res[0]):
        raise DecideValueError(
            "the outcome (named dims, pytensor.xtensor) could not be lowered to plain "
            "pytensor tensors; pass an outcome built from the model's variables."
        )
    return res[0], res[1:]


def _rewrite_convolutions(
    outputs: Sequence[Any], replace: Callable[[Any, list[Any]], Any | None]
) -> list[Any]:
    """``outputs`` with each batched ``Convolve1d`` node replaced by ``replace(node, inputs)``.

    ``inputs`` are the node's (already rewritten) inputs; ``replace`` returns the new
    output or None to keep the node. Every node downstream is rebuilt; None entries
    of ``outputs`` stay None.
    """
    try:
        from pytensor.tensor.signal.conv import Convolve1d
    except ImportError:  # pragma: no cover - pytensor without signal.conv
        return list(outputs)
    from pytensor.tensor.blockwise import Blockwise

    _, io_toposort = _graph_tools()
    memo: dict[Any, Any] = {}
    changed = False
    for node in io_toposort([], [o for o in outputs if o is not None]):
        inputs = [memo.get(i, i) for i in node.inputs]
        op = node.op
        if type(op) is Blockwise and isinstance(op.core_op, Convolve1d) and len(inputs) == 3:
            new = replace(node, inputs)
            if new is not None:
                memo[node.outputs[0]] = new
                changed = True
                continue
        if all(a is b for a, b in zip(inputs, node.inputs)):
            continue
        new_node = _make_node(op, inputs)
        for old, new_out in zip(node.outputs, new_node.outputs):
            memo[old] = new_out
    if not changed:
        return list(outputs)
    return [None if o is None else memo.get(o, o) for o in outputs]


def valid_convolutions(outputs: Sequence[Any]) -> list[Any]:
    """Full-mode 1-d convolutions rewritten as valid ones on a zero-padded input.

    ``Convolve1d(x, k, full)`` equals ``Convolve1d(pad(x, len(k) - 1), k, valid)``:
    each output is the same sum in the same order, with exact zeros added in front,
    so the values are unchanged. pytensor's numba backend computes the valid mode
    about five times faster (one contiguous inner product per output); the
    gradient of a valid convolution (an adstock) is a full one, so a per-draw
    Jacobian or a vjp through it gets cheaper. The mode may be symbolic and
    batched (the gradient's is): the input is padded when every element is in
    full mode, else the node is left as it was.
    """
    import pytensor.tensor as pt

    def pad(node: Any, inputs: list[Any]) -> Any:
        x, k, mode = inputs
        full = pt.all(mode)  # every batch element in full mode: pad them all
        p = pt.switch(full, k.shape[-1] - 1, 0)
        # (*batch, p) zeros built elementwise: pt.zeros would constant-fold the shape of
        # the whole graph above x (infer_static_shape), ~0.1 s per node
        zeros = pt.zeros_like(x[..., 0])[..., None] + pt.zeros_like(pt.arange(p), dtype=x.dtype)
        padded = pt.concatenate([zeros, x, zeros], axis=-1)
        return node.op.make_node(padded, k, pt.and_(mode, pt.invert(full))).outputs[0]

    return _rewrite_convolutions(outputs, pad)


#: Longest kernel a convolution is unrolled for (:func:`unrolled_convolutions`).
UNROLL_MAX_KERNEL = 32


def _constant_flag(var: Any) -> bool | None:
    """The value of a constant boolean (of any shape, all elements equal), else None."""
    try:
        from pytensor.tensor.basic import get_underlying_scalar_constant_value
    except ImportError:  # pragma: no cover - older pytensor
        return None
    try:
        return bool(get_underlying_scalar_constant_value(var))
    except Exception:  # not a constant
        return None


def _pad_last(x: Any, p: int) -> Any:
    import pytensor.tensor as pt

    zeros = pt.zeros((*[x.shape[i] for i in range(x.type.ndim - 1)], p), dtype=x.dtype)
    return pt.concatenate([zeros, x, zeros], axis=-1)


def _shift_sum(x: Any, k: Any, m: int, length: Any) -> Any:
    """``sum_j k[..., j] * x[..., m - 1 - j : m - 1 - j + length]`` (broadcast batch dims)."""
    import pytensor.tensor as pt

    terms = [k[..., j : j + 1] * x[..., m - 1 - j : m - 1 - j + length] for j in range(m)]
    return pt.add(*terms) if m > 1 else terms[0]


def _unbroadcast(g: Any, like: Any) -> Any:
    """Sum ``g`` over the batch axes along which ``like`` was broadcast (Blockwise rules)."""
    extra = g.type.ndim - like.type.ndim
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = [d for d in range(like.type.ndim - 1) if like.type.broadcastable[d]
            and not g.type.broadcastable[d]]
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _shift_conv_op(x: Any, k: Any, m: int, full: bool) -> Any:
    r"""``Convolve1d(x, k, full)`` as an inlined graph of slices with a slice-only gradient.

    Full mode: :math:`y_t = \sum_j k_j x_{t-j}`, so :math:`\partial x_i = \sum_j k_j
    g_{i+j}` and :math:`\partial k_j = \sum_i g_{i+j} x_i` (slices of ``g``, no
    increments into zeros); valid mode the same on ``g`` padded by :math:`m - 1` zeros.
    """
    key = (m, full, x.type, k.type)
    op = _SHIFT_CONV_OPS.get(key)
    if op is None:
        op = _SHIFT_CONV_OPS[key] = _make_shift_conv_op(x.type, k.type, m, full)
    return op(x, k)


#: One op per (kernel length, mode, input types): the compile cache keys graphs on
#: their ops, and an ``OpFromGraph`` equals only itself.
_SHIFT_CONV_OPS: dict[tuple[Any, ...], Any] = {}


def _make_shift_conv_op(x_type: Any, k_type: Any, m: int, full: bool) -> Any:
    import pytensor.tensor as pt
    from pytensor.compile.builders import OpFromGraph

    xi = x_type()
    ki = k_type()
    xp = _pad_last(xi, m - 1) if full else xi
    y = _shift_sum(xp, ki, m, xp.shape[-1] - (m - 1))

    def pullback(inputs: list[Any], outputs: list[Any], grads: list[Any]) -> list[Any]:
        xv, kv = inputs
        (g,) = grads
        n = xv.shape[-1]
        gp = g if full else _pad_last(g, m - 1)
        gx = pt.add(*[kv[..., j : j + 1] * gp[..., j : j + n] for j in range(m)])
        if full:
            gk = pt.stack([(gp[..., j : j + n] * xv).sum(axis=-1) for j in range(m)], axis=-1)
        else:
            gk = pt.stack(
                [(g * xv[..., m - 1 - j : m - 1 - j + g.shape[-1]]).sum(axis=-1) for j in range(m)],
                axis=-1,
            )
        return [_unbroadcast(gx, xv), _unbroadcast(gk, kv)]

    import inspect

    # pytensor 3.x renamed lop_overrides to pullback (same callable)
    key = "pullback" if "pullback" in inspect.signature(OpFromGraph).parameters else "lop_overrides"
    return OpFromGraph([xi, ki], [y], inline=True, name="ShiftConv1d", **{key: pullback})


def unrolled_convolutions(outputs: Sequence[Any], max_len: int = UNROLL_MAX_KERNEL) -> list[Any]:
    r"""Batched 1-d convolutions with a short, static kernel as sums of shifted slices.

    ``Blockwise(Convolve1d)(x, k)`` with a kernel of static length :math:`m \le`
    ``max_len`` and a constant mode becomes

    .. math:: y_t = \sum_{j=0}^{m-1} k_j \, \tilde x_{t + m - 1 - j},

    where :math:`\tilde x` is ``x`` with :math:`m - 1` zeros on each side (full
    mode, :math:`t = 0, \dots, n + m - 2`) or ``x`` itself (valid mode; an input
    shorter than the kernel, which numpy would swap with it, is an error at run
    time). Batch dimensions broadcast as in
    the ``Blockwise`` it replaces; the gradient is given as slices too (an
    increment into zeros per term compiled 10x slower). Applied on pytensor 2.x
    only (:func:`unroll_convolutions`), where such a ``Blockwise`` is compiled by
    neither numba nor C and runs its core once per batch element in Python:
    pymc-marketing 0.x's adstock cost 6.4 ms per call there, 0.9 ms unrolled
    (``benchmarks/bench_mmm.py``, 600 draws). The sums are equal up to the order of
    additions.
    """

    def unroll(node: Any, inputs: list[Any]) -> Any | None:
        x, k, mode = inputs
        m = k.type.shape[-1]
        full = _constant_flag(mode)
        n = x.type.shape[-1]
        want = node.outputs[0]
        if not (
            m is not None and 1 <= m <= max_len and full is not None
            and (full or n is None or n >= m)
            and x.type.dtype == k.type.dtype == want.type.dtype
            and x.type.ndim == k.type.ndim == want.type.ndim
        ):
            return None
        if not full and n is None:  # numpy would swap the inputs: refuse at run time
            import pytensor.tensor as pt
            from pytensor.raise_op import Assert

            x = Assert("valid convolution: the input is shorter than the kernel")(
                x, pt.ge(x.shape[-1], m)
            )
        return want.type.filter_variable(_shift_conv_op(x, k, m, full))

    return _rewrite_convolutions(outputs, unroll)


def unroll_convolutions() -> bool:
    """Whether :func:`from_pymc` unrolls short batched convolutions: on pytensor 2.x.

    Not on pytensor 3.x, where numba compiles the ``Blockwise`` itself: unrolled,
    pymc-marketing 1.3's MMM of ``benchmarks/bench_mmm.py`` (600 draws) took 1.67 ms
    per draws-and-Jacobian call against 1.32 ms, and 8.6 s to build against 1.0 s.
    """
    import pytensor

    return str(pytensor.__version__).startswith("2.")


def _value_ancestors(outs: Sequence[Any]) -> set[Any]:
    """Ancestors through value edges only: shapes and ``fill``/``Alloc`` templates skipped."""
    from pytensor.tensor.basic import Alloc
    from pytensor.tensor.elemwise import Elemwise
    from pytensor.tensor.shape import Shape, Shape_i

    seen: set[Any] = set()
    stack = list(outs)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        node = v.owner
        if node is None or isinstance(node.op, Shape | Shape_i):
            continue
        inputs = list(node.inputs)
        if isinstance(node.op, Elemwise) and type(node.op.scalar_op).__name__ == "Second":
            inputs = inputs[1:]
        elif isinstance(node.op, Alloc):
            inputs = inputs[:1]
        stack.extend(inputs)
    return seen


def _affine_in(fns: Sequence[Any], ys: Sequence[Any]) -> bool:
    """Whether each expression's gradient in the ``ys`` is free of the ``ys`` (affine)."""
    import pytensor
    from pytensor.graph.rewriting.utils import rewrite_graph

    yset = set(ys)
    for f in fns:
        found = [y for y in ys if y in _value_ancestors([f])]
        if not found:
            continue
        f = f if f.dtype.startswith("float") else f.astype("float64")
        grads = pytensor.grad(f.sum(), found, disconnected_inputs="ignore")
        grads = rewrite_graph(grads, include=("canonicalize",))
        if yset & _value_ancestors(grads if isinstance(grads, list) else [grads]):
            return False
    return True


def _make_node(op: Any, inputs: list[Any]) -> Any:
    """Apply ``op`` to ``inputs``, fixing a reduction's accumulator where the types changed.

    A reduction whose integer accumulator no longer fits its (now float) input, e.g.
    the sum of a Bernoulli replaced by its mean, is rebuilt with the default accumulator.
    """
    try:
        return op.make_node(*inputs)
    except TypeError:
        from pytensor.tensor.elemwise import CAReduce

        if not isinstance(op, CAReduce) or (op.acc_dtype is None and op.dtype is None):
            raise
        return op.clone(acc_dtype=None, dtype=None).make_node(*inputs)


def rebuild(out: Any, replace: Mapping[Any, Any]) -> Any:
    """``out`` with variables replaced, node by node (types may change, e.g. int -> float)."""
    _, io_toposort = _graph_tools()
    memo = dict(replace)
    if out in memo:
        return memo[out]
    for node in io_toposort([], [out]):
        if all(o in replace for o in node.outputs):
            continue
        new_inputs = [memo.get(i, i) for i in node.inputs]
        if all(n is o for n, o in zip(new_inputs, node.inputs)):
            continue
        new_node = _make_node(node.op, new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            memo.setdefault(old, new)
    return memo.get(out, out)


def eval_shapes(inputs: Sequence[Any], shapes: Sequence[Any], values: Sequence[Any]) -> list[Any]:
    """Evaluate shape graphs at ``values`` of ``inputs``, without compiling them.

    pytensor's shape inference first reduces each shape to the shapes of the graph's
    inputs (usually a dim's length), so no random variable is drawn; the result runs on
    the Python linker without further rewriting: a few ms, where a ``FAST_COMPILE``
    function (its rewrites and linking) took ~40 ms on a pymc-marketing model.
    """
    import pytensor
    from pytensor.compile.mode import Mode
    from pytensor.graph.rewriting.utils import rewrite_graph

    graphs = rewrite_graph(list(shapes), include=("canonicalize", "ShapeOpt"), clone=True)
    fn = pytensor.function(
        list(inputs), list(graphs), on_unused_input="ignore", mode=Mode(linker="py", optimizer=None)
    )
    return list(fn(*values))


def _check_param_shapes(
    core_params: Mapping[Any, Any],
    action_inputs: Sequence[Any],
    defaults: Sequence[np.ndarray],
    posterior_vars: Mapping[str, tuple[int, ...]],
) -> None:
    """Compare the model's shape of each posterior-fed variable with the draws' shape."""
    # a fully static shape was compared with the draws already (``_classify``): evaluate
    # the shapes of the others only
    rvs = [rv for rv in core_params if None in tuple(rv.type.shape)]
    if not rvs:
        return
    try:
        shapes = eval_shapes(list(action_inputs), [rv.shape for rv in rvs], list(defaults))
    except Exception:  # shapes depend on other random variables: checked at run time
        return
    for rv, shape in zip(rvs, shapes):
        want = tuple(int(v) for v in np.atleast_1d(shape)) if np.ndim(shape) else ()
        got = tuple(posterior_vars[rv.name])
        if want != got:
            raise DecideValueError(
                f"posterior draws of {rv.name!r} have shape {got} per draw but the model "
                f"variable has shape {want}; pass the posterior of this model."
            )


def _drop_sizes(out: Any) -> Any:
    """Univariate random variables with an explicit size get parameters broadcast to it.

    ``vectorize_graph`` cannot always batch a random variable whose ``size`` is
    fixed (pytensor: "Size length is incompatible with batched dimensions");
    with ``size=None`` and broadcast parameters the batch dim passes through.
    """
    import pytensor.tensor as pt
    from pytensor.tensor.random.op import RandomVariable

    _, io_toposort = _graph_tools()
    repl = {}
    for node in io_toposort([], [out]):
        op = node.op
        if not isinstance(op, RandomVariable) or op.ndim_supp != 0:
            continue
        if any(nd != 0 for nd in op.ndims_params):
            continue
        rng, size, *params = node.inputs
        if type(size.type).__name__ == "NoneTypeT" or size.type.ndim == 0:
            continue
        if size.type.shape == (0,):  # size=(): a scalar variable (e.g. a scalar observed)
            new = op.make_node(rng, None, *params)
        else:
            shape = tuple(size[i] for i in range(int(size.type.shape[0])))
            new = op.make_node(rng, None, *[pt.broadcast_to(p_, shape) for p_ in params])
        for o, n in zip(node.outputs, new.outputs):
            repl[o] = n
    return rebuild(out, repl) if repl else out


def _vectorize(out: Any, batch_map: Mapping[Any, Any]) -> Any:
    """Vectorize one output over the leading draw dim of the batched inputs."""
    from pytensor.graph.replace import vectorize_graph

    ancestors, _ = _graph_tools()
    out = _drop_sizes(out)
    anc = set(ancestors([out]))
    return vectorize_graph(out, replace={k: v for k, v in batch_map.items() if k in anc})


def _rng_inputs(out: Any) -> tuple[Any, list[Any]]:
    """Give every random variable left in the graph its own generator input."""
    from pytensor.tensor.random.op import RandomVariable
    from pytensor.tensor.random.type import random_generator_type

    _, io_toposort = _graph_tools()
    repl: dict[Any, Any] = {}
    rngs: list[Any] = []
    for node in io_toposort([], [out]):
        if isinstance(node.op, RandomVariable):
            old = node.inputs[0]
            if old in repl:
                raise DecideValueError(
                    "two random variables of the outcome share one generator; cannot give "
                    "them independent noise."
                )
            new = random_generator_type(f"rng{len(rngs)}")
            repl[old] = new
            rngs.append(new)
    if repl:
        out = rebuild(out, repl)
    return out, rngs


def _check_grad(out: Any, action_inputs: Sequence[Any]) -> str | None:
    """Why the outcome has no gradient (a random variable on the action's path), or None.

    Only the graph is inspected; whether pytensor can differentiate every op is
    learnt when the gradient is built for the compiled function
    (:class:`~decide.outcomes.pymc.PyMCOutcome`), once.
    """
    ancestors, _ = _graph_tools()
    from pytensor.tensor.random.op import RandomVariable

    for v in ancestors([out]):
        if v.owner is not None and isinstance(v.owner.op, RandomVariable):
            deps = set(ancestors(v.owner.inputs))
            if any(x in deps for x in action_inputs):
                return (
                    f"the outcome goes through the random variable {v.owner.op}, which has no "
                    'gradient; use mode="mean" (or "crn" for continuous likelihoods).'
                )
    return None  # the gradient itself is built once, with the compiled function


def _shared_inputs(outputs: Sequence[Any]) -> tuple[list[Any], list[tuple[Any, np.ndarray]]]:
    """Replace the shared variables (``pm.Data``) of ``outputs`` by explicit inputs.

    The values are copied now, so a later ``pm.set_data`` on the user's model changes
    neither this outcome nor a compiled function another outcome shares through the
    compile cache. Random generators (shared ``Generator`` variables) are left alone.

    Returns
    -------
    outputs : list of TensorVariable or None
        The same graphs on the new inputs (None entries kept).
    shared : list of (TensorVariable, ndarray)
        Each new input and the value copied from its shared variable.
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.replace import graph_replace

    ancestors, _ = _graph_tools()
    live = [o for o in outputs if o is not None]
    repl: dict[Any, Any] = {}
    shared: list[tuple[Any, np.ndarray]] = []
    for v in ancestors(live):
        if not isinstance(v, SharedVariable) or v in repl:
            continue
        value = v.get_value(borrow=False)
        if not isinstance(value, np.ndarray | np.generic | int | float | bool):
            continue  # random generators and other non-array states
        arr = np.asarray(value)
        try:  # the shape of the copied value, static: shapes fold at once in the rewrites
            new = v.type.clone(shape=arr.shape)(f"{v.name or 'shared'}__data")
        except Exception:  # a type without a static shape
            new = v.type(f"{v.name or 'shared'}__data")
        repl[v] = new
        shared.append((new, np.array(value, copy=True)))
    if not repl:
        return list(outputs), []
    new_live = graph_replace(live, replace=repl, strict=False)
    it = iter(new_live)
    return [None if o is None else next(it) for o in outputs], shared


def graph_key(inputs: Sequence[Any], outputs: Sequence[Any]) -> tuple[Any, ...] | None:
    """A hashable structural key of the function ``inputs -> outputs``.

    Two graphs get the same key when they apply equal ops (pytensor's ``__props__``
    equality) to the same inputs in the same positions (compared by type) and to
    equal constants (compared by dtype, shape and bytes). Variable names are
    ignored. ``None`` when a root is neither an input nor a constant (e.g. a shared
    variable), or an op is not hashable: such graphs are not cached.
    """
    from pytensor.graph.basic import Constant

    _, io_toposort = _graph_tools()
    index: dict[Any, int] = {}
    parts: list[Any] = []
    for i, v in enumerate(inputs):
        index[v] = len(index)
        parts.append(("in", i, v.type))

    def ref(v: Any) -> int:
        if v in index:
            return index[v]
        if isinstance(v, Constant):
            data = np.asarray(v.data)
            if data.dtype == object:
                raise TypeError("object constant")
            digest = (str(data.dtype), data.shape, data.tobytes())
            parts.append(("const", v.type, digest))
            index[v] = len(index)
            return index[v]
        raise TypeError("free root")

    try:
        for node in io_toposort(list(inputs), list(outputs)):
            args = tuple(ref(i) for i in node.inputs)
            hash(node.op)
            parts.append(("op", node.op, args, tuple(o.type for o in node.outputs)))
            for o in node.outputs:
                index[o] = len(index)
        parts.append(("out", tuple(ref(o) for o in outputs)))
    except TypeError:
        return None
    return tuple(parts)
