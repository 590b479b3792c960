"""Robust criteria: scores that need the outcome model itself, not only the draws at the action.

Outcomes are rewards (higher is better); risk lives in the lower tail and ``alpha``
is the tail probability. An :class:`~decide.measures.Objective` scores the draws of
one action and knows nothing of where they come from; a robust criterion asks a
question about the *model*: how the objective fares under each candidate model of
a mixture (:class:`WorstModel`), or under every distribution of the scenarios
within a Wasserstein distance of the draws (:class:`WassersteinCVaR`). Pass one to
:func:`decide.optimize` in place of the objective; it is solved as an epigraph
(exact convex program when it has one).
"""

from __future__ import annotations

import abc
import numbers
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import check_alpha, check_finite_scalar, check_in_range
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Objective, cvar
from decide.outcomes import MixtureOutcome, OutcomeModel

__all__ = ["RobustCriterion", "WassersteinCVaR", "WorstModel"]


class RobustCriterion(abc.ABC):
    """A score of an action that needs the outcome model, not only its draws.

    Outcomes are rewards (higher is better). Subclasses implement
    :meth:`evaluate_flat` and :meth:`check`; :func:`decide.optimize` solves them
    through :mod:`decide.optimization` 's robust path.

    Attributes
    ----------
    base : Objective
        The plain objective the criterion robustifies (used to value an action
        under each model, e.g. by :func:`decide.policies.robustness`).
    """

    base: Objective

    def evaluate(self, outcome: OutcomeModel, action: Any) -> float:
        """The criterion's score of ``action`` (any form ``ActionSpec.flatten`` accepts)."""
        self.check(outcome)
        return self.evaluate_flat(outcome, outcome.action_space.flatten(action))

    @abc.abstractmethod
    def evaluate_flat(self, outcome: OutcomeModel, x: np.ndarray) -> float:
        """The score at the flat action ``x`` of shape ``(action_space.size,)``."""

    @abc.abstractmethod
    def check(self, outcome: OutcomeModel) -> None:
        """Raise ``DecideValueError`` / ``DecideTypeError`` if ``outcome`` does not fit."""


