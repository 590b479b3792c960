"""Checks of decision rules: never pick a dominated action; same seed, same decision.

A *rule* maps the outcome draws of a finite set of actions (rewards, higher is
better; a dict ``{label: ndarray of shape (n_samples,)}``, draws paired by
posterior sample) to the label of the chosen action.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import random
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide._validation import as_draws
from decide.errors import DecideTypeError, DecideValueError
from decide.testing._strategies import outcome_tables
from decide.testing._violation import Counterexample, PropertyViolation, run_given

__all__ = ["argmax_rule", "check_deterministic", "check_never_dominated",
           "check_never_ssd_dominated"]

Table = dict[str, np.ndarray]
Rule = Callable[[Table], Any]


def argmax_rule(objective: Callable[[np.ndarray], Any]) -> Rule:
    """The rule that picks the action whose draws score highest.

    Parameters
    ----------
    objective : callable
        ``objective(draws) -> float``, a score to maximize.

    Returns
    -------
    callable
        ``rule(table) -> label``; ties go to the first label in table order.
        Its ``objective`` attribute is ``objective``, so a failing check
        shows the score of every action (and flags floating-point ties).

    Notes
    -----
    Every rule check wraps a plain score function (``ndarray -> float``)
    given as a rule in ``argmax_rule`` itself: a callable that fails on the
    table dict but returns a number on one action's draws is taken as a score.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import argmax_rule
    >>> argmax_rule(np.mean)({"a": np.array([0.0, 1.0]), "b": np.array([2.0, 2.0])})
    'b'
    """

    def rule(table: Mapping[str, np.ndarray]) -> str:
        best, best_score = None, -np.inf
        for label, arr in table.items():
            s = float(objective(arr))
            if best is None or s > best_score:
                best, best_score = label, s
        return best  # type: ignore[return-value]

    rule.__name__ = rule.__qualname__ = f"argmax_rule({getattr(objective, '__name__', objective)!r})"
    rule.objective = objective  # type: ignore[attr-defined]
    return rule


class _AsRule:
    """A rule, or a plain score function wrapped in :func:`argmax_rule` on first use."""

    def __init__(self, fn: Callable[..., Any]):
        from decide.measures import Objective

        self.fn: Callable[..., Any] = argmax_rule(fn) if isinstance(fn, Objective) else fn
        self.decided = isinstance(fn, Objective) or hasattr(fn, "objective")
        self.__qualname__ = getattr(self.fn, "__qualname__", repr(self.fn))

    def __call__(self, table: Table) -> Any:
        if self.decided:
            return self.fn(table)
        try:
            out = self.fn(table)
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            first = next(iter(table.values()))
            try:
                value = float(self.fn(first.copy()))
            except Exception:
                raise exc from None
            if not np.isfinite(value) and not np.isinf(value):  # pragma: no cover
                raise exc from None
            self.fn, self.decided = argmax_rule(self.fn), True
            self.__qualname__ = self.fn.__qualname__
            return self.fn(table)
        self.decided = True
        return out

    @property
    def objective(self) -> Any:
        return getattr(self.fn, "objective", None)


def _scores(rule: Any, table: Table) -> dict[str, Any]:
    """The score of every action when the rule is an argmax of a known score (else empty)."""
    obj = getattr(rule, "objective", None)
    if obj is None:
        return {}
    try:
        return {f"score[{k!r}]": float(obj(v.copy())) for k, v in table.items()}
    except Exception:  # pragma: no cover - the score failed on some action
        return {}


def _tie_note(scores: dict[str, Any], chosen: str, other: str) -> str:
    from decide.testing._violation import ulps_apart

    a, b = scores.get(f"score[{chosen!r}]"), scores.get(f"score[{other!r}]")
    if a is None or b is None:
        return ""
    gap = ulps_apart(a, b)
    if gap <= 8:
        return (f" (scores {a!r} and {b!r} are {gap:.0f} ulp apart: a floating-point tie broken "
                "towards the first label; break ties towards the dominating action)")
    return ""


def _as_table(table: Any) -> Table:
    if hasattr(table, "columns") and hasattr(table, "to_numpy"):  # pandas DataFrame
        table = {str(c): table[c].to_numpy() for c in table.columns}
    if not isinstance(table, Mapping) or not table:
        raise DecideTypeError(
            "table must be a non-empty dict {label: draws} or a DataFrame with one column per "
            f"action; got {type(table).__name__}."
        )
    out = {str(k): as_draws(v, f"table[{k!r}]") for k, v in table.items()}
    shapes = {v.shape for v in out.values()}
    if len(shapes) != 1:
        raise DecideValueError(
            f"every action in table must have draws of the same shape (paired by posterior "
            f"sample); got shapes {sorted(shapes)}."
        )
    return out


def _chosen_label(choice: Any, labels: list[str]) -> str:
    if getattr(choice, "option", None) is not None:  # a Decision over a Discrete space
        choice = choice.option
    elif hasattr(choice, "action") and not isinstance(choice, str | np.ndarray):
        choice = choice.action
    if hasattr(choice, "values") and not isinstance(choice, Mapping):  # xarray
        choice = np.asarray(choice.values)
    if isinstance(choice, np.ndarray):
        choice = choice.item() if choice.size == 1 else choice
    if isinstance(choice, np.generic):
        choice = choice.item()
    if str(choice) in labels:
        return str(choice)
    if isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < len(labels):
        return labels[choice]
    raise DecideValueError(
        f"the rule must return one of the labels {labels} (or an index into them); got "
        f"{choice!r}."
    )


def _dominators(table: Table, label: str, strict: bool) -> list[str]:
    a = table[label]
    out = []
    for other, b in table.items():
        if other == label:
            continue
        if strict:
            if np.all(b > a):
                out.append(other)
        elif np.all(b >= a) and np.any(b > a):
            out.append(other)
    return out


def _ssd_dominators(table: Table, label: str) -> list[str]:
    from decide.testing._laws import ssd_dominates

    a = table[label]
    return [other for other, b in table.items()
            if other != label and ssd_dominates(b, a) and not ssd_dominates(a, b)]


def _never_dominated_once(rule: Rule, table: Table, strict: bool, order: str = "first") -> None:
    __tracebackhide__ = True
    labels = list(table)
    chosen = _chosen_label(rule({k: v.copy() for k, v in table.items()}), labels)
    if order == "first":
        dom = _dominators(table, chosen, strict)
        kind = "on every draw" if strict else "on every draw, strictly on at least one"
        check = "check_never_dominated"
        law = f"never pick an action another action beats {kind} (first-order dominance)"
    else:
        dom = _ssd_dominators(table, chosen)
        check = "check_never_ssd_dominated"
        law = ("never pick an action another action dominates in second-order stochastic "
               "dominance (every risk-averse expected utility prefers the other)")
    if dom:
        scores = {"chosen": chosen, "dominated by": dom} | _scores(rule, table)
        raise PropertyViolation(
            Counterexample(
                check=check,
                law=law,
                subject=getattr(rule, "__qualname__", repr(rule)),
                inputs={"table": table, f"draws[{chosen!r}]": table[chosen],
                        f"draws[{dom[0]!r}]": table[dom[0]]},
                scores=scores,
                expected=f"a choice other than {chosen!r}" + _tie_note(scores, chosen, dom[0]),
            )
        )


def check_never_dominated(
    rule: Rule | Any,
    table: Any = None,
    *,
    strict: bool = False,
    strategy: st.SearchStrategy[Table] | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check that a decision rule never picks a first-order dominated action.

    Action ``b`` dominates action ``a`` when its draws are at least as high on
    every posterior sample and higher on at least one (``strict=False``), or
    higher on every sample (``strict=True``). Outcomes are rewards.

    Parameters
    ----------
    rule : callable or Objective
        ``rule(table) -> label`` (or an index into the labels, or a
        ``Decision`` whose ``option`` is the label). An
        :class:`decide.measures.Objective` or a plain score function
        (``ndarray -> float``) is turned into :func:`argmax_rule` of it, and a
        failure then shows every action's score.
    table : dict of str to array_like of shape (n_samples,), or pandas.DataFrame, optional
        Outcome draws per action, paired by posterior sample. Without it the
        check searches with ``outcome_tables(dominance="first", strict=strict)``.
    strict : bool, default False
        Which dominance counts, see above. A rule built on a score that is
        monotone but not strictly monotone (a quantile, CVaR) can tie a
        dominated action with its dominator; check it with ``strict=True`` or
        break ties towards the dominating action.
    strategy : hypothesis strategy of tables, optional
        Tables for the search.
    max_examples, settings
        See :func:`check_monotone`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the table, the chosen action and the action dominating it.
    DecideValueError
        If the rule returns something that is not a label of the table.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_never_dominated
    >>> table = {"a": np.array([0.0, 1.0]), "b": np.array([0.5, 1.0])}
    >>> check_never_dominated(lambda t: max(t, key=lambda k: t[k].mean()), table)
    >>> check_never_dominated(lambda t: max(t, key=lambda k: t[k].std()), max_examples=50)
    Traceback (most recent call last):
    ...
    decide.testing._violation.PropertyViolation: check_never_dominated: ...
    """
    __tracebackhide__ = True
    if not callable(rule):
        raise DecideTypeError(f"rule must be callable (table -> label); got {type(rule).__name__}.")
    rule = _AsRule(rule)
    strict = bool(strict)
    if table is None:
        tables = outcome_tables(dominance="first", strict=strict) if strategy is None else strategy
        run_given(lambda table: _never_dominated_once(rule, _as_table(table), strict),
                  {"table": tables}, max_examples, settings)
        return
    if strategy is not None:
        raise DecideValueError("strategy is used only when no table is given; got both.")
    _never_dominated_once(rule, _as_table(table), strict)


