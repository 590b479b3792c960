"""Tests of decide/cli/_main.py: subcommands, help, exit codes and error messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from decide.cli import build_parser, main


@pytest.mark.parametrize("command", ["demo", "optimize", "compare"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: decide {command}" in out
    assert "--quiet" in out and "--out" in out


def test_top_level_help_lists_commands_and_exit_codes():
    text = build_parser().format_help()
    for word in ("demo", "optimize", "compare", "exit codes"):
        assert word in text


def test_missing_spec_exits_2_and_names_the_path(tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert main(["optimize", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err
    assert "Traceback" not in err


def test_unexpected_error_exits_1_without_traceback(monkeypatch, capsys):
    import decide.cli._main as cli

    def boom(args):
        raise RuntimeError("kaput")

    monkeypatch.setitem(cli._COMMANDS, "demo", boom)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "kaput" in err and "Traceback" not in err
    assert main(["demo", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_decide_error_exits_2(monkeypatch, capsys):
    import decide.cli._main as cli
    from decide.errors import InfeasibleError

    def infeasible(args):
        raise InfeasibleError("budget below the lower bounds")

    monkeypatch.setitem(cli._COMMANDS, "compare", infeasible)
    assert main(["compare", "x.toml"]) == 2
    assert "budget below the lower bounds" in capsys.readouterr().err


def test_console_script_exit_code_for_bad_input(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text("[posterior]\npath = 'd.csv'\n[space]\nkind = 'simplex'\n[objectives]\nm = 'mean'\n")
    out = subprocess.run([sys.executable, "-m", "decide.cli", "compare", str(spec)],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "line 4" in out.stderr and "[space] kind" in out.stderr and "budget" in out.stderr
