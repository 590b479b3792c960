"""Every measure of decide.measures passes the checks of the properties it declares, and
breaks the ones it does not declare where a counterexample is known.

The measures are enumerated from ``decide.measures.__all__`` (with the arguments of
``decide.testing._catalog``), so a new measure is included automatically. The
hypothesis searches are derandomized (the same examples on every run). Results are
shared with the table test of docs/properties.md through ``decide.testing._table.cell``.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.testing import _table

NAMES = _table.case_names()
DECLARED = [(n, p) for n in NAMES for p in _table.PROPERTIES
            if _table.declared(_table.case(n), p)]


def _score(obj, x):
    return float(obj(np.asarray(x, dtype=float)))


def _icv(x, y):
    """x >= y in second-order dominance: E[min(x, t)] >= E[min(y, t)] for every t."""
    x, y = np.ravel(x), np.ravel(y)
    return all(np.minimum(x, t).mean() >= np.minimum(y, t).mean() - 1e-9
               for t in np.concatenate([x, y]))


def recompute(obj, ce) -> bool:
    """Whether the counterexample breaks its law, recomputed here from its inputs."""
    i, slack = ce.inputs, 1e-9
    if ce.check == "check_monotone":
        return bool(np.all(i["x"] >= i["y"])) and _score(obj, i["x"]) < _score(obj, i["y"]) - slack
    if ce.check == "check_translation_invariant":
        return abs(_score(obj, i["x"] + i["c"]) - _score(obj, i["x"]) - i["c"]) > slack
    if ce.check == "check_positive_homogeneous":
        return i["t"] > 0 and abs(_score(obj, i["t"] * i["x"]) - i["t"] * _score(obj, i["x"])) > slack
    if ce.check == "check_subadditive":
        return _score(obj, i["x"] + i["y"]) < _score(obj, i["x"]) + _score(obj, i["y"]) - slack
    if ce.check == "check_concave":
        lam = i["l"]
        mix = _score(obj, lam * i["x"] + (1 - lam) * i["y"])
        return mix < lam * _score(obj, i["x"]) + (1 - lam) * _score(obj, i["y"]) - slack
    if ce.check == "check_ssd_consistent":
        return _icv(i["x"], i["y"]) and _score(obj, i["x"]) < _score(obj, i["y"]) - slack
    raise AssertionError(ce.check)


@pytest.mark.parametrize(("name", "prop"), DECLARED, ids=[f"{n}-{p}" for n, p in DECLARED])
def test_declared_property_holds(name, prop):
    status, exc = _table.cell(name, prop)
    assert status == "holds", str(exc)


#: Properties known to fail, with the reason (each must be shown violated).
EXPECTED_VIOLATIONS = [
    ("Variance()", "monotone", "more reward on one draw raises the variance"),
    ("StdDev()", "monotone", "same"),
    ("StdDev()", "translation_invariant", "a dispersion ignores a sure gain"),
    ("SemiVariance(target=None)", "monotone", "raising the top draw lowers the others' semideviation"),
    ("MeanVariance(risk_aversion=0.5)", "monotone", "an upside spike raises the variance"),
    ("MeanVariance(risk_aversion=0.5)", "ssd_consistent", "not SSD-consistent in general"),
    ("MeanVariance(risk_aversion=0.5)", "coherent", "neither monotone nor homogeneous"),
    ("MeanVariance(risk_aversion=0.5)", "positively_homogeneous", "variance is quadratic"),
    ("VaR(alpha=0.1)", "concave", "diversification can move losses into the tail"),
    ("VaR(alpha=0.1)", "coherent", "not subadditive"),
    ("VaR(alpha=0.1)", "ssd_consistent", "a spread can lift the quantile"),
    ("ProbabilityOfShortfall(threshold=0.0)", "concave", "a step function"),
    ("Sharpe(risk_free=0.0)", "monotone", "a tiny spread gives a huge ratio"),
    ("Sortino(target=0.0)", "monotone", "same"),
    ("EntropicRisk(theta=0.1)", "positively_homogeneous", "exponential utility"),
    ("ExpectedUtility(utility=Exponential(risk_aversion=0.05))", "translation_invariant", "utility, not cash, units"),
    ("CertaintyEquivalent(utility=Log())", "translation_invariant", "relative risk aversion"),
    ("ExpectedUtility(utility=Quadratic(b=0.001))", "monotone", "past the bliss point"),
    ("MeanCVaR(risk_aversion=0.5, alpha=0.1)", "translation_invariant", "weights sum to 1.5"),
]


@pytest.mark.parametrize(("name", "prop", "why"), EXPECTED_VIOLATIONS,
                         ids=[f"{n}-{p}" for n, p, _ in EXPECTED_VIOLATIONS])
def test_undeclared_property_is_violated(name, prop, why):
    c = _table.case(name)
    assert not _table.declared(c, prop), f"{name} declares {prop}, expected not ({why})"
    status, exc = _table.cell(name, prop)
    assert status == "violated", f"no counterexample found for {name} / {prop} ({why})"
    assert recompute(c.objective, exc.counterexample), str(exc)


def test_every_measure_class_is_covered():
    import inspect

    import decide.measures as m
    from decide.measures import Objective

    classes = {n for n in m.__all__ if inspect.isclass(getattr(m, n))
               and issubclass(getattr(m, n), Objective) and not inspect.isabstract(getattr(m, n))}
    covered = {type(_table.case(n).objective).__name__ for n in NAMES}
    # ActionCost scores the action, not the draws: it has no law of draws to check
    action_only = {"ActionCost"}
    assert m.ActionCost().uses_action
    assert classes - action_only <= covered, classes - action_only - covered
