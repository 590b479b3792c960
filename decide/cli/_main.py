"""The ``decide`` command line: ``decide demo``, ``decide optimize SPEC``, ``decide compare SPEC``.

Exit codes: 0 success, 2 bad input (a :class:`~decide.errors.DecideError`, a bad
spec, a missing file), 1 anything else. Errors go to stderr without a traceback
unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import decide
from decide.errors import DecideError

__all__ = ["build_parser", "main"]

_EPILOG = """\
commands:
  demo       the two-channel marketing budget, end to end, on an embedded posterior
  optimize   choose an action from a decision spec (TOML) and posterior draws
  compare    compare several objectives (policies) from a decision spec

exit codes: 0 success, 2 bad input (spec, data, missing file), 1 other errors.
Run `decide COMMAND --help` for the options of a command.
"""

_SPEC_HELP = """\
SPEC is a TOML file, for example:

  [posterior]
  path = "draws.csv"        # .nc (InferenceData/DataTree), .csv or .parquet;
                            # relative to the spec file
  # variable = "roi"        # NetCDF: the variable with one dim over the actions
  # group = "posterior"     # NetCDF group

  [outcome]
  kind = "linear"           # "linear": outcome = draws @ action + intercept
                            # "draws": each column is the outcome of one option
  intercept = 0.0

  [space]
  kind = "budget"           # "budget" (total, lower, upper, equality), "box"
                            # (lower, upper) or "discrete" (options)
  total = 10.0

  [objectives]              # name = measure; the first one is the decision
  neutral = "mean"
  cautious = { measure = "cvar", alpha = 0.1 }
  cara = { measure = "cara", risk_aversion = 0.3 }

  [constraints]             # optional: name = measure with min = and/or max =
  tail = { measure = "cvar", alpha = 0.05, min = -2.0 }
  loss = { measure = "prob_shortfall", threshold = 0.0, max = 0.1 }

  [output]
  dir = "decision-out"      # relative to the spec file; --out overrides

See docs/getting_started.md for every key.
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bars, no printed tables")
    p.add_argument("--debug", action="store_true", help="show the full traceback on errors")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``decide`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="decide",
        description=(
            "Turn Bayesian posteriors into decisions: simulate outcomes under do(action), "
            "score them with utility and risk measures, and choose the action."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"decide {decide.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the built-in two-channel marketing example (no files needed)",
        description=(
            "Split a weekly budget between channel A (8 weeks of data, large uncertain effect) "
            "and channel B (156 weeks, smaller known effect): risk-neutral, CVaR and CARA "
            "decisions, a policy comparison on held-out draws, the epistemic/aleatoric split, "
            "plots (PNG) and a report (Markdown). Uses a posterior shipped with the package "
            "unless --refit is given."
        ),
    )
    demo.add_argument("--out", type=Path, default=Path("decide-demo"),
                      help="output folder (default: ./decide-demo)")
    demo.add_argument("--seed", type=int, default=7,
                      help="random seed of the outcome noise, split and optimizers (default 7)")
    demo.add_argument("--refit", action="store_true",
                      help="fit the model with PyMC instead of loading the shipped posterior")
    _common(demo)

    for name, text in (
        ("optimize", "choose the action: writes decision.json, comparison.csv, plots, report.md"),
        ("compare", "compare the spec's objectives on held-out draws: writes comparison.csv"),
    ):
        p = sub.add_parser(name, help=text, description=text, epilog=_SPEC_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("spec", type=Path, metavar="SPEC", help="decision spec (TOML)")
        p.add_argument("--out", type=Path, default=None,
                       help="output folder (default: [output] dir of the spec)")
        p.add_argument("--seed", type=int, default=None,
                       help="random seed (default: the spec's seed, else 0)")
        _common(p)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from decide.cli._demo import run_demo

    started = time.perf_counter()
    result = run_demo(args.out, random_seed=args.seed, refit=args.refit, quiet=args.quiet)
    if not args.quiet:
        print(f"done in {time.perf_counter() - started:.1f} s; report: {result['files']['report']}")
    return 0


def _spec_command(args: argparse.Namespace) -> int:
    from decide.cli._run import run_compare, run_optimize
    from decide.cli._spec import load_spec

    spec = load_spec(args.spec)
    run = run_optimize if args.command == "optimize" else run_compare
    run(spec, out_dir=args.out, random_seed=args.seed, quiet=args.quiet)
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _demo,
    "optimize": _spec_command,
    "compare": _spec_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``decide`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 success, 2 bad input (a :class:`~decide.errors.DecideError`,
        a spec error, a missing file), 1 any other error. Errors are printed to
        stderr as one line, with the traceback only under ``--debug``.

    Examples
    --------
    >>> main([])  # doctest: +ELLIPSIS
    usage: decide ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("decide: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:
        return _report_error(exc, args.command, args.debug)


def _report_error(exc: Exception, command: str, debug: bool) -> int:
    """Print ``exc`` to stderr (traceback only with ``debug``); the exit code."""
    bad_input = isinstance(exc, (DecideError, FileNotFoundError))
    if debug:
        traceback.print_exc()
    if isinstance(exc, FileNotFoundError) and exc.filename:
        message = f"{exc.strerror or 'file not found'}: {exc.filename}"
    else:
        message = str(exc)
    kind = "error" if bad_input else f"unexpected error ({type(exc).__name__})"
    print(f"decide {command}: {kind}: {message}", file=sys.stderr)
    if not bad_input and not debug:
        print("(run again with --debug for the traceback)", file=sys.stderr)
    return 2 if bad_input else 1

