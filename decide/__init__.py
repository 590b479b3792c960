"""decide: turn Bayesian posteriors into decisions.

Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability. The top level holds what a user types: the
objectives and utilities, the outcome constructors, the action spaces,
:func:`optimize` and its :class:`Decision`, the analysis entry points and the
errors. Everything else lives in the subpackages: ``decide.measures`` (the
scores, with plain numpy functions such as :func:`decide.measures.cvar`),
``decide.outcomes`` (sources of outcome draws), ``decide.optimization``
(spaces, backends, the exact CVaR LP), ``decide.uncertainty``,
``decide.policies``, ``decide.many``, ``decide.plots`` and ``decide.testing``.

Examples
--------
>>> import numpy as np
>>> import decide
>>> R = np.random.default_rng(0).normal([0.9, 0.5], [0.4, 0.05], size=(4000, 2))
>>> d = decide.optimize(decide.linear(R), decide.CVaR(0.1), decide.Budget(10.0))
>>> bool(d.flat_action[1] > d.flat_action[0])
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from decide import errors, many, measures, optimization, outcomes, policies, uncertainty
from decide.errors import (
    ConvergenceWarning,
    DecideError,
    DecideTypeError,
    DecideValueError,
    InfeasibleError,
    SolverError,
    UnboundedError,
)
from decide.many import newsvendor, optimize_many
from decide.measures import (
    CertaintyEquivalent,
    CVaR,
    EntropicRisk,
    EVaR,
    ExpectedShortfallBelow,
    ExpectedUtility,
    Exponential,
    Linear,
    Log,
    Mean,
    MeanCVaR,
    MeanVariance,
    Objective,
    PiecewiseLinear,
    Power,
    ProbabilityOfShortfall,
    Property,
    Quadratic,
    SemiVariance,
    Sharpe,
    Sortino,
    Spectral,
    StdDev,
    Utility,
    VaR,
    Variance,
    WorstCase,
)
from decide.optimization import (
    Box,
    Budget,
    Decision,
    Discrete,
    Integer,
    LinearConstraints,
    WassersteinCVaR,
    WorstModel,
    optimize,
    plan_space,
)
from decide.outcomes import (
    OutcomeModel,
    from_draws,
    from_function,
    from_pymc,
    linear,
    mixture,
    plan,
)
from decide.policies import acceptability, compare, frontier, robustness, sweep
from decide.uncertainty import decompose, evpi, evppi, expected_regret, prob_best

__all__ = [
    "Box",
    "Budget",
    "CVaR",
    "CertaintyEquivalent",
    "ConvergenceWarning",
    "DecideError",
    "DecideTypeError",
    "DecideValueError",
    "Decision",
    "Discrete",
    "EVaR",
    "EntropicRisk",
    "ExpectedShortfallBelow",
    "ExpectedUtility",
    "Exponential",
    "InfeasibleError",
    "Integer",
    "Linear",
    "LinearConstraints",
    "Log",
    "Mean",
    "MeanCVaR",
    "MeanVariance",
    "Objective",
    "OutcomeModel",
    "PiecewiseLinear",
    "Power",
    "ProbabilityOfShortfall",
    "Property",
    "Quadratic",
    "SemiVariance",
    "Sharpe",
    "SolverError",
    "Sortino",
    "Spectral",
    "StdDev",
    "UnboundedError",
    "Utility",
    "VaR",
    "Variance",
    "WassersteinCVaR",
    "WorstCase",
    "WorstModel",
    "__version__",
    "acceptability",
    "compare",
    "decompose",
    "errors",
    "evpi",
    "evppi",
    "expected_regret",
    "from_draws",
    "from_function",
    "from_pymc",
    "frontier",
    "linear",
    "many",
    "measures",
    "mixture",
    "newsvendor",
    "optimization",
    "optimize",
    "optimize_many",
    "outcomes",
    "plan",
    "plan_space",
    "policies",
    "prob_best",
    "robustness",
    "sweep",
    "uncertainty",
]
