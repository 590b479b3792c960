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
    "ssd_consistent": (
        "x dominates y in second-order stochastic dominance implies score(x) >= score(y) "
        "(never prefer a mean-preserving spread)"
    ),
}


def _fail(check: str, law: str, obj: Objective, inputs: dict[str, Any],
          scores: dict[str, float], expected: str, tol: float) -> None:
    raise PropertyViolation(
        Counterexample(check=check, law=LAWS[law], subject=repr(obj), inputs=inputs,
                       scores=scores, expected=expected, tol=tol)
    )


def _order(check: str, law: str, expected: str, obj: Objective, x: np.ndarray, y: np.ndarray,
           rtol: float, atol: float) -> None:
    """Consistency with an order in which ``x`` dominates ``y``: ``score(x) >= score(y)``."""
    sx, sy = score(obj, x), score(obj, y)
    tol = tolerance(rtol, atol, x, y, sx, sy)
    if not sx >= sy - tol:
        _fail(check, law, obj, {"x": x, "y": y}, {"score(x)": sx, "score(y)": sy}, expected, tol)


def monotone(obj: Objective, x: np.ndarray, y: np.ndarray, rtol: float, atol: float) -> None:
    _order("check_monotone", "monotone", "score(x) >= score(y)", obj, x, y, rtol, atol)


def translation(obj: Objective, x: np.ndarray, c: float, rtol: float, atol: float) -> None:
    sx, sxc = score(obj, x), score(obj, x + c)
    tol = tolerance(rtol, atol, x, x + c, sx, sxc, c)
    if not abs(sxc - (sx + c)) <= tol:
        _fail("check_translation_invariant", "translation_invariant", obj, {"x": x, "c": c},
              {"score(x)": sx, "score(x + c)": sxc}, "score(x + c) == score(x) + c", tol)


def homogeneity(obj: Objective, x: np.ndarray, t: float, rtol: float, atol: float) -> None:
    sx, stx = score(obj, x), score(obj, t * x)
    tol = tolerance(rtol, atol, x, t * x, sx, stx, t * sx)
    if not abs(stx - t * sx) <= tol:
        _fail("check_positive_homogeneous", "positively_homogeneous", obj, {"x": x, "t": t},
              {"score(x)": sx, "score(t * x)": stx}, "score(t * x) == t * score(x)", tol)


def subadditive(obj: Objective, x: np.ndarray, y: np.ndarray, rtol: float, atol: float) -> None:
    sx, sy, sxy = score(obj, x), score(obj, y), score(obj, x + y)
    tol = tolerance(rtol, atol, x, y, x + y, sx, sy, sxy)
    if not sxy >= sx + sy - tol:
        _fail("check_subadditive", "subadditive", obj, {"x": x, "y": y},
              {"score(x)": sx, "score(y)": sy, "score(x + y)": sxy},
              "score(x + y) >= score(x) + score(y)", tol)


def concave(obj: Objective, x: np.ndarray, y: np.ndarray, lam: float,
            rtol: float, atol: float) -> None:
    z = lam * x + (1.0 - lam) * y
    sx, sy, sz = score(obj, x), score(obj, y), score(obj, z)
    tol = tolerance(rtol, atol, x, y, z, sx, sy, sz)
    if not sz >= lam * sx + (1.0 - lam) * sy - tol:
        _fail("check_concave", "concave", obj, {"x": x, "y": y, "l": lam},
              {"score(x)": sx, "score(y)": sy, "score(l x + (1 - l) y)": sz},
              "score(l x + (1 - l) y) >= l score(x) + (1 - l) score(y)", tol)


def law_invariance(obj: Objective, x: np.ndarray, perm: np.ndarray,
                   rtol: float, atol: float) -> None:
    xp = x[perm]
    sx, sp = score(obj, x), score(obj, xp)
    tol = tolerance(rtol, atol, x, sx, sp)
    if not abs(sx - sp) <= tol:
        _fail("check_law_invariant", "law_invariant", obj, {"x": x, "x_permuted": xp},
              {"score(x)": sx, "score(x_permuted)": sp}, "score(x_permuted) == score(x)", tol)


def ssd(obj: Objective, x: np.ndarray, y: np.ndarray, rtol: float, atol: float) -> None:
    _order("check_ssd_consistent", "ssd_consistent", "score(x) >= score(y) (x dominates y in SSD)",
           obj, x, y, rtol, atol)


def ssd_dominates(x: np.ndarray, y: np.ndarray, rtol: float = 1e-12) -> bool:
    """Whether equally weighted draws ``x`` dominate ``y`` in second-order stochastic dominance.

    With the same number ``m`` of equally weighted draws, ``x >=_SSD y`` (the
    increasing concave order) iff the sum of the ``k`` smallest draws of ``x``
    is at least that of ``y`` for every ``k = 1..m``.
    """
    cx = np.cumsum(np.sort(x.reshape(-1)))
    cy = np.cumsum(np.sort(y.reshape(-1)))
    tol = rtol * max(1.0, float(np.max(np.abs(cx))), float(np.max(np.abs(cy))))
    return bool(np.all(cx >= cy - tol))
