"""Integration test of examples/two_channels_uncertainty.py: the seed's motivating case.

One seeded PyMC fit (2 chains x 300 draws); every qualitative claim of the
example is asserted on it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("pymc")
pytest.importorskip("matplotlib")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two_channels_uncertainty.py"


def _load():
    spec = importlib.util.spec_from_file_location("two_channels_uncertainty", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_two_channels_story(tmp_path):
    result = _load().main(n_draws=300, n_chains=2, n_replicates=40, out_dir=tmp_path)
    # 1. risk neutral: the whole budget on the large, uncertain channel A
    assert result["neutral"] == 1.0
    # 2. risk aversion moves budget to the well-measured channel B
    assert result["cvar"] <= 0.5
    assert result["cara"] < result["neutral"]
    # 3. A's risk is mostly epistemic, B's mostly aleatoric
    splits = result["decompose"]
    assert splits["A=100%"].method == "exact"
    assert splits["A=100%"].epistemic_share > 0.75
    assert splits["A=0%"].epistemic_share < 0.5
    assert splits["A=100%"].tail_epistemic > splits["A=100%"].tail_aleatoric
    # 4. learning A's effect is worth most of the EVPI; learning B's is worth little
    evpi, part_a, part_b = result["evpi"], result["evppi_A"], result["evppi_B"]
    assert evpi.value > 3 * evpi.standard_error
    assert part_a.value > 0.6 * evpi.value
    assert part_a.value > 5 * part_b.value
    assert 0.0 <= part_b.value <= part_a.value <= evpi.value
    # regret and P(best) agree with the EVPI on the same draws
    assert result["expected_regret"].min() == pytest.approx(evpi.value)
    assert result["prob_best"].sum() == pytest.approx(1.0)
    assert result["figure"].exists() and result["figure"].stat().st_size > 0
    # the parameter draws can also come from the outcome model itself
    from decide.uncertainty import evppi

    own = evppi(result["outcome"], result["grid"], params=["beta_A"], random_seed=7)
    assert own.value == pytest.approx(part_a.value)
