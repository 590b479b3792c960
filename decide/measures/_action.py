"""``ActionCost``: an objective that scores the action itself, for target problems.

The cheapest plan that reaches a target is
``optimize(outcome, ActionCost(1.0), space, subject_to=[VaR(0.1) >= target])``.
Outcomes are rewards (higher is better); a cost scores as its negative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from decide.errors import DecideValueError
from decide.measures._base import Objective, Property

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["ActionCost"]


class ActionCost(Objective):
    r"""Minus a linear cost of the action, :math:`-c \cdot a` (a score: higher is cheaper).

    Parameters
    ----------
    cost : float or array_like of shape (size,)
        Cost per unit of each element of the flat action; a scalar applies to every
        element (``ActionCost(1.0)`` scores minus the total spend).

    Raises
    ------
    DecideValueError
        If ``cost`` is empty or not finite, or (when scored) its length differs from
        the action's.

    Notes
    -----
    The score does not depend on the outcome draws, only on the action, so it is
    called as ``objective(draws, action=a)`` (:attr:`Objective.uses_action`); it
    combines with outcome measures (``Mean() + ActionCost(c)`` is the expected
    outcome net of the spend). Its gradient in the action is ``-c`` and its cvxpy
    form is affine. It declares no law of the draws (``properties`` is empty) and
    is left out of the property checks of ``decide.testing``: it does not score draws.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import ActionCost, Mean
    >>> ActionCost([1.0, 2.0])(np.zeros(3), action=[3.0, 1.0])
    -5.0
    >>> (Mean() + ActionCost(1.0))(np.array([10.0, 12.0]), action=[2.0, 3.0])
    6.0
    """

    #: No law of the draws is declared: the score does not depend on them.
    _properties = frozenset[Property]()

    def __init__(self, cost: Any = 1.0):
        try:
            c = np.asarray(cost, dtype=np.float64)
        except (TypeError, ValueError):
            raise DecideValueError(
                f"cost must be a number or a 1-d array of numbers; got {type(cost).__name__}."
            ) from None
        if c.ndim > 1 or c.size == 0 or not np.all(np.isfinite(c)):
            raise DecideValueError(
                f"cost must be a finite number or a non-empty finite 1-d array; got {cost!r}."
            )
        self.cost = float(c) if c.ndim == 0 else c.copy()

    def costs(self, size: int) -> np.ndarray:
        """The cost vector for an action of ``size`` elements, shape (size,)."""
        if isinstance(self.cost, float):
            return np.full(size, self.cost)
        if self.cost.shape != (size,):
            raise DecideValueError(
                f"ActionCost has {self.cost.size} costs but the action has {size} elements; give "
                "one cost per element of the flat action (or a scalar)."
            )
        return self.cost

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return 0.0

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return np.zeros_like(x)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> Any:
        return 0.0

    def _action_value(self, a: np.ndarray) -> float:
        return -float(self.costs(a.shape[0]) @ a)

    def _action_grad(self, a: np.ndarray) -> np.ndarray:
        return -self.costs(a.shape[0])

    def _action_cvxpy(self, a: cp.Expression) -> cp.Expression:
        return -(self.costs(a.shape[0]) @ a)

    def _params(self) -> dict[str, Any]:
        return {"cost": self.cost if isinstance(self.cost, float) else tuple(self.cost.tolist())}
