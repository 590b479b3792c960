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
