"""Tests of decide/_progress.py."""

from __future__ import annotations

import io

from decide._progress import Progress, progress


def test_bar_counts_to_total_and_ends_the_line():
    buf = io.StringIO()
    with Progress(4, "work", stream=buf) as bar:
        for _ in range(4):
            bar.update()
    text = buf.getvalue()
    assert text.endswith("\n") and "work" in text and "4/4" in text


def test_disabled_bar_prints_nothing(capsys):
    assert list(progress(range(3), "quiet", total=3, enabled=False)) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_a_delayed_bar_prints_nothing_for_short_work():
    buf = io.StringIO()
    with Progress(3, "short", stream=buf, delay=60.0) as bar:
        bar.update(3)
    assert buf.getvalue() == ""


def test_update_never_passes_the_total():
    bar = Progress(2, "x", enabled=False)
    bar.update(5)
    assert bar.done == 2
