"""The objective interface shared by every utility and risk measure.

Conventions (the one place they are written in full)
-----------------------------------------------------
* Outcomes are **rewards**: higher is better. A loss is a negative reward.
* Every objective is a **score to maximize**. Dispersion measures used as
  objectives (``Variance``, ``StdDev``, ...) score as their negative.
* Risk lives in the **lower tail**. ``alpha`` is the tail probability:
  ``CVaR(alpha=0.05)`` is the mean of the worst 5% of outcome draws.
* Draws put the sample axis first: shape ``(n_samples,)`` or
  ``(n_samples, n_replicates)``. Replicates of one posterior sample are pooled
  with the samples into one predictive distribution, each replicate carrying
  ``1 / n_replicates`` of its sample's weight.
"""

from __future__ import annotations

import abc
import enum
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from decide._validation import as_draws, as_weights, check_finite_scalar
from decide.errors import DecideTypeError, DecideValueError

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["Objective", "Property", "WeightedObjective"]


class Property(enum.StrEnum):
    """Laws an objective may satisfy; ``X`` and ``Y`` are outcome draws paired by index.

    Attributes
    ----------
    MONOTONE
        ``X >= Y`` draw by draw implies ``score(X) >= score(Y)``.
    TRANSLATION_INVARIANT
        Cash additivity: ``score(X + c) = score(X) + c`` for every constant ``c``.
    POSITIVELY_HOMOGENEOUS
        ``score(t * X) = t * score(X)`` for every ``t > 0``.
    CONCAVE
        ``score(l X + (1 - l) Y) >= l score(X) + (1 - l) score(Y)`` for ``l`` in [0, 1]
        (for a positively homogeneous score: superadditive, the reward-scale form
        of subadditivity of risk).
    COHERENT
        All four above (Artzner et al., 1999, on the reward scale).
    LAW_INVARIANT
        The score depends only on the distribution of the draws (permuting
        equally weighted draws changes nothing).
    SSD_CONSISTENT
        If ``X`` dominates ``Y`` in second-order stochastic dominance then
        ``score(X) >= score(Y)``; in particular a mean-preserving spread never
        scores higher.
    """

    MONOTONE = "monotone"
    TRANSLATION_INVARIANT = "translation_invariant"
    POSITIVELY_HOMOGENEOUS = "positively_homogeneous"
    CONCAVE = "concave"
    COHERENT = "coherent"
    LAW_INVARIANT = "law_invariant"
    SSD_CONSISTENT = "ssd_consistent"


_COHERENT_PARTS = frozenset(
    {
        Property.MONOTONE,
        Property.TRANSLATION_INVARIANT,
        Property.POSITIVELY_HOMOGENEOUS,
        Property.CONCAVE,
    }
)


def _complete(props: Iterable[Property]) -> frozenset[Property]:
    """Add ``COHERENT`` when its four parts are present."""
    out = frozenset(props)
    if _COHERENT_PARTS <= out:
        out = out | {Property.COHERENT}
    return out


