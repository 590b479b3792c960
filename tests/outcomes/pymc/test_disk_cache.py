"""The disk cache of from_pymc's compiled functions (expected values in closed form).

A function relinked from disk must compute exactly what a fresh compile computes
(checked in fresh subprocesses, where the digest must be stable), a changed graph must
miss, an unusable file must be ignored and replaced, and the directory stays bounded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pymc as pm
import pytest

from decide import _config
from decide.outcomes import from_pymc
from decide.outcomes.pymc import _grad
from decide.outcomes.pymc._cache import cache_clear, cache_info

from .conftest import SALES_BETA as BETA
from .conftest import SALES_GAMMA as GAMMA
from .conftest import sales_expect as _expect
from .conftest import sales_model as _model

A = np.array([0.2, 0.7, 2.0])


def _build(model: pm.Model, backend: str = "FAST_COMPILE"):
    return from_pymc(model, {"beta": BETA, "gamma": GAMMA}, action="spend", outcome="sales",
                     backend=backend)


def _files(d: Path) -> list[Path]:
    return sorted(d.glob("*.pkl"))


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh disk cache, no memory cache (every build goes to disk), Jacobian path on."""
    monkeypatch.setattr(_config, "PYMC_DISK_CACHE", True)
    monkeypatch.setattr(_config, "PYMC_DISK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_config, "PYMC_COMPILE_CACHE_SIZE", 0)
    monkeypatch.setattr(_grad, "default_jacobian", lambda: True)
    cache_clear()
    yield tmp_path
    cache_clear()


_COMPUTE = textwrap.dedent(
    """
    import numpy as np
    import pymc as pm
    from decide.outcomes import from_pymc
    from decide.outcomes.pymc._cache import cache_info

    with pm.Model() as m:
        spend = pm.Data("spend", np.ones(3))
        w = pm.Data("w", np.ones(3))
        beta = pm.Normal("beta", 1.0, 1.0)
        gamma = pm.Normal("gamma", 0.0, 1.0)
        pm.Deterministic("sales", beta * pm.math.log(1 + spend) * w + 2.0 * gamma)
    om = from_pymc(m, {"beta": np.array([0.5, 1.0, 1.5, 2.0]),
                       "gamma": np.array([0.2, -0.1, 0.3, 0.0])},
                   action="spend", outcome="sales")
    a = np.array([0.2, 0.7, 2.0])
    cot = np.array([1.0, -2.0, 0.5, 3.0])
    out = [om.draws(a), om.vjp(a, cot)]
    if om.has_jacobian:
        out += list(om.draws_and_jacobian(a))
    result = np.concatenate([np.ravel(x) for x in out])
    """
)
_SCRIPT = _COMPUTE + textwrap.dedent(
    """
    import sys
    np.save(sys.argv[1], result)
    info = cache_info()
    print(info["disk_hits"], info["disk_writes"])
    """
)


def test_disk_hit_in_a_new_process_is_bit_identical_to_a_fresh_compile(tmp_path: Path) -> None:
    """Three processes, default backend: compile and write; relink from disk; no disk cache."""
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    cache = tmp_path / "cache"
    env = {**os.environ, "DECIDE_CACHE_DIR": str(cache), "DECIDE_DISK_CACHE": "1"}

    def run(tag: str, **extra: str) -> tuple[np.ndarray, list[int]]:
        out = subprocess.run([sys.executable, str(script), str(tmp_path / f"{tag}.npy")],
                             capture_output=True, text=True, env={**env, **extra}, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        return np.load(tmp_path / f"{tag}.npy"), [int(v) for v in out.stdout.split()[-2:]]

    first, (hits1, writes1) = run("first")
    assert hits1 == 0 and writes1 >= 1 and len(_files(cache)) == writes1
    second, (hits2, writes2) = run("second")
    assert hits2 == writes1 and writes2 == 0  # every function relinked from disk
    assert np.array_equal(second, first)
    # a fresh compile here, without the disk cache, computes the same bits
    ns: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_config, "PYMC_DISK_CACHE", False)
        mp.setattr(_config, "PYMC_COMPILE_CACHE_SIZE", 0)
        exec(compile(_COMPUTE, "fresh", "exec"), ns)
    assert np.array_equal(second, ns["result"])
    # and the values are the closed form: draws, vjp (and the per-draw Jacobian)
    cot = np.array([1.0, -2.0, 0.5, 3.0])
    jac = BETA[:, None] / (1 + A)[None, :]
    np.testing.assert_allclose(second[:4], _expect(A), rtol=1e-12)
    np.testing.assert_allclose(second[4:7], cot @ jac, rtol=1e-12)
    if second.size > 7:
        np.testing.assert_allclose(second[11:], jac.ravel(), rtol=1e-12)


def test_a_disk_hit_computes_with_the_callers_data_and_set_data_does_not_leak(disk: Path) -> None:
    model = _model()
    om = _build(model)
    assert cache_info()["disk_writes"] == 1 and len(_files(disk)) == 1
    with model:
        pm.set_data({"w": np.full(3, 5.0)})  # after the build: om keeps its copy
    np.testing.assert_allclose(om.draws(A), _expect(A), rtol=1e-12)
    again = _build(model)  # same graph: relinked from disk, on the new data
    assert cache_info()["disk_hits"] == 1 and cache_info()["disk_writes"] == 1
    np.testing.assert_allclose(again.draws(A), _expect(A, base=5.0), rtol=1e-12)
    np.testing.assert_allclose(om.draws(A), _expect(A), rtol=1e-12)
    _, j0 = _build(_model()).draws_and_jacobian(A)
    np.testing.assert_allclose(j0, BETA[:, None] / (1 + A)[None, :], rtol=1e-12)


@pytest.mark.parametrize(
    "other",
    [
        lambda: _model(scale=3.0),  # a constant
        lambda: _model(n=4),  # a shape
        "expression",  # the outcome expression
    ],
)
def test_a_changed_graph_misses_the_disk(disk: Path, other) -> None:
    _build(_model())
    writes = cache_info()["disk_writes"]
    if other == "expression":
        om = from_pymc(_model(), {"beta": BETA, "gamma": GAMMA}, action="spend",
                       outcome=lambda v: v["sales"] * 2.0, backend="FAST_COMPILE")
        np.testing.assert_allclose(om.draws(A), 2.0 * _expect(A), rtol=1e-12)
    else:
        om = _build(other())
        a = np.full(om.action_space.size, 0.5)
        scale = 3.0 if om.action_space.size == 3 else 2.0
        want = (BETA[:, None] * np.log1p(a) + scale * GAMMA[:, None]).sum(axis=1)
        np.testing.assert_allclose(om.draws(a), want, rtol=1e-12)
    assert cache_info()["disk_hits"] == 0
    assert cache_info()["disk_writes"] == writes + 1


@pytest.mark.parametrize("damage", ["garbage", "truncated", "swapped"])
def test_an_unusable_file_is_ignored_and_replaced(disk: Path, damage: str) -> None:
    _build(_model())
    (path,) = _files(disk)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a pickle at all")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # another graph's valid file under this graph's name
        _build(_model(n=4))
        (other,) = [p for p in _files(disk) if p != path]
        path.write_bytes(other.read_bytes())
    before = cache_info()
    om = _build(_model())
    np.testing.assert_allclose(om.draws(A), _expect(A), rtol=1e-12)
    assert cache_info()["disk_hits"] == before["disk_hits"]  # not used
    assert cache_info()["disk_writes"] == before["disk_writes"] + 1  # and replaced
    _build(_model())
    assert cache_info()["disk_hits"] == before["disk_hits"] + 1


def test_the_directory_stays_within_its_bound(disk: Path, monkeypatch) -> None:
    _build(_model(scale=1.0))
    (first,) = _files(disk)
    size = first.stat().st_size
    os.utime(first, (1e9, 1e9))  # the least recently used
    limit = int(2.5 * size)  # room for two files of this graph (constants differ, not sizes)
    monkeypatch.setattr(_config, "PYMC_DISK_CACHE_MAX_BYTES", limit)
    for scale in (2.0, 3.0, 4.0, 5.0):
        _build(_model(scale=scale))
        assert sum(p.stat().st_size for p in _files(disk)) <= limit
    assert not first.exists()
    assert len(_files(disk)) == 2
    assert cache_info()["disk_writes"] == 5


def test_off_writes_nothing(disk: Path, monkeypatch) -> None:
    monkeypatch.setattr(_config, "PYMC_DISK_CACHE", False)
    om = _build(_model())
    np.testing.assert_allclose(om.draws(A), _expect(A), rtol=1e-12)
    assert _files(disk) == [] and cache_info()["disk_writes"] == 0


def test_environment_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DECIDE_DISK_CACHE and DECIDE_CACHE_DIR, read by a fresh copy of decide._config."""
    import importlib.util

    def fresh_config():
        spec = importlib.util.spec_from_file_location("decide_config_copy", _config.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    monkeypatch.setenv("DECIDE_CACHE_DIR", str(tmp_path))
    for flag, want in (("0", False), ("off", False), ("false", False), ("1", True)):
        monkeypatch.setenv("DECIDE_DISK_CACHE", flag)
        cfg = fresh_config()
        assert cfg.PYMC_DISK_CACHE is want and cfg.PYMC_DISK_CACHE_DIR == str(tmp_path)
    monkeypatch.delenv("DECIDE_DISK_CACHE")
    monkeypatch.delenv("DECIDE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cfg = fresh_config()
    assert cfg.PYMC_DISK_CACHE is True
    assert cfg.PYMC_DISK_CACHE_DIR == str(tmp_path / "xdg" / "decide" / "pytensor")


def test_crn_round_trips(disk: Path) -> None:
    """Hoisted uniforms survive the disk: the same draws as a compile (fixed noise)."""
    mode = "crn"
    with pm.Model() as m:
        spend = pm.Data("spend", np.ones(3))
        beta = pm.Normal("beta", 1.0, 1.0)
        pm.Normal("sales", beta * pm.math.log(1 + spend), 0.5, observed=np.zeros(3))

    def build():
        return from_pymc(m, {"beta": BETA}, action="spend", outcome="sales", mode=mode,
                         n_replicates=2, random_seed=3, backend="FAST_COMPILE", data={})

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_config, "PYMC_DISK_CACHE", False)
        fresh = build().sample(A)
    assert cache_info()["disk_writes"] == 0
    first = build().sample(A)
    writes = cache_info()["disk_writes"]
    assert writes >= 1
    again = build().sample(A)
    assert cache_info()["disk_hits"] == writes
    assert np.array_equal(first, fresh) and np.array_equal(again, fresh)
    # each draw and replicate is beta * log(1 + a) plus N(0, 0.5) noise
    noise = again - (BETA[:, None, None] * np.log1p(A))
    assert noise.shape == (4, 2, 3) and np.all(np.abs(noise) < 0.5 * 6)
    assert np.std(noise) > 0


def test_pytensor_trace_flag_is_restored(disk: Path) -> None:
    """decide builds and compiles without creation traces, and leaves the flag as it was."""
    import pytensor

    before = pytensor.config.traceback__limit
    om = _build(_model())
    np.testing.assert_allclose(om.vjp(A, np.ones(4)), (BETA[:, None] / (1 + A)).sum(0),
                               rtol=1e-12)
    assert pytensor.config.traceback__limit == before


def test_inner_graphs_and_closures_are_part_of_the_digest() -> None:
    """An OpFromGraph with a gradient closure (the unrolled adstock) is keyed by its inner
    graph and the values its closure holds; an op defined in <locals> is not keyed."""
    import pytensor.tensor as pt

    from decide.outcomes.pymc._cache import _digest
    from decide.outcomes.pymc._ops import _shift_conv_op, graph_key

    def digest(m: int, full: bool) -> str | None:
        x, k = pt.tensor3("x"), pt.tensor3("k")
        y = _shift_conv_op(x, k, m, full)
        return _digest(("value", "NUMBA", "sum", graph_key([x, k], [y])))

    same = digest(4, True)
    assert same is not None and digest(4, True) == same
    assert len({same, digest(3, True), digest(4, False)}) == 3

    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    class Local(Op):
        __props__ = ()

        def make_node(self, v):
            return Apply(self, [v], [v.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0]

    v = pt.vector("v")
    assert _digest(("value", "NUMBA", "sum", graph_key([v], [Local()(v)]))) is None


def test_package_versions_are_part_of_the_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The versions are the installed distributions'; another version is another digest."""
    import importlib.metadata

    import pytensor

    from decide.outcomes.pymc import _cache

    monkeypatch.setattr(_cache, "_ENV", {})
    versions = dict(_cache._environment()[4])
    for dist in ("numpy", "pytensor", "numba", "pymc"):
        assert versions[dist] == importlib.metadata.version(dist)
    key = ("a key", 1)
    before = _cache._digest(key)
    monkeypatch.setattr(pytensor, "__version__", pytensor.__version__ + "+other")
    monkeypatch.setattr(_cache, "_ENV", {})
    assert _cache._digest(key) != before