class WorstModel(RobustCriterion):
    r"""The objective under the worst candidate model, mixed with its value on the mixture.

    For a mixture of candidate models (:func:`decide.outcomes.mixture`) with pooled
    draws :math:`Y(a)` and model draws :math:`Y_m(a)`,

    .. math::

        \mathrm{score}(a) = (1 - \lambda)\, \rho\big(Y(a)\big)
        + \lambda \min_m \rho\big(Y_m(a)\big),

    with :math:`\rho` the objective and :math:`\lambda` = ``worst``: ``worst=1`` is
    the max-min choice (the best action in the worst model), ``worst=0`` the
    Bayesian model average (the same as optimizing :math:`\rho` on the mixture).
    Every candidate model counts in the minimum, whatever its weight. Outcomes are
    rewards (higher is better).

    Parameters
    ----------
    objective : Objective
        Any objective (``Mean()``, ``CVaR(0.05)``, ``Mean() + 0.5 * CVaR(0.1)``, a user
        objective); it scores each model's draws as it scores any draws.
    worst : float in [0, 1], default 1.0
        The weight :math:`\lambda` on the worst model.

    Raises
    ------
    DecideTypeError
        If ``objective`` is not an Objective.
    DecideValueError
        If ``worst`` is outside [0, 1].

    Notes
    -----
    :func:`decide.optimize` solves it as the epigraph problem

    .. math::

        \max_{a \in \mathcal{A},\, t}\; (1-\lambda)\,\rho(Y(a)) + \lambda t
        \quad\text{s.t.}\quad \rho(Y_m(a)) \ge t \;\; \forall m,

    an exact convex program (cvxpy) when every model is affine in the action and
    :math:`\rho` has a DCP form (the duals of the model constraints are the weights
    an adversary puts on the models, in ``Decision.table``), SLSQP with one smooth
    constraint per model otherwise, and enumeration on a Discrete space. The
    minimum over models of concave scores is concave, so the problem stays concave
    whenever :math:`\rho` is concave and the models affine. This is the
    :math:`\varepsilon`-contamination (or :math:`\alpha`-maxmin) criterion over
    the set of candidate models.

    References
    ----------
    .. [1] Gilboa, I. and Schmeidler, D. (1989). Maxmin expected utility with
       non-unique prior. Journal of Mathematical Economics, 18(2), 141-153.
    .. [2] Berger, J. O. (1985). Statistical Decision Theory and Bayesian Analysis,
       2nd ed., section 4.7 (robustness, epsilon-contamination). Springer.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import Mean
    >>> from decide.optimization import Budget, WorstModel, optimize
    >>> from decide.outcomes import linear, mixture
    >>> rng = np.random.default_rng(0)
    >>> a = linear(rng.normal([1.0, 0.4], 0.05, size=(300, 2)))   # channel 0 is strong
    >>> b = linear(rng.normal([-0.2, 0.4], 0.05, size=(300, 2)))  # channel 0 does harm
    >>> mix = mixture({"a": a, "b": b}, weights={"a": 0.8, "b": 0.2})
    >>> np.round(optimize(mix, Mean(), Budget(1.0)).flat_action, 3).tolist()
    [1.0, 0.0]
    >>> np.round(optimize(mix, WorstModel(Mean()), Budget(1.0)).flat_action, 3).tolist()
    [0.0, 1.0]
    """

    objective: Objective
    worst: float

    def __init__(self, objective: Objective, worst: float = 1.0):
        if not isinstance(objective, Objective):
            raise DecideTypeError(
                f"objective must be a decide Objective (Mean(), CVaR(0.05), ...); got "
                f"{type(objective).__name__}."
            )
        if isinstance(worst, bool) or not isinstance(worst, numbers.Real):
            raise DecideTypeError(f"worst must be a number in [0, 1]; got {worst!r}.")
        self.objective = objective
        self.base = objective
        self.worst = check_in_range(worst, "worst", low=0.0, high=1.0)

    def __repr__(self) -> str:
        return f"WorstModel({self.objective!r}, worst={self.worst:g})"

    def check(self, outcome: OutcomeModel) -> None:
        if not isinstance(outcome, MixtureOutcome):
            raise DecideTypeError(
                "WorstModel scores the objective under each candidate model, so the outcome must "
                "be a mixture of them (decide.outcomes.mixture({name: model, ...})); got "
                f"{type(outcome).__name__}."
            )

    def model_values(self, outcome: MixtureOutcome, x: np.ndarray) -> pd.Series:
        """The objective under each model at the flat action ``x`` (index: model names)."""
        vals = [float(self.objective(m.draws_flat(x))) for m in outcome.models.values()]
        return pd.Series(vals, index=pd.Index(list(outcome.names), name="model"), name="value")

    def evaluate_flat(self, outcome: OutcomeModel, x: np.ndarray) -> float:
        assert isinstance(outcome, MixtureOutcome)
        worst = float(self.model_values(outcome, x).min()) if self.worst > 0 else 0.0
        if self.worst == 1.0:
            return worst
        pooled = float(self.objective(outcome.draws_flat(x)))
        return (1.0 - self.worst) * pooled + self.worst * worst


#: The transport norms on the scenario space and their dual norms.
_DUAL = {1: np.inf, 2: 2, np.inf: 1}