class Objective(abc.ABC):
    """A score of outcome draws to maximize (higher is better).

    Subclasses implement :meth:`_value` and, where they can, :meth:`_grad` and
    :meth:`_to_cvxpy`, on a flat vector of draws ``x`` of shape ``(m,)`` with
    probability weights ``w`` of shape ``(m,)`` summing to one, or ``w=None``
    for equal weights. The public methods validate, flatten replicates and
    reshape; subclasses never see bad input.

    Outcomes are rewards (higher is better); risk is in the lower tail and
    ``alpha`` is the tail probability.

    Attributes
    ----------
    properties : frozenset of Property
        The laws this objective satisfies (see :class:`Property`), checked by
        ``decide.testing``.
    """

    #: Laws the measure satisfies; ``COHERENT`` is added when its parts are present.
    _properties: frozenset[Property] = frozenset()  # instances may narrow or widen it
    #: Sign of the conventional value relative to the score: ``-1`` for measures that
    #: score as the negative of a dispersion or a probability (``Variance``,
    #: ``ProbabilityOfShortfall``, ...), so ``Variance() <= 4`` bounds the variance itself.
    _conventional_sign: ClassVar[float] = 1.0

    # -- public interface -------------------------------------------------
    @property
    def properties(self) -> frozenset[Property]:
        """Laws this objective satisfies, see :class:`Property`."""
        return _complete(self._properties)

    @property
    def has_cvxpy(self) -> bool:
        """Whether :meth:`to_cvxpy` gives a DCP form."""
        return type(self)._to_cvxpy is not Objective._to_cvxpy

    @property
    def has_grad(self) -> bool:
        """Whether :meth:`grad` is available."""
        return type(self)._grad is not Objective._grad

    @property
    def uses_action(self) -> bool:
        """Whether the score has a part that depends on the action itself (e.g. ``ActionCost``).

        Such an objective is scored with ``objective(draws, action=a)``; the
        optimizers add :meth:`action_score` (and :meth:`action_grad`,
        :meth:`action_cvxpy`) to the score of the draws.
        """
        return type(self)._action_value is not Objective._action_value

    @property
    def conventional_sign(self) -> float:
        """``+1`` when the score is the measure's conventional value, ``-1`` when it is its negative."""
        return float(self._conventional_sign)

    def action_score(self, action: Any) -> float:
        """The part of the score that depends on the flat action (0 for most objectives).

        Parameters
        ----------
        action : array_like of shape (size,)
            The flat action.

        Returns
        -------
        float
        """
        if not self.uses_action:
            return 0.0
        return float(self._action_value(_flat_action(action)))

    def action_grad(self, action: Any) -> np.ndarray:
        """Gradient of :meth:`action_score` with respect to the flat action, shape (size,)."""
        a = _flat_action(action)
        if not self.uses_action:
            return np.zeros_like(a)
        return np.asarray(self._action_grad(a), dtype=np.float64).reshape(a.shape)

    def action_cvxpy(self, action: cp.Expression) -> Any:
        """The cvxpy form of :meth:`action_score` for the action variable of shape (size,)."""
        if not self.uses_action:
            return 0.0
        return self._action_cvxpy(action)

    def __call__(self, draws: Any, weights: Any = None, *, action: Any = None) -> float:
        """Score the outcome draws (higher is better).

        Parameters
        ----------
        draws : array_like of shape (n_samples,) or (n_samples, n_replicates), or xarray.DataArray
            Outcome draws (rewards), sample axis first; a DataArray needs the dims
            ``("chain", "draw")`` or ``"sample"``.
        weights : array_like of shape (n_samples,), optional
            Non-negative weights per posterior sample; normalized internally.
        action : array_like of shape (size,), optional
            The flat action; required when :attr:`uses_action` (e.g. ``ActionCost``).

        Returns
        -------
        float

        Raises
        ------
        DecideValueError
            If the objective scores the action and ``action`` is not given.
        """
        x, w, _ = self._prepare(draws, weights)
        value = float(self._value(x, w))
        if self.uses_action:
            if action is None:
                raise DecideValueError(
                    f"{self!r} scores the action itself: call it as objective(draws, action=a) "
                    "with the flat action a; got no action."
                )
            value += self.action_score(action)
        return value

    def grad(self, draws: Any, weights: Any = None) -> np.ndarray:
        """Gradient of the score with respect to each draw.

        A subgradient where the measure is not smooth (e.g. CVaR puts weight
        ``w_i / alpha`` on the draws in its tail). Chained with an outcome model's
        vector-Jacobian product this gives the gradient with respect to the action.

        Parameters
        ----------
        draws : array_like of shape (n_samples,) or (n_samples, n_replicates)
        weights : array_like of shape (n_samples,), optional

        Returns
        -------
        ndarray of the same shape as ``draws``
        """
        if not self.has_grad:
            raise NotImplementedError(f"{self!r} has no gradient; use a derivative-free method.")
        x, w, shape = self._prepare(draws, weights)
        return np.asarray(self._grad(x, w), dtype=np.float64).reshape(shape)

    def value_and_grad(self, draws: Any, weights: Any = None) -> tuple[float, np.ndarray]:
        """The score and its gradient with respect to each draw, validating the draws once.

        Parameters
        ----------
        draws : array_like of shape (n_samples,) or (n_samples, n_replicates)
        weights : array_like of shape (n_samples,), optional

        Returns
        -------
        value : float
            Same as ``self(draws, weights)``.
        grad : ndarray of the same shape as ``draws``
            Same as ``self.grad(draws, weights)``.
        """
        if not self.has_grad:
            raise NotImplementedError(f"{self!r} has no gradient; use a derivative-free method.")
        x, w, shape = self._prepare(draws, weights)
        value = float(self._value(x, w))
        return value, np.asarray(self._grad(x, w), dtype=np.float64).reshape(shape)

    def to_cvxpy(self, expr: cp.Expression, weights: Any = None) -> cp.Expression:
        """A DCP-concave cvxpy expression equal to the score of ``expr``.

        The expression may introduce auxiliary variables (e.g. the VaR level of
        CVaR); it equals the score once maximized over them, so use it only in a
        maximized objective or on the large side of a ``>=`` constraint.

        Parameters
        ----------
        expr : cvxpy.Expression of shape (n_samples,) or (n_samples, n_replicates)
            Outcome draws affine in the decision variables.
        weights : array_like of shape (n_samples,), optional

        Returns
        -------
        cvxpy.Expression
            A scalar concave expression.

        Raises
        ------
        NotImplementedError
            If the objective has no DCP form (see :attr:`has_cvxpy`).
        """
        if not self.has_cvxpy:
            raise NotImplementedError(
                f"{self!r} has no DCP form; use method='scipy' (or another measure)."
            )
        import cvxpy as cp

        shape = expr.shape
        if len(shape) not in (1, 2) or shape[0] == 0:
            raise ValueError(
                f"expr must have shape (n_samples,) or (n_samples, n_replicates); got {shape}."
            )
        n_samples = shape[0]
        n_rep = shape[1] if len(shape) == 2 else 1
        flat = cp.vec(expr, order="C") if len(shape) == 2 else expr
        w = as_weights(weights, n_samples)
        if w is not None and n_rep > 1:
            w = np.repeat(w / n_rep, n_rep)
        return self._to_cvxpy(flat, w)

    # -- constraints (comparison with a number) --------------------------
    def __ge__(self, other: object) -> Any:
        return _compare(self, ">=", other)

    def __le__(self, other: object) -> Any:
        return _compare(self, "<=", other)

    def __gt__(self, other: object) -> Any:
        raise DecideTypeError(
            f"compare {self!r} with >= or <= to make a constraint; got '>' (strict and "
            "non-strict bounds are the same on sample draws)."
        )

    def __lt__(self, other: object) -> Any:
        raise DecideTypeError(
            f"compare {self!r} with >= or <= to make a constraint; got '<' (strict and "
            "non-strict bounds are the same on sample draws)."
        )

    # -- combination ------------------------------------------------------
    def __add__(self, other: object) -> WeightedObjective:
        if not isinstance(other, Objective):
            return NotImplemented
        return WeightedObjective([*_terms(self), *_terms(other)])

    def __radd__(self, other: object) -> Objective:
        if isinstance(other, numbers.Number) and other == 0:  # supports sum([...])
            return self
        return NotImplemented

    def __mul__(self, other: object) -> WeightedObjective:
        if isinstance(other, Objective) or not isinstance(other, numbers.Real):
            return NotImplemented
        c = check_finite_scalar(other, "weight")
        return WeightedObjective([(c * wt, m) for wt, m in _terms(self)])

    __rmul__ = __mul__

    def __neg__(self) -> WeightedObjective:
        return self * -1.0

    def __sub__(self, other: object) -> WeightedObjective:
        if not isinstance(other, Objective):
            return NotImplemented
        return self + (-other)

    # -- for subclasses ---------------------------------------------------
    @abc.abstractmethod
    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        """Score of flat draws ``x`` (m,) with probability weights ``w`` (m,) or None."""

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        """D score / d x, shape (m,)."""
        raise NotImplementedError

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        """DCP-concave form of the score of the flat affine expression ``expr`` (m,)."""
        raise NotImplementedError

    def _check_domain(self, x: np.ndarray) -> None:
        """Raise ``DecideValueError`` if the draws lie outside the measure's domain."""

    def _action_value(self, a: np.ndarray) -> float:
        """Score of the flat action ``a`` (size,) itself; overridden by action objectives."""
        raise NotImplementedError

    def _action_grad(self, a: np.ndarray) -> np.ndarray:
        """Gradient of the action score with respect to ``a``, shape (size,)."""
        raise NotImplementedError

    def _action_cvxpy(self, a: cp.Expression) -> cp.Expression:
        """The cvxpy form of the action score (affine or concave in ``a``)."""
        raise NotImplementedError

    def _prepare(
        self, draws: Any, weights: Any
    ) -> tuple[np.ndarray, np.ndarray | None, tuple[int, ...]]:
        arr = as_draws(draws)
        w = as_weights(weights, arr.shape[0])
        if arr.ndim == 2:
            n_rep = arr.shape[1]
            if w is not None:
                w = np.repeat(w / n_rep, n_rep)
            x = arr.reshape(-1)
        else:
            x = arr
        self._check_domain(x)
        return x, w, arr.shape

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict[str, Any]:
        """Constructor parameters, for ``repr``, equality and hashing.

        By default, each parameter of ``__init__`` stored on the instance under
        its own name or with a leading underscore (``self.theta`` or
        ``self._theta``); if some parameter is stored under another name, every
        instance attribute. Override it to choose.
        """
        import inspect

        try:
            sig = inspect.signature(type(self).__init__)
        except (TypeError, ValueError):  # pragma: no cover
            return dict(vars(self))
        names = [p.name for p in list(sig.parameters.values())[1:]
                 if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        out: dict[str, Any] = {}
        for name in names:
            for attr in (name, "_" + name):
                if attr in vars(self):
                    out[name] = vars(self)[attr]
                    break
            else:
                return dict(vars(self))
        return out

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return False
        return _frozen(self._params()) == _frozen(other._params())

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(_frozen(self._params()))))


