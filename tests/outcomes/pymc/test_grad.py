"""The speed paths of from_pymc give the same numbers as the plain ones: the
``Sum(g1) + Sum(g2) -> Sum(g1 + g2)`` gradient rewrite, the "joint" and "split" vjp
strategies, and the uniforms-only subgraphs of "crn" evaluated once."""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

# These tests exercise the compiled graph on the design the model was fitted on (the
# action is the fitted history on purpose); the history warning is tested in test_data.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore:the action .* as many as the observed data:UserWarning"
)
pt = pytest.importorskip("pytensor.tensor")

import pytensor  # noqa: E402

from decide.outcomes import from_pymc  # noqa: E402
from decide.outcomes.pymc._grad import hoist_noise, vjp_graph  # noqa: E402

from .conftest import Case  # noqa: E402
from .test_outcome import fd_grad  # noqa: E402


def _n_sums(outputs) -> int:
    """Sum nodes in the symbolic graph of ``outputs`` (before compilation)."""
    from pytensor.tensor.math import Sum

    from decide.outcomes.pymc._ops import _graph_tools

    _, io_toposort = _graph_tools()

    return sum(isinstance(n.op, Sum) for n in io_toposort([], list(outputs)))


def test_merged_gradient_equals_pytensor_gradient_and_closed_form() -> None:
    rng = np.random.default_rng(0)
    beta, k, s = pt.matrix("beta"), pt.matrix("k"), pt.matrix("s")
    out = (beta[:, None, :] * s[None] / (s[None] + k[:, None, :])).sum(-1)  # (S, T)
    vals = [rng.gamma(4, 0.5, (50, 3)), rng.gamma(4, 0.5, (50, 3)), rng.gamma(2, 1, (7, 3))]
    cot_v = rng.normal(size=50)
    fns, n_sums = {}, {}
    for merge in (False, True):
        red, cot, grads = vjp_graph(out, [s], "sum", merge=merge)
        n_sums[merge] = _n_sums(grads)
        fns[merge] = pytensor.function([beta, k, s, cot], [red, *grads], mode="FAST_RUN")
    r0, g0 = fns[False](*vals, cot_v)
    r1, g1 = fns[True](*vals, cot_v)
    np.testing.assert_allclose(r1, r0, rtol=1e-12)
    b, kk, ss = vals[0][:, None, :], vals[1][:, None, :], vals[2][None]
    closed = (cot_v[:, None, None] * b * kk / (ss + kk) ** 2).sum(0)
    np.testing.assert_allclose(g0, closed, rtol=1e-10)
    np.testing.assert_allclose(g1, closed, rtol=1e-10)
    np.testing.assert_allclose(r1, (b * ss / (ss + kk)).sum((1, 2)), rtol=1e-12)
    assert n_sums[True] == 1 < n_sums[False]  # one draw-axis sum for the action


@pytest.mark.parametrize("mode", ["mean", "crn"])
def test_joint_and_split_strategies_agree(marketing: Case, mode: str) -> None:
    kw = {} if mode == "mean" else {"n_replicates": 3}
    x = marketing.data["spend"].ravel() * 0.8 + 0.1
    res = {}
    for strategy in ("joint", "split"):
        om = from_pymc(
            marketing.model,
            marketing.idata,
            action=["spend", "z"],
            outcome="sales",
            mode=mode,
            random_seed=2,
            **kw,
        )
        om.vjp_strategy = strategy
        xz = np.concatenate([x, np.linspace(-1, 1, 12)])
        cot = np.random.default_rng(3).normal(size=om.draws(xz).shape)
        res[strategy] = om.value_and_vjp(xz, cot)
        np.testing.assert_allclose(res[strategy][0], om.draws(xz), rtol=1e-12)
    np.testing.assert_allclose(res["joint"][0], res["split"][0], rtol=1e-12)
    np.testing.assert_allclose(res["joint"][1], res["split"][1], rtol=1e-10)
    ref = fd_grad(lambda a: float(np.sum(cot * om.draws(a))), xz)
    np.testing.assert_allclose(res["split"][1], ref, rtol=1e-6, atol=1e-8 * np.abs(ref).max())


def test_hoisted_noise_equals_the_direct_graph() -> None:
    rng = np.random.default_rng(1)
    x, mu = pt.vector("x"), pt.matrix("mu")
    u = pt.matrix("u")
    z = -np.sqrt(2.0) * pt.erfcinv(2 * u)
    out = pt.switch((u >= 0) & (u <= 1), mu * x + pt.exp(mu) * z, np.nan) + (u < 0.5) * x
    uv = rng.uniform(size=(20, 4))
    new, noise = hoist_noise(out, {u: uv}, 20)
    direct = pytensor.function([x, mu, u], out)
    hoisted = pytensor.function([x, mu, *[v for v, _ in noise]], new)
    xv, muv = rng.normal(size=4), rng.normal(size=(20, 4))
    np.testing.assert_allclose(
        hoisted(xv, muv, *[a for _, a in noise]), direct(xv, muv, uv), rtol=1e-12
    )
    from scipy import stats

    values = [a for _, a in noise if a.dtype == np.float64]
    assert any(np.allclose(a, stats.norm.ppf(uv), rtol=1e-10) for a in values)  # Phi^{-1}(u)