def check_never_ssd_dominated(
    rule: Rule | Any,
    table: Any = None,
    *,
    strategy: st.SearchStrategy[Table] | None = None,
    max_examples: int | None = None,
    settings: Any = None,
) -> None:
    """Check that a decision rule never picks an action ruled out by second-order dominance.

    Action ``b`` dominates ``a`` in second-order stochastic dominance (SSD)
    when ``E[min(b, t)] >= E[min(a, t)]`` for every threshold ``t`` and the two
    distributions differ: every risk-averse (increasing concave) expected
    utility then prefers ``b``. A mean-preserving spread is SSD dominated.
    The law a risk-averse rule should obey; a mean-variance or mean-minus-sd
    rule breaks it.

    Parameters
    ----------
    rule : callable or Objective
        As in :func:`check_never_dominated` (a score function is wrapped in
        :func:`argmax_rule`).
    table : dict of str to array_like of shape (n_samples,), or pandas.DataFrame, optional
        Outcome draws per action. Without it the check searches with
        ``outcome_tables(dominance="second")``: one action is a mean-preserving
        spread of another.
    strategy, max_examples, settings
        See :func:`check_never_dominated`.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With the table, the chosen action, the action dominating it and, for
        an argmax rule, every action's score (floating-point ties flagged).

    Notes
    -----
    A rule whose score ties a spread with its mean (``Mean``, or a tail
    measure that ignores the spread part) picks the first of the tied
    labels, which may be the dominated one: the message then shows the tied
    scores. Break ties towards the less spread action.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_never_ssd_dominated
    >>> table = {"spread": np.array([-1.0, 3.0]), "sure": np.array([1.0, 1.0])}
    >>> check_never_ssd_dominated(lambda d: float(np.min(d)), table)
    >>> check_never_ssd_dominated(lambda d: float(np.mean(d) + np.std(d)), max_examples=20)
    Traceback (most recent call last):
    ...
    decide.testing._violation.PropertyViolation: check_never_ssd_dominated: ...
    """
    __tracebackhide__ = True
    if not callable(rule):
        raise DecideTypeError(f"rule must be callable (table -> label); got {type(rule).__name__}.")
    rule = _AsRule(rule)
    if table is None:
        tables = outcome_tables(dominance="second") if strategy is None else strategy
        run_given(lambda table: _never_dominated_once(rule, _as_table(table), False, "second"),
                  {"table": tables}, max_examples, settings)
        return
    if strategy is not None:
        raise DecideValueError("strategy is used only when no table is given; got both.")
    _never_dominated_once(rule, _as_table(table), False, "second")