def _frozen(value: Any) -> Any:
    """A comparable form of constructor parameters (arrays by shape, dtype and values)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, str(value.dtype), tuple(value.reshape(-1).tolist()))
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _flat_action(action: Any) -> np.ndarray:
    try:
        a = np.asarray(action, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"action must be a numeric array (the flat action); got {type(action).__name__}."
        ) from None
    if not np.all(np.isfinite(a)):
        raise DecideValueError(f"action must be finite; got {a.tolist()!r}.")
    return a


def _compare(obj: Objective, sense: str, other: object) -> Any:
    """``obj >= other`` / ``obj <= other``: an :class:`OutcomeConstraint` (imported lazily)."""
    from decide.measures._constraint import OutcomeConstraint

    if isinstance(other, Objective):  # a >= b  is  (a - b) >= 0
        return OutcomeConstraint(obj - other, sense, 0.0)
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        raise DecideTypeError(
            f"a constraint compares an objective with a real number, e.g. CVaR(0.05) >= -100; "
            f"got {obj!r} {sense} {type(other).__name__} ({other!r})."
        )
    return OutcomeConstraint(obj, sense, float(other))


def _terms(obj: Objective) -> list[tuple[float, Objective]]:
    if isinstance(obj, WeightedObjective):
        return list(obj.terms)
    return [(1.0, obj)]


class WeightedObjective(Objective):
    r"""A weighted sum of objectives, built by ``w1 * m1 + w2 * m2``.

    .. math:: \mathrm{score}(X) = \sum_k w_k\, \mathrm{score}_k(X)

    Parameters
    ----------
    terms : sequence of (float, Objective)
        Weights and objectives.

    Notes
    -----
    With non-negative weights the sum keeps every law all its terms share
    (monotone, positively homogeneous, concave, law invariant, SSD consistent);
    it is translation invariant when every term is and the weights sum to one.
    A negative weight keeps only law invariance.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import Mean, Variance
    >>> obj = Mean() + 0.5 * Variance()   # mean - 0.5 * variance
    >>> float(obj(np.array([0.0, 2.0])))
    0.5
    """

    def __init__(self, terms: Iterable[tuple[float, Objective]]):
        merged: list[tuple[float, Objective]] = []
        for wt, m in terms:
            if not isinstance(m, Objective):
                raise DecideTypeError(
                    f"terms must hold Objective instances; got {type(m).__name__}."
                )
            merged.append((check_finite_scalar(wt, "weight"), m))
        if not merged:
            raise DecideTypeError("terms must hold at least one (weight, Objective) pair; got none.")
        self.terms: tuple[tuple[float, Objective], ...] = tuple(merged)

    @property
    def properties(self) -> frozenset[Property]:
        shared = frozenset.intersection(*(m.properties for _, m in self.terms))
        if any(wt < 0 for wt, _ in self.terms):
            return shared & {Property.LAW_INVARIANT}
        shared = shared - {Property.COHERENT}
        if not np.isclose(sum(wt for wt, _ in self.terms), 1.0):
            shared = shared - {Property.TRANSLATION_INVARIANT}
        return _complete(shared)

    @property
    def has_cvxpy(self) -> bool:
        return all(m.has_cvxpy for _, m in self.terms)

    @property
    def has_grad(self) -> bool:
        return all(m.has_grad for _, m in self.terms)

    @property
    def uses_action(self) -> bool:
        return any(m.uses_action for _, m in self.terms)

    def _action_value(self, a: np.ndarray) -> float:
        return float(sum(wt * m.action_score(a) for wt, m in self.terms))

    def _action_grad(self, a: np.ndarray) -> np.ndarray:
        return sum((wt * m.action_grad(a) for wt, m in self.terms), np.zeros_like(a))

    def _action_cvxpy(self, a: cp.Expression) -> cp.Expression:
        return sum(wt * m.action_cvxpy(a) for wt, m in self.terms if m.uses_action)

    def _check_domain(self, x: np.ndarray) -> None:
        for _, m in self.terms:
            m._check_domain(x)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(sum(wt * m._value(x, w) for wt, m in self.terms))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return sum(wt * np.asarray(m._grad(x, w)) for wt, m in self.terms)  # type: ignore[return-value]

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        return sum(wt * m._to_cvxpy(expr, w) for wt, m in self.terms)

    def _params(self) -> dict[str, Any]:
        return {"terms": self.terms}

    def __repr__(self) -> str:
        return " + ".join(f"{wt:g} * {m!r}" for wt, m in self.terms)
