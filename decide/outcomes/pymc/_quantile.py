r"""Quantile functions of discrete distributions for the ``"crn"`` mode of ``from_pymc``.

Common random numbers replace a simulated variable ``Y ~ D(theta)`` by its
quantile function at a fixed uniform, ``Y = F^{-1}(u | theta)``, where for a
discrete distribution

.. math::

    F^{-1}(u \mid \theta) = \min\{k \in \mathbb{Z} : F(k \mid \theta) \ge u\}.

With ``u ~ U(0, 1)`` this has exactly the law ``D(theta)`` (inverse transform
sampling), it is non-decreasing in ``u``, and it is non-decreasing in every
parameter that moves ``F`` down (a rate, a mean, a success probability): the
same ``u`` at two nearby actions gives draws that differ only where the action
moves a step of ``F``.

pymc ships inverse CDFs for a few discrete distributions only; this module uses
them where they exist (``Geometric``, ``DiscreteUniform``), closed forms where
trivial (``Bernoulli``, ``Categorical``), and one general mechanism for every
other distribution that has a CDF in pymc (``pm.logcdf``: ``Poisson``,
``NegativeBinomial``, ``Binomial``, ``DiscreteWeibull``, the zero-inflated and
hurdle families, a ``CustomDist`` with a ``logcdf``): a vectorized search on the
integers, one graph node (:func:`quantile_search`) whose numpy loop calls pymc's
log CDF compiled once (``FAST_COMPILE``: no C compilation, and scipy's special
functions are as fast as pytensor's C ones here):

1. start at ``k0 = floor(E[Y])`` (pymc's mean; 0 when pymc has none) with a
   step ``s0 = max(1, floor(sqrt(|E[Y]|)))`` (a Poisson-like standard deviation),
   or at the previous call's answer with a step of 1 (warm start: an optimizer
   moves to nearby actions; the answer does not depend on the start);
2. gallop: while only one side of the answer is known, probe ``k -+ s`` with
   ``s`` doubling; every probe ``k`` with ``log F(k) >= log u`` is an upper
   bound (``hi = k``), every other one a lower bound (``lo = k + 1``);
3. bisect ``[lo, hi]`` (``mid = floor((lo + hi) / 2)``) until ``lo == hi``.

The comparison is done on the log scale (``log F(k) >= log u``), so upper tails
(``u`` close to 1) and tiny probabilities keep their precision. The number of
CDF evaluations is about ``2 log2 |F^{-1}(u) - k0|`` per call. A search that
has not converged after :data:`MAX_STEPS` evaluations (non-finite parameters)
raises. ``BetaBinomial`` and ``HyperGeometric``, whose pymc ``logcdf`` takes a
scalar value only, sum their pmf (``pm.logp``) from 0 instead.

The quantile is a step function of the parameters: its gradient is disconnected,
so the rest of the outcome stays differentiable in the action.
pymc and pytensor are imported inside the functions (``import decide`` stays light).

References
----------
Devroye, L. (1986). *Non-Uniform Random Variate Generation*, ch. 3.2
(inversion by search for discrete distributions). Springer.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Collection
from typing import Any

__all__ = [
    "MAX_STEPS",
    "closed_form_quantile",
    "discrete_quantile",
    "quantile_search",
    "search_parts",
]

#: Maximum number of CDF evaluations of the search (63 to gallop over int64, 63 to bisect).
MAX_STEPS = 130

#: Maximum support size of a distribution whose quantile sums the pmf (scalar-only logcdf).
MAX_PMF_TERMS = 1_000_000

_BIG = 2**60
#: Smallest uniform used: ``u = 0`` (probability 2**-53 under numpy) would ask for the
#: infimum of the support.
_TINY_U = 1e-300


def _dist_params(rv: Any) -> list[Any]:
    node = rv.owner
    return list(node.op.dist_params(node))


def closed_form_quantile(rv: Any, u: Any) -> Any | None:
    """``F^{-1}(u)`` in closed form or from pymc's ``icdf``, or None.

    Parameters
    ----------
    rv : TensorVariable
        A discrete random variable (core graph, one draw).
    u : TensorVariable
        Uniforms in ``[0, 1)`` of the shape of ``rv``.

    Returns
    -------
    TensorVariable or None
        The quantile (integer dtype of ``rv``, zero gradient), or None when the
        distribution needs the search (:func:`search_parts`).
    """
    import pymc as pm
    import pytensor.tensor as pt
    from pytensor.gradient import zero_grad

    op = rv.owner.op
    name = str(getattr(op, "name", "") or "")
    u = pt.maximum(u, _TINY_U)
    if name == "bernoulli":  # F(0) = 1 - p
        (p,) = _dist_params(rv)
        q = pt.gt(u, 1.0 - p)
    elif name == "categorical":  # F(k) = cumsum(p)[k]
        (p,) = _dist_params(rv)
        cum = pt.cumsum(p, axis=-1) / pt.sum(p, axis=-1, keepdims=True)
        q = pt.minimum(pt.sum(pt.lt(cum, u[..., None]), axis=-1), p.shape[-1] - 1)
    elif name in ("geometric", "discrete_uniform"):
        try:
            q = pm.icdf(rv, u)
        except NotImplementedError:
            return None
    else:
        return None
    return zero_grad(pt.cast(q, rv.dtype))


def search_parts(rv: Any, like: Any) -> tuple[Any, Any, Any, str]:
    """The log CDF and the starting point of the search for ``rv`` (core graph).

    Parameters
    ----------
    rv : TensorVariable
        A discrete random variable with a CDF in pymc.
    like : TensorVariable
        The uniforms the quantile is taken at: ``k`` and ``start`` get their shape
        (the shape of ``rv``, or more leading dims).

    Returns
    -------
    log_f : TensorVariable
        ``log F(k)`` (pymc's ``logcdf``) at the integer input ``k``, shape of ``rv``;
        or ``log P(Y = k)`` (pymc's ``logp``) when pymc's ``logcdf`` takes scalar
        values only (``BetaBinomial``, ``HyperGeometric``).
    k : TensorVariable
        The int64 input of ``log_f``, shape of ``like``.
    start : TensorVariable
        ``E[Y]`` (pymc's mean) broadcast to the shape of ``like``, or zeros. Built
        from the parameters only (not from ``rv``, which must not stay in the graph).
    kind : {"cdf", "pmf"}
        Which of the two ``log_f`` is.

    Raises
    ------
    NotImplementedError
        If pymc has no ``logcdf`` for the distribution.
    """
    import pymc as pm
    import pytensor.tensor as pt
    from pymc.distributions.moments import mean
    from pymc.exceptions import UndefinedMomentException

    k = pt.tensor(f"{rv.name}__k", shape=(None,) * like.ndim, dtype="int64")
    kind = "cdf"
    try:
        log_f = pm.logcdf(rv, k)  # raises NotImplementedError when pymc has no CDF
    except TypeError:  # a logcdf for scalar values only: sum the pmf (support in 0, 1, ...)
        log_f, kind = pm.logp(rv, k), "pmf"
    try:
        start = pt.cast(mean(rv), "float64")
    except (NotImplementedError, UndefinedMomentException):
        start = pt.zeros((), dtype="float64")
    return log_f, k, start + pt.zeros_like(like, dtype="float64"), kind


def _frontier(out: Any, k: Any) -> list[Any]:
    """The non-constant variables that ``out`` reads besides ``k`` (the search's parameters)."""
    from pytensor.graph.basic import Constant

    from decide.outcomes.pymc._ops import _graph_tools

    _, io_toposort = _graph_tools()
    dep = {k}
    front: list[Any] = []
    for node in io_toposort([], [out]):
        if not any(i in dep for i in node.inputs):
            continue
        dep.update(node.outputs)
        for i in node.inputs:
            if i not in dep and not isinstance(i, Constant) and i not in front:
                front.append(i)
    return front


@functools.cache
def _quantile_op_class() -> type:
    """The :class:`DiscreteQuantile` op (defined lazily: pytensor is imported on first use)."""
    import numpy as np
    import pytensor.tensor as pt
    from pytensor.gradient import DisconnectedType
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    class DiscreteQuantile(Op):
        """``min{k : log F(k | params) >= log u}`` by galloping then bisecting (numpy loop).

        Inputs ``(u, start, *params)``; output the quantiles, shape and (integer) dtype
        given. ``log_cdf_fn(k, *params)`` is compiled once (C backend). The answer of the
        previous call is kept as the next call's starting point (nearby actions move
        the quantiles by a few units); the search is exact from any start.
        """

        def __init__(
            self,
            log_cdf_fn: Any,
            dtype: str,
            label: str,
            kind: str = "cdf",
            row_batched: tuple[bool, ...] = (),
        ) -> None:
            self.log_cdf_fn = log_cdf_fn
            self.row_batched = row_batched
            self.kind = kind
            self.dtype = dtype
            self.label = label
            self._last: Any = None

        def __str__(self) -> str:
            return f"DiscreteQuantile{{{self.label}}}"

        def make_node(self, u: Any, start: Any, *params: Any) -> Any:
            u = pt.as_tensor_variable(u)
            out = pt.tensor(dtype=self.dtype, shape=u.type.shape)
            return Apply(self, [u, pt.as_tensor_variable(start), *params], [out])

        def connection_pattern(self, node: Any) -> list[list[bool]]:
            return [[False] for _ in node.inputs]

        def grad(self, inputs: Any, output_grads: Any) -> list[Any]:
            return [DisconnectedType()() for _ in inputs]

        def perform(self, node: Any, inputs: Any, output_storage: Any) -> None:
            u, start, *params = inputs
            u = np.asarray(u, dtype=np.float64)
            if self.kind == "pmf":
                output_storage[0][0] = self._by_pmf(u, params).astype(self.dtype)
                return
            log_u = np.log(np.maximum(u, _TINY_U))
            last = self._last
            if last is not None and last.shape == u.shape:
                k0, s = last, np.ones(u.shape, dtype=np.int64)
            else:
                start = np.broadcast_to(np.asarray(start, dtype=np.float64), u.shape)
                with np.errstate(invalid="ignore"):
                    k0 = np.clip(np.nan_to_num(np.floor(start)), -_BIG, _BIG).astype(np.int64)
                    s = np.clip(np.floor(np.sqrt(np.abs(start))), 1, _BIG)
                s = np.nan_to_num(s, nan=1.0).astype(np.int64)
            lo = np.zeros(u.shape, dtype=np.int64)
            hi = np.zeros(u.shape, dtype=np.int64)
            has_lo = np.zeros(u.shape, dtype=bool)
            has_hi = np.zeros(u.shape, dtype=bool)
            probe = k0
            rows = None  # evaluate every row, or only the rows still searching
            for _ in range(MAX_STEPS):
                lcdf = self._log_cdf(probe, params, rows)
                if lcdf is None:  # a parameter could not be sliced by rows: all rows
                    rows, lcdf = None, self._log_cdf(probe, params, None)
                sel = slice(None) if rows is None else rows
                pr = probe[sel]
                up = np.broadcast_to(lcdf, pr.shape) >= log_u[sel]  # F(probe) >= u: upper
                hi[sel] = np.where(up, pr, hi[sel])
                lo[sel] = np.where(up, lo[sel], pr + 1)
                has_hi[sel] |= up
                has_lo[sel] |= ~up
                both = has_lo & has_hi
                done = both & (lo >= hi)
                if np.all(done):
                    break
                probe = np.where(both, (lo + hi) // 2, np.where(has_hi, hi - s, lo + s))
                probe = np.clip(probe, -_BIG, _BIG)
                s = np.minimum(s * 2, _BIG)
                if u.ndim and any(self.row_batched):
                    left = np.flatnonzero(~done.reshape(u.shape[0], -1).all(axis=1))
                    rows = left if len(left) <= u.shape[0] // 2 else None
            else:
                raise ValueError(
                    f"the quantile search of the discrete variable {self.label!r} did not "
                    f"converge in {MAX_STEPS} steps: are its parameters finite and valid?"
                )
            self._last = hi.copy()
            output_storage[0][0] = hi.astype(self.dtype)

        def _log_cdf(self, probe: Any, params: Any, rows: Any) -> Any:
            """``log F(probe)`` on every row, or on ``rows`` (None if a parameter cannot be cut)."""
            if rows is None:
                return np.asarray(self.log_cdf_fn(np.ascontiguousarray(probe), *params))
            n = probe.shape[0]
            sub = []
            for p, batched in zip(params, self.row_batched):
                p = np.asarray(p)
                if batched and p.ndim == probe.ndim and p.shape[0] == n:
                    p = np.ascontiguousarray(p[rows])
                elif batched and not (p.ndim == probe.ndim and p.shape[0] == 1):
                    return None
                sub.append(p)
            try:
                return np.asarray(self.log_cdf_fn(np.ascontiguousarray(probe[rows]), *sub))
            except ValueError:
                return None

        def _by_pmf(self, u: Any, params: Any) -> Any:
            """``min{k : sum_{j<=k} P(Y=j) >= u}`` summing the pmf from 0 (contiguous support)."""
            u = np.maximum(u, _TINY_U)
            cdf = np.zeros(u.shape)
            q = np.zeros(u.shape, dtype=np.int64)
            seen = np.zeros(u.shape, dtype=bool)
            done = np.zeros(u.shape, dtype=bool)
            for j in range(MAX_PMF_TERMS):
                lp = np.broadcast_to(self.log_cdf_fn(np.full(u.shape, j), *params), u.shape)
                inside = lp > -np.inf
                end = seen & ~inside & ~done  # past the end of the support: rounding of F
                q = np.where(end, j - 1, q)
                done |= end
                seen |= inside
                cdf = cdf + np.where(inside, np.exp(lp), 0.0)
                hit = ~done & inside & (cdf >= u)
                q = np.where(hit, j, q)
                done |= hit
                if done.all():
                    return q
            raise ValueError(
                f"the quantile of the discrete variable {self.label!r} needs more than "
                f"{MAX_PMF_TERMS} terms of its pmf; are its parameters finite and valid?"
            )

    try:  # numba backend: run perform in object mode, without numba's generic warning
        from pytensor.link.numba.dispatch import basic as nb

        def _funcify(op: Any, node: Any = None, **kwargs: Any) -> Any:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Numba will use object mode")
                return nb.generate_fallback_impl(op, node=node, **kwargs)

        nb.numba_funcify.register(DiscreteQuantile)(_funcify)
    except ImportError:  # pragma: no cover - numba not installed
        pass
    return DiscreteQuantile


def quantile_search(
    log_cdf: Any,
    k: Any,
    u: Any,
    start: Any,
    dtype: str,
    label: str,
    kind: str = "cdf",
    batched: Collection[Any] = (),
) -> Any:
    """``min{k : F(k) >= u}`` by galloping from ``start`` then bisecting (module docstring).

    Parameters
    ----------
    log_cdf : TensorVariable
        ``log F(k)`` (batched graph), a function of the int64 input ``k`` and of
        other variables of the outcome graph (its parameters).
    k : TensorVariable
        The int64 input of ``log_cdf``, shape of ``u``.
    u : TensorVariable
        Fixed uniforms in ``[0, 1)``, any shape.
    start : TensorVariable
        Starting point (e.g. the mean), broadcastable to ``u``.
    dtype : str
        Dtype of the result.
    label : str
        Name of the variable (error messages).
    kind : {"cdf", "pmf"}
        ``"pmf"``: ``log_cdf`` is the log pmf and the quantile sums it from 0.
    batched : collection of TensorVariable
        The inputs batched over the leading (draw) dim of ``u``: the parameters
        that depend on them are sliced by rows, so that the last steps of the
        search evaluate the CDF on the rows still searching only.

    Returns
    -------
    TensorVariable
        The quantiles, shape of ``u``, no gradient (disconnected).
    """
    import pytensor
    from pytensor.graph.replace import clone_replace

    from decide.outcomes.pymc._ops import _graph_tools

    params = _frontier(log_cdf, k)
    fresh = [p.type() for p in params]
    inner = clone_replace(log_cdf, dict(zip(params, fresh)))
    with warnings.catch_warnings():  # FAST_COMPILE's rewrites probe BLAS, which nothing here uses
        warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
        fn = pytensor.function([k, *fresh], inner, mode="FAST_COMPILE", on_unused_input="ignore")
    fn.trust_input = True
    ancestors, _ = _graph_tools()
    batched = set(batched)
    row_batched = tuple(bool(batched & set(ancestors([p]))) for p in params)
    op = _quantile_op_class()(fn, dtype, label, kind, row_batched)
    return op(u, start, *params)


def discrete_quantile(rv: Any, u: Any) -> Any:
    """``F^{-1}(u)`` of a discrete random variable (unbatched graph).

    The closed form when there is one (:func:`closed_form_quantile`), otherwise
    the search on pymc's ``logcdf`` (:func:`quantile_search`). ``from_pymc`` uses
    the same two pieces on its vectorized graph.

    Parameters
    ----------
    rv : TensorVariable
        A discrete random variable, e.g. ``pm.Poisson.dist(mu)``.
    u : TensorVariable
        Uniforms in ``[0, 1)``: the shape of ``rv``, or more leading dims
        (several draws at the same parameters).

    Returns
    -------
    TensorVariable
        The quantiles, shape of ``u``, dtype of ``rv``.

    Raises
    ------
    NotImplementedError
        If pymc has neither an inverse CDF nor a CDF for the distribution.
    """
    import pytensor.tensor as pt

    u = pt.as_tensor_variable(u)
    q = closed_form_quantile(rv, u)
    if q is not None:
        return q
    log_f, k, start, kind = search_parts(rv, u)
    return quantile_search(log_f, k, u, start, str(rv.dtype), str(rv.name or "rv"), kind)
