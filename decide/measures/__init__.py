"""Utility and risk measures: scores of outcome draws, higher is better.

Outcomes are rewards; risk lives in the lower tail; ``alpha`` is the tail
probability. Objective classes are scores to maximize (dispersion measures
score as their negative); the plain functions return conventional values
(tail measures such as :func:`cvar` on the reward scale).

Examples
--------
>>> import numpy as np
>>> from decide.measures import CVaR, Mean, cvar
>>> x = np.array([-2.0, 0.0, 1.0, 3.0])
>>> objective = Mean() + 0.5 * CVaR(0.25)
>>> objective(x) == float(np.mean(x)) + 0.5 * cvar(x, 0.25)
True
"""

from decide.measures._action import ActionCost
from decide.measures._base import Objective, Property, WeightedObjective
from decide.measures._constraint import ChanceForm, OutcomeConstraint
from decide.measures._entropic import EntropicRisk, EVaR, entropic_risk, evar
from decide.measures._ess import (
    check_exponential_ess,
    exponential_ess,
    exponential_risk_aversion,
)
from decide.measures._expected_utility import (
    CertaintyEquivalent,
    ExpectedUtility,
    certainty_equivalent,
    expected_utility,
)
from decide.measures._moments import (
    Mean,
    MeanVariance,
    SemiVariance,
    StdDev,
    Variance,
    mean,
    semivariance,
    std,
    variance,
)
from decide.measures._quantile import (
    CVaR,
    MeanCVaR,
    VaR,
    WorstCase,
    cvar,
    value_at_risk,
    worst_case,
)
from decide.measures._ratios import Sharpe, Sortino, sharpe, sortino
from decide.measures._spectral import Spectral
from decide.measures._summary import SUMMARY_COLUMNS, risk_summary
from decide.measures._threshold import (
    ExpectedShortfallBelow,
    ProbabilityOfShortfall,
    expected_shortfall_below,
    probability_of_shortfall,
)
from decide.measures._utilities import (
    Exponential,
    Linear,
    Log,
    PiecewiseLinear,
    Power,
    Quadratic,
    Utility,
)

__all__ = [
    "SUMMARY_COLUMNS",
    "ActionCost",
    "CVaR",
    "CertaintyEquivalent",
    "ChanceForm",
    "EVaR",
    "EntropicRisk",
    "ExpectedShortfallBelow",
    "ExpectedUtility",
    "Exponential",
    "Linear",
    "Log",
    "Mean",
    "MeanCVaR",
    "MeanVariance",
    "Objective",
    "OutcomeConstraint",
    "PiecewiseLinear",
    "Power",
    "ProbabilityOfShortfall",
    "Property",
    "Quadratic",
    "SemiVariance",
    "Sharpe",
    "Sortino",
    "Spectral",
    "StdDev",
    "Utility",
    "VaR",
    "Variance",
    "WeightedObjective",
    "WorstCase",
    "certainty_equivalent",
    "check_exponential_ess",
    "cvar",
    "entropic_risk",
    "evar",
    "expected_shortfall_below",
    "expected_utility",
    "exponential_ess",
    "exponential_risk_aversion",
    "mean",
    "probability_of_shortfall",
    "risk_summary",
    "semivariance",
    "sharpe",
    "sortino",
    "std",
    "value_at_risk",
    "variance",
    "worst_case",
]
