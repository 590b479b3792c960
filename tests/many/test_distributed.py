"""The dask.distributed path returns exactly the rows of the in-process paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.many import optimize_many
from decide.measures import CVaR, Mean, Sharpe
from decide.optimization import Budget
from decide.outcomes import linear

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes: optimize_many records each unit's warnings with
    # warnings.catch_warnings, which is process-global, so workers must not run units in threads.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # 8787 may be taken on a shared machine
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _table(n_units: int = 10) -> xr.DataArray:
    rng = np.random.default_rng(0)
    loc = rng.normal(size=(n_units, 4, 1)) * 0.3
    return xr.DataArray(
        rng.normal(loc, 1.0, size=(n_units, 4, 300)), dims=("store", "option", "sample"),
        coords={"option": list("abcd")},
    )


def _models(n_units: int = 6) -> dict[str, object]:
    rng = np.random.default_rng(1)
    return {
        f"u{i}": linear(rng.normal([0.06, 0.02, 0.04], [0.25, 0.05, 0.12], size=(250, 3)))
        for i in range(n_units)
    }


def test_loop_vectorized_and_cluster_give_identical_rows(client):
    da = _table()
    loop = optimize_many(da, CVaR(0.1), over="store", vectorize=False, progress=False)
    fast = optimize_many(da, CVaR(0.1), over="store", progress=False)
    on_cluster = optimize_many(da, CVaR(0.1), over="store", client=client, chunk_size=3, progress=False)
    loop_on_cluster = optimize_many(
        da, CVaR(0.1), over="store", client=client, vectorize=False, progress=False
    )
    for table in (fast, on_cluster, loop_on_cluster):
        pd.testing.assert_frame_equal(table, loop)
    assert on_cluster.attrs["paths"] == {"vectorized": 10, "loop": 0, "failed_tasks": 0}
    assert loop_on_cluster.attrs["paths"] == {"vectorized": 0, "loop": 10, "failed_tasks": 0}


def test_seeded_multistart_units_match_on_the_cluster(client):
    models = _models()
    local = optimize_many(models, Sharpe(), Budget(1.0), random_seed=3, progress=False)
    remote = optimize_many(
        models, Sharpe(), Budget(1.0), random_seed=3, client=client, chunk_size=1, progress=False
    )
    pd.testing.assert_frame_equal(remote, local)


def test_failing_unit_on_the_cluster_fails_alone(client):
    da = _table(6)
    values = da.values.copy()
    values[4, 0, 0] = np.inf
    with pytest.warns(UserWarning, match="1 of 6 units failed"):
        remote = optimize_many(da.copy(data=values), Mean(), over="store", client=client, progress=False)
    assert remote.loc[4, "error"].startswith("DecideValueError")
    good = optimize_many(da, Mean(), over="store", progress=False)
    pd.testing.assert_frame_equal(remote.drop(index=4), good.drop(index=4))


def test_client_local_starts_and_closes_its_cluster():
    da = _table(4)
    before = set(distributed.client._global_clients)
    table = optimize_many(da, Mean(), over="store", client="local", progress=False)
    pd.testing.assert_frame_equal(table, optimize_many(da, Mean(), over="store", progress=False))
    alive = [
        c for k, c in distributed.client._global_clients.items()
        if k not in before and c.status == "running"
    ]
    assert alive == []
