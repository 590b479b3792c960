"""Choosing the action: action spaces, backends and the Decision object.

Outcomes are rewards (higher is better); risk lives in the lower tail.
:func:`optimize` maximizes an objective of the outcome draws over an action
space with an exact convex program (cvxpy), the specialized CVaR LP, scipy, or
enumeration. The backends are one registry (:mod:`decide.optimization.backends`);
the exact CVaR LP for many linear scenarios is :mod:`decide.optimization.cvar_lp`.

``decide.optimize`` (the top-level name) is the function :func:`optimize`.
"""

from decide.optimization._api import METHODS, available_methods, choose_method, optimize
from decide.optimization._decision import Decision, Diagnostics, Verification
from decide.optimization._discrete import Discrete, action_set, as_action
from decide.optimization._guard import within_observed_space
from decide.optimization._plan_space import plan_space
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
from decide.optimization.cvar_lp import CVaRLPResult, CVaRLPWarm, solve_cvar_lp

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
    "Verification",
    "WassersteinCVaR",
    "WorstModel",
    "action_set",
    "as_action",
    "as_space",
    "available_methods",
    "choose_method",
    "optimize",
    "plan_space",
    "solve_cvar_lp",
    "within_observed_space",
]
