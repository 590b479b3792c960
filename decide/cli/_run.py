"""Running a decision spec: read the draws, build the outcome and space, decide, write."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._progress import Progress
from decide.cli._report import decision_record, markdown_table, save_figure, versions, write_json
from decide.cli._spec import Spec, spec_error

__all__ = ["build_outcome", "build_space", "read_table", "run_compare", "run_optimize"]

_SAMPLE_DIMS = ("chain", "draw", "sample")


_NETCDF_HELP = ("reading this NetCDF file needs an HDF5 backend for xarray, which is not installed: "
                "run `pip install netCDF4` (or `pip install h5netcdf h5py`)")


def _open_tree(spec: Spec) -> xr.DataTree | None:
    """The file as a DataTree, or None when it has no groups (a plain NetCDF3 Dataset)."""
    try:
        return xr.open_datatree(spec.posterior)
    except ImportError as exc:
        raise spec_error(spec, "posterior", "path", f"{_NETCDF_HELP} ({exc}).") from None
    except (ValueError, OSError):
        return None


def _netcdf(spec: Spec) -> pd.DataFrame:
    tree = _open_tree(spec)
    if tree is not None and spec.group in tree.children:
        ds = tree[spec.group].to_dataset()
    elif tree is not None and tree.ds.data_vars:
        ds = tree.to_dataset()
    else:
        ds = xr.open_dataset(spec.posterior)
        if not ds.data_vars:
            groups = [] if tree is None else list(tree.children)
            raise spec_error(spec, "posterior", "group", f"no group {spec.group!r} in "
                             f"{spec.posterior}; groups found: {groups}.")
    ds = ds.load()
    if spec.variable is None:
        names = [str(k) for k, v in ds.data_vars.items() if set(v.dims) <= set(_SAMPLE_DIMS)]
        if not names:
            raise spec_error(spec, "posterior", None, "name the `variable` holding the outcome draws "
                             f"(one dim over the actions); variables: {sorted(map(str, ds.data_vars))}.")
        arrays = {k: ds[k].stack(s=[d for d in ds[k].dims]).values for k in names}
        return pd.DataFrame(arrays)
    if spec.variable not in ds:
        raise spec_error(spec, "posterior", "variable", f"no variable {spec.variable!r}; "
                         f"variables: {sorted(map(str, ds.data_vars))}.")
    da = ds[spec.variable]
    other = [d for d in da.dims if d not in _SAMPLE_DIMS]
    if len(other) != 1:
        raise spec_error(spec, "posterior", "variable", f"{spec.variable!r} must have exactly one "
                         f"dim besides {list(_SAMPLE_DIMS)} (the actions); it has dims {list(da.dims)}.")
    samples = [d for d in da.dims if d in _SAMPLE_DIMS]
    flat = da.stack(s=samples).transpose("s", other[0])
    labels = [str(v) for v in flat[other[0]].values]
    return pd.DataFrame(flat.values, columns=pd.Index(labels, name=other[0]))


def read_table(spec: Spec) -> pd.DataFrame:
    """The draws as a DataFrame: one row per posterior sample, one column per action (element)."""
    if not spec.posterior.is_file():
        raise FileNotFoundError(2, "posterior file not found", str(spec.posterior.resolve()))
    if spec.format == "parquet":
        if importlib.util.find_spec("pyarrow") is None:
            raise spec_error(spec, "posterior", "path", "reading Parquet needs pyarrow, which is not "
                             "installed: run `pip install \"bayes-decide[parquet]\"` (or save the draws as CSV).")
        table = pd.read_parquet(spec.posterior)
    elif spec.format == "csv":
        table = pd.read_csv(spec.posterior)
    else:
        table = _netcdf(spec)
    if spec.columns is not None:
        missing = [c for c in spec.columns if c not in table.columns]
        if missing:
            raise spec_error(spec, "posterior", "columns", f"{missing} not in {spec.posterior}; "
                             f"columns: {list(map(str, table.columns))}.")
        table = table[spec.columns]
    _check_headers(spec, table)
    _check_numeric(spec, table)
    table.columns = [str(c) for c in table.columns]
    return table


def _check_headers(spec: Spec, table: pd.DataFrame) -> None:
    """Refuse columns without a header: pandas' ``to_csv()`` writes its row index as one."""
    unnamed = [j for j, c in enumerate(table.columns) if str(c).startswith("Unnamed: ")]
    if not unnamed:
        return
    j = unnamed[0]
    col = table.iloc[:, j]
    looks_like_index = bool(
        pd.api.types.is_integer_dtype(col.dtype) and np.array_equal(col.to_numpy(), np.arange(len(col)))
    )
    what = ("holds 0, 1, 2, ...: it is the row index that pandas' DataFrame.to_csv() writes by "
            "default, not an action" if looks_like_index else "has no header, so it names no action")
    raise spec_error(spec, "posterior", "path", f"{spec.posterior}: column {j + 1} {what}. Write "
                     "the file with to_csv(index=False), or list the action columns in [posterior] "
                     f"columns = [...]; columns: {list(map(str, table.columns))}.")


