"""The code blocks of docs/testing.md run as written (in order, sharing one namespace)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def test_docs_testing_code_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for i, block in enumerate(blocks):
        # a pseudo file name: tracebacks must not read the Markdown file as Python source
        exec(compile(block, f"<docs/testing.md block {i}>", "exec"), namespace)
    out = capsys.readouterr().out
    # the two failures the page promises were really found and printed
    assert "check_monotone" in out and "check_never_dominated" in out
    assert "score(x)" in out
    # the outputs the page quotes are the ones printed
    assert "x = [3, 0]" in out and "y = [0, 0]" in out
    assert "{'score(x)': -5.0, 'score(y)': 0.0}" in out
    assert "\nspread\n" in out
