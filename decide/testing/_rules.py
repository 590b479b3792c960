"""Checks of decision rules: never pick a dominated action; same seed, same decision.

A *rule* maps the outcome draws of a finite set of actions (rewards, higher is
better; a dict ``{label: ndarray of shape (n_samples,)}``, draws paired by
posterior sample) to the label of the chosen action.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide._validation import as_draws
from decide.errors import DecideTypeError, DecideValueError
from decide.testing._strategies import outcome_tables
from decide.testing._violation import Counterexample, PropertyViolation, run_given

__all__ = ["argmax_rule", "check_deterministic", "check_never_dominated"]

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

    rule.__name__ = rule.__qualname__ = f"argmax_rule({objective!r})"
    return rule


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


def _never_dominated_once(rule: Rule, table: Table, strict: bool) -> None:
    labels = list(table)
    chosen = _chosen_label(rule({k: v.copy() for k, v in table.items()}), labels)
    dom = _dominators(table, chosen, strict)
    if dom:
        kind = "on every draw" if strict else "on every draw, strictly on at least one"
        raise PropertyViolation(
            Counterexample(
                check="check_never_dominated",
                law=f"never pick an action another action beats {kind} (first-order dominance)",
                subject=getattr(rule, "__qualname__", repr(rule)),
                inputs={"table": table, f"draws[{chosen!r}]": table[chosen],
                        f"draws[{dom[0]!r}]": table[dom[0]]},
                scores={"chosen": chosen, "dominated by": dom},
                expected=f"a choice other than {chosen!r}",
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
        ``Decision`` whose ``option`` is the label). An :class:`decide.measures.Objective` is turned into
        :func:`argmax_rule` of it.
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
    from decide.measures import Objective

    if isinstance(rule, Objective):
        rule = argmax_rule(rule)
    if not callable(rule):
        raise DecideTypeError(f"rule must be callable (table -> label); got {type(rule).__name__}.")
    strict = bool(strict)
    if table is None:
        tables = outcome_tables(dominance="first", strict=strict) if strategy is None else strategy
        run_given(lambda table: _never_dominated_once(rule, _as_table(table), strict),
                  {"table": tables}, max_examples, settings)
        return
    if strategy is not None:
        raise DecideValueError("strategy is used only when no table is given; got both.")
    _never_dominated_once(rule, _as_table(table), strict)


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
        rule and the check searches over ``outcome_tables()`` and seeds.
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

    Examples
    --------
    >>> import numpy as np
    >>> from decide.testing import check_deterministic
    >>> def rule(table, random_seed=None):
    ...     rng = np.random.default_rng(random_seed)
    ...     return max(table, key=lambda k: rng.choice(table[k], 10).mean())
    >>> check_deterministic(rule, {"a": np.arange(5.0), "b": -np.arange(5.0)}, random_seed=3)
    >>> check_deterministic(rule, max_examples=10)
    """
    if not callable(fn):
        raise DecideTypeError(f"fn must be callable; got {type(fn).__name__}.")
    if args:
        if max_examples is not None or settings is not None:
            raise DecideValueError(
                "max_examples and settings are used only in the search form (no args); got args."
            )
        _deterministic_once(fn, args, kwargs, random_seed, seed_arg)
        return
    run_given(
        lambda table, seed: _deterministic_once(fn, (table,), kwargs, seed, seed_arg),
        {"table": outcome_tables(), "seed": st.integers(0, 2**32 - 1)},
        max_examples,
        settings,
    )
