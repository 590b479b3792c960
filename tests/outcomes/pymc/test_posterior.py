"""PyMCOutcome.posterior: the thinned free-variable draws, aligned with the samples,
read-only, sliced by subset, and read by decide.uncertainty.evppi."""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

# These tests exercise the compiled graph on the design the model was fitted on (the
# action is the fitted history on purpose); the history warning is tested in test_data.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore:the action .* as many as the observed data:UserWarning"
)

from decide.outcomes import from_pymc  # noqa: E402

from .conftest import CHANNELS, Case, fingerprint, marketing_mean  # noqa: E402


def test_posterior_is_the_thinned_draws_aligned_with_samples(marketing: Case) -> None:
    before = fingerprint(marketing.model, marketing.idata)
    om = from_pymc(
        marketing.model, marketing.idata, action="spend", outcome="mu", max_draws=15, random_seed=4
    )
    post = om.posterior
    assert set(post.data_vars) == {"base", "beta", "k", "gamma"}  # sigma is not on mu's path
    assert all(post[v].dims[0] == "sample" for v in post.data_vars)
    assert post.sizes["sample"] == om.n_samples == 15
    assert post["beta"].dims == ("sample", "channel")
    assert list(post["beta"].channel.values) == CHANNELS
    # rows are 15 distinct draws of the posterior, in sample order
    idx = [int(np.flatnonzero(marketing.draws["base"] == b)[0]) for b in post["base"].values]
    assert len(set(idx)) == 15 and idx == sorted(idx)
    for v in post.data_vars:
        np.testing.assert_array_equal(post[v].values, marketing.draws[v][idx])
    # row s of the posterior produced row s of sample(): recompute the outcome from it
    x = marketing.data["spend"] * 1.2
    own = {v: post[v].values for v in post.data_vars}
    np.testing.assert_allclose(
        om.sample(x), marketing_mean(own, x, marketing.data["z"]), atol=1e-10
    )
    assert fingerprint(marketing.model, marketing.idata) == before


def test_posterior_is_read_only(marketing: Case) -> None:
    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="sales")
    post = om.posterior
    with pytest.raises(ValueError, match="read-only"):
        post["beta"].values[0, 0] = 100.0
    post["extra"] = post["base"] * 2  # the returned Dataset is the caller's own object
    assert "extra" not in om.posterior
    x = marketing.data["spend"]
    ref = marketing_mean(marketing.draws, x, marketing.data["z"])
    np.testing.assert_allclose(om.sample(x), ref, atol=1e-10)  # draws untouched


def test_subset_slices_posterior(marketing: Case) -> None:
    om = from_pymc(
        marketing.model,
        marketing.idata,
        action="spend",
        outcome="sales",
        mode="crn",
        n_replicates=2,
        random_seed=0,
    )
    idx = np.array([5, 1, 30])
    sub = om.subset(idx)
    for v in om.posterior.data_vars:
        np.testing.assert_array_equal(sub.posterior[v].values, marketing.draws[v][idx])
    assert not sub.posterior["sigma"].values.flags.writeable
    np.testing.assert_array_equal(om.posterior["sigma"].values, marketing.draws["sigma"])


def test_evppi_reads_the_public_posterior(marketing: Case) -> None:
    from decide.uncertainty import evppi

    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="mu")
    spend = marketing.data["spend"]
    actions = {"low": spend * 0.5, "high": spend * 2.0}
    auto = evppi(om, actions, params=["beta"], n_bootstrap=0, random_seed=1)
    # the same parameter draws passed explicitly, built independently of the outcome
    explicit = evppi(
        om,
        actions,
        params=["beta"],
        posterior={"beta": marketing.draws["beta"]},
        n_bootstrap=0,
        random_seed=1,
    )
    assert auto.value == pytest.approx(explicit.value, rel=1e-12, abs=1e-12)


def test_evppi_selects_a_channel_of_the_posterior_by_coordinate(marketing: Case) -> None:
    from decide.errors import UnreliableEstimateWarning
    from decide.uncertainty import evppi

    from .conftest import CHANNELS

    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="mu")
    spend = marketing.data["spend"]
    actions = {"low": spend * 0.5, "high": spend * 2.0}
    last = CHANNELS[-1]
    # the fixture's few draws make a two-parameter regression overfit: the check says so
    with pytest.warns(UnreliableEstimateWarning, match="overfits"):
        picked = evppi(om, actions, params={"beta": {"channel": last}, "k": {"channel": last}},
                       n_bootstrap=0, random_seed=1)
    # the same columns cut by hand from the draws the fixture sampled
    with pytest.warns(UnreliableEstimateWarning, match="overfits"):
        by_hand = evppi(om, actions, params=["b", "kk"], n_bootstrap=0, random_seed=1,
                        posterior={"b": marketing.draws["beta"][:, -1], "kk": marketing.draws["k"][:, -1]})
    assert not picked.regression.ok
    assert picked.value == pytest.approx(by_hand.value, rel=1e-12, abs=1e-12)
    assert picked.params == (f"beta[channel={last}]", f"k[channel={last}]")
