"""Decision specs (TOML) for ``decide optimize`` and ``decide compare``.

A spec names the posterior draws, how they become outcomes, the action space,
the objectives and the output folder. Every problem is reported as a
:class:`SpecError` that names the file, the line (where it can be found), the
key, what is allowed and the value received.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decide.errors import DecideError, DecideValueError

__all__ = ["MEASURES", "Spec", "SpecError", "load_spec"]


class SpecError(DecideValueError):
    """A decision spec is invalid; the message names the file, line and key."""


def _measures() -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """Measure name -> (factory, parameters with their defaults; ``...`` = required)."""
    from decide import measures as m

    req = ...
    return {
        "mean": (m.Mean, {}),
        "cvar": (m.CVaR, {"alpha": req}),
        "var": (m.VaR, {"alpha": req}),
        "evar": (m.EVaR, {"alpha": req}),
        "worst_case": (m.WorstCase, {}),
        "entropic": (m.EntropicRisk, {"theta": req}),
        "mean_variance": (m.MeanVariance, {"risk_aversion": req}),
        "mean_cvar": (m.MeanCVaR, {"risk_aversion": req, "alpha": req}),
        "variance": (m.Variance, {}),
        "std": (m.StdDev, {}),
        "sharpe": (m.Sharpe, {"risk_free": 0.0}),
        "sortino": (m.Sortino, {"target": 0.0}),
        "prob_shortfall": (m.ProbabilityOfShortfall, {"threshold": 0.0}),
        "expected_shortfall_below": (m.ExpectedShortfallBelow, {"threshold": 0.0}),
        "cara": (lambda risk_aversion: m.ExpectedUtility(m.Exponential(risk_aversion)),
                 {"risk_aversion": req}),
        "cara_ce": (lambda risk_aversion: m.CertaintyEquivalent(m.Exponential(risk_aversion)),
                    {"risk_aversion": req}),
        "crra": (lambda risk_aversion: m.ExpectedUtility(m.Power(risk_aversion)),
                 {"risk_aversion": req}),
        "log": (lambda: m.ExpectedUtility(m.Log()), {}),
    }


MEASURES = (
    "mean", "cvar", "var", "evar", "worst_case", "entropic", "mean_variance", "mean_cvar",
    "variance", "std", "sharpe", "sortino", "prob_shortfall", "expected_shortfall_below",
    "cara", "cara_ce", "crra", "log",
)
_FORMATS = {".nc": "netcdf", ".netcdf": "netcdf", ".nc4": "netcdf", ".csv": "csv",
            ".parquet": "parquet", ".pq": "parquet"}
_TOP = {"seed", "posterior", "outcome", "space", "objectives", "constraints", "compare", "output"}


@dataclass
class Spec:
    """A validated decision spec (paths resolved against the spec's folder)."""

    path: Path
    posterior: Path
    format: str
    group: str = "posterior"
    variable: str | None = None
    columns: list[str] | None = None
    kind: str = "linear"
    intercept: float = 0.0
    space: dict[str, Any] = field(default_factory=dict)
    objectives: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    holdout: float = 0.5
    seed: int = 0
    out_dir: Path = Path("decision-out")
    #: Constraints on outcomes (``[constraints]``), as :class:`~decide.measures.OutcomeConstraint`.
    constraints: dict[str, Any] = field(default_factory=dict)


class _Ctx:
    """The spec's text, to point errors at a line."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line(self, table: str, key: str | None) -> int | None:
        current = ""
        for i, raw in enumerate(self.lines, start=1):
            s = raw.split("#", 1)[0].strip()
            head = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", s)
            if head:
                current = head.group(1)
                if key is None and current == table:
                    return i
                continue
            if key is not None and current == table and re.match(rf'"?{re.escape(key)}"?\s*=', s):
                return i
        return None

    def error(self, table: str, key: str | None, message: str) -> SpecError:
        line = self.line(table, key)
        where = f"{self.path}" + (f", line {line}" if line else "")
        name = f"[{table}] {key}" if key and table else (f"[{table}]" if table else str(key))
        return SpecError(f"{where}: {name}: {message}")


def _get(ctx: _Ctx, d: dict[str, Any], table: str, key: str, kinds: tuple[type, ...],
         default: Any = ..., what: str = "") -> Any:
    if key not in d:
        if default is ...:
            raise ctx.error(table, None, f"the key {key!r} is required ({what}).")
        return default
    v = d[key]
    if not isinstance(v, kinds) or (isinstance(v, bool) and bool not in kinds):
        raise ctx.error(table, key, f"must be {what}; got {v!r}.")
    return v


def _unknown(ctx: _Ctx, d: dict[str, Any], table: str, allowed: set[str]) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise ctx.error(table, extra[0], f"unknown key; allowed keys are {sorted(allowed)}.")


def _objective(ctx: _Ctx, name: str, value: Any, table: str = "objectives") -> Any:
    if isinstance(value, str):
        value = {"measure": value}
    if not isinstance(value, dict) or not isinstance(value.get("measure"), str):
        raise ctx.error(table, name, "must be a measure name or a table "
                        f"{{ measure = ..., <parameters> }}; measures: {list(MEASURES)}; got {value!r}.")
    registry = _measures()
    measure = value["measure"].lower()
    if measure not in registry:
        raise ctx.error(table, name, f"unknown measure {value['measure']!r}; allowed: {list(MEASURES)}.")
    factory, params = registry[measure]
    given = {k: v for k, v in value.items() if k != "measure"}
    extra = sorted(set(given) - set(params))
    if extra:
        raise ctx.error(table, name, f"measure {measure!r} takes {sorted(params) or 'no parameters'}; "
                        f"got unknown {extra}.")
    missing = [k for k, d in params.items() if d is ... and k not in given]
    if missing:
        raise ctx.error(table, name, f"measure {measure!r} needs {missing}.")
    for k, v in given.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ctx.error(table, name, f"{k} must be a finite number; got {v!r}.")
    try:
        return factory(**{k: given.get(k, d) for k, d in params.items()})
    except DecideError as exc:
        raise ctx.error(table, name, str(exc)) from None


def _constraints(ctx: _Ctx, d: Any) -> dict[str, Any]:
    """``[constraints]``: ``name = { measure = ..., <parameters>, min = ..., max = ... }``.

    ``min`` makes ``measure >= min``, ``max`` makes ``measure <= max`` (both: two
    constraints, named ``name.min`` and ``name.max``); the measure is compared on its
    conventional value (``prob_shortfall`` is the probability, ``variance`` the variance).
    """
    if not isinstance(d, dict):
        raise ctx.error("constraints", None, "must be a table name = { measure = ..., min = ... }.")
    out: dict[str, Any] = {}
    for name, value in d.items():
        if not isinstance(value, dict):
            raise ctx.error("constraints", name, "must be a table { measure = ..., <parameters>, "
                            f"min = ... and/or max = ... }}; got {value!r}.")
        bounds = {k: value[k] for k in ("min", "max") if k in value}
        if not bounds:
            raise ctx.error("constraints", name, "give min = <number> (measure >= min) and/or "
                            "max = <number> (measure <= max).")
        measure = _objective(ctx, str(name), {k: v for k, v in value.items() if k not in bounds},
                             table="constraints")
        for key, bound in bounds.items():
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
                raise ctx.error("constraints", name, f"{key} must be a finite number; got {bound!r}.")
            label = str(name) if len(bounds) == 1 else f"{name}.{key}"
            try:
                out[label] = measure >= bound if key == "min" else measure <= bound
            except DecideError as exc:
                raise ctx.error("constraints", name, str(exc)) from None
    return out


def _space(ctx: _Ctx, d: dict[str, Any]) -> dict[str, Any]:
    kinds = {"budget": {"total", "lower", "upper", "equality"}, "box": {"lower", "upper"},
             "discrete": {"options"}}
    kind = _get(ctx, d, "space", "kind", (str,), what=f"one of {sorted(kinds)}")
    if kind not in kinds:
        raise ctx.error("space", "kind", f"must be one of {sorted(kinds)}; got {kind!r}.")
    _unknown(ctx, d, "space", kinds[kind] | {"kind", "integer"})
    num = (int, float)
    out: dict[str, Any] = {"kind": kind, "integer": _get(ctx, d, "space", "integer", (bool,), False,
                                                         "true or false")}
    bound = (*num, list)
    if kind == "budget":
        out["total"] = _get(ctx, d, "space", "total", num, what="a number (the budget)")
        out["lower"] = _get(ctx, d, "space", "lower", bound, 0.0, "a number or a list of numbers")
        out["upper"] = _get(ctx, d, "space", "upper", bound, None, "a number or a list of numbers")
        out["equality"] = _get(ctx, d, "space", "equality", (bool,), True, "true or false")
    elif kind == "box":
        out["lower"] = _get(ctx, d, "space", "lower", bound, what="a number or a list of numbers")
        out["upper"] = _get(ctx, d, "space", "upper", bound, what="a number or a list of numbers")
    else:
        out["options"] = _get(ctx, d, "space", "options", (list, dict), None,
                              "a list of option names or a table name = [action values]")
    return out


def load_spec(path: str | Path) -> Spec:
    """Read and validate a decision spec.

    Parameters
    ----------
    path : str or Path
        The TOML file.

    Returns
    -------
    Spec

    Raises
    ------
    FileNotFoundError
        If the spec file does not exist.
    SpecError
        If the TOML does not parse or a key is missing, unknown or out of range
        (the message names the file, line and key, and what is allowed).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "decision spec not found", str(path.resolve()))
    text = path.read_text(encoding="utf-8")
    ctx = _Ctx(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}.") from None
    _unknown(ctx, data, "", _TOP)
    for table in ("posterior", "space", "objectives"):
        if not isinstance(data.get(table), dict):
            raise SpecError(f"{path}: the table [{table}] is required (see `decide optimize --help`).")
    post = data["posterior"]
    _unknown(ctx, post, "posterior", {"path", "group", "variable", "columns"})
    file = Path(_get(ctx, post, "posterior", "path", (str,), what="a file path (.nc, .csv, .parquet)"))
    fmt = _FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise ctx.error("posterior", "path", f"unknown file type {file.suffix!r}; allowed: {sorted(_FORMATS)}.")
    base = path.parent
    outcome = data.get("outcome", {})
    _unknown(ctx, outcome, "outcome", {"kind", "intercept"})
    kind = _get(ctx, outcome, "outcome", "kind", (str,), "linear", '"linear" or "draws"')
    if kind not in ("linear", "draws"):
        raise ctx.error("outcome", "kind", f'must be "linear" or "draws"; got {kind!r}.')
    objectives = {str(k): _objective(ctx, str(k), v) for k, v in data["objectives"].items()}
    if not objectives:
        raise ctx.error("objectives", None, f"name at least one objective; measures: {list(MEASURES)}.")
    cmp = data.get("compare", {})
    _unknown(ctx, cmp, "compare", {"holdout", "fixed"})
    holdout = float(_get(ctx, cmp, "compare", "holdout", (int, float), 0.5, "a number in (0, 1)"))
    if not 0.0 < holdout < 1.0:
        raise ctx.error("compare", "holdout", f"must be in (0, 1); got {holdout}.")
    output = data.get("output", {})
    _unknown(ctx, output, "output", {"dir"})
    out_dir = Path(_get(ctx, output, "output", "dir", (str,), "decision-out", "a folder path"))
    columns = _get(ctx, post, "posterior", "columns", (list,), None, "a list of column names")
    return Spec(
        path=path, posterior=(base / file), format=fmt,
        group=_get(ctx, post, "posterior", "group", (str,), "posterior", "a group name"),
        variable=_get(ctx, post, "posterior", "variable", (str,), None, "a variable name"),
        columns=None if columns is None else [str(c) for c in columns],
        kind=kind,
        intercept=float(_get(ctx, outcome, "outcome", "intercept", (int, float), 0.0, "a number")),
        space=_space(ctx, data["space"]), objectives=objectives,
        fixed=_get(ctx, cmp, "compare", "fixed", (dict,), {}, "a table name = action"),
        holdout=holdout, seed=int(_get(ctx, data, "", "seed", (int,), 0, "an integer")),
        out_dir=base / out_dir, constraints=_constraints(ctx, data.get("constraints", {})),
    )


def spec_error(spec: Spec, table: str, key: str | None, message: str) -> SpecError:
    """A :class:`SpecError` pointing at ``[table] key`` of ``spec``'s file."""
    return _Ctx(spec.path, spec.path.read_text(encoding="utf-8")).error(table, key, message)
