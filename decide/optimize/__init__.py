"""Choosing the action: action spaces, backends and the Decision object.

Outcomes are rewards (higher is better); risk lives in the lower tail.
:func:`optimize` maximizes an objective of the outcome draws over an action
space with an exact convex program (cvxpy), scipy, or enumeration.

The subpackage is callable: ``decide.optimize(outcome, objective, space=...)``
is :func:`decide.optimize.optimize`, and ``decide.optimize.Box`` etc. stay
reachable under the same name.
"""

import sys as _sys
import types as _types

from decide.optimize._api import METHODS, available_methods, optimize
from decide.optimize._cvar_fast import CVaRLPResult, CVaRLPWarm, cvar_of_scenarios, solve_cvar_lp
from decide.optimize._cvxpy import ConvexProblem
from decide.optimize._decision import Decision, Diagnostics
from decide.optimize._discrete import Discrete
from decide.optimize._spaces import Box, Budget, Constraints, Integer, LinearConstraints, Space
from decide.optimize._system import LinearSystem

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
    "Space",
    "available_methods",
    "cvar_of_scenarios",
    "optimize",
    "solve_cvar_lp",
]


class _CallableModule(_types.ModuleType):
    """This subpackage, callable as :func:`optimize` (``decide.optimize(...)``)."""

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return optimize(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
