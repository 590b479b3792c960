"""Exceptions and warnings raised by decide.

Every error decide raises on bad input derives from :class:`DecideError`, so a
caller can catch them all at once, and also from the matching built-in
(``ValueError``, ``TypeError``) so that ordinary ``except ValueError`` works.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DecideError",
    "DecideTypeError",
    "DecideValueError",
    "ExtrapolationWarning",
    "InfeasibleError",
    "ReplicateNoiseWarning",
    "SaturationWarning",
    "SolverError",
    "UnboundedError",
    "UnreliableEstimateWarning",
]


class DecideError(Exception):
    """Base class of every error raised by decide."""


class DecideValueError(DecideError, ValueError):
    """An argument has the right type but a value outside its valid range."""


class DecideTypeError(DecideError, TypeError):
    """An argument has a type decide cannot use."""


class InfeasibleError(DecideValueError):
    """The action space has no feasible point; the message names the constraint."""


class UnboundedError(DecideValueError):
    """The objective grows without limit over the action space; bound the action."""


class SolverError(DecideError, RuntimeError):
    """Every solver that was tried failed; the message lists what was tried."""


class ConvergenceWarning(UserWarning):
    """An optimizer stopped without meeting its convergence criterion."""


class ExtrapolationWarning(UserWarning):
    """A decision leaves the range of the action in the data the model was fitted on.

    The posterior is extrapolated there (a response curve fitted on weekly spend
    between 4,000 and 20,000 says little about 200). ``Decision.extrapolation`` has
    the cell-by-cell report; ``optimize(..., within_observed=True)`` keeps the action
    inside the observed range.
    """


class SaturationWarning(UserWarning):
    """A utility is saturated on the outcome draws: its value no longer tells actions apart."""


class ReplicateNoiseWarning(UserWarning):
    """A value-of-information estimate is dominated by the noise of the outcome replicates."""


class UnreliableEstimateWarning(UserWarning):
    """An estimate rests on too few effective draws to be trusted.

    For example a CARA certainty equivalent dominated by a few of the worst
    draws; the message names the estimate, its effective sample size and what
    to do. Also an EVPPI whose regression fails its check (residuals with a
    non-zero mean given the fitted values, or overfitting), or EVPPI estimates
    of nested parameter sets that contradict each other beyond their errors.
    """
