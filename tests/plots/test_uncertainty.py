"""Tests of decide.plots.plot_uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.plots import plot_uncertainty
from decide.uncertainty import decompose


@pytest.fixture(scope="module")
def parts() -> dict:
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 1, (400, 1))
    return {"A": decompose(theta + rng.normal(0, 2, (400, 50))),
            "B": decompose(3 * theta + rng.normal(0, 1, (400, 50))),
            "C": decompose(0.5 * theta + rng.normal(0, 0.5, (400, 50)))}


def test_one_bar_per_action(parts: dict) -> None:
    _, ax = plot_uncertainty(parts)
    assert len(ax.patches) == 6 and len(ax.containers) == 2
    epi, ale = ax.containers
    np.testing.assert_allclose([p.get_width() for p in epi], [d.epistemic for d in parts.values()])
    np.testing.assert_allclose([p.get_width() for p in ale], [d.aleatoric for d in parts.values()])
    np.testing.assert_allclose([p.get_x() for p in ale], [d.epistemic for d in parts.values()])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("epistemic") and legend[1].startswith("aleatoric")
    assert ax.get_xlabel() == "outcome variance"


def test_shares_add_to_one(parts: dict) -> None:
    _, ax = plot_uncertainty(parts, share=True)
    epi, ale = ax.containers
    total = np.array([p.get_width() for p in epi]) + np.array([p.get_width() for p in ale])
    np.testing.assert_allclose(total, 1.0)
    np.testing.assert_allclose([p.get_width() for p in epi], [d.epistemic_share for d in parts.values()])
    assert ax.get_xlabel() == "share of the outcome variance"


def test_single_decomposition_and_table(parts: dict) -> None:
    _, ax = plot_uncertainty(parts["B"])
    assert len(ax.patches) == 2
    table = parts["A"].to_dataframe()
    _, ax = plot_uncertainty(table)
    assert len(ax.patches) == 2 * len(table)


def test_bad_input(parts: dict) -> None:
    with pytest.raises(DecideTypeError, match=r"decompositions\['x'\] must be a Decomposition"):
        plot_uncertainty({"x": 1.0})
    with pytest.raises(DecideTypeError, match=r"decompositions must be a Decomposition"):
        plot_uncertainty([1, 2])
    with pytest.raises(DecideValueError, match=r"missing \['aleatoric_variance'\]"):
        plot_uncertainty(parts["A"].to_dataframe().drop(columns="aleatoric_variance"))
