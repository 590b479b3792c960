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
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from decide import _config

__all__ = ["cache_clear", "cache_info", "cached_compile"]

_CACHE: OrderedDict[Hashable, Any] = OrderedDict()
_STATS = {"hits": 0, "misses": 0}


def cached_compile(key: Hashable | None, build: Callable[[], Any]) -> Any:
    """The compiled function stored under ``key``, or ``build()`` stored there.

    ``key=None`` (a graph that cannot be keyed) always builds and stores nothing.
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
    fn = build()
    if key is not None and size > 0:
        _CACHE[key] = fn
        while len(_CACHE) > size:
            _CACHE.popitem(last=False)
    return fn


def cache_info() -> dict[str, int]:
    """Hits, misses, current size and capacity of the compile cache."""
    return {**_STATS, "size": len(_CACHE), "capacity": int(_config.PYMC_COMPILE_CACHE_SIZE)}


def cache_clear() -> None:
    """Drop every compiled function and reset the counters."""
    _CACHE.clear()
    _STATS["hits"] = _STATS["misses"] = 0
