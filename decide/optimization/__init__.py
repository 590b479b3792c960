"""Choosing the action: action spaces, backends and the Decision object.

Outcomes are rewards (higher is better); risk lives in the lower tail.
:func:`optimize` maximizes an objective of the outcome draws over an action
space with an exact convex program (cvxpy), the specialized CVaR LP, scipy, or
enumeration. The backends are one registry (:mod:`decide.optimization.backends`);
the exact CVaR LP for many linear scenarios is :mod:`decide.optimization.cvar_lp`.

``decide.optimize`` (the top-level name) is the function :func:`optimize`.
"""

from decide.optimization._api import METHODS, available_methods, optimize
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._discrete import Discrete
from decide.optimization._polyhedron import LinearSystem
from decide.optimization._robust import RobustCriterion, WassersteinCVaR, WorstModel
from decide.optimization._spaces import (
    Box,
    Budget,
    Constraints,
    Integer,
    LinearConstraints,
    Space,
    as_space,
)
from decide.optimization.backends import ConvexProblem
from decide.optimization.cvar_lp import CVaRLPResult, CVaRLPWarm, cvar_of_scenarios, solve_cvar_lp

__all__ = [
    "METHODS",
    "Box",
    "Budget",
    "CVaRLPResult",
    "CVaRLPWarm",
    "Constraints",
    "ConvexProblem",
    "Decision",
    "Diagnostics",
    "Discrete",
    "Integer",
    "LinearConstraints",
    "LinearSystem",
    "RobustCriterion",
    "Space",
    "WassersteinCVaR",
    "WorstModel",
    "as_space",
    "available_methods",
    "cvar_of_scenarios",
    "optimize",
    "solve_cvar_lp",
]
