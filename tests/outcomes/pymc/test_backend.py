"""The compiled function's backend: numba, or C where pytensor 2.x's numba cannot."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.tensor.blockwise import Blockwise

from decide.outcomes.pymc._outcome import _function


class _Reverse(Op):
    """A core op without ``infer_shape``: a Blockwise of it has no explicit core shape."""

    __props__ = ()

    def make_node(self, x):
        x = pt.as_tensor_variable(x)
        return Apply(self, [x], [pt.tensor(dtype=x.dtype, shape=(None,))])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = np.ascontiguousarray(inputs[0][::-1])


@pytest.mark.filterwarnings("ignore:Numba will use object mode")
def test_blockwise_without_core_shape_runs_and_matches_numpy() -> None:
    x = pt.matrix("x")
    out = Blockwise(_Reverse(), signature="(n)->(m)")(x) * 2.0
    fn = _function([x], out, "NUMBA")
    data = np.random.default_rng(0).normal(size=(3, 5))
    np.testing.assert_array_equal(fn(data), 2.0 * data[:, ::-1])
    if pytensor.__version__.startswith("2."):  # numba would run it per item in Python
        assert "numba" not in type(fn.maker.linker).__module__


def test_numba_is_kept_when_it_compiles_the_whole_graph() -> None:
    x = pt.matrix("x")
    fn = _function([x], pt.exp(x).sum(axis=1), "NUMBA")
    data = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(fn(data), np.exp(data).sum(axis=1), rtol=1e-14)
    assert "numba" in type(fn.maker.linker).__module__


def _conv_ops(fn) -> list:
    return [n for n in fn.maker.fgraph.apply_nodes if "Convolve1d" in str(n.op)]


def test_full_convolution_is_computed_as_a_padded_valid_one() -> None:
    from pytensor.tensor.signal import convolve1d

    rng = np.random.default_rng(2)
    X, K = rng.normal(size=(5, 3, 12)), rng.normal(size=(5, 3, 4))
    x, k = pt.tensor3("x"), pt.tensor3("k")
    fn = _function([x, k], convolve1d(x, k, mode="full"), "NUMBA")
    expected = np.array([[np.convolve(X[i, j], K[i, j], mode="full") for j in range(3)]
                         for i in range(5)])
    np.testing.assert_allclose(fn(X, K), expected, rtol=1e-12, atol=1e-12)
    # the gradient of a valid convolution is a full one with a symbolic, batched mode
    out = convolve1d(x, k, mode="valid")
    w = rng.normal(size=(5, 3, 9))
    g = pytensor.grad((out * w).sum(), x)
    fast = _function([x, k], g, "NUMBA")
    ref = pytensor.function([x, k], g, mode="FAST_COMPILE")  # pytensor's own, not rewritten
    np.testing.assert_allclose(fast(X, K), ref(X, K), rtol=1e-12, atol=1e-12)
    if not pytensor.__version__.startswith("2."):  # numba kept: only valid modes remain
        assert all(np.all(~np.asarray(n.inputs[2].data)) for n in _conv_ops(fast)
                   if hasattr(n.inputs[2], "data"))


def _np_conv(X, K, mode):
    """numpy's convolution over the last axis, batch dims broadcast."""
    Xb = np.broadcast_arrays(X[..., :1], K[..., :1])[0]
    shape = Xb.shape[:-1]
    X = np.broadcast_to(X, (*shape, X.shape[-1]))
    K = np.broadcast_to(K, (*shape, K.shape[-1]))
    out = [np.convolve(X[i], K[i], mode=mode) for i in np.ndindex(shape)]
    return np.array(out).reshape(*shape, -1)