class WassersteinCVaR(RobustCriterion):
    r"""The worst CVaR over every scenario distribution within a Wasserstein ball of the draws.

    For a linear outcome :math:`y_i(a) = \xi_i^\top a + b_i` (``linear``,
    ``from_draws`` or any outcome with an ``affine_form``) with scenario rows
    :math:`\xi_1..\xi_N`, the score is

    .. math::

        \inf_{Q:\; W_1(Q, \hat P_N) \le \varepsilon} \mathrm{CVaR}^Q_\alpha\big(\xi^\top a + b\big)
        = \mathrm{CVaR}_\alpha\big(Y(a)\big) - \frac{\varepsilon}{\alpha}\, \lVert a \rVert_*,

    where :math:`\hat P_N` is the empirical distribution of the scenario rows,
    :math:`W_1` the type-1 Wasserstein distance with transport cost
    :math:`\lVert \xi - \xi' \rVert` (``norm``) on the scenario space
    :math:`\Xi = \mathbb{R}^n` (the intercepts :math:`b_i` stay fixed), and
    :math:`\lVert\cdot\rVert_*` its dual norm. Outcomes are rewards (higher is
    better); risk is in the lower tail and ``alpha`` is the tail probability.

    Parameters
    ----------
    alpha : float in (0, 1)
        Tail probability of the CVaR.
    radius : float >= 0
        :math:`\varepsilon`, in units of the scenario rows (outcome per unit of action).
        ``radius=0`` is the plain CVaR of the draws.
    norm : {1, 2, inf}, default 2
        The norm of the transport cost between scenario rows.

    Raises
    ------
    DecideValueError
        If ``alpha`` is outside (0, 1), ``radius`` negative or not finite, or ``norm``
        not one of 1, 2, ``numpy.inf``.

    Notes
    -----
    :func:`decide.optimize` solves the reformulation of Esfahani and Kuhn (2018)
    for piecewise affine losses (as in their mean-risk portfolio example) exactly
    with cvxpy: for the loss :math:`L = -y`
    written as the maximum of the pieces :math:`\tau` and
    :math:`(1 - 1/\alpha)\tau + L/\alpha`,

    .. math::

        \max_{a,\tau,\lambda,s}\; -\Big(\lambda\varepsilon + \frac1N \sum_i s_i\Big)
        \;\text{s.t.}\; s_i \ge \tau,\;
        s_i \ge (1-\tfrac1\alpha)\tau - \tfrac1\alpha(\xi_i^\top a + b_i),\;
        \lambda \ge \tfrac1\alpha \lVert a \rVert_*,

    a linear program for the 1- and inf-norms and a second-order cone program for
    the 2-norm. Because the support is all of :math:`\mathbb{R}^n`, the worst case
    moves the :math:`\alpha`-tail scenarios a distance :math:`\varepsilon/\alpha`
    against the action, which gives the closed form above.

    References
    ----------
    .. [1] Mohajerin Esfahani, P. and Kuhn, D. (2018). Data-driven distributionally
       robust optimization using the Wasserstein metric: performance guarantees and
       tractable reformulations. Mathematical Programming, 171(1-2), 115-166.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.optimization import Budget, WassersteinCVaR, optimize
    >>> from decide.outcomes import linear
    >>> R = np.random.default_rng(0).normal([0.05, 0.03], [0.2, 0.1], size=(500, 2))
    >>> d = optimize(linear(R), WassersteinCVaR(0.1, radius=0.01), Budget(1.0))
    >>> d.method
    'cvxpy'
    >>> from decide.measures import cvar
    >>> x = d.flat_action
    >>> bool(np.isclose(d.value, cvar(R @ x, 0.1) - 0.01 / 0.1 * np.linalg.norm(x)))
    True
    """

    def __init__(self, alpha: float, radius: float, norm: float = 2):
        self.alpha = check_alpha(alpha)
        self.radius = check_in_range(check_finite_scalar(radius, "radius"), "radius", low=0.0)
        if isinstance(norm, bool) or norm not in _DUAL:
            raise DecideValueError(f"norm must be 1, 2 or numpy.inf; got {norm!r}.")
        self.norm = float(norm) if norm == np.inf else int(norm)
        self.dual_norm = _DUAL[norm]
        self.base = CVaR(self.alpha)

    def __repr__(self) -> str:
        return f"WassersteinCVaR(alpha={self.alpha:g}, radius={self.radius:g}, norm={self.norm})"

    def check(self, outcome: OutcomeModel) -> None:
        aff = outcome.affine_form()
        if aff is None or np.ndim(aff[0]) != 2:
            raise DecideValueError(
                "WassersteinCVaR needs an outcome linear in the action without replicates "
                "(affine_form() giving a scenario matrix): decide.outcomes.linear, from_draws, "
                f"or a mixture of them; {type(outcome).__name__} is not."
            )

    def evaluate_flat(self, outcome: OutcomeModel, x: np.ndarray) -> float:
        aff = outcome.affine_form()
        assert aff is not None
        A, b = (np.asarray(v, dtype=np.float64) for v in aff)
        penalty = self.radius / self.alpha * float(np.linalg.norm(x, ord=self.dual_norm))
        return float(cvar(A @ x + b, self.alpha)) - penalty
