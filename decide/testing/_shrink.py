"""Shrinking a failing example after hypothesis: fewest draws first, then simpler values.

An example is the keyword arguments of a check's search body: arrays whose
first axis is the sample axis (draws, paired draws, weights, table columns),
possibly nested in tuples and dicts, and scalars. The body re-validates every
precondition of its law (a pair that no longer dominates is skipped), so any
candidate on which it still raises :class:`PropertyViolation` is a genuine,
smaller counterexample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from decide.testing._violation import PropertyViolation

__all__ = ["shrink"]

Body = Callable[..., None]


def _n_samples(value: Any) -> set[int]:
    """Leading lengths of the float arrays in an example (``{-1}`` for an int array)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub":
            return {value.size} if _is_permutation(value) else {-1}
        return {value.shape[0]} if value.ndim >= 1 else set()
    if isinstance(value, tuple | list):
        return set().union(*(_n_samples(v) for v in value)) if value else set()
    if isinstance(value, Mapping):
        return set().union(*(_n_samples(v) for v in value.values())) if value else set()
    return set()


def _is_permutation(value: np.ndarray) -> bool:
    return value.ndim == 1 and value.dtype.kind in "iu" and np.array_equal(
        np.sort(value), np.arange(value.size))


def _take(value: Any, idx: np.ndarray) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and _is_permutation(value):
        # a permutation of the samples: keep the order it gives the kept samples
        keep = np.sort(np.asarray(idx))
        kept = value[np.isin(value, keep)]
        return np.searchsorted(keep, kept).astype(value.dtype)
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return value[idx]
    if isinstance(value, tuple):
        return tuple(_take(v, idx) for v in value)
    if isinstance(value, list):
        return [_take(v, idx) for v in value]
    if isinstance(value, Mapping):
        return {k: _take(v, idx) for k, v in value.items()}
    return value


class _Runner:
    """Evaluates candidates within a budget; remembers the last violation."""

    def __init__(self, body: Body, example: dict[str, Any], found: PropertyViolation,
                 budget: int):
        self.body, self.example, self.found, self.left = body, example, found, budget

    def fails(self, candidate: dict[str, Any]) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        try:
            self.body(**candidate)
        except PropertyViolation as exc:
            self.example, self.found = candidate, exc
            return True
        except Exception:
            return False
        return False


def _fewer_draws(run: _Runner) -> None:
    """Every single draw, then blocks of draws deleted greedily (halves, ..., single draws)."""
    ns = _n_samples(run.example)
    if len(ns) != 1 or -1 in ns:
        return
    n = ns.pop()
    base = run.example
    for i in range(min(n, 64)):
        if n == 1 or run.left <= 0:
            break
        if run.fails({k: _take(v, np.array([i])) for k, v in base.items()}):
            return
    keep = np.arange(n)
    block = max(n // 2, 1)
    while block >= 1 and run.left > 0 and keep.size > 1:
        start, progressed = 0, False
        while start < keep.size and run.left > 0 and keep.size > 1:
            trial = np.r_[keep[:start], keep[start + block:]]
            if trial.size and run.fails({k: _take(v, trial) for k, v in base.items()}):
                keep, progressed = trial, True
            else:
                start += block
        if not progressed:
            block //= 2


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, np.ndarray]]:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.ndim >= 1:
        yield path, value
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))


def _replaced(value: Any, path: tuple, new: np.ndarray) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, tuple):
        return tuple(_replaced(v, rest, new) if i == head else v for i, v in enumerate(value))
    if isinstance(value, list):
        return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return {k: (_replaced(v, rest, new) if k == head else v) for k, v in value.items()}


def _simpler_values(run: _Runner, max_values: int = 64) -> None:
    """Each value to 0, else to an integer, else to one or three decimals, when it still fails."""
    for key in list(run.example):
        for path, arr in list(_leaves(run.example[key])):
            if arr.size > max_values:
                continue
            flat_index = list(np.ndindex(arr.shape))
            for pos in flat_index:
                if run.left <= 0:
                    return
                current = _get(run.example[key], path)
                v = float(current[pos])
                for simple in (0.0, float(np.round(v)), float(np.round(v, 1)),
                               float(np.round(v, 3))):
                    if simple == v:
                        break
                    new = current.copy()
                    new[pos] = simple
                    cand = dict(run.example)
                    cand[key] = _replaced(run.example[key], path, new)
                    if run.fails(cand):
                        break


def _simpler_scalars(run: _Runner) -> None:
    """Top-level float arguments (``c``, ``t``, ``l``) to integers or few decimals.

    Never to 0 or across 0: a law may hold only for ``t > 0``.
    """
    for key, v in list(run.example.items()):
        if not isinstance(v, float) or not np.isfinite(v):
            continue
        for simple in (float(np.round(v)), float(np.round(v, 1)), float(np.round(v, 3))):
            if simple == v:
                break
            if simple == 0.0 or np.sign(simple) != np.sign(v):
                continue
            if run.fails({**run.example, key: simple}):
                break


def _get(value: Any, path: tuple) -> np.ndarray:
    for p in path:
        value = value[p]
    return value


def shrink(body: Body, example: dict[str, Any], found: PropertyViolation,
           budget: int = 400) -> PropertyViolation:
    """The violation of the smallest, simplest example found from ``example``.

    First the fewest draws (every array on the sample axis loses the same
    draws), then simpler values (0, integers, few decimals), then simpler
    scalar arguments, within ``budget`` evaluations of ``body``.
    """
    run = _Runner(body, example, found, budget)
    _fewer_draws(run)
    _simpler_values(run)
    _simpler_scalars(run)
    return run.found