@pytest.mark.parametrize("mode", ["full", "valid"])
def test_unrolled_convolution_matches_numpy_and_its_gradient_matches_finite_differences(
    mode: str,
) -> None:
    """Short batched convolutions as shifted sums: numpy's values, and the slice-only
    gradient (both inputs, broadcast batch dims) against central differences."""
    from pytensor.tensor.signal import convolve1d

    from decide.outcomes.pymc._ops import unrolled_convolutions

    rng = np.random.default_rng(3)
    X, K = rng.normal(size=(1, 3, 10)), rng.normal(size=(4, 3, 5))  # x broadcast over 4
    x = pt.tensor("x", shape=(1, None, None))
    k = pt.tensor("k", shape=(None, 3, 5))
    y = convolve1d(x, k, mode=mode)
    (z,) = unrolled_convolutions([y])
    assert z is not y
    W = rng.normal(size=_np_conv(X, K, mode).shape)
    loss = (z * W).sum()
    fn = pytensor.function([x, k], [z, *pytensor.grad(loss, [x, k])], mode="FAST_COMPILE")
    val, gx, gk = fn(X, K)
    assert not any("Convolve1d" in str(n.op) for n in fn.maker.fgraph.apply_nodes)
    np.testing.assert_allclose(val, _np_conv(X, K, mode), rtol=1e-12, atol=1e-12)

    def f(Xv, Kv):
        return float((_np_conv(Xv, Kv, mode) * W).sum())

    h = 1e-6
    for arr, grad, which in ((X, gx, 0), (K, gk, 1)):
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            e = np.zeros_like(arr)
            e[i] = h
            a_p, a_m = (arr + e, arr - e)
            num[i] = ((f(a_p, K) - f(a_m, K)) if which == 0 else (f(X, a_p) - f(X, a_m))) / (2 * h)
        np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-7)


def test_unrolled_valid_convolution_refuses_an_input_shorter_than_its_kernel() -> None:
    from pytensor.tensor.signal import convolve1d

    from decide.outcomes.pymc._ops import unrolled_convolutions

    x = pt.tensor("x", shape=(None, None))
    k = pt.tensor("k", shape=(None, 5))
    (z,) = unrolled_convolutions([convolve1d(x, k, mode="valid")])
    fn = pytensor.function([x, k], z, mode="FAST_COMPILE")
    rng = np.random.default_rng(4)
    np.testing.assert_allclose(fn(rng.normal(size=(2, 7)), np.ones((2, 5))).shape, (2, 3))
    with pytest.raises(AssertionError, match="shorter than the kernel"):
        fn(rng.normal(size=(2, 3)), np.ones((2, 5)))


def test_long_or_symbolic_kernels_are_left_as_convolutions() -> None:
    from pytensor.tensor.signal import convolve1d

    from decide.outcomes.pymc._ops import unrolled_convolutions

    x = pt.matrix("x")
    for k in (pt.matrix("k"), pt.tensor("k", shape=(None, 40))):
        y = convolve1d(x, k, mode="full")
        assert unrolled_convolutions([y])[0] is y


def test_adstock_through_from_pymc_matches_numpy_on_both_stacks() -> None:
    """A batched adstock (kernel per draw and channel) through from_pymc: draws and vjp
    against numpy; on pytensor 2.x the convolution is unrolled and numba kept."""
    import pymc as pm
    from pytensor.tensor.signal import convolve1d

    from decide.outcomes import from_pymc

    T, C, L = 10, 2, 4
    rng = np.random.default_rng(5)
    alpha = rng.uniform(0.2, 0.8, size=(30, C))
    beta = rng.uniform(0.5, 2.0, size=(30, C))
    with pm.Model() as m:
        spend = pm.Data("spend", np.ones((T, C)))
        a = pm.Beta("alpha", 2.0, 2.0, shape=C)
        b = pm.HalfNormal("beta", 1.0, shape=C)
        w = a[:, None] ** pt.arange(L)[None, :]  # (C, L)
        ad = convolve1d(spend.T, w, mode="full")[:, :T]  # (C, T)
        pm.Deterministic("sales", (b[:, None] * pt.log1p(ad)).sum())
    from decide.outcomes.pymc._cache import cache_info

    om = from_pymc(m, {"alpha": alpha, "beta": beta}, action="spend", outcome="sales")
    hits = cache_info()["hits"]
    again = from_pymc(m, {"alpha": alpha, "beta": beta}, action="spend", outcome="sales")
    assert cache_info()["hits"] > hits  # the rebuilt graph is a compile-cache hit

    def numpy_sales(x: np.ndarray) -> np.ndarray:
        out = np.zeros(alpha.shape[0])
        for s in range(alpha.shape[0]):
            for c in range(C):
                ad = np.convolve(x[:, c], alpha[s, c] ** np.arange(L))[:T]
                out[s] += beta[s, c] * np.log1p(ad).sum()
        return out

    x = rng.uniform(0.0, 3.0, size=(T, C))
    np.testing.assert_allclose(om.draws(x), numpy_sales(x), rtol=1e-12)
    np.testing.assert_array_equal(again.draws(x), om.draws(x))
    cot = rng.normal(size=alpha.shape[0])
    h, num = 1e-6, np.zeros(T * C)
    for i in range(T * C):
        e = np.zeros(T * C)
        e[i] = h
        num[i] = cot @ (numpy_sales(x + e.reshape(T, C)) - numpy_sales(x - e.reshape(T, C))) / (2 * h)
    np.testing.assert_allclose(om.vjp(x.reshape(-1), cot), num, rtol=1e-6, atol=1e-8)
    if pytensor.__version__.startswith("2."):
        fn = om._plain.fn
        assert not _conv_ops(fn)
        assert "numba" in type(fn.maker.linker).__module__


