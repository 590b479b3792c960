"""Gradient and noise helpers of :class:`decide.outcomes.PyMCOutcome` (pytensor graphs).

Two graph transformations, both measured on ``benchmarks/bench_outcomes.py``:

- :func:`vjp_graph`: ``pytensor.grad`` of ``sum(cotangent * reduce(outcome))``, the
  reduction applied symbolically first. The gradient in an *unbatched* action sums
  every use of the action over the draw axis separately
  (``Sum{axis=0}(g1) + Sum{axis=0}(g2)``); pytensor 2.x fuses ``g1, g2`` into one
  multi-output loop that ran 5-6x slower than a single-output one. Rewriting
  ``Sum(g1) + Sum(g2) -> Sum(g1 + g2)`` (sum is linear) leaves one output per
  action and brought the gradient to the cost of one forward pass.
- :func:`fold_batched_shapes`: vectorizing a per-draw graph over the draws turns a
  shape it reads into a per-draw shape (pymc-marketing 0.x's adstock pads with
  ``zeros(w.shape[-1] - 1)``, ``w`` holding a parameter of each draw), and every op
  using it into a ``Blockwise``. The gradient of a ``Blockwise{Join}`` is then a
  ``Blockwise{Split}`` with per-draw split sizes, which pytensor 2.x's numba backend
  cannot compile and its C backend runs draw by draw in Python: 10.4 ms per gradient
  on ``benchmarks/bench_mmm.py``'s MMM, 1.5 ms (C) once the shapes are folded first.
- :func:`hoist_noise`: in ``"crn"`` mode the parts of the graph that depend on the
  fixed uniforms only (``Phi^{-1}(u)`` = ``-sqrt(2) erfcinv(2u)`` for a Normal, the
  range check of ``u``) are the same on every call: they are evaluated once and fed
  as inputs, so no inverse CDF runs per action.

pytensor is imported inside the functions (``import decide`` stays light).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["default_jacobian", "default_vjp_strategy", "fold_batched_shapes", "hoist_noise", "vjp_graph"]


def default_jacobian() -> bool:
    """Whether ``from_pymc`` compiles the draws with their per-draw Jacobian by default.

    True on pytensor 3.x (numba fuses the forward pass and the batched-action
    gradient well: one call for draws and gradient on ``benchmarks/bench_mmm.py``);
    False on pytensor 2.x, where ``benchmarks/bench_outcomes.py`` measured the
    Jacobian function at 4.4x the value against 2.3x for ``"split"``, so the value
    and ``vjp`` functions of before are kept there.
    """
    import pytensor

    return int(str(pytensor.__version__).split(".")[0]) >= 3


def default_vjp_strategy() -> str:
    """How value and gradient are compiled, the fastest measured on this stack.

    ``"split"`` (a gradient-only function next to the value function) on pytensor
    2.x, where fusing the forward and the gradient into one loop was 3-5x slower;
    ``"joint"`` (one function returning both, the forward shared) on pytensor 3.x.
    """
    import pytensor

    major = int(str(pytensor.__version__).split(".")[0])
    return "split" if major < 3 else "joint"


def _merge_sums_rewriter() -> Any:
    import pytensor.tensor as pt
    from pytensor.graph.rewriting.basic import in2out, node_rewriter
    from pytensor.scalar import Add
    from pytensor.tensor.elemwise import Elemwise
    from pytensor.tensor.math import Sum

    @node_rewriter([Elemwise])
    def merge_sums(fgraph: Any, node: Any) -> list[Any] | None:
        """``Sum_ax(x) + Sum_ax(y) -> Sum_ax(x + y)`` for ``x``, ``y`` of one type."""
        if not isinstance(node.op.scalar_op, Add):
            return None
        groups: dict[Any, list[Any]] = {}
        rest: list[Any] = []
        for inp in node.inputs:
            own = inp.owner
            if own is not None and isinstance(own.op, Sum) and len(fgraph.clients[inp]) == 1:
                axis = None if own.op.axis is None else tuple(own.op.axis)
                x = own.inputs[0]
                key = (axis, own.op.dtype, x.type.dtype, x.type.broadcastable)
                groups.setdefault(key, []).append((inp, x))
            else:
                rest.append(inp)
        terms: list[Any] = []
        changed = False
        for (axis, dtype, _, _), items in groups.items():
            if len(items) < 2:
                terms.extend(i for i, _ in items)
                continue
            changed = True
            terms.append(pt.add(*[x for _, x in items]).sum(axis=axis, dtype=dtype))
        if not changed:
            return None
        terms += rest
        out = pt.add(*terms) if len(terms) > 1 else terms[0]
        want = node.outputs[0]
        if out.type.broadcastable != want.type.broadcastable:
            return None
        try:
            return [want.type.filter_variable(pt.cast(out, want.dtype))]
        except TypeError:
            return None

    return in2out(merge_sums)


def fold_batched_shapes(output: Any) -> Any:
    """The batched graph with its shape computations folded, its inputs kept.

    Shape inference replaces each length the graph reads by a constant where the
    types know it (``ShapeOpt``, ``canonicalize``), and ``specialize`` (with its
    ``shape_unsafe`` alloc push) drops the batch dims of shapes that are the same for
    every draw, so the ``Blockwise`` ops built on them become plain ops again. Run on
    a clone; the inputs (actions, posterior, data) are the caller's variables.
    Returns ``output`` itself when the graph has no ``Blockwise`` or a rewrite fails
    (pytensor's graph is correct, only slower).

    Parameters
    ----------
    output : TensorVariable of shape (batch, *outcome_shape)

    Returns
    -------
    TensorVariable
        The same values, from a graph with fewer ``Blockwise`` nodes.
    """
    from pytensor.compile import optdb
    from pytensor.graph.fg import FunctionGraph
    from pytensor.graph.replace import clone_replace
    from pytensor.graph.rewriting.db import RewriteDatabaseQuery
    from pytensor.tensor.blockwise import Blockwise

    from decide.outcomes.pymc._ops import _graph_tools

    ancestors, io_toposort = _graph_tools()
    roots = [r for r in ancestors([output]) if r.owner is None and not _is_constant(r)]
    if not any(isinstance(n.op, Blockwise) for n in io_toposort(roots, [output])):
        return output
    try:
        fg = FunctionGraph(roots, [output], clone=True)
        query = RewriteDatabaseQuery(include=("canonicalize", "ShapeOpt", "specialize", "shape_unsafe"))
        optdb.query(query).rewrite(fg)
        folded = clone_replace(fg.outputs[0], dict(zip(fg.inputs, roots)))
    except Exception:  # keep pytensor's own graph: correct, maybe slower
        return output
    if folded.type.dtype != output.type.dtype or folded.type.ndim != output.type.ndim:
        return output
    return folded


def vjp_graph(
    output: Any, action_inputs: Sequence[Any], reduce: Any, merge: bool = True
) -> tuple[Any, Any, list[Any]]:
    """Symbolic reduced value, cotangent input and gradient in each action input.

    Parameters
    ----------
    output : TensorVariable of shape (batch, *outcome_shape)
        The batched outcome.
    action_inputs : sequence of TensorVariable
        Unbatched action inputs.
    reduce : {"sum", "mean"} or callable
        Reduction of the outcome dims (a callable only for a scalar outcome).
    merge : bool
        Apply the ``Sum(g1) + Sum(g2) -> Sum(g1 + g2)`` rewrite.

    Returns
    -------
    red : TensorVariable of shape (batch,)
    cot : TensorVariable of shape (batch,)
    grads : list of TensorVariable, one per action input (its shape)
    """
    import pytensor
    import pytensor.tensor as pt

    axes = tuple(range(1, output.ndim))
    if not axes:
        red = output
    elif reduce == "mean":
        red = output.mean(axis=axes)
    else:
        red = output.sum(axis=axes)
    cot = pt.vector("cotangent", dtype="float64")
    red = fold_batched_shapes(red)
    grads = pytensor.grad((cot * red).sum(), list(action_inputs), disconnected_inputs="ignore")
    if merge:
        from pytensor.graph.replace import clone_replace
        from pytensor.graph.rewriting.utils import rewrite_graph

        try:
            cloned = clone_replace(list(grads))
            grads = list(
                rewrite_graph(
                    cloned, include=("canonicalize",), custom_rewrite=_merge_sums_rewriter()
                )
            )
        except Exception:  # keep pytensor's own gradient graph: correct, maybe slower
            pass
    return red, cot, list(grads)


def hoist_noise(
    output: Any, uniforms: Mapping[Any, np.ndarray], n_rows: int
) -> tuple[Any, list[tuple[Any, np.ndarray]]]:
    """Evaluate once the subgraphs that depend on the fixed uniforms only.

    Parameters
    ----------
    output : TensorVariable
        The batched outcome graph.
    uniforms : mapping of TensorVariable to ndarray of shape (n_rows, ...)
        The uniform inputs and their fixed values.
    n_rows : int
        Leading (draw x replicate) length; only values with this leading length
        are hoisted, so that they can be sliced like the uniforms.

    Returns
    -------
    output : TensorVariable
        The graph with each hoisted subgraph replaced by a new input.
    noise : list of (TensorVariable, ndarray)
        The new inputs (including uniforms used directly) and their values.
    """
    import pytensor
    from pytensor.graph.replace import graph_replace

    from decide.outcomes.pymc._ops import _graph_tools

    ancestors, io_toposort = _graph_tools()
    uset = set(uniforms)
    if not uset:
        return output, []
    # state of each variable: "const" (constants only), "u" (uniforms and constants), "other"
    state: dict[Any, str] = {u: "u" for u in uset}

    def state_of(v: Any) -> str:
        if v in state:
            return state[v]
        return "const" if v.owner is None and _is_constant(v) else "other"

    nodes = io_toposort([], [output])
    for node in nodes:
        states = {state_of(i) for i in node.inputs}
        st = "other" if "other" in states else ("u" if "u" in states else "const")
        for o in node.outputs:
            state[o] = st
    # maximal uniform-only variables: used by a node that depends on something else
    frontier: list[Any] = []
    for node in nodes:
        if state_of(node.outputs[0]) != "other":
            continue
        for i in node.inputs:
            if state_of(i) == "u" and i not in frontier and i.type.ndim >= 1:
                frontier.append(i)
    if not frontier:
        return output, []
    fn = pytensor.function(list(uniforms), frontier, mode="FAST_COMPILE", on_unused_input="ignore")
    values = fn(*uniforms.values())
    repl: dict[Any, Any] = {}
    noise: list[tuple[Any, np.ndarray]] = []
    for k, (v, val) in enumerate(zip(frontier, values)):
        arr = np.ascontiguousarray(val)
        if arr.ndim == 0 or arr.shape[0] != n_rows:
            if v in uset:
                noise.append((v, np.ascontiguousarray(uniforms[v])))
            continue
        if v in uset:
            noise.append((v, arr))
            continue
        new = v.type(f"noise{k}")
        repl[v] = new
        noise.append((new, arr))
    used = {u for u, _ in noise}
    for u in uset:  # uniforms still needed inside a kept pure subgraph
        if u not in used and any(u in set(ancestors([v])) for v in frontier if v not in repl):
            noise.append((u, np.ascontiguousarray(uniforms[u])))
    if repl:
        output = graph_replace(output, replace=repl, strict=False)
    return output, noise


def _is_constant(var: Any) -> bool:
    from pytensor.graph.basic import Constant

    return isinstance(var, Constant)
