"""The library's own measures with sensible arguments, their domains, and known counterexamples.

Used by the property tests of ``decide.measures`` and by the table of
``docs/properties.md`` (:mod:`decide.testing._table`). Every ``Objective``
class in ``decide.measures.__all__`` is included automatically; give it
arguments in :data:`ARGS` when it has required ones. Expected utility and the
certainty equivalent are built on every ``Utility`` class in
``decide.measures.__all__``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide.errors import DecideValueError
from decide.testing import _checks, _convexity_checks, _order_checks
from decide.testing._strategies import draws

__all__ = ["CHECKS", "COUNTEREXAMPLES", "Case", "measure_cases"]

#: Constructor arguments of the measures that need them (one case per dict).
ARGS: dict[str, list[dict[str, Any]]] = {
    "VaR": [{"alpha": 0.1}],
    "CVaR": [{"alpha": 0.1}],
    "EVaR": [{"alpha": 0.1}],
    "EntropicRisk": [{"theta": 0.1}],
    "Spectral": [{"weights": [3.0, 2.0, 1.0]}],
    "MeanVariance": [{"risk_aversion": 0.5}],
    "MeanCVaR": [{"risk_aversion": 0.5, "alpha": 0.1}],
    "SemiVariance": [{}],
    "Sharpe": [{}],
    "Sortino": [{}],
    "ProbabilityOfShortfall": [{"threshold": 0.0}],
    "ExpectedShortfallBelow": [{"threshold": 0.0}],
}
#: Arguments of the utilities for ``ExpectedUtility`` and ``CertaintyEquivalent``.
UTILITY_ARGS: dict[str, list[dict[str, Any]]] = {
    "Exponential": [{"risk_aversion": 0.05}],
    "Power": [{"risk_aversion": 2.0}],
    "Quadratic": [{"b": 0.001}],
    "PiecewiseLinear": [{"breakpoints": [0.0], "slopes": [2.0, 1.0]}],
}
#: Utilities defined for positive outcomes only.
POSITIVE = frozenset({"Power", "Log"})
#: Objectives built from utilities.
UTILITY_OBJECTIVES = ("ExpectedUtility", "CertaintyEquivalent")


@dataclass(frozen=True)
class Case:
    """One measure instance, the range of draws it is checked on and its tolerance."""

    objective: Any
    min_value: float = -100.0
    max_value: float = 100.0
    rtol: float = 1e-6

    @property
    def name(self) -> str:
        return repr(self.objective)

    def strategy(self) -> st.SearchStrategy[np.ndarray]:
        """Draws in the measure's domain (few samples, so shrinking is fast)."""
        return draws(n_samples=st.integers(1, 30), min_value=self.min_value,
                     max_value=self.max_value)


def _classes() -> dict[str, type]:
    import decide.measures as m

    return {n: getattr(m, n) for n in m.__all__ if inspect.isclass(getattr(m, n))}


def measure_cases() -> list[Case]:
    """Every objective of ``decide.measures.__all__`` with arguments from :data:`ARGS`.

    Raises
    ------
    DecideValueError
        If a class needs arguments that :data:`ARGS` does not give.
    """
    from decide.measures import Objective, Utility, WeightedObjective

    classes = _classes()
    utilities: list[tuple[str, Any]] = []
    for name, cls in classes.items():
        if issubclass(cls, Utility) and not inspect.isabstract(cls) and cls is not Utility:
            utilities += [(name, _build(cls, kw)) for kw in UTILITY_ARGS.get(name, [{}])]
    cases: list[Case] = []
    for name, cls in classes.items():
        if not issubclass(cls, Objective) or inspect.isabstract(cls):
            continue
        if cls is WeightedObjective:
            cvar = _build(classes["CVaR"], ARGS["CVaR"][0])
            cases.append(Case(0.5 * _build(classes["Mean"], {}) + 0.5 * cvar))
            continue
        if name in UTILITY_OBJECTIVES:
            for uname, u in utilities:
                lo = 0.1 if uname in POSITIVE else -100.0
                cases.append(Case(cls(u), min_value=lo))  # type: ignore[call-arg]
            continue
        for kw in ARGS.get(name, [{}]):
            cases.append(Case(_build(cls, kw)))
    return cases


def _build(cls: type, kwargs: dict[str, Any]) -> Any:
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise DecideValueError(
            f"cannot build {cls.__name__}(**{kwargs}) for the property tests ({exc}); add its "
            "arguments to decide.testing._catalog.ARGS."
        ) from None


