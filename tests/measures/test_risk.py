"""Tail objectives (VaR, CVaR, EVaR, EntropicRisk, WorstCase, MeanCVaR): grads, DCP forms, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from decide.errors import DecideValueError
from decide.measures import (
    CVaR,
    EntropicRisk,
    EVaR,
    Mean,
    MeanCVaR,
    Property,
    VaR,
    WorstCase,
    cvar,
    entropic_risk,
    evar,
    value_at_risk,
)

from .test_tail import ru_lp

P = Property


def test_classes_use_the_functions():
    x = np.random.default_rng(0).normal(size=(40, 3))
    flat = x.ravel()
    assert CVaR(0.1)(x) == pytest.approx(cvar(flat, 0.1))
    assert VaR(0.1)(x) == value_at_risk(flat, 0.1)
    assert EVaR(0.1)(x) == pytest.approx(evar(flat, 0.1))
    assert EntropicRisk(2.0)(x) == pytest.approx(entropic_risk(flat, 2.0))
    assert WorstCase()(x) == flat.min()
    assert MeanCVaR(0.5, 0.1)(x) == pytest.approx(flat.mean() + 0.5 * cvar(flat, 0.1))


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.15, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cvar_grad_is_the_lp_dual(alpha, weighted):
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    w = rng.uniform(0.2, 1.0, size=40) if weighted else None
    _, dual = ru_lp(x, alpha, w)
    g = CVaR(alpha).grad(x, weights=w)
    np.testing.assert_allclose(g, dual, atol=1e-9)
    assert g.sum() == pytest.approx(1.0)
    assert np.all(g >= 0)
    wn = np.full(40, 1 / 40) if w is None else w / w.sum()
    assert np.all(g <= wn / alpha + 1e-12)


def test_cvar_grad_splits_the_boundary_draw():
    x = np.array([3.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(CVaR(0.375).grad(x), [0.0, 1 / 1.5, 0.5 / 1.5, 0.0])


@pytest.mark.parametrize(
    "objective",
    [EVaR(0.1), EVaR(0.6), EntropicRisk(0.7), CVaR(0.13), MeanCVaR(0.4, 0.13)],
    ids=repr,
)
@pytest.mark.parametrize("weighted", [False, True])
def test_grad_against_finite_differences(objective, weighted, helpers):
    rng = np.random.default_rng(2)
    x = rng.normal(size=15)
    w = rng.uniform(0.5, 1.5, size=15) if weighted else None
    num = helpers.fd(lambda v: objective(v, weights=w), x)
    np.testing.assert_allclose(objective.grad(x, weights=w), num, atol=1e-6)


def test_grad_shape_follows_replicates():
    x = np.random.default_rng(3).normal(size=(10, 3))
    g = EVaR(0.2).grad(x)
    assert g.shape == (10, 3)
    np.testing.assert_allclose(g.ravel(), EVaR(0.2).grad(x.ravel()))
    assert WorstCase().grad(x)[np.unravel_index(np.argmin(x), x.shape)] == 1.0


@pytest.mark.parametrize(
    "objective",
    [
        CVaR(0.1),
        CVaR(0.37),
        EVaR(0.1),
        EVaR(0.5),
        EntropicRisk(1.5),
        WorstCase(),
        MeanCVaR(0.8, 0.2),
    ],
    ids=repr,
)
@pytest.mark.parametrize("weighted", [False, True])
def test_cvxpy_form_matches_value(objective, weighted, helpers):
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=12)
    w = rng.uniform(0.1, 1.0, size=12) if weighted else None
    assert helpers.cvx(objective, x, w) == pytest.approx(objective(x, weights=w), abs=1e-6)


def test_var_has_no_dcp_form_nor_grad():
    assert not VaR(0.1).has_cvxpy and not VaR(0.1).has_grad
    with pytest.raises(NotImplementedError):
        VaR(0.1).grad([1.0, 2.0])


def test_declared_properties():
    coherent = {
        P.MONOTONE,
        P.TRANSLATION_INVARIANT,
        P.POSITIVELY_HOMOGENEOUS,
        P.CONCAVE,
        P.COHERENT,
    }
    for m in (CVaR(0.1), EVaR(0.1), WorstCase()):
        assert m.properties == coherent | {P.LAW_INVARIANT, P.SSD_CONSISTENT}
    assert P.CONCAVE not in VaR(0.1).properties and P.SSD_CONSISTENT not in VaR(0.1).properties
    assert P.POSITIVELY_HOMOGENEOUS not in EntropicRisk(1.0).properties
    assert P.TRANSLATION_INVARIANT not in MeanCVaR(0.5, 0.1).properties
    assert P.COHERENT in MeanCVaR(0.0, 0.1).properties


def test_meancvar_translation_scales_by_one_plus_lambda():
    x = np.random.default_rng(5).normal(size=30)
    m = MeanCVaR(0.5, 0.2)
    assert m(x + 2.0) == pytest.approx(m(x) + 1.5 * 2.0)


def test_weighted_sum_of_objectives():
    x = np.random.default_rng(6).normal(size=50)
    obj = Mean() + 0.5 * CVaR(0.1)
    assert obj(x) == pytest.approx(x.mean() + 0.5 * cvar(x, 0.1))
    np.testing.assert_allclose(obj.grad(x), Mean().grad(x) + 0.5 * CVaR(0.1).grad(x))
    assert obj.properties >= {P.MONOTONE, P.CONCAVE, P.POSITIVELY_HOMOGENEOUS, P.SSD_CONSISTENT}
    assert P.TRANSLATION_INVARIANT not in obj.properties  # weights sum to 1.5
    mix = 0.5 * Mean() + 0.5 * CVaR(0.1)
    assert P.COHERENT in mix.properties
    assert obj == MeanCVaR(0.5, 0.1) or obj(x) == pytest.approx(MeanCVaR(0.5, 0.1)(x))


def test_xarray_draws():
    rng = np.random.default_rng(7)
    da = xr.DataArray(rng.normal(size=(2, 25)), dims=("chain", "draw"))
    assert CVaR(0.2)(da) == pytest.approx(cvar(da.values.ravel(), 0.2))
    g = EVaR(0.2).grad(da)
    assert g.shape == (50,)


@pytest.mark.parametrize("cls", [VaR, CVaR, EVaR])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.2])
def test_alpha_validated_at_construction(cls, alpha):
    with pytest.raises(DecideValueError, match=rf"alpha must be in \(0, 1\); got {alpha}"):
        cls(alpha)


def test_other_parameters_validated():
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got -1.0"):
        MeanCVaR(-1.0, 0.1)
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got inf"):
        MeanCVaR(math.inf, 0.1)
    with pytest.raises(DecideValueError, match=r"theta must be in \(0, inf\); got 0.0"):
        EntropicRisk(0.0)


@pytest.mark.parametrize("bad", [[1.0, np.nan], [np.inf, 1.0], []])
def test_bad_draws(bad):
    with pytest.raises(DecideValueError, match="draws must"):
        CVaR(0.1)(np.array(bad))
    with pytest.raises(DecideValueError, match="draws must"):
        EVaR(0.1).grad(np.array(bad))


def test_bad_weights():
    with pytest.raises(DecideValueError, match=r"weights must have shape \(3,\).*got shape \(4,\)"):
        CVaR(0.1)([1.0, 2.0, 3.0], weights=[1.0, 1.0, 1.0, 1.0])
    with pytest.raises(DecideValueError, match=r"weights must be non-negative; got -1.0"):
        CVaR(0.1)([1.0, 2.0, 3.0], weights=[1.0, -1.0, 1.0])
