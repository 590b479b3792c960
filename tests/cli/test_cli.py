"""Tests of decide/cli/_main.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

import decide
from decide.cli import main


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"decide {decide.__version__}"


def test_help_without_command(capsys):
    assert main([]) == 0
    assert "usage: decide" in capsys.readouterr().out


def test_console_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "decide.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "do(action)" in out.stdout