#: The check of each property (``Property`` value -> check function).
CHECKS: dict[str, Callable[..., None]] = {
    "monotone": _checks.check_monotone,
    "translation_invariant": _checks.check_translation_invariant,
    "positively_homogeneous": _checks.check_positive_homogeneous,
    "concave": _convexity_checks.check_concave,
    "coherent": _checks.check_coherent,
    "law_invariant": _order_checks.check_law_invariant,
    "ssd_consistent": _order_checks.check_ssd_consistent,
}


def _losses(n: int, where: list[int], size: float = -100.0) -> np.ndarray:
    x = np.zeros(n)
    x[where] = size
    return x


_ramp = np.array([1.0, 2.0, 3.0, 5.0, 10.0])
_spike = np.r_[np.zeros(9), 10.0]
_one_loss = np.r_[-19.0, np.ones(19)]

#: Known counterexamples: property -> list of keyword arguments of its plain check.
#: Each list ends with inputs on positive outcomes, for measures defined there only.
COUNTEREXAMPLES: dict[str, list[dict[str, Any]]] = {
    "monotone": [
        {"x": np.array([0.0, 1.0]), "y": np.array([0.0, 0.0])},
        {"x": _spike, "y": np.zeros(10)},
        {"x": np.array([1.0, 1.0, 1.0]), "y": np.array([0.0, 1.0, 1.0])},
        {"x": np.array([1.0, 3.0]), "y": np.array([1.0, 1.001])},
        {"x": np.array([-1.0, 1.0]), "y": np.array([-1.0, -1.0])},
        {"x": np.array([-1.0, -1.0]), "y": np.array([-1.0, -10.0])},  # ratios of losses
        {"x": np.array([1000.0]), "y": np.array([500.0])},  # past a bliss point
    ],
    "translation_invariant": [
        {"x": np.array([0.0, 1.0, 2.0, 10.0]), "c": 5.0},
        {"x": _ramp, "c": 3.0},
        # across a kink at 0 (loss-averse utilities) and for ratios of the downside
        {"x": np.array([-1.0, 1.0]), "c": 5.0},
        {"x": np.array([-1.0, 1.0]), "c": 0.5},
    ],
    "positively_homogeneous": [
        {"x": np.array([-1.0, 0.0, 2.0, 10.0]), "t": 2.0},
        {"x": _ramp, "t": 3.0},
    ],
    "concave": [
        # VaR(0.1): each of x, y loses on 2 of 30 draws, their average on 4
        {"x": _losses(30, [0, 1]), "y": _losses(30, [2, 3]), "lam": 0.5},
        {"x": np.array([0.0, 10.0]), "y": np.array([10.0, 0.0]), "lam": 0.5},
        {"x": np.array([-1.0, 1.0]), "y": np.array([1.0, -1.0]), "lam": 0.5},
        {"x": np.array([1.0, 10.0]), "y": np.array([10.0, 1.0]), "lam": 0.5},
        # certainty equivalent of a kinked (loss-averse) utility: CE(avg) 0.35 < avg CE 0.45
        {"x": np.array([-1.6, -0.9]), "y": np.array([1.2, 3.1]), "lam": 0.5},
    ],
    "coherent": [
        {"x": _losses(30, [0, 1]), "y": _losses(30, [2, 3])},
        {"x": np.array([0.0, 10.0]), "y": np.array([10.0, 0.0])},
        {"x": _ramp, "y": _ramp[::-1].copy()},
    ],
    "law_invariant": [
        {"x": np.array([0.0, 1.0, 2.0, 3.0])},
    ],
    "ssd_consistent": [
        {"x": np.zeros(10) + _spike, "y": np.zeros(10)},
        {"x": np.array([50.0, 50.0]), "y": np.array([0.0, 100.0])},
        {"x": np.array([1.0, 3.0]), "y": np.array([1.0, 1.001])},
        {"x": np.array([5.0, 5.0, 5.0, 5.0]), "y": np.array([1.0, 1.0, 9.0, 9.0])},
        # a spread that lifts the 10% quantile: one big loss below many gains
        {"x": np.zeros(20), "y": _one_loss},
        # averaging the loss with one gain puts both below zero: the shortfall probability rises
        {"x": np.r_[np.full(2, _one_loss[:2].mean()), _one_loss[2:]], "y": _one_loss},
        {"x": np.array([1000.0]), "y": np.array([500.0])},
        # x >= y draw by draw, so x also dominates y in SSD (ratios of losses)
        {"x": np.array([-1.0, -1.0]), "y": np.array([-1.0, -10.0])},
    ],
}