def test_crn_value_function_has_no_inverse_cdf(marketing: Case) -> None:
    om = from_pymc(
        marketing.model,
        marketing.idata,
        action="spend",
        outcome="sales",
        mode="crn",
        n_replicates=2,
        random_seed=0,
    )
    nodes = om._value_fn.maker.fgraph.apply_nodes
    ops = {type(getattr(n.op, "scalar_op", n.op)).__name__ for n in nodes}
    for n in nodes:
        inner = getattr(getattr(n.op, "scalar_op", None), "fgraph", None)
        if inner is not None:
            ops |= {type(m.op).__name__ for m in inner.apply_nodes}
    assert not {o for o in ops if o.lower().startswith(("erfcinv", "erfinv"))}
    # the noise is still Phi^{-1} of fixed uniforms: z = (y - mu) / sigma is standard normal
    from scipy import stats

    from .conftest import marketing_mean

    x = marketing.data["spend"]
    mean = marketing_mean(marketing.draws, x, marketing.data["z"])[:, None]
    zs = (om.sample(x) - mean) / marketing.draws["sigma"][:, None, None]
    assert stats.kstest(zs.ravel(), "norm").pvalue > 1e-3


def _padded_adstock(a, x, L: int, T: int):
    """``log1p(adstock(x)).sum()``: ``x`` padded by ``zeros(len(w) - 1)``, ``w = a ** lag``
    (the pad's length read from the shape of a parameter's function, as in
    pymc-marketing 0.x's ``batched_convolution``)."""
    w = a ** pt.arange(L)
    xp = pt.concatenate([pt.zeros(w.shape[0] - 1), x])
    ad = sum(xp[L - 1 - i : L - 1 - i + T] * w[i] for i in range(L))
    return pt.log1p(ad).sum()


def _numpy_adstock(a: np.ndarray, x: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: ``ad[s, t] = sum_i a_s^i x[t - i]`` and its weights ``a_s^i``."""
    w = a[:, None] ** np.arange(L)
    ad = np.zeros((a.size, x.size))
    for i in range(L):
        ad[:, i:] += w[:, i : i + 1] * x[None, : x.size - i]
    return ad, w


def _numpy_adstock_vjp(cot: np.ndarray, ad: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``cot @ d/dx log1p(ad).sum(1)``: ``sum_s cot_s sum_i w[s, i] / (1 + ad[s, t + i])``
    over ``t + i < T``."""
    T, L = ad.shape[1], w.shape[1]
    closed = np.zeros(T)
    for i in range(L):
        closed[: T - i] += (cot[:, None] * w[:, i : i + 1] / (1.0 + ad[:, i:])).sum(0)
    return closed


def test_folded_shapes_keep_the_inputs_the_values_and_the_gradient() -> None:
    """Vectorized over the draws, the pad's length is a per-draw shape (a Blockwise
    Alloc, and a Blockwise Join and Split in the gradient: run per draw in Python by
    pytensor 2.x's C backend). Folding the shapes first drops the per-draw shape ops,
    keeps the caller's input variables, and gives the closed-form draws and vjp."""
    from pytensor.tensor.blockwise import Blockwise

    from decide.outcomes.pymc._grad import fold_batched_shapes
    from decide.outcomes.pymc._ops import _graph_tools

    ancestors, io_toposort = _graph_tools()
    T, L, S = 9, 3, 25
    a, x, ab = pt.scalar("a"), pt.vector("x", shape=(T,)), pt.vector("ab")
    from pytensor.graph.replace import vectorize_graph

    out = vectorize_graph(_padded_adstock(a, x, L, T), {a: ab})

    def blockwise(g) -> list[str]:
        return [type(n.op.core_op).__name__ for n in io_toposort([ab, x], [g])
                if isinstance(n.op, Blockwise)]

    folded = fold_batched_shapes(out)
    assert "Alloc" in blockwise(out) and "Alloc" not in blockwise(folded)
    assert {v for v in ancestors([folded]) if v.owner is None and v.name} == {ab, x}
    rng = np.random.default_rng(3)
    av, xv, cv = rng.uniform(0.2, 0.9, S), rng.uniform(0.0, 3.0, T), rng.normal(size=S)
    red, cot, (g,) = vjp_graph(out, [x], "sum")
    fn = pytensor.function([ab, x, cot], [red, g])
    ad, w = _numpy_adstock(av, xv, L)
    value, grad = fn(av, xv, cv)
    np.testing.assert_allclose(value, np.log1p(ad).sum(1), rtol=1e-12)
    np.testing.assert_allclose(grad, _numpy_adstock_vjp(cv, ad, w), rtol=1e-10)


def test_shapes_are_folded_only_where_the_graph_has_a_blockwise() -> None:
    from decide.outcomes.pymc._grad import fold_batched_shapes

    x = pt.matrix("x")
    plain = pt.exp(x).sum(axis=1)
    assert fold_batched_shapes(plain) is plain


def test_vjp_through_from_pymc_of_a_per_draw_padded_adstock_is_the_closed_form() -> None:
    T, L, S = 8, 3, 30
    rng = np.random.default_rng(12)
    av = rng.uniform(0.2, 0.8, size=S)
    with pm.Model() as m:
        spend = pm.Data("spend", np.ones(T))
        a = pm.Beta("alpha", 2.0, 2.0)
        pm.Deterministic("sales", _padded_adstock(a, spend, L, T))
    om = from_pymc(m, {"alpha": av}, action="spend", outcome="sales")
    xv, cv = rng.uniform(0.0, 3.0, T), rng.normal(size=S)
    ad, w = _numpy_adstock(av, xv, L)
    np.testing.assert_allclose(om.draws(xv), np.log1p(ad).sum(1), rtol=1e-12)
    np.testing.assert_allclose(om.vjp(xv, cv), _numpy_adstock_vjp(cv, ad, w), rtol=1e-10)
    if om.vjp_strategy == "split":  # pytensor 2.x: C, which caches its modules across processes
        from pytensor.tensor.blockwise import Blockwise

        fn = om._vjp_fn
        assert "numba" not in type(fn.maker.linker).__module__
        assert not [n for n in fn.maker.fgraph.apply_nodes if isinstance(n.op, Blockwise)]
