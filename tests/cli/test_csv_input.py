"""CSV draws written the pandas way: the row index column and text cells are refused clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from decide.cli import main

SPEC = """\
seed = 1
[posterior]
path = "{path}"
{columns}
[space]
kind = "budget"
total = 10.0
[objectives]
neutral = "mean"
"""


def _roi(n=300):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"A": rng.normal(0.9, 0.4, n), "B": rng.normal(0.5, 0.05, n)})


def test_default_to_csv_index_column_is_refused(tmp_path, capsys):
    _roi().to_csv(tmp_path / "roi.csv")  # pandas' default: the index as an unnamed column
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="roi.csv", columns=""))
    assert main(["optimize", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "column 1" in err and "row index" in err and "index=False" in err
    assert not (tmp_path / "o" / "decision.json").exists()
    # naming the action columns reads the same file; the budget goes to A (higher mean), as numpy says
    spec.write_text(SPEC.format(path="roi.csv", columns='columns = ["A", "B"]'))
    assert main(["optimize", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    means = _roi().mean().to_numpy()
    import json

    action = json.loads((tmp_path / "o" / "decision.json").read_text())["action"]
    assert list(action) == ["action[A]", "action[B]"]
    assert action[f"action[{'AB'[int(np.argmax(means))]}]"] > 9.99


def test_text_cell_gives_exit_2_with_file_line_and_column(tmp_path, capsys):
    table = _roi()
    table.to_csv(tmp_path / "roi.csv", index=False)
    lines = (tmp_path / "roi.csv").read_text().splitlines()
    lines[7] = lines[7].split(",")[0] + ",n/a?"  # line 8 of the file, column 2
    (tmp_path / "roi.csv").write_text("\n".join(lines) + "\n")
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="roi.csv", columns=""))
    assert main(["optimize", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "roi.csv, line 8, column 2 ('B')" in err and "'n/a?' is not a number" in err
    assert "unexpected" not in err


def test_outcomes_plot_marks_the_spec_alpha(tmp_path, monkeypatch):
    import decide.plots as plots

    seen = []
    original = plots.plot_outcomes

    def spy(*args, **kwargs):
        seen.append(kwargs.get("alpha"))
        return original(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_outcomes", spy)
    _roi().to_csv(tmp_path / "roi.csv", index=False)
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(path="roi.csv", columns="").replace(
        'neutral = "mean"', 'tail = { measure = "cvar", alpha = 0.2 }\nneutral = "mean"'))
    assert main(["optimize", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert seen == [0.2]
    report = (tmp_path / "o" / "report.md").read_text()
    assert "[decision.json](decision.json)" in report and "![decision" not in report