def _check_numeric(spec: Spec, table: pd.DataFrame) -> None:
    """Every column numeric; else name the file, the line and the column of the first text cell."""
    if table.empty:
        raise spec_error(spec, "posterior", "path", f"{spec.posterior} must hold numeric draws, one "
                         "row per sample; it has no rows.")
    for j, c in enumerate(table.columns):
        col = table[c]
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            continue
        coerced = pd.to_numeric(col, errors="coerce")
        bad = np.flatnonzero(coerced.isna().to_numpy() & col.notna().to_numpy())
        i = int(bad[0]) if bad.size else 0
        where = (f"line {i + 2}" if spec.format == "csv" else f"row {i + 1}")
        raise spec_error(spec, "posterior", "path", f"{spec.posterior}, {where}, column {j + 1} "
                         f"({c!r}): {col.iloc[i]!r} is not a number; the draws must be numeric, one "
                         "row per posterior sample (line 1 is the header).")


def build_outcome(spec: Spec, table: pd.DataFrame) -> Any:
    """``linear`` (scenarios @ action + intercept) or ``from_draws`` (one option per column)."""
    from decide.outcomes import from_draws, linear

    if spec.kind == "draws":
        return from_draws({c: table[c].to_numpy(float) + spec.intercept for c in table.columns})
    return linear(table.to_numpy(float), spec.intercept, coords=list(table.columns))


def build_space(spec: Spec, outcome: Any) -> Any:
    """The action space of the spec (``Budget``, ``Box`` or ``Discrete``, optionally ``Integer``)."""
    from decide.optimization import Box, Budget, Discrete, Integer

    s = dict(spec.space)
    if s["kind"] == "discrete":
        options = s.get("options")
        if spec.kind == "draws":
            if isinstance(options, dict):
                raise spec_error(spec, "space", "options", 'with [outcome] kind = "draws" the options '
                                 "are a list of column names.")
            return Discrete(options)
        if not isinstance(options, dict):
            raise spec_error(spec, "space", "options", 'with kind = "linear" give a table '
                             "name = [one value per action element].")
        return Discrete({k: np.asarray(v, float) for k, v in options.items()})
    if spec.kind == "draws":
        raise spec_error(spec, "space", "kind", 'with [outcome] kind = "draws" (one option per '
                         'column) the space must be kind = "discrete".')
    space: Budget | Box
    if s["kind"] == "budget":
        space = Budget(s["total"], lower=s["lower"], upper=s["upper"], equality=s["equality"])
    else:
        space = Box(s["lower"], s["upper"])
    return Integer(space) if s["integer"] else space


def _setup(spec: Spec, out_dir: Path | None, random_seed: int | None) -> tuple[Any, Any, Path, int]:
    table = read_table(spec)
    outcome = build_outcome(spec, table)
    space = build_space(spec, outcome)
    out = Path(out_dir) if out_dir is not None else spec.out_dir
    out.mkdir(parents=True, exist_ok=True)
    return outcome, space, out, spec.seed if random_seed is None else random_seed