# numba warns about np.dot on a non-contiguous view when it compiles (a fresh cache only)
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")
def test_transposes_of_symmetric_matrices_compile_without_symmetry_inference() -> None:
    """The numba mode leaves out ``useless_symmetric_transpose``; the values stay numpy's."""
    from decide.outcomes.pymc._outcome import _compile_mode

    mode = _compile_mode("NUMBA")
    assert "useless_symmetric_transpose" in mode.provided_optimizer.exclude
    a, x = pt.tensor3("a"), pt.vector("x")
    s = a @ a.mT  # a batch of symmetric matrices, then their transposes
    out = (s.mT * x[None, :, None] * x[None, None, :]).sum(axis=(1, 2))
    fn = _function([a, x], [out, pytensor.grad(out.sum(), x)], "NUMBA")
    rng = np.random.default_rng(1)
    av, xv = rng.normal(size=(4, 3, 3)), rng.normal(size=3)
    sv = av @ np.swapaxes(av, 1, 2)
    val, grad = fn(av, xv)
    np.testing.assert_allclose(val, np.einsum("i,sij,j->s", xv, sv, xv), rtol=1e-12)
    np.testing.assert_allclose(grad, 2 * np.einsum("sij,j->i", sv, xv), rtol=1e-12)


def test_c_fallback_of_a_numba_compile_is_quiet_about_blas() -> None:
    """pytensor 2.x: the C fallback of a numba compile probes BLAS without its warning.

    A fresh process (the probe runs once per process) compiles a Blockwise numba leaves
    in, next to a dot product (a C rewrite reads the BLAS flags for it).
    """
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, pytensor.tensor as pt\n"
        "from pytensor.graph.basic import Apply\n"
        "from pytensor.graph.op import Op\n"
        "from pytensor.tensor.blockwise import Blockwise\n"
        "from decide.outcomes.pymc._outcome import _function\n"
        "class Rev(Op):\n"
        "    __props__ = ()\n"
        "    def make_node(self, x):\n"
        "        x = pt.as_tensor_variable(x)\n"
        "        return Apply(self, [x], [pt.tensor(dtype=x.dtype, shape=(None,))])\n"
        "    def perform(self, node, inputs, outputs):\n"
        "        outputs[0][0] = np.ascontiguousarray(inputs[0][::-1])\n"
        "x, m = pt.matrix('x'), pt.matrix('m')\n"
        "fn = _function([x, m], pt.dot(Blockwise(Rev(), signature='(n)->(m)')(x), m), 'NUMBA')\n"
        "X, M = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)\n"
        "print(float(np.abs(fn(X, M) - X[:, ::-1] @ M).max()))\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.strip()) == 0.0
    assert "could not link to a BLAS" not in out.stderr
