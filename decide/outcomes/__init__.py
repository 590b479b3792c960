"""Sources of outcome draws: ``action -> outcome draws`` for every posterior sample."""

from decide.outcomes._base import ActionSpec, OutcomeModel

__all__ = ["ActionSpec", "OutcomeModel"]
