"""Tests of decide.plots.plot_robustness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Mean
from decide.optimization import Budget, WorstModel
from decide.outcomes import linear, mixture
from decide.plots import plot_robustness
from decide.policies import robustness


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    mix = mixture({"a": linear(rng.normal([1.0, 0.4], 0.05, (200, 2))),
                   "b": linear(rng.normal([0.3, 1.0], 0.05, (200, 2)))},
                  weights={"a": 0.6, "b": 0.4})
    return robustness({"mixture": Mean(), "worst case": WorstModel(Mean())}, mix,
                      space=Budget(1.0), random_seed=0)


@pytest.mark.parametrize("metric", ["regret", "value", "rank"])
def test_the_image_is_the_policies_by_models_table(table, metric):
    _, ax = plot_robustness(table, metric)
    grid = ax.images[0].get_array()
    expected = np.array([[table.loc[(p, m), metric] for m in ("a", "b")]
                         for p in ("mixture", "worst case", "best for a", "best for b")], float)
    np.testing.assert_allclose(np.asarray(grid), expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["mixture", "worst case", "best for a",
                                                             "best for b"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\n(w=0.6)", "b\n(w=0.4)"]
    assert len(ax.texts) == expected.size and metric in ax.get_title()


def test_no_annotations_and_existing_axes(table):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out_fig, out_ax = plot_robustness(table, annotate=False, ax=ax)
    assert out_ax is ax and out_fig is fig and len(ax.texts) == 0


def test_bad_input(table):
    with pytest.raises(DecideTypeError, match="DataFrame"):
        plot_robustness({"a": 1})
    with pytest.raises(DecideValueError, match="metric"):
        plot_robustness(table, "cvar")
    with pytest.raises(DecideValueError, match="robustness"):
        plot_robustness(pd.DataFrame({"regret": [1.0]}))
