"""Print the Markdown table measure x property of docs/properties.md from the checks.

Run ``python -m decide.testing._table``. Each cell is computed, not written by
hand:

* ``✓``: the measure declares the property and the hypothesis search of its
  check found no counterexample;
* ``✗``: the measure does not declare it and a counterexample was found
  (a known one from :data:`decide.testing._catalog.COUNTEREXAMPLES`);
* ``·``: not declared, and no known counterexample (the law may or may not hold);
* ``FAIL``: declared, but the check found a counterexample (a bug).
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import Phase
from hypothesis import settings as hsettings

from decide.errors import DecideValueError
from decide.testing._catalog import CHECKS, COUNTEREXAMPLES, Case, measure_cases
from decide.testing._violation import PropertyViolation, hypothesis_settings

__all__ = ["PROPERTIES", "SYMBOLS", "cell", "main", "markdown_table"]

#: Columns of the table, in order (``Property`` values).
PROPERTIES: tuple[str, ...] = (
    "monotone",
    "translation_invariant",
    "positively_homogeneous",
    "concave",
    "coherent",
    "law_invariant",
    "ssd_consistent",
)
SYMBOLS = {"holds": "✓", "violated": "✗", "unknown": "·", "FAIL": "FAIL"}
#: Examples per hypothesis search (per axiom for ``coherent``).
MAX_EXAMPLES = 25


def _search_settings(shrink: bool) -> Any:
    phases = tuple(Phase) if shrink else (Phase.explicit, Phase.reuse, Phase.generate)
    return hsettings(hypothesis_settings(MAX_EXAMPLES, None), phases=phases)


@functools.cache
def _cases() -> tuple[Case, ...]:
    return tuple(measure_cases())


def case_names() -> list[str]:
    """Names (reprs) of every measure case, in table order."""
    return [c.name for c in _cases()]


def case(name: str) -> Case:
    """The case named ``name``."""
    for c in _cases():
        if c.name == name:
            return c
    raise DecideValueError(f"no measure case named {name!r}; known: {case_names()}.")


def declared(c: Case, prop: str) -> bool:
    """Whether the case's objective declares ``prop``."""
    return prop in {p.value for p in c.objective.properties}


@functools.cache
def cell(name: str, prop: str) -> tuple[str, PropertyViolation | None]:
    """Status of one (measure, property) cell and the counterexample, if any.

    Returns
    -------
    tuple of (str, PropertyViolation or None)
        The status ``"holds"``, ``"violated"``, ``"unknown"`` or ``"FAIL"``.
    """
    c = case(name)
    check = CHECKS[prop]
    kw = {"rtol": c.rtol}
    if declared(c, prop):
        try:
            check(c.objective, strategy=c.strategy(), settings=_search_settings(True), **kw)
        except PropertyViolation as exc:
            return "FAIL", exc
        return "holds", None
    if prop == "coherent":  # a counterexample to one of its four axioms is one to coherence
        for part in ("monotone", "translation_invariant", "positively_homogeneous", "concave"):
            status, found = cell(name, part)
            if status == "violated":
                return status, found
    for inputs in COUNTEREXAMPLES[prop]:
        try:
            check(c.objective, **inputs, **kw)
        except PropertyViolation as exc:
            return "violated", exc
        except DecideValueError:  # outside the measure's domain
            continue
    # No search for undeclared laws: which counterexamples hypothesis finds depends on the
    # modules a process has loaded (it mixes in constants from their source), and the
    # table must come out the same in every process.
    return "unknown", None


def markdown_table() -> str:
    """The Markdown table measure x property (see the module docstring)."""
    header = "| measure | " + " | ".join(p.replace("_", " ") for p in PROPERTIES) + " |"
    rule = "| --- |" + " :---: |" * len(PROPERTIES)
    rows = [header, rule]
    for name in case_names():
        cells = [SYMBOLS[cell(name, p)[0]] for p in PROPERTIES]
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def main() -> None:
    """Print the table to standard output."""
    print(markdown_table(), end="")


if __name__ == "__main__":
    main()
