"""The hypothesis settings of a check's search, and its isolation from imported modules.

Three layers are merged, later ones winning, setting by setting:

1. the check's defaults (:data:`CHECK_DEFAULTS`): 100 examples, ``derandomize=True``
   (the same examples on every run), no example database, no deadline, and
   hypothesis's shrink phase replaced by the check's own shrinking (fewest
   draws first, then simpler values: fast on long arrays);
2. the active hypothesis profile (``settings.register_profile`` /
   ``settings.load_profile``): each setting it changes from hypothesis's own
   ``"default"`` profile;
3. the ``settings=`` object given to the check: each setting it changes from
   the active profile (the parent it was built on);

and the check's ``max_examples=`` argument, when given, wins over all three.
Health checks suppressed by any layer stay suppressed. Phases that a layer
sets (different from hypothesis's default, e.g. without ``Phase.explain``)
apply as given, so ``settings(phases=[Phase.generate, Phase.shrink])`` brings
hypothesis's shrinker back. A layer that sets an
example database turns ``derandomize`` off (hypothesis forbids both), so
failures are saved and replayed there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from decide.errors import DecideTypeError, DecideValueError

#: The check's own defaults (layer 1 above).
CHECK_DEFAULTS: dict[str, Any] = {
    "max_examples": 100,
    "derandomize": True,
    "database": None,
    "deadline": None,
    "report_multiple_bugs": False,
}
_NAMES = ("max_examples", "derandomize", "database", "deadline", "verbosity", "phases",
          "stateful_step_count", "report_multiple_bugs", "print_blob", "backend")


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except Exception:  # pragma: no cover - exotic database objects
        return a is not b


def check_settings(max_examples: int | None, settings: Any) -> Any:
    """The merged settings of one search (see the module docstring).

    Parameters
    ----------
    max_examples : int or None
        The check's ``max_examples`` argument; wins when given.
    settings : hypothesis.settings or None
        The check's ``settings`` argument.

    Returns
    -------
    hypothesis.settings
    """
    from hypothesis import HealthCheck, Phase
    from hypothesis import settings as hsettings

    if settings is not None and not isinstance(settings, hsettings):
        raise DecideTypeError(
            f"settings must be a hypothesis.settings object or None; got {type(settings).__name__}."
        )
    if max_examples is not None and (
        isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1
    ):
        raise DecideValueError(f"max_examples must be an int >= 1; got {max_examples!r}.")
    kw = dict(CHECK_DEFAULTS)
    suppress = {HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large}
    base = hsettings.get_profile("default")
    active = hsettings.default
    for layer, parent in ((active, base), (settings, active)):
        if layer is None or layer is parent:
            continue
        for name in _NAMES:
            if hasattr(layer, name) and _differs(getattr(layer, name), getattr(parent, name)):
                kw[name] = getattr(layer, name)
        suppress |= set(layer.suppress_health_check)
    if kw["database"] is not None:
        kw["derandomize"] = False
    if max_examples is not None:
        kw["max_examples"] = int(max_examples)
    kw = {k: v for k, v in kw.items() if k in _NAMES}
    if "phases" not in kw:
        # the check shrinks failures itself (decide.testing._shrink): fewest draws first,
        # then simpler values; hypothesis's shrinker spends seconds on long arrays
        kw["phases"] = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
    return hsettings(parent=base, suppress_health_check=sorted(suppress, key=lambda h: h.value),
                     **kw)


@contextlib.contextmanager
def no_module_constants() -> Iterator[None]:
    """Keep hypothesis from drawing literals of the user's imported modules.

    Recent hypothesis versions seed part of their search with the numbers
    written in the modules loaded in the process, so the examples of a check
    (even derandomized) would change with what else is imported. Inside this
    context the checks see hypothesis's global constants only. A no-op on
    versions without that feature.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        yield
        return
    getter = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    constants_cls = getattr(providers, "Constants", None)
    if getter is None or constants_cls is None:  # pragma: no cover
        yield
        return
    empty = constants_cls()
    providers._get_local_constants = lambda: empty
    if cache is not None:
        cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = getter
        if cache is not None:
            cache.cache.clear()
