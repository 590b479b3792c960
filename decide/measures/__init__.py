"""Utility and risk measures: scores of outcome draws, higher is better.

Outcomes are rewards; risk lives in the lower tail; ``alpha`` is the tail
probability. Objective classes are scores to maximize (dispersion measures
score as their negative); the plain functions return conventional values.
"""

from decide.measures._base import Objective, Property, WeightedObjective

__all__ = ["Objective", "Property", "WeightedObjective"]
