"""The ``decide`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import decide

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``decide`` command."""
    parser = argparse.ArgumentParser(
        prog="decide",
        description=(
            "Turn Bayesian posteriors into decisions: simulate outcomes under do(action), "
            "score them with utility and risk measures, and choose the action."
        ),
    )
    parser.add_argument("--version", action="version", version=f"decide {decide.__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``decide`` command; returns the exit code (0 success, 2 bad input, 1 other)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0  # pragma: no cover - every subcommand returns on its own


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
