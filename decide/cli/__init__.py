"""The ``decide`` command line: ``decide demo``, ``decide optimize SPEC``, ``decide compare SPEC``.

Modules: ``_main`` (argument parsing, exit codes), ``_spec`` (decision specs in
TOML), ``_run`` (running a spec), ``_demo`` and ``_demo_report`` (the built-in
example), ``_report`` (tables, JSON and figures written to disk).
"""

from decide.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
