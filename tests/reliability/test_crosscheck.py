"""Cross-checks: five problem families, three objectives, five seeds, against brute force.

Each decision of :func:`decide.optimize` is scored with the test's own measure code
(``crosscheck_cases.own_*``) on outcome draws computed here in numpy, and compared
with the best action of a fine grid. ``converged=True`` is a claim: it must imply
the answer is within tolerance of the brute force (and these well-posed problems
must converge).
"""

from __future__ import annotations

import numpy as np
import pytest
from crosscheck_cases import FAMILIES, N_SAMPLES, brute, loss, own_cvar, own_mean

from decide.measures import CVaR, Mean
from decide.optimization import optimize
from decide.policies import compare
from decide.uncertainty import evpi

SEEDS = range(5)
#: Loss against the grid's best, relative to |best| + sd: the grids are fine enough that an
#: exact optimum is within this of the best grid point, and so must a verified answer be.
RTOL = 2e-3


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_optimize_matches_brute_force(family: str, seed: int) -> None:
    case = FAMILIES[family](seed)
    for name, (objective, mine) in case.objectives().items():
        d = optimize(case.outcome, objective, case.space, random_seed=seed)
        gap, scale = loss(case, mine, d.flat_action)
        ver = d.diagnostics.verification
        assert ver is not None
        assert d.converged == (ver.passed and d.diagnostics.converged)
        if d.converged:  # the claim
            assert gap <= RTOL * scale, (family, seed, name, d.flat_action, gap / scale)
        assert d.converged, (family, seed, name, str(ver))
        assert d.diagnostics.method_reason


@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_count_price(seed: int) -> None:
    # the case: a count-demand CVaR price with common random numbers is seed-stable
    case = FAMILIES["pricing"](seed)
    a = optimize(case.outcome, CVaR(0.1), case.space, random_seed=0)
    b = optimize(case.outcome, CVaR(0.1), case.space, random_seed=123)
    assert a.method == "derivative-free"
    assert a.flat_action.tolist() == b.flat_action.tolist()
    assert set(a.diagnostics.verification.checks) == {"local_probe", "optimality_gap"}
    x_best, _ = brute(case, own_cvar)
    assert abs(a.flat_action[0] - x_best[0]) < 0.5  # the CVaR optimum is flat: a loose action check


@pytest.mark.parametrize("seed", SEEDS)
def test_evpi_treatment_matches_numpy(seed: int) -> None:
    case = FAMILIES["treatment"](seed)
    y = case.grid_draws  # (2 arms, n_samples)
    expected = float(np.mean(np.max(y, axis=0)) - np.max(np.mean(y, axis=1)))
    got = evpi(case.outcome)
    assert float(got) == pytest.approx(expected, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_compare_marketing_each_policy_matches_brute_force_on_its_split(seed: int) -> None:
    case = FAMILIES["marketing"](seed)
    table = compare(case.outcome, {"neutral": Mean(), "careful": CVaR(0.1)}, case.space,
                    random_seed=seed)
    train = np.setdiff1d(np.arange(N_SAMPLES), table.attrs["held_out"])
    cols = table.attrs["action_columns"]
    for policy, mine in (("neutral", own_mean), ("careful", lambda y: own_cvar(y, 0.1))):
        row = table.loc[policy]
        assert row["converged"]
        assert row["verification"].startswith("verified")
        vals = mine(case.grid_draws[:, train])
        x = row[cols].to_numpy(dtype=float)
        got = float(mine(case.draws_at(x)[train][None, :])[0])
        scale = abs(vals.max()) + float(np.std(case.grid_draws[np.argmax(vals), train]))
        assert vals.max() - got <= RTOL * scale
