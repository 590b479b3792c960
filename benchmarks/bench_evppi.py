"""Benchmark: EVPPI on 231 budget splits of an MMM-like response, old regression vs new.

Three channels with a saturating response ``beta_c * x_c / (x_c + lam_c)`` (beta_c and
lam_c correlated within a channel, correlation 0.8 on the log scale), a common
baseline ``base`` and a weekly budget split on a simplex grid of step 1/20: 231
actions, 2000 posterior draws.

* ``old``: the previous estimator, one regression per action (additive splines;
  gradient-boosted trees with 5-fold cross-fitting per action) and a bootstrap of the
  fitted values only;
* ``new``: :func:`decide.uncertainty.evppi` (principal components of the utilities,
  pairwise tensor splines, a bootstrap that refits the regression).

The reference for EVPPI(beta_tv, lam_tv) is nested Monte Carlo (the other channels'
parameters and the baseline are independent of tv's, so the inner expectation is an
average over 4000 fresh draws of them). Printed: wall time, value, standard error,
the regression check, and the ratio old / new time. Versions are printed.

Run: python benchmarks/bench_evppi.py
"""

from __future__ import annotations

import platform
import time

import numpy as np

N, STEP = 2000, 20
MU_B, MU_L = np.log([3.0, 2.0, 1.0]), np.log([0.4, 0.3, 0.2])
S_B, S_L, RHO = 0.3, 0.5, 0.8


def _draw(rng, n):
    cov = np.array([[S_B**2, RHO * S_B * S_L], [RHO * S_B * S_L, S_L**2]])
    z = rng.multivariate_normal([0.0, 0.0], cov, size=(n, 3))
    beta, lam = np.exp(MU_B + z[..., 0]), np.exp(MU_L + z[..., 1])
    return beta, lam, rng.normal(0.0, 0.3, n)


def _splits():
    return np.array([[i, j, STEP - i - j] for i in range(STEP + 1) for j in range(STEP + 1 - i)]) / STEP


def _utility(beta, lam, base, A):
    # beta, lam: (..., 3); A: (n_actions, 3) -> (..., n_actions)
    resp = beta[..., None, :] * A / (A + lam[..., None, :])
    return resp.sum(axis=-1) + base[..., None]


def _old(U, X, method, rng):
    from decide.uncertainty._evppi import _evppi_value, _fit_gam, _fit_gbm

    means = U.mean(axis=0)
    best = int(np.argmax(means))
    D = np.delete(U - U[:, [best]], best, axis=1)
    fitted = _fit_gam(X, D, 8) if method == "gam" else _fit_gbm(X, D, 5, rng)
    G = np.insert(fitted, best, 0.0, axis=1)
    boot = [_evppi_value(G[rng.integers(0, U.shape[0], U.shape[0])]) for _ in range(200)]
    return _evppi_value(G), float(np.std(boot, ddof=1))


def _nested_tv(rng, A, n_out=1000, n_in=4000):
    beta, lam, _ = _draw(rng, n_out)
    b_in, l_in, base_in = _draw(rng, n_in)
    inner = np.empty((n_out, A.shape[0]))
    for s in range(n_out):
        b, lm = b_in.copy(), l_in.copy()
        b[:, 0], lm[:, 0] = beta[s, 0], lam[s, 0]
        inner[s] = _utility(b, lm, base_in, A).mean(axis=0)
    b, lm, base = _draw(rng, 200_000)
    prior = np.mean([_utility(b[i:i + 20_000], lm[i:i + 20_000], base[i:i + 20_000], A).mean(axis=0)
                     for i in range(0, 200_000, 20_000)], axis=0)
    gain = inner.max(axis=1) - inner[:, int(np.argmax(prior))]
    return float(gain.mean()), float(gain.std(ddof=1) / np.sqrt(n_out))


def main() -> None:
    import sklearn

    import decide
    from decide.uncertainty import evpi, evppi, evppi_table

    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, decide {decide.__version__}")
    rng = np.random.default_rng(0)
    A = _splits()
    beta, lam, base = _draw(rng, N)
    U = _utility(beta, lam, base, A)
    import xarray as xr

    post = xr.Dataset(
        {"beta": (("sample", "channel"), beta), "lam": (("sample", "channel"), lam),
         "base": (("sample",), base)},
        coords={"channel": ["tv", "search", "podcast"]},
    )
    X_tv = np.column_stack([beta[:, 0], lam[:, 0]])
    print(f"{U.shape[1]} actions x {U.shape[0]} draws; EVPI {evpi(U).value:.4f}")
    truth, truth_se = _nested_tv(np.random.default_rng(1), A)
    print(f"EVPPI(beta_tv, lam_tv) by nested Monte Carlo: {truth:.4f} (se {truth_se:.4f})")
    sel = {"beta": {"channel": "tv"}, "lam": {"channel": "tv"}}
    for method in ("gam", "gbm"):
        t0 = time.perf_counter()
        old, old_se = _old(U, X_tv, method, np.random.default_rng(2))
        t_old = time.perf_counter() - t0
        t0 = time.perf_counter()
        new = evppi(U, params=sel, posterior=post, method=method, random_seed=2)
        t_new = time.perf_counter() - t0
        print(f"{method}: old {old:.4f} (se {old_se:.4f}) in {t_old:.2f} s | new {new.value:.4f} "
              f"(se {new.standard_error:.4f}) in {t_new:.2f} s | old/new time {t_old / t_new:.1f}x")
        print(f"    new {new.regression!r}")
    t0 = time.perf_counter()
    both = ["tv", "search"]
    table = evppi_table(U, groups={"beta_tv": {"beta": {"channel": "tv"}}, "beta_tv, lam_tv": sel,
                                   "tv, search": {"beta": {"channel": both}, "lam": {"channel": both}}},
                        posterior=post, random_seed=3)
    print(f"evppi_table (gam, 3 nested sets) in {time.perf_counter() - t0:.2f} s")
    print(table[["value", "standard_error", "value_raw", "cv_r2", "regression_ok"]].to_string())


if __name__ == "__main__":
    main()