def _same(a: Any, b: Any) -> bool:
    """Bit-for-bit equality of two decisions (arrays, xarray, dicts, dataclasses, objects)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if hasattr(a, "identical") and callable(a.identical):  # xarray
        return bool(a.identical(b))
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, float | np.floating):
        return bool(a == b or (np.isnan(a) and np.isnan(b)))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return _same(dataclasses.asdict(a), dataclasses.asdict(b))
    if hasattr(a, "action") and hasattr(b, "action"):  # a Decision: action and value
        return all(
            _same(getattr(a, k, None), getattr(b, k, None))
            for k in ("action", "flat_action", "option", "value", "score")
        )
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _decision_of(result: Any) -> Any:
    return result.action if hasattr(result, "action") and not isinstance(result, str) else result


def _call_twice(fn: Callable[..., Any], args: tuple, kwargs: dict, seed: Any,
                seed_arg: str | None) -> tuple[Any, Any]:
    out = []
    for i in range(2):
        kw = dict(kwargs)
        if seed_arg is not None:
            kw[seed_arg] = copy.deepcopy(seed)
        if i == 1:  # move the global generators on, so reliance on them shows
            np.random.random(3)  # noqa: NPY002
            random.random()
        out.append(fn(*copy.deepcopy(args), **kw))
    return out[0], out[1]


def _deterministic_once(fn: Callable[..., Any], args: tuple, kwargs: dict, seed: Any,
                        seed_arg: str | None) -> None:
    first, second = _call_twice(fn, args, kwargs, seed, seed_arg)
    if not _same(first, second):
        raise PropertyViolation(
            Counterexample(
                check="check_deterministic",
                law="the same random_seed gives the same decision, bit for bit",
                subject=getattr(fn, "__qualname__", repr(fn)),
                inputs={"args": args, seed_arg or "seed": seed},
                scores={"first decision": _decision_of(first),
                        "second decision": _decision_of(second)},
                expected="first decision == second decision",
            )
        )


def _binds(sig: inspect.Signature | None, args: tuple, kwargs: dict) -> str | None:
    """Why ``sig`` does not take ``(*args, **kwargs)``; None if it does (or is unknown)."""
    if sig is None:
        return None
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        return str(exc)
    return None


def _searched(fn: Callable[..., Any], args: tuple, kwargs: dict, seed_arg: str | None) -> bool:
    """Whether :func:`check_deterministic` searches (True) or calls ``fn`` once with ``args``.

    Without ``args``, ``fn`` is a rule ``fn(table, ...)`` searched over tables, unless
    its signature takes no positional argument (a closure over its inputs), which is
    then called as it is. A call ``fn`` cannot take raises a ``DecideTypeError`` that
    says how it is called and what to pass instead.
    """
    try:
        sig: inspect.Signature | None = inspect.signature(fn)
    except (TypeError, ValueError):  # no introspectable signature: the call will tell
        sig = None
    kw = dict(kwargs)
    if seed_arg is not None:
        kw[seed_arg] = 0
    shown = f"{getattr(fn, '__qualname__', type(fn).__name__)}{sig if sig is not None else ''}"
    seed_kw = "" if seed_arg is None else f"{seed_arg}=<seed>, "
    hint = ""
    if sig is not None and seed_arg is not None and seed_arg not in sig.parameters and not any(
        p.kind is p.VAR_KEYWORD for p in sig.parameters.values()
    ):
        hint = (f" fn has no parameter {seed_arg!r}: pass seed_arg= the name of the one that "
                f"takes its seed (parameters: {list(sig.parameters)}), or seed_arg=None for a "
                "function that takes no seed.")
    if args:
        why = _binds(sig, args, kw)
        if why is not None:
            raise DecideTypeError(
                f"fn must take the call check_deterministic makes, fn(*args, {seed_kw}**kwargs); "
                f"{shown} does not ({why}).{hint}"
            )
        return False
    why = _binds(sig, ("table",), kw)
    if why is None:
        return True
    if _binds(sig, (), kw) is None:
        return False  # takes no positional argument: called as it is
    advice = hint or " Pass the arguments of one call after fn: check_deterministic(fn, *args)."
    raise DecideTypeError(
        f"without positional arguments check_deterministic treats fn as a rule, "
        f"fn(table, {seed_kw}**kwargs), searched over outcome_tables(); {shown} does not "
        f"take that call ({why}).{advice}"
    )


def check_deterministic(
    fn: Callable[..., Any],
    *args: Any,
    random_seed: int | np.random.Generator | None = 0,
    seed_arg: str | None = "random_seed",
    max_examples: int | None = None,
    settings: Any = None,
    **kwargs: Any,
) -> None:
    """Check that the same seed gives the same decision, bit for bit.

    Calls ``fn(*args, random_seed=random_seed, **kwargs)`` twice (a
    ``Generator`` seed is deep-copied so each call starts from the same state;
    the arguments are deep-copied too) and moves numpy's and Python's global
    random generators on between the calls, so a rule that draws from them or
    from fresh unseeded generators is caught.

    Parameters
    ----------
    fn : callable
        A rule ``rule(table, random_seed=...) -> label`` or any function that
        returns a decision, e.g. :func:`decide.optimize`.
    *args
        Positional arguments of ``fn``. Without them, ``fn`` is treated as a
        rule and the check searches over ``outcome_tables()`` and seeds, unless
        ``fn`` takes no positional argument (a closure over its inputs, e.g.
        ``lambda random_seed: optimize(outcome, CVaR(0.1), space, random_seed=random_seed)``),
        which is called as it is.
    random_seed : int or numpy.random.Generator, default 0
        The seed passed to both calls.
    seed_arg : str or None, default "random_seed"
        Keyword under which the seed is passed; ``None`` passes no seed (for a
        rule that should be deterministic without one).
    max_examples, settings
        See :func:`check_monotone` (search form only).
    **kwargs
        Keyword arguments of ``fn``.

    Returns
    -------
    None

    Raises
    ------
    PropertyViolation
        With both decisions on ``exc.counterexample``. Decisions are compared
        by type and value: arrays with ``array_equal``, xarray objects with
        ``identical``, objects with an ``action`` (a ``Decision``) by their
        ``action``, ``flat_action``, ``option`` and ``value``.
    DecideTypeError
        If ``fn`` cannot take the call: ``fn(*args, random_seed=..., **kwargs)``,
        or ``fn(table, random_seed=..., **kwargs)`` in the search form (the
        message names ``seed_arg`` when ``fn`` takes its seed under another name).

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_deterministic
    >>> def rule(table, random_seed=None):
    ...     rng = np.random.default_rng(random_seed)
    ...     return max(table, key=lambda k: rng.choice(table[k], 10).mean())
    >>> check_deterministic(rule, {"a": np.arange(5.0), "b": -np.arange(5.0)}, random_seed=3)
    >>> check_deterministic(rule, max_examples=10)
    >>> table = {"a": np.arange(5.0), "b": -np.arange(5.0)}
    >>> check_deterministic(lambda random_seed: rule(table, random_seed=random_seed))
    """
    if not callable(fn):
        raise DecideTypeError(f"fn must be callable; got {type(fn).__name__}.")
    if not _searched(fn, args, kwargs, seed_arg):
        if max_examples is not None or settings is not None:
            raise DecideValueError(
                "max_examples and settings are used only in the search form (a rule "
                "fn(table, ...) and no args); got "
                + ("args." if args else "an fn that takes no positional argument.")
            )
        _deterministic_once(fn, args, kwargs, random_seed, seed_arg)
        return
    run_given(
        lambda table, seed: _deterministic_once(fn, (table,), kwargs, seed, seed_arg),
        {"table": outcome_tables(), "seed": st.integers(0, 2**32 - 1)},
        max_examples,
        settings,
    )
