"""Many decisions: one per unit (store, product, region), vectorized or on dask.distributed.

Outcomes are rewards (higher is better); risk lives in the lower tail.
:func:`optimize_many` decides every unit along one dim of the outcome and
returns one row per unit; a failing unit records its error and never aborts
the batch.
"""

from decide.many._api import optimize_many, unit_seeds
from decide.many._newsvendor import NewsvendorOutcome, newsvendor
from decide.many._unit_outcome import UnitOutcome
from decide.many._units import unit_outcomes

__all__ = [
    "NewsvendorOutcome",
    "UnitOutcome",
    "newsvendor",
    "optimize_many",
    "unit_outcomes",
    "unit_seeds",
]
