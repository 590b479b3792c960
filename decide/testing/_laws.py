"""One evaluation of each law of an objective on given inputs (no search).

Every function takes the objective, the inputs and the tolerances, and raises
:class:`PropertyViolation` when the law fails on those inputs. Outcomes are
rewards (higher is better); scores are to be maximized.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from decide.testing._violation import Counterexample, PropertyViolation, score, tolerance

Objective = Callable[[np.ndarray], Any]

LAWS: dict[str, str] = {
    "monotone": "x >= y draw by draw implies score(x) >= score(y)",
    "translation_invariant": "score(x + c) = score(x) + c for every constant c",
    "positively_homogeneous": "score(t * x) = t * score(x) for every t > 0",
    "subadditive": "score(x + y) >= score(x) + score(y) (subadditivity of risk, reward scale)",
    "concave": "score(l x + (1 - l) y) >= l score(x) + (1 - l) score(y) for l in [0, 1]",
    "law_invariant": "permuting equally weighted draws leaves the score unchanged",
    "pooled": (
        "replicates pool with the samples: score(X) of shape (n, r) equals the score of its "
        "n * r values, each replicate carrying 1 / r of its sample's weight"
    ),
    "weights": (
        "weights are probabilities of the samples: rescaling them or making them equal changes "
        "nothing, and integer weights k equal repeating each sample k times"
    ),
    "ssd_consistent": (
        "x dominates y in second-order stochastic dominance implies score(x) >= score(y) "
        "(never prefer a mean-preserving spread)"
    ),
}


def _fail(check: str, law: str, obj: Objective, inputs: dict[str, Any],
          scores: dict[str, float], expected: str, tol: float, w: Any = None) -> None:
    __tracebackhide__ = True
    if w is not None:
        inputs = {**inputs, "weights": w}
    raise PropertyViolation(
        Counterexample(check=check, law=LAWS[law], subject=repr(obj), inputs=inputs,
                       scores=scores, expected=expected, tol=tol)
    )


def _order(check: str, law: str, expected: str, obj: Objective, x: np.ndarray, y: np.ndarray,
           rtol: float, atol: float, w: Any = None) -> None:
    """Consistency with an order in which ``x`` dominates ``y``: ``score(x) >= score(y)``."""
    __tracebackhide__ = True
    sx, sy = score(obj, x, w), score(obj, y, w)
    tol = tolerance(rtol, atol, x, y, sx, sy)
    if not sx >= sy - tol:
        _fail(check, law, obj, {"x": x, "y": y}, {"score(x)": sx, "score(y)": sy}, expected, tol,
              w)


def monotone(obj: Objective, x: np.ndarray, y: np.ndarray, rtol: float, atol: float,
             w: Any = None) -> None:
    __tracebackhide__ = True
    _order("check_monotone", "monotone", "score(x) >= score(y)", obj, x, y, rtol, atol, w)


def translation(obj: Objective, x: np.ndarray, c: float, rtol: float, atol: float,
                w: Any = None) -> None:
    __tracebackhide__ = True
    sx, sxc = score(obj, x, w), score(obj, x + c, w)
    tol = tolerance(rtol, atol, x, x + c, sx, sxc, c)
    if not abs(sxc - (sx + c)) <= tol:
        _fail("check_translation_invariant", "translation_invariant", obj, {"x": x, "c": c},
              {"score(x)": sx, "score(x + c)": sxc}, "score(x + c) == score(x) + c", tol, w)


def homogeneity(obj: Objective, x: np.ndarray, t: float, rtol: float, atol: float,
                w: Any = None) -> None:
    __tracebackhide__ = True
    sx, stx = score(obj, x, w), score(obj, t * x, w)
    tol = tolerance(rtol, atol, x, t * x, sx, stx, t * sx)
    if not abs(stx - t * sx) <= tol:
        _fail("check_positive_homogeneous", "positively_homogeneous", obj, {"x": x, "t": t},
              {"score(x)": sx, "score(t * x)": stx}, "score(t * x) == t * score(x)", tol, w)


def subadditive(obj: Objective, x: np.ndarray, y: np.ndarray, rtol: float, atol: float,
                w: Any = None) -> None:
    __tracebackhide__ = True
    sx, sy, sxy = score(obj, x, w), score(obj, y, w), score(obj, x + y, w)
    tol = tolerance(rtol, atol, x, y, x + y, sx, sy, sxy)
    if not sxy >= sx + sy - tol:
        _fail("check_subadditive", "subadditive", obj, {"x": x, "y": y},
              {"score(x)": sx, "score(y)": sy, "score(x + y)": sxy},
              "score(x + y) >= score(x) + score(y)", tol, w)


def concave(obj: Objective, x: np.ndarray, y: np.ndarray, lam: float,
            rtol: float, atol: float, w: Any = None) -> None:
    __tracebackhide__ = True
    z = lam * x + (1.0 - lam) * y
    sx, sy, sz = score(obj, x, w), score(obj, y, w), score(obj, z, w)
    tol = tolerance(rtol, atol, x, y, z, sx, sy, sz)
    if not sz >= lam * sx + (1.0 - lam) * sy - tol:
        _fail("check_concave", "concave", obj, {"x": x, "y": y, "l": lam},
              {"score(x)": sx, "score(y)": sy, "score(l x + (1 - l) y)": sz},
              "score(l x + (1 - l) y) >= l score(x) + (1 - l) score(y)", tol, w)


def law_invariance(obj: Objective, x: np.ndarray, perm: np.ndarray,
                   rtol: float, atol: float, w: Any = None) -> None:
    """Permuting the samples (and their weights with them) leaves the score unchanged."""
    __tracebackhide__ = True
    xp = x[perm]
    wp = None if w is None else w[perm]
    sx, sp = score(obj, x, w), score(obj, xp, wp)
    tol = tolerance(rtol, atol, x, sx, sp)
    if not abs(sx - sp) <= tol:
        inputs = {"x": x, "x_permuted": xp}
        if w is not None:
            inputs |= {"weights": w, "weights_permuted": wp}
        _fail("check_law_invariant", "law_invariant", obj, inputs,
              {"score(x)": sx, "score(x_permuted)": sp}, "score(x_permuted) == score(x)", tol)


def ssd(obj: Objective, x: np.ndarray, y: np.ndarray, rtol: float, atol: float,
        w: Any = None, *, verify: bool = False) -> None:
    """SSD consistency on a pair.

    With ``verify``, a pair where ``x`` does not dominate ``y`` is skipped
    (draws removed while shrinking can break the dominance).
    """
    __tracebackhide__ = True
    if verify and not ssd_dominates(x, y, 1e-9, w):
        return
    _order("check_ssd_consistent", "ssd_consistent", "score(x) >= score(y) (x dominates y in SSD)",
           obj, x, y, rtol, atol, w)


def pooled(obj: Objective, x: np.ndarray, rtol: float, atol: float, w: Any = None) -> None:
    """``score(x)`` of shape (n, r) equals the score of the flat ``n * r`` values."""
    __tracebackhide__ = True
    if x.ndim != 2:
        return
    r = x.shape[1]
    flat = x.reshape(-1)
    wf = None if w is None else np.repeat(np.asarray(w, dtype=np.float64) / r, r)
    sx, sf = score(obj, x, w), score(obj, flat, wf)
    tol = tolerance(rtol, atol, x, sx, sf)
    if not abs(sx - sf) <= tol:
        inputs: dict[str, Any] = {"x": x, "x_pooled": flat}
        if w is not None:
            inputs |= {"weights": w, "weights_pooled": wf}
        _fail("check_pooled", "pooled", obj, inputs,
              {"score(x)": sx, "score(x_pooled)": sf}, "score(x) == score(x_pooled)", tol)


def weights(obj: Objective, x: np.ndarray, w: np.ndarray, rtol: float, atol: float,
            repeat: bool) -> None:
    """Rescaled, equal and integer weights against their meaning as sample probabilities."""
    __tracebackhide__ = True
    n = x.shape[0]
    cases: list[tuple[str, np.ndarray, Any, str, Any]] = [
        ("3 * weights", x, 3.0 * w, "weights", w),
        ("equal weights", x, np.full(n, 0.5), "no weights", None),
    ]
    k = np.asarray(w)
    if repeat and np.all(k == np.round(k)) and np.all(k <= 8) and k.sum() > 0:
        counts = k.astype(np.int64)
        cases.append(("integer weights", x, k, "each sample repeated k times",
                      ("repeat", np.repeat(x, counts, axis=0))))
    for name_a, xa, wa, name_b, wb in cases:
        if isinstance(wb, tuple):
            xb, wb = wb[1], None
        else:
            xb = xa
        sa, sb = score(obj, xa, wa), score(obj, xb, wb)
        tol = tolerance(rtol, atol, x, sa, sb)
        if not abs(sa - sb) <= tol:
            _fail("check_weights", "weights", obj, {"x": x, "weights": wa},
                  {f"score(x, {name_a})": sa, f"score(x, {name_b})": sb},
                  f"score(x, {name_a}) == score(x, {name_b})", tol)


def ssd_dominates(x: np.ndarray, y: np.ndarray, rtol: float = 1e-12, w: Any = None) -> bool:
    """Whether draws ``x`` dominate ``y`` in second-order stochastic dominance.

    ``x >=_SSD y`` (the increasing concave order) iff
    ``E[min(x, t)] >= E[min(y, t)]`` for every threshold ``t``; both sides are
    piecewise linear in ``t`` with kinks at the draws, so checking every draw
    as ``t`` suffices. ``w`` (shape ``(n_samples,)``) weighs the samples of
    both arrays (replicates share their sample's weight); ``None`` means
    equal weights.
    """
    def probs(a: np.ndarray) -> np.ndarray:
        if w is None:
            return np.full(a.size, 1.0 / a.size)
        r = a.size // a.shape[0]
        p = np.repeat(np.asarray(w, dtype=np.float64) / r, r)
        return p / p.sum()

    ts = np.unique(np.concatenate([x.reshape(-1), y.reshape(-1)]))

    def lower_mean(a: np.ndarray) -> np.ndarray:
        flat = a.reshape(-1)
        order = np.argsort(flat, kind="stable")
        v, p = flat[order], probs(a)[order]
        below = np.searchsorted(v, ts, side="left")
        head = np.r_[0.0, np.cumsum(p * v)][below]
        tail = 1.0 - np.r_[0.0, np.cumsum(p)][below]
        return head + ts * tail

    ex, ey = lower_mean(x), lower_mean(y)
    scale = max(1.0, float(np.max(np.abs(ts))))
    return bool(np.all(ex >= ey - rtol * scale))