def _compare(spec: Spec, outcome: Any, space: Any, seed: int, quiet: bool) -> pd.DataFrame:
    from decide.policies import compare

    policies = dict(spec.objectives)
    for name, action in spec.fixed.items():
        policies[str(name)] = action if isinstance(action, str) else np.asarray(action, float)
    with Progress(1, f"comparing {len(policies)} policies", enabled=not quiet) as bar:
        table = compare(outcome, policies, space=space, holdout=spec.holdout, random_seed=seed)
        bar.update()
    return table


def _spec_alpha(spec: Spec) -> float:
    """The tail probability the plot marks: that of the first objective with one, else 0.05."""
    for objective in spec.objectives.values():
        alpha = getattr(objective, "alpha", None)
        if isinstance(alpha, float | int) and 0 < alpha < 1:
            return float(alpha)
    return 0.05


def _outcome_plot(table: pd.DataFrame, outcome: Any, out: Path, alpha: float = 0.05) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from decide.plots import plot_outcomes

    fig, _ = plot_outcomes(table, outcome=outcome, alpha=alpha)
    return save_figure(fig, out / "outcomes.png")


def _show(table: pd.DataFrame, quiet: bool) -> None:
    if quiet:
        return
    cols = [c for c in table.columns if c in table.attrs.get("action_columns", [])]
    cols += ["mean", "sd", "cvar_5", "prob_loss", "regret", "optimism", "held_out"]
    with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
        print(table[cols].to_string())
    for note in table.attrs.get("notes", []):
        print(f"note: {note}")


def run_compare(spec: Spec, *, out_dir: Path | None = None, random_seed: int | None = None,
                quiet: bool = False) -> dict[str, Any]:
    """Compare the spec's objectives (and fixed actions); write ``comparison.csv`` and a plot."""
    outcome, space, out, seed = _setup(spec, out_dir, random_seed)
    table = _compare(spec, outcome, space, seed, quiet)
    table.to_csv(out / "comparison.csv")
    files = {"comparison": out / "comparison.csv",
             "outcomes": _outcome_plot(table, outcome, out, _spec_alpha(spec))}
    _show(table, quiet)
    if not quiet:
        print(f"wrote {', '.join(p.name for p in files.values())} to {out}/")
    return {"table": table, "files": files}


def run_optimize(spec: Spec, *, out_dir: Path | None = None, random_seed: int | None = None,
                 quiet: bool = False) -> dict[str, Any]:
    """Optimize the spec's first objective; write ``decision.json``, the table, plots, report."""
    from decide.optimization import optimize

    outcome, space, out, seed = _setup(spec, out_dir, random_seed)
    name, objective = next(iter(spec.objectives.items()))
    decision = optimize(outcome, objective, space=space, random_seed=seed,
                        subject_to=list(spec.constraints.values()) or None)
    labels = list(outcome.action_space.labels)
    record = {"objective_name": name, **decision_record(decision, labels),
              "spec": spec.path.resolve(), "posterior": spec.posterior.resolve(),
              "n_samples": outcome.n_samples, "random_seed": seed, "versions": versions()}
    files = {"decision": write_json(out / "decision.json", record)}
    table = _compare(spec, outcome, space, seed, quiet)
    table.to_csv(out / "comparison.csv")
    files["comparison"] = out / "comparison.csv"
    files["outcomes"] = _outcome_plot(table, outcome, out, _spec_alpha(spec))
    shown = ", ".join(f"{k} = {v:.4g}" for k, v in record["action"].items())
    report = [f"# Decision from {spec.path.name}", "",
              f"Objective **{name}** ({record['objective']}): value {decision.value:.4g}.", "",
              f"Action: {decision.option or shown}", "", "## Policies (held-out draws)", "",
              markdown_table(table.drop(columns=["objective"], errors="ignore")
                             .select_dtypes(include=["number", "bool"])), "",
              "![outcomes](outcomes.png)", "",
              "Data: [decision.json](decision.json), [comparison.csv](comparison.csv).", ""]
    files["report"] = out / "report.md"
    files["report"].write_text("\n".join(report), encoding="utf-8")
    if not quiet:
        print(decision)
        _show(table, quiet)
        print(f"wrote {', '.join(p.name for p in files.values())} to {out}/")
    return {"decision": decision, "table": table, "files": files, "record": record}
