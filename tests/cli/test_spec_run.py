"""Tests of decide/cli/_run.py and the optimize / compare commands on spec files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.cli import main
from decide.cli._spec import load_spec


def _cvar(x, alpha):
    """Mean of the worst ceil(alpha * n) draws (independent of decide)."""
    x = np.sort(x)
    return float(x[: int(np.ceil(alpha * x.size))].mean())


@pytest.fixture
def roi(tmp_path):
    rng = np.random.default_rng(0)
    R = np.column_stack([rng.normal(0.9, 0.4, 2000), rng.normal(0.5, 0.05, 2000)])
    pd.DataFrame(R, columns=["A", "B"]).to_csv(tmp_path / "roi.csv", index=False)
    return R


SPEC = """\
seed = 1
[posterior]
path = "{path}"
[space]
kind = "budget"
total = 10.0
[objectives]
{objectives}
[compare]
fixed = {{ equal = [5.0, 5.0] }}
"""


def test_optimize_writes_the_decision_json_and_matches_brute_force(tmp_path, roi, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="roi.csv", objectives='tail = { measure = "cvar", alpha = 0.1 }\n'
                                "neutral = 'mean'"))
    assert main(["optimize", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    rec = json.loads((tmp_path / "o" / "decision.json").read_text())
    a = np.array(list(rec["action"].values()))
    assert np.isclose(a.sum(), 10.0, atol=1e-6)
    # brute force over a fine grid of budget splits
    grid = np.linspace(0, 10, 1001)
    scores = [_cvar(roi @ np.array([g, 10 - g]), 0.1) for g in grid]
    assert abs(a[0] - grid[int(np.argmax(scores))]) < 0.1
    assert rec["value"] >= max(scores) - 1e-3
    assert rec["objective_name"] == "tail" and rec["versions"]["numpy"] == np.__version__
    table = pd.read_csv(tmp_path / "o" / "comparison.csv", index_col=0)
    assert list(table.index) == ["tail", "neutral", "equal"]
    assert table.loc["neutral", "action[A]"] == pytest.approx(10.0, abs=1e-5)
    for name in ("outcomes.png", "report.md"):
        assert (tmp_path / "o" / name).stat().st_size > 0
    assert capsys.readouterr().out == ""


def test_compare_on_netcdf_draws_of_options(tmp_path, capsys):
    rng = np.random.default_rng(1)
    arms = xr.DataArray(np.stack([rng.normal(0.10, 0.01, (2, 500)), rng.normal(0.12, 0.06, (2, 500))], -1),
                        dims=("chain", "draw", "arm"), coords={"arm": ["control", "variant"]})
    xr.Dataset({"conversion": arms}).to_netcdf(tmp_path / "post.nc", engine="scipy")
    spec = tmp_path / "s.toml"
    spec.write_text('[posterior]\npath = "post.nc"\nvariable = "conversion"\n[outcome]\nkind = "draws"\n'
                    '[space]\nkind = "discrete"\n[objectives]\nneutral = "mean"\n'
                    'safe = { measure = "cvar", alpha = 0.05 }\n[output]\ndir = "res"\n')
    assert main(["compare", str(spec)]) == 0
    table = pd.read_csv(tmp_path / "res" / "comparison.csv", index_col=0)
    # independent: the variant has the higher mean, the control the higher 5% tail
    flat = arms.values.reshape(-1, 2)
    best_mean = int(np.argmax(flat.mean(0)))
    best_tail = int(np.argmax([_cvar(flat[:, j], 0.05) for j in range(2)]))
    assert (best_mean, best_tail) == (1, 0)
    assert table.loc["neutral", "action[variant]"] == 1 and table.loc["safe", "action[control]"] == 1
    assert "neutral" in capsys.readouterr().out


def test_variable_with_two_action_dims_is_rejected(tmp_path):
    da = xr.DataArray(np.zeros((1, 4, 2, 2)), dims=("chain", "draw", "x", "y"))
    xr.Dataset({"v": da}).to_netcdf(tmp_path / "p.nc", engine="scipy")
    spec = tmp_path / "s.toml"
    spec.write_text('[posterior]\npath = "p.nc"\nvariable = "v"\n[space]\nkind = "box"\n'
                    "lower = 0.0\nupper = 1.0\n[objectives]\nm = 'mean'\n")
    from decide.cli._run import read_table
    from decide.cli._spec import SpecError

    with pytest.raises(SpecError, match="line 3.*exactly one dim"):
        read_table(load_spec(spec))


def test_draws_outcome_needs_a_discrete_space(tmp_path, roi, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="roi.csv", objectives="m = 'mean'").replace(
        "[space]", '[outcome]\nkind = "draws"\n[space]'))
    assert main(["compare", str(spec), "--quiet"]) == 2
    assert 'kind = "discrete"' in capsys.readouterr().err


def test_parquet_without_pyarrow_names_the_package(tmp_path, roi, capsys):
    pytest.importorskip("pandas")
    import importlib.util

    if importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow is installed")
    (tmp_path / "roi.parquet").write_bytes(b"PAR1")
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="roi.parquet", objectives="m = 'mean'"))
    assert main(["optimize", str(spec)]) == 2
    assert "bayes-decide[parquet]" in capsys.readouterr().err


def test_missing_posterior_file_names_the_path(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="gone.csv", objectives="m = 'mean'"))
    assert main(["optimize", str(spec)]) == 2
    assert str(tmp_path / "gone.csv") in capsys.readouterr().err


def test_optimize_reads_a_grouped_netcdf_posterior(tmp_path):
    """An InferenceData / DataTree file: the [posterior] group and its variable are read."""
    import importlib.util

    if importlib.util.find_spec("netCDF4") is None and importlib.util.find_spec("h5py") is None:
        pytest.skip("no HDF5 backend for xarray (netCDF4 or h5py)")
    rng = np.random.default_rng(2)
    R = np.stack([rng.normal(0.9, 0.4, (2, 500)), rng.normal(0.5, 0.05, (2, 500))], -1)
    roi = xr.DataArray(R, dims=("chain", "draw", "channel"), coords={"channel": ["A", "B"]})
    xr.DataTree.from_dict({
        "posterior": xr.Dataset({"roi": roi, "sigma": (("chain", "draw"), rng.random((2, 500)))}),
        "observed_data": xr.Dataset({"y": ("obs", np.zeros(3))}),
    }).to_netcdf(tmp_path / "idata.nc")
    spec = tmp_path / "s.toml"
    spec.write_text('[posterior]\npath = "idata.nc"\nvariable = "roi"\n[space]\nkind = "budget"\n'
                    'total = 10.0\n[objectives]\nneutral = "mean"\n')
    assert main(["optimize", str(spec), "--quiet"]) == 0
    rec = json.loads((tmp_path / "decision-out" / "decision.json").read_text())
    # independent: the risk-neutral budget goes to the channel with the higher mean return
    best = ["A", "B"][int(np.argmax(R.reshape(-1, 2).mean(0)))]
    assert rec["action"][f"action[{best}]"] == pytest.approx(10.0, abs=1e-5)
    assert rec["n_samples"] == 1000


def test_constraints_table_bounds_the_decision(tmp_path, roi):
    # max mean s.t. CVaR_10% >= floor over the budget: the floor binds; brute force on a grid
    floor = 3.0
    spec = tmp_path / "c.toml"
    text = SPEC.format(path="roi.csv", objectives="neutral = 'mean'")
    text += f'[constraints]\ntail = {{ measure = "cvar", alpha = 0.1, min = {floor} }}\n'
    spec.write_text(text)
    assert load_spec(spec).constraints["tail"].bound == floor
    assert main(["optimize", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    rec = json.loads((tmp_path / "o" / "decision.json").read_text())
    a = np.array(list(rec["action"].values()))
    grid = np.linspace(0, 10, 2001)
    ok = [g for g in grid if _cvar(roi @ np.array([g, 10 - g]), 0.1) >= floor]
    best = max(ok, key=lambda g: float(np.mean(roi @ np.array([g, 10 - g]))))
    assert abs(a[0] - best) < 0.01
    (row,) = rec["constraints"]
    assert row["constraint"] == "CVaR(alpha=0.1) >= 3" and row["binding"] and row["satisfied"]


def test_bad_constraints_name_the_key(tmp_path, roi):
    spec = tmp_path / "c.toml"
    base = SPEC.format(path="roi.csv", objectives="neutral = 'mean'")
    spec.write_text(base + '[constraints]\ntail = { measure = "cvar", alpha = 0.1 }\n')
    with pytest.raises(ValueError, match=r"\[constraints\] tail.*min = <number>"):
        load_spec(spec)
    spec.write_text(base + '[constraints]\nloss = { measure = "prob_shortfall", max = 2.0 }\n')
    with pytest.raises(ValueError, match=r"\[constraints\] loss.*\(0, 1\)"):
        load_spec(spec)
    spec.write_text(base + '[constraints]\ntail = { measure = "cvar", alpha = 0.1, min = "x" }\n')
    with pytest.raises(ValueError, match="min must be a finite number"):
        load_spec(spec)
