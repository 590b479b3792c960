"""The table of docs/properties.md is the one decide.testing._table generates."""

from __future__ import annotations

from pathlib import Path

from decide.testing import _table

DOC = Path(__file__).resolve().parents[2] / "docs" / "properties.md"
BEGIN, END = "<!-- table:begin -->\n", "<!-- table:end -->"


def test_committed_table_equals_generated():
    text = DOC.read_text(encoding="utf-8")
    committed = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert committed == _table.markdown_table(), (
        "docs/properties.md is out of date: run `python -m decide.testing._table` and paste "
        "its output between the table markers."
    )


def test_no_declared_property_fails():
    assert "FAIL" not in _table.markdown_table()


def test_main_prints_the_table(capsys):
    _table.main()
    assert capsys.readouterr().out == _table.markdown_table()
