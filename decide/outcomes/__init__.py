"""Sources of outcome draws: ``action -> outcome draws`` for every posterior sample."""

from decide.outcomes._base import ActionSpec, OutcomeModel, Reduce, resolve_reduce
from decide.outcomes._draws import DrawsOutcome, from_draws
from decide.outcomes._function import FunctionOutcome, from_function
from decide.outcomes._linear import LinearOutcome, linear
from decide.outcomes._mixture import MixtureOutcome, mixture
from decide.outcomes._plan import MappedOutcome, discount_factors, linear_map, plan
from decide.outcomes._range import ObservedRange, with_observed_range
from decide.outcomes._window import PlanningWindow, with_window
from decide.outcomes.pymc import PyMCOutcome, from_pymc

__all__ = [
    "ActionSpec",
    "DrawsOutcome",
    "FunctionOutcome",
    "LinearOutcome",
    "MappedOutcome",
    "MixtureOutcome",
    "ObservedRange",
    "OutcomeModel",
    "PlanningWindow",
    "PyMCOutcome",
    "Reduce",
    "discount_factors",
    "from_draws",
    "from_function",
    "from_pymc",
    "linear",
    "linear_map",
    "mixture",
    "plan",
    "resolve_reduce",
    "with_observed_range",
    "with_window",
]
