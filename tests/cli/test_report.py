"""Tests of decide/cli/_report.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from decide.cli._report import decision_record, markdown_table, versions, write_json
from decide.measures import Mean
from decide.optimization import Budget, optimize
from decide.outcomes import linear


def test_write_json_converts_numpy_and_nan(tmp_path):
    path = write_json(tmp_path / "x.json", {"a": np.float64(1.5), "b": np.arange(2), "c": math.nan})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1], "c": None}


def test_markdown_table_rows_and_numbers():
    t = pd.DataFrame({"x": [1.0, 2.5], "ok": [True, False], "tiny": [5.6e-16, np.nan]}, index=pd.Index(["a", "b|c"], name="p"))
    lines = markdown_table(t, digits=3).splitlines()
    assert lines[0] == "| p | x | ok | tiny |"
    assert lines[2] == "| a | 1 | yes | 0 |"
    assert lines[3] == "| b\\|c | 2.5 | no |  |"


def test_decision_record_matches_the_decision():
    R = np.random.default_rng(0).normal([0.05, 0.02], [0.2, 0.05], size=(300, 2))
    d = optimize(linear(R), Mean(), Budget(1.0))
    rec = decision_record(d, ["x", "y"])
    assert rec["action"]["x"] == d.flat_action[0]
    # the mean at the action, computed independently from the scenarios
    assert np.isclose(rec["summary"]["mean"], float(np.mean(R @ d.flat_action)))
    assert rec["diagnostics"]["converged"] is True
    json.dumps(rec)


def test_versions_names_the_stack():
    v = versions()
    assert v["numpy"] == np.__version__ and v["python"].count(".") == 2
