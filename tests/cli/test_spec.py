"""Tests of decide/cli/_spec.py: parsing, validation and error messages with lines."""

from __future__ import annotations

import pytest

from decide.cli._spec import MEASURES, SpecError, _measures, load_spec
from decide.measures import CVaR, ExpectedUtility, Mean

GOOD = """\
seed = 3
[posterior]
path = "draws.csv"
[outcome]
kind = "linear"
intercept = 1.0
[space]
kind = "budget"
total = 10.0
upper = [8.0, 8.0]
[objectives]
neutral = "mean"
cautious = { measure = "cvar", alpha = 0.1 }
cara = { measure = "cara", risk_aversion = 0.3 }
[output]
dir = "out"
"""


def write(tmp_path, text):
    p = tmp_path / "spec.toml"
    p.write_text(text)
    return p


def test_good_spec_is_read(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.posterior == tmp_path / "draws.csv" and spec.format == "csv"
    assert spec.seed == 3 and spec.intercept == 1.0 and spec.out_dir == tmp_path / "out"
    assert list(spec.objectives) == ["neutral", "cautious", "cara"]
    assert isinstance(spec.objectives["neutral"], Mean)
    assert isinstance(spec.objectives["cautious"], CVaR) and spec.objectives["cautious"].alpha == 0.1
    assert isinstance(spec.objectives["cara"], ExpectedUtility)
    assert spec.space == {"kind": "budget", "integer": False, "total": 10.0, "lower": 0.0,
                          "upper": [8.0, 8.0], "equality": True}


def test_every_listed_measure_is_registered():
    assert set(MEASURES) == set(_measures())


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('alpha = 0.1', 'alpha = 1.5', 13, ["[objectives] cautious", "(0, 1)", "1.5"]),
        ('"cvar"', '"cvarr"', 13, ["unknown measure", "'cvarr'", "mean_variance"]),
        ('alpha = 0.1', 'beta = 0.1', 13, ["takes ['alpha']", "beta"]),
        ('kind = "budget"', 'kind = "simplex"', 8, ["[space] kind", "'box', 'budget', 'discrete'"]),
        ('total = 10.0', 'total = "ten"', 9, ["[space] total", "a number", "'ten'"]),
        ('intercept = 1.0', 'intercep = 1.0', 6, ["[outcome] intercep", "unknown key", "intercept"]),
        ('"draws.csv"', '"draws.xlsx"', 3, ["[posterior] path", ".xlsx", ".parquet"]),
        ('kind = "linear"', 'kind = "nonlinear"', 5, ["[outcome] kind", "draws"]),
    ],
)
def test_bad_key_names_file_line_key_and_what_is_allowed(tmp_path, old, new, line, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}, line {line}:")
    for w in words:
        assert w in msg


def test_missing_table_and_bad_toml(tmp_path):
    with pytest.raises(SpecError, match=r"\[objectives\] is required"):
        load_spec(write(tmp_path, GOOD.split("[objectives]")[0]))
    with pytest.raises(SpecError, match="not valid TOML.*line 1"):
        load_spec(write(tmp_path, "seed = = 1\n"))


def test_missing_spec_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_spec(tmp_path / "nope.toml")
    assert info.value.filename == str((tmp_path / "nope.toml").resolve())


def test_holdout_out_of_range(tmp_path):
    with pytest.raises(SpecError, match=r"line 18: \[compare\] holdout: must be in \(0, 1\)"):
        load_spec(write(tmp_path, GOOD + "[compare]\nholdout = 1.0\n"))
