r"""Regression and moment-matching EVSI over a continuous action space, by candidate actions.

Outcomes are rewards (higher is better); draw arrays put the sample axis first.

Both estimators need the utilities of a fixed set of actions. Over a space
(``Box``, ``Budget``, ...) we build a finite *candidate set*

.. math::

    C = \{a_0\} \cup \{a^*(X_k)\}_{k=1}^{K},\qquad
    a^*(X_k) = \arg\max_{a} \sum_i w_{ki}\, U_i(a),

of the prior optimum :math:`a_0 = \arg\max_a \frac1S\sum_i U_i(a)` and the
actions that are optimal after ``K`` simulated datasets, then run the
finite-action estimator on :math:`C`. The weights :math:`w_{ki}` are those of
a linear smoother of the utilities on the data:

* regression: the nearest-neighbour (uniform kernel Nadaraya-Watson)
  regression on the summaries :math:`T(X_i)` of the datasets simulated at
  every draw, :math:`w_{ki} = 1/k` for the :math:`k = \lceil\sqrt S\,\rceil`
  draws whose whitened summaries are nearest to :math:`T(X_k)`; its
  fitted value :math:`\sum_i w_{ki} U_i(a)` estimates :math:`E[U(a,\theta)\mid
  T(X_k)]` with weights that do not depend on :math:`a`, so maximising it is
  one weighted optimisation (``optimize(..., weights=w_k)``);
* moment matching: the posterior updated on each of its ``n_refits`` datasets
  (refitted draws, or importance weights :math:`w_{ki}\propto p(X_k\mid\theta_i)`).

Both add the optimal actions under the same smoother on the draws of the
informed parameters :math:`\phi` at ``n_candidates`` points (nearly perfect
information: any feasible action may join :math:`C`, and these span the
actions that are ever optimal, the rare ones included).

Since :math:`C \subset \mathcal A` and :math:`a_0 \in C`,
:math:`\mathrm{EVSI}_C \le \mathrm{EVSI}` (up to the estimator's own error): the
estimate is a lower bound, tight when some candidate is near the optimum after
every dataset. The candidate set is checked by estimating again on
:math:`a_0` and every other candidate; the difference is reported as
``candidate_gap`` (a note is recorded when it exceeds two standard errors:
raise ``n_candidates``).

References
----------
.. [1] Strong, M., Oakley, J. E., Brennan, A. and Breeze, P. (2015).
   Estimating the expected value of sample information using the
   probabilistic sensitivity analysis sample. Medical Decision Making, 35(5), 570-583.
.. [2] Heath, A., Manolopoulou, I. and Baio, G. (2018). Efficient Monte Carlo
   estimation of the expected value of sample information using moment
   matching. Medical Decision Making, 38(2), 163-173.
.. [3] Nadaraya, E. A. (1964). On estimating regression. Theory of
   Probability and Its Applications, 9(1), 141-142.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from decide.uncertainty._utility import _model_utility

if TYPE_CHECKING:
    import xarray as xr

    from decide.uncertainty._evsi_methods import Setting

__all__ = ["candidate_estimate", "kernel_weights", "optimum", "preposterior_points", "solver"]


def solver(st: Setting) -> tuple[Any, int]:
    """The objective to optimize over the space (per-draw utilities averaged) and a seed."""
    from decide.measures import Mean
    from decide.uncertainty._continuous import _PerSampleAverage

    out = st.outcome
    obj = Mean() if st.objective is None else _PerSampleAverage(st.objective, out.n_replicates or 1)
    return obj, int(st.rng.integers(2**31 - 1))


def optimum(st: Setting, obj: Any, seed: int, ds: xr.Dataset | None = None,
            w: np.ndarray | None = None) -> np.ndarray:
    """The flat action maximising the (weighted, or refitted) expected utility over ``st.space``."""
    from decide.optimization import optimize

    model = st.outcome if ds is None else st.outcome.with_parameters(ds)
    return np.asarray(optimize(model, obj, space=st.space, weights=w, random_seed=seed).flat_action,
                      dtype=np.float64)


def preposterior_points(T: np.ndarray, K: int, rng: np.random.Generator) -> np.ndarray:
    """``K`` dataset indices: at evenly spaced quantiles of a one-dimensional summary, else at random.

    A one-dimensional summary is ordered so that the even positions (the first
    half) are themselves spread over its range; random points of a
    multivariate summary follow the preposterior distribution (the actions
    that are often optimal are found first). The candidate check drops the
    second half.
    """
    Z = _whiten(T)
    S = T.shape[0]
    if Z.shape[1] != 1:
        return rng.choice(S, size=K, replace=False)
    order = np.argsort(Z[:, 0], kind="stable")
    picks = order[((np.arange(K) + 0.5) / K * S).astype(int)]
    return np.concatenate([picks[0::2], picks[1::2]])


def _whiten(T: np.ndarray) -> np.ndarray:
    Tc = T - T.mean(axis=0)
    keep = Tc.std(axis=0) > 0
    Tc = Tc[:, keep]
    if Tc.shape[1] == 0:
        return Tc
    _, s, vt = np.linalg.svd(Tc, full_matrices=False)
    good = s > s[0] * 1e-8
    return (Tc @ vt[good].T) / (s[good] / math.sqrt(T.shape[0]))


def kernel_weights(T: np.ndarray, points: np.ndarray) -> np.ndarray:
    r"""Nadaraya-Watson weights :math:`w_{ki}` of the draws at the datasets ``points``.

    Parameters
    ----------
    T : ndarray of shape (S, d)
        The summaries of the dataset simulated at each draw.
    points : ndarray of shape (K,)
        Indices of the preposterior points.

    Returns
    -------
    ndarray of shape (K, S)
        Rows sum to 1: the uniform kernel on the :math:`k = \lceil\sqrt S\,\rceil`
        nearest neighbours of :math:`z_k` in the whitened summaries,
        :math:`w_{ki} = 1/k` for those draws (a narrow window, so the
        actions are not shrunk towards the prior optimum; a noisier action only
        adds a candidate).
    """
    Z = _whiten(T)
    S, d = Z.shape
    if d == 0:
        return np.full((points.size, S), 1.0 / S)
    d2 = ((Z[points][:, None, :] - Z[None, :, :]) ** 2).sum(axis=2)
    k = min(S, math.ceil(math.sqrt(S)))
    near = np.argpartition(d2, k - 1, axis=1)[:, :k]
    w = np.zeros_like(d2)
    np.put_along_axis(w, near, 1.0 / k, axis=1)
    return w


def _dedupe(C: list[np.ndarray]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for c in C:
        scale = 1e-7 * max(1.0, float(np.abs(c).max(initial=0.0)))
        if all(float(np.abs(c - o).max()) > scale for o in out):
            out.append(c)
    return out


def candidate_estimate(
    st: Setting, x0: np.ndarray, found: list[np.ndarray], estimate: Any
) -> tuple[float, float, dict[str, float]]:
    """Run the finite-action ``estimate(sub_setting) -> (raw, se, extra)`` on the candidates.

    ``found`` holds the optimal actions at the preposterior points, in the
    order of :func:`preposterior_points` (first half spread, then the rest).
    Returns the estimate on ``x0`` and all candidates, with ``n_candidates``
    and ``candidate_gap`` (that estimate minus the one on ``x0`` and the
    first half) in ``extra``.
    """

    def run(cands: list[np.ndarray]) -> tuple[float, float, dict[str, float]]:
        cands = _dedupe([x0, *cands])
        if len(cands) == 1:  # every dataset leads to the prior optimum
            return 0.0, 0.0, {}
        U = np.column_stack([_model_utility(st.outcome, c, st.objective) for c in cands])
        sub = dataclasses.replace(st, U=U, actions=[c.copy() for c in cands],
                                  best=int(np.argmax(U.mean(axis=0))), G_phi=None)
        raw, se, extra = estimate(sub)
        return raw, se, {**extra, "n_candidates": float(len(cands))}

    raw, se, extra = run(found)
    half, _, _ = run(found[: (len(found) + 1) // 2])
    extra["candidate_gap"] = raw - half
    return raw, se, extra


def _interleave(first: list[np.ndarray], more: list[np.ndarray]) -> list[np.ndarray]:
    h1, h2 = (len(first) + 1) // 2, (len(more) + 1) // 2
    return first[:h1] + more[:h2] + first[h1:] + more[h2:]


def _phi_candidates(st: Setting, obj: Any, seed: int) -> list[np.ndarray]:
    """Optimal actions at ``n_candidates`` nearest-neighbour points of the informed parameters."""
    assert st.X_phi is not None
    K = min(st.n_candidates, st.S)
    points = preposterior_points(st.X_phi, K, st.rng)
    return [optimum(st, obj, seed, w=w) for w in kernel_weights(st.X_phi, points)]


def regression_candidates(st: Setting, T: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The prior optimum and the optimal actions at smoothed datasets and parameter points.

    ``n_candidates`` of each kind, interleaved.
    """
    obj, seed = solver(st)
    x0 = optimum(st, obj, seed)
    K = min(st.n_candidates, T.shape[0])
    W = kernel_weights(T, preposterior_points(T, K, st.rng))
    return x0, _interleave([optimum(st, obj, seed, w=w) for w in W], _phi_candidates(st, obj, seed))


def update_candidates(
    st: Setting, ups: list[tuple[xr.Dataset | None, np.ndarray | None]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The prior optimum and the optimal actions after each update and at parameter points.

    ``n_candidates`` smoothed points of the informed parameters, interleaved.
    """
    obj, seed = solver(st)
    x0 = optimum(st, obj, seed)
    first = [optimum(st, obj, seed, ds=ds, w=w) for ds, w in ups]
    return x0, _interleave(first, _phi_candidates(st, obj, seed))
