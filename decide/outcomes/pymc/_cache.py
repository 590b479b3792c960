"""The compile cache of :func:`decide.outcomes.from_pymc`: compiled functions by graph.

Repeated decisions on one model (loops, sweeps, re-planning a window,
``compare``, ``frontier``) build the same outcome graph again; compiling it is
most of the cost of a call. Compiled functions are kept here, keyed on the
structure of the graph (:func:`~decide.outcomes.pymc._ops.graph_key`: ops,
constants, shapes and the position of every input) and on the pytensor mode.
The posterior draws, the action, the fixed uniforms and the model's shared
data are function *inputs*, never part of the key, so a hit computes with the
caller's values. The cache is a bounded LRU
(:data:`decide._config.PYMC_COMPILE_CACHE_SIZE` entries), because every entry
holds compiled code.

Behind it, a disk cache (:data:`decide._config.PYMC_DISK_CACHE`) keeps the
*rewritten* graph of each compiled function, so that the first call of a new
process relinks it (numba's own on-disk cache then serves the machine code)
instead of running pytensor's graph rewrites again. A file is named by a
SHA-256 digest of the key in a canonical form (class paths and ``__props__`` of
every op and type, constants by their bytes) together with the versions of
Python, numpy, pytensor, numba, pymc and decide's own compile code, the
pytensor flags that change rewriting, and the source of any op class defined
outside those packages. A file that cannot be read, or whose inputs do not
match the key's input types, is removed and the function compiled again.
Writes are atomic (a temporary file renamed); the directory is bounded
(:data:`decide._config.PYMC_DISK_CACHE_MAX_BYTES`), least recently used files
removed first.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import inspect
import os
import pickle
import platform
import sys
import tempfile
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from decide import _config

__all__ = ["cache_clear", "cache_info", "cached_compile"]

_CACHE: OrderedDict[Hashable, Any] = OrderedDict()
_STATS = {"hits": 0, "misses": 0, "disk_hits": 0, "disk_writes": 0}
#: Bumped when the layout of a disk file changes.
_FORMAT = 1
#: Packages whose version is part of every digest: their classes are named by path only.
_VERSIONED = ("numpy", "pytensor", "pymc", "numba", "scipy", "builtins")


def cached_compile(
    key: Hashable | None,
    build: Callable[[], Any],
    mode_of: Callable[[Any], str] | None = None,
) -> Any:
    """The compiled function stored under ``key``, or ``build()`` stored there.

    ``key=None`` (a graph that cannot be keyed) always builds and stores nothing.
    ``mode_of(fn)`` names the pytensor mode ``fn`` was compiled with; given it, the
    disk cache is consulted on a miss and written after a build.
    """
    size = int(_config.PYMC_COMPILE_CACHE_SIZE)
    if key is not None and size > 0:
        try:
            fn = _CACHE.get(key)
        except Exception:  # an op whose equality cannot compare: no caching
            fn, key = None, None
        if fn is not None:
            _CACHE.move_to_end(key)
            _STATS["hits"] += 1
            return fn
    _STATS["misses"] += 1
    digest = _digest(key) if key is not None and mode_of is not None and _disk_on() else None
    fn = _disk_load(digest, key) if digest is not None else None
    if fn is None:
        fn = build()
        if digest is not None and mode_of is not None:
            _disk_store(digest, fn, mode_of(fn))
    if key is not None and size > 0:
        _CACHE[key] = fn
        while len(_CACHE) > size:
            _CACHE.popitem(last=False)
    return fn


def cache_info() -> dict[str, int]:
    """Hits, misses, disk hits and writes, current size and capacity of the compile cache."""
    return {**_STATS, "size": len(_CACHE), "capacity": int(_config.PYMC_COMPILE_CACHE_SIZE)}


def cache_clear() -> None:
    """Drop every compiled function kept in memory and reset the counters (disk files stay)."""
    _CACHE.clear()
    for k in _STATS:
        _STATS[k] = 0


# -- the disk layer ----------------------------------------------------------------------


def _disk_on() -> bool:
    return bool(_config.PYMC_DISK_CACHE) and bool(_config.PYMC_DISK_CACHE_DIR)


class _Unkeyable(Exception):
    """A part of the key has no canonical form that is stable across processes."""


_ENV: dict[str, Any] = {}


def _environment() -> tuple[Any, ...]:
    """Versions and flags a compiled graph depends on (computed once per process)."""
    if "env" not in _ENV:
        versions: list[tuple[str, str | None]] = []
        for dist in ("numpy", "pytensor", "numba", "pymc", "scipy"):
            # the imported module's own version (reading the package metadata cost ~5 ms)
            mod = sys.modules.get(dist)
            version = getattr(mod, "__version__", None)
            if not isinstance(version, str):
                try:
                    version = importlib.metadata.version(dist)
                except importlib.metadata.PackageNotFoundError:
                    version = None
            versions.append((dist, version))
        import pytensor

        flags: list[tuple[str, str | None]] = []
        for name in (
            "floatX", "optimizer_including", "optimizer_excluding", "optimizer_requiring",
            "cxx", "linker", "mode", "compute_test_value", "cast_policy",
            "numba__fastmath", "numba__vectorize_target",
        ):  # not blas__ldflags: probing it costs ~0.5 s (a C compile), and it changes
            # which equivalent ops a rewrite picks, never the values
            try:
                flags.append((name, str(getattr(pytensor.config, name))))
            except Exception:  # a flag this version does not have
                flags.append((name, None))
        # decide's own code that builds and compiles the graph (a dev install keeps its version)
        here = Path(__file__).resolve().parent
        src = hashlib.sha256()
        for path in sorted(here.glob("*.py")):
            src.update(path.name.encode())
            src.update(path.read_bytes())
        _ENV["env"] = (
            _FORMAT, sys.version, platform.machine(), platform.system(), tuple(versions),
            tuple(flags), src.hexdigest(),
        )
    return _ENV["env"]


_SOURCE_HASHES: dict[str, str] = {}


def _class_path(obj: Any, local: bool = False) -> str:
    """``module.qualname`` of a class, function or module (with its source hash).

    The module's source hash is added outside the versioned packages. Functions defined
    inside functions are named only when ``local``.
    """
    module: str | None
    qualname: str | None
    if isinstance(obj, types.ModuleType):
        module, qualname = obj.__name__, ""
    else:
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if not module or not qualname or "<lambda>" in qualname:
            raise _Unkeyable(repr(obj))
        if "<locals>" in qualname and not local:
            raise _Unkeyable(repr(obj))
    if module.split(".")[0] in _VERSIONED:
        return f"{module}.{qualname}"
    if module not in _SOURCE_HASHES:
        mod = sys.modules.get(module)
        try:
            path = inspect.getsourcefile(mod) if mod is not None else None
            data = Path(path).read_bytes() if path else None
        except (TypeError, OSError):
            data = None
        if data is None:  # no source file (an interactive session): no stable identity
            raise _Unkeyable(module)
        _SOURCE_HASHES[module] = hashlib.sha256(data).hexdigest()
    return f"{module}.{qualname}@{_SOURCE_HASHES[module]}"


def _canon(v: Any, depth: int = 0) -> Any:
    """A nested tuple of plain values with a deterministic ``repr`` standing for ``v``."""
    if depth > 50:
        raise _Unkeyable("too deep")
    if v is None or isinstance(v, bool | int | float | str | bytes):
        return (type(v).__name__, v)
    if isinstance(v, np.ndarray):
        if v.dtype.hasobject:
            raise _Unkeyable("object array")
        data = np.ascontiguousarray(v)
        return ("ndarray", data.dtype.str, data.shape, hashlib.sha256(data.tobytes()).hexdigest())
    if isinstance(v, np.generic):
        return ("generic", v.dtype.str, v.tobytes())
    if isinstance(v, np.dtype):
        return ("dtype", v.str)
    if isinstance(v, np.ufunc):
        return ("ufunc", v.__name__)
    if isinstance(v, tuple | list):
        return (type(v).__name__, tuple(_canon(x, depth + 1) for x in v))
    if isinstance(v, frozenset | set):
        return ("set", tuple(sorted((_canon(x, depth + 1) for x in v), key=repr)))
    if isinstance(v, dict):
        return _canon_map(v, depth)
    if isinstance(v, slice):
        return ("slice", _canon(v.start, depth + 1), _canon(v.stop, depth + 1),
                _canon(v.step, depth + 1))
    if isinstance(v, types.FunctionType) and v.__closure__ is not None:
        # a closure (e.g. the gradient override of an OpFromGraph): where its code is (the
        # module's source hash covers it) and the values it closes over
        cells = tuple(_canon(c.cell_contents, depth + 1) for c in v.__closure__)
        return ("closure", _class_path(v, local=True), cells,
                _canon(v.__defaults__, depth + 1), _canon(v.__kwdefaults__, depth + 1))
    if isinstance(v, type | types.FunctionType | types.BuiltinFunctionType):
        return ("ref", _class_path(v, local=isinstance(v, types.FunctionType)))
    if isinstance(v, types.ModuleType):
        return ("module", _class_path(v))
    from pytensor.compile.builders import OpFromGraph
    from pytensor.graph.basic import Variable
    from pytensor.graph.fg import FunctionGraph

    cls = type(v)
    # the classes by their MRO: an isinstance check against these ABCs walks every
    # subclass the first time a class is seen (~10 ms over one MMM graph)
    mro = cls.__mro__
    if OpFromGraph in mro:  # an inner graph: its structure, and its settings
        from decide.outcomes.pymc._ops import graph_key

        inner = graph_key(list(v.fgraph.inputs), list(v.fgraph.outputs))
        if inner is None:
            raise _Unkeyable("inner graph")
        fields = [
            (k, _canon(x, depth + 1)) for k, x in sorted(vars(v).items())
            if k != "fgraph" and not k.endswith("_cache") and not k.startswith("_frozen")
        ]  # the caches hold gradient ops derived from the rest
        return ("ofg", _class_path(type(v)), _canon(inner, depth + 1), tuple(fields))

    if Variable in mro or FunctionGraph in mro:  # inner graphs (Composite, OpFromGraph)
        raise _Unkeyable(cls.__name__)
    props = getattr(cls, "__props__", None)
    if props is not None:
        fields = [(p, _canon(getattr(v, p), depth + 1)) for p in props]
    elif isinstance(v, Mapping):  # checked late: an ABC check, costly for a new class
        return _canon_map(v, depth)
    else:  # pytensor's scalar ops compare on their attributes
        state = getattr(v, "__dict__", None)
        if state is None:
            raise _Unkeyable(cls.__name__)
        fields = [(k, _canon(x, depth + 1)) for k, x in sorted(state.items())]
    return ("obj", _class_path(cls), tuple(fields))


def _canon_map(v: Mapping[Any, Any], depth: int) -> Any:
    items = [(_canon(k, depth + 1), _canon(x, depth + 1)) for k, x in v.items()]
    return ("map", tuple(sorted(items, key=repr)))


def _digest(key: Hashable) -> str | None:
    """A stable SHA-256 of the key and the environment, or None (not cached on disk)."""
    try:
        text = repr((_environment(), _canon(key)))
    except (_Unkeyable, RecursionError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def _input_types(key: Hashable) -> list[Any] | None:
    """The input types recorded in a :func:`graph_key` (last element of the cache key)."""
    parts = key[-1] if isinstance(key, tuple) and key else None
    if not isinstance(parts, tuple):
        return None
    return [p[2] for p in parts if isinstance(p, tuple) and p and p[0] == "in"]


def _path(digest: str) -> Path:
    return Path(_config.PYMC_DISK_CACHE_DIR) / f"{digest}.pkl"


def _disk_load(digest: str, key: Hashable) -> Any:
    """The function relinked from its stored rewritten graph, or None (removed if unusable)."""
    path = _path(digest)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        rec = pickle.loads(data)
        if not isinstance(rec, dict) or rec.get("format") != _FORMAT or rec.get("digest") != digest:
            raise ValueError("not a decide compile-cache file")
        want = _input_types(key)
        got = [i.type for i in rec["inputs"]]
        if want is None or len(want) != len(got) or any(a != b for a, b in zip(want, got)):
            raise ValueError("inputs do not match the key")
        fn = _relink(rec)
    except Exception:  # corrupted, truncated or from an incompatible stack: compile again
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # least recently used goes first
    _STATS["disk_hits"] += 1
    return fn


def _function_maker() -> Any:
    try:  # pytensor 3.x
        from pytensor.compile.maker import FunctionMaker
    except ImportError:  # pytensor 2.x
        from pytensor.compile.function.types import FunctionMaker
    return FunctionMaker


def _relink(rec: dict[str, Any]) -> Any:
    """A pytensor ``Function`` on an already rewritten graph (no rewriting pass)."""
    from pytensor.compile.io import In, Out
    from pytensor.compile.mode import get_mode
    from pytensor.graph.destroyhandler import DestroyHandler
    from pytensor.graph.fg import FunctionGraph

    inputs, outputs = list(rec["inputs"]), list(rec["outputs"])
    fgraph = FunctionGraph(inputs, outputs, clone=False)
    fgraph.attach_feature(DestroyHandler())  # as after the rewrites (in-place ops validated)
    maker = _function_maker()(
        [In(i) for i in inputs],
        [Out(o) for o in outputs],
        mode=get_mode(rec["mode"]),
        fgraph=fgraph,
        no_fgraph_prep=True,
        accept_inplace=True,
        on_unused_input="ignore",
    )
    fn = maker.create()
    fn.trust_input = bool(rec["trust_input"])
    return fn


def _disk_store(digest: str, fn: Any, mode: str) -> None:
    """Write the rewritten graph of ``fn`` atomically; failures leave the cache as it was."""
    try:
        from pytensor.graph.fg import FunctionGraph
        from pytensor.graph.utils import Scratchpad

        src = fn.maker.fgraph
        # a clean copy: no features, no tags (stack traces, per-node Python callables)
        fg = FunctionGraph(src.inputs, src.outputs, clone=True)
        for node in fg.apply_nodes:
            node.tag = Scratchpad()
        for var in fg.variables:
            var.tag = Scratchpad()
        rec = {
            "format": _FORMAT,
            "digest": digest,
            "mode": str(mode),
            "inputs": list(fg.inputs),
            "outputs": list(fg.outputs),
            "trust_input": bool(getattr(fn, "trust_input", False)),
        }
        data = pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an op that does not pickle: not cached on disk
        return
    limit = int(_config.PYMC_DISK_CACHE_MAX_BYTES)
    if len(data) > limit:
        return
    directory = Path(_config.PYMC_DISK_CACHE_DIR)
    tmp = None
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(
            dir=directory, prefix=".tmp-", suffix=".pkl", delete=False
        ) as f:
            tmp = f.name
            f.write(data)
        os.replace(tmp, _path(digest))
        tmp = None
        _STATS["disk_writes"] += 1
    except OSError:
        return
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _prune(directory, limit)


def _prune(directory: Path, limit: int) -> None:
    """Remove the least recently used files until the directory holds at most ``limit`` bytes."""
    entries = []
    for path in directory.glob("*.pkl"):
        try:
            st = path.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            path.unlink()
        total -= size
