"""The backend contract and the registry: one object per way of solving a decision problem.

A backend is a subclass of :class:`Backend` registered with :func:`register`. It
declares its ``name`` (the value of ``optimize(method=...)``), the ``options`` it
takes, whether and how ``method="auto"`` may pick it (:meth:`Backend.auto_rank`),
which problems it can solve (:meth:`Backend.accepts`, returning the reason when it
cannot), what to try when it fails under ``"auto"`` (``fallback``) and how it solves
(:meth:`Backend.solve`, always ``(problem, rng, options) -> Decision``). The rule
for ``"auto"`` is :func:`choose`, used everywhere a method is picked; adding a
backend touches its own module and the import list of this package only.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from decide.errors import DecideError, DecideValueError, SolverError

if TYPE_CHECKING:
    from decide.optimization._decision import Decision
    from decide.optimization._problem import Problem

__all__ = [
    "Backend",
    "backend_names",
    "choose",
    "constraint_reason",
    "discrete_reason",
    "get_backend",
    "register",
]


class Backend(abc.ABC):
    """One way to solve a :class:`~decide.optimization._problem.Problem` (maximize a score).

    Subclasses set the class attributes and implement :meth:`accepts` and
    :meth:`solve`; they override :meth:`auto_rank` when ``method="auto"`` may pick
    them and :meth:`recoverable` when more failures than :class:`SolverError`
    should fall back.

    Attributes
    ----------
    name : str
        The ``method`` value that selects this backend.
    options : frozenset of str
        Names of the ``**options`` of :func:`decide.optimize` this backend takes.
    fallback : str or None
        The backend ``method="auto"`` tries next when this one fails with a
        recoverable error (see :meth:`recoverable`); None: the error propagates.
    """

    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()
    fallback: ClassVar[str | None] = None

    @abc.abstractmethod
    def accepts(self, problem: Problem) -> str | None:
        """``None`` when this backend can solve ``problem``, else the reason it cannot."""

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        """Preference of ``method="auto"`` for this backend on an accepted problem.

        Parameters
        ----------
        problem : Problem
        repeated : bool
            True when the same problem is solved many times with small changes
            (a frontier or a sweep, warm-started point to point).

        Returns
        -------
        float or None
            Lower is preferred; None when ``"auto"`` never picks this backend here.
        """
        return None

    def reason(self, problem: Problem) -> str:
        """What this backend does for ``problem`` and why it fits, in words.

        Recorded in ``Decision.diagnostics.method_reason``; the default is the
        first line of the class docstring.
        """
        doc = (type(self).__doc__ or self.name).strip().splitlines()[0]
        return doc.rstrip(".")

    def recoverable(self, exc: DecideError) -> bool:
        """Whether ``method="auto"`` may fall back after ``exc`` (default: solver failures)."""
        return isinstance(exc, SolverError)

    @abc.abstractmethod
    def solve(
        self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]
    ) -> Decision:
        """Solve ``problem``; ``options`` holds only names from :attr:`options`."""

    def __repr__(self) -> str:
        return f"<backend {self.name!r}>"


def discrete_reason(problem: Problem, name: str) -> str | None:
    """The reason a continuous backend refuses a Discrete space, or None."""
    if problem.space.discrete:
        return f"a Discrete space is scored by enumeration, not {name!r}"
    return None


def constraint_reason(problem: Problem, name: str, kinds: tuple[str, ...]) -> str | None:
    """The reason a backend refuses the problem's constraints on outcomes, or None.

    ``kinds`` are the :attr:`~decide.measures.OutcomeConstraint.kind` values the
    backend solves; ``"chance"`` there means the conservative CVaR approximation
    (refused when ``chance="exact"``), ``"grad"`` any constraint whose measure has
    a gradient.
    """
    for c in problem.constraints:
        kind = c.kind
        if kind == "chance":
            if "chance" not in kinds:
                return f"{name!r} does not solve chance constraints such as {c!r}"
            if problem.chance == "exact":
                return (f"{name!r} solves the chance constraint {c!r} only through its CVaR "
                        "approximation, and chance='exact' was asked")
            continue
        if kind in kinds or ("grad" in kinds and c.objective.has_grad):
            continue
        return f"{name!r} cannot solve the constraint {c!r} (a {kind} constraint)"
    return None


_REGISTRY: dict[str, Backend] = {}


def register(cls: type[Backend]) -> type[Backend]:
    """Class decorator: add one instance of the backend to the registry under its name."""
    name = cls.name
    if name in _REGISTRY or name == "auto":
        raise DecideValueError(f"a backend named {name!r} is already registered.")
    _REGISTRY[name] = cls()
    return cls


def backend_names() -> tuple[str, ...]:
    """Names of the registered backends, in registration order."""
    return tuple(_REGISTRY)


def get_backend(name: str) -> Backend:
    """The registered backend called ``name``.

    Raises
    ------
    DecideValueError
        If no backend has that name (the message lists the valid ``method`` values).
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise DecideValueError(f"method must be one of {['auto', *_REGISTRY]}; got {name!r}.") from None


def choose(problem: Problem, *, repeated: bool = False) -> Backend:
    """The backend ``method="auto"`` uses: the accepting backend of lowest rank.

    Parameters
    ----------
    problem : Problem
    repeated : bool
        The problem is one point of a warm-started sequence (frontier, sweep).

    Returns
    -------
    Backend
    """
    best: tuple[float, int, Backend] | None = None
    refused: list[str] = []
    for order, backend in enumerate(_REGISTRY.values()):
        reason = backend.accepts(problem)
        if reason is not None:
            refused.append(f"{backend.name}: {reason}")
            continue
        rank = backend.auto_rank(problem, repeated=repeated)
        if rank is not None and (best is None or (rank, order) < best[:2]):
            best = (rank, order, backend)
    if best is None:
        raise SolverError(
            "no method can solve this problem; each refused it: " + "; ".join(refused) + "."
        )
    return best[2]
