"""The dask.distributed path: scatter the batch once, solve chunks of units on workers."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from decide._progress import Progress
from decide.errors import DecideError, DecideTypeError
from decide.many._engine import solve_units
from decide.many._rows import failed_row
from decide.many._units import Batch
from decide.measures import Objective
from decide.optimization import Space

__all__ = ["open_client", "solve_distributed"]

_INSTALL = 'pip install "bayes-decide[dask]"'


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DecideError(
            "optimize_many(client=...) runs on dask.distributed, which is not installed; "
            f"install the extra: {_INSTALL} (or pass client=None to solve in this process)."
        ) from None
    return distributed


@contextmanager
def open_client(client: Any) -> Iterator[Any]:
    """Yield a ``distributed.Client``; ``"local"`` starts a LocalCluster, closed afterwards.

    The local cluster has one single-threaded worker process per core (at most
    4) and no dashboard.
    """
    dist = _distributed()
    if isinstance(client, str):
        if client != "local":
            raise DecideTypeError(
                f'client must be None, "local" or a dask.distributed.Client; got {client!r}.'
            )
        import os

        n = max(1, min(4, os.cpu_count() or 1))
        cluster = dist.LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
            # no dashboard, and its HTTP server on a free port (8787 may be taken)
            scheduler_kwargs={"dashboard_address": ":0"},
        )
        own = dist.Client(cluster)
        try:
            yield own
        finally:
            own.close()
            cluster.close()
        return
    if not isinstance(client, dist.Client):
        raise DecideTypeError(
            f'client must be None, "local" or a dask.distributed.Client; got {type(client).__name__}.'
        )
    yield client


def _task(
    batch: Batch,
    idx: list[int],
    objective: Objective,
    spaces: dict[int, Space | None],
    method: str,
    seeds: dict[int, np.random.SeedSequence],
    options: dict[str, Any],
    vectorize: bool,
) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    n = batch.n_units
    full_spaces = [spaces.get(i) for i in range(n)]
    full_seeds = [seeds.get(i) for i in range(n)]
    return solve_units(
        batch, idx, objective, full_spaces, method, full_seeds, options, vectorize  # type: ignore[arg-type]
    )


def solve_distributed(
    client: Any,
    batch: Batch,
    idx: Sequence[int],
    objective: Objective,
    spaces: Sequence[Space | None],
    method: str,
    seeds: Sequence[np.random.SeedSequence],
    options: dict[str, Any],
    vectorize: bool,
    chunk_size: int | None,
    progress: Progress,
) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    """Scatter ``batch`` once, map chunks of units, gather the rows.

    A chunk whose task fails as a whole (a worker died, an object did not pickle)
    gives its units an ``error`` row; the other chunks are unaffected.
    """
    dist = _distributed()
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = chunk_size or max(1, math.ceil(len(idx) / (4 * n_workers)))
    chunks = [list(idx[k : k + size]) for k in range(0, len(idx), size)]
    # one scattered copy; workers fetch it as their tasks need it. (broadcast=True replicates
    # eagerly, and under load distributed's replication can lose the key: "Key lost during
    # replication", then every task that needs it fails.)
    [shared] = client.scatter([batch])
    futures, chunk_of = [], {}
    for chunk in chunks:
        fut = client.submit(
            _task, shared, chunk, objective, {i: spaces[i] for i in chunk}, method,
            {i: seeds[i] for i in chunk}, options, vectorize, pure=False,
        )
        futures.append(fut)
        chunk_of[fut.key] = chunk
    rows: dict[int, dict[str, Any]] = {}
    paths = {"vectorized": 0, "loop": 0, "failed_tasks": 0}
    for fut in dist.as_completed(futures):
        chunk = chunk_of[fut.key]
        try:
            got, used = fut.result()
        except Exception as exc:  # the whole task failed: record it for its units
            got = {i: failed_row(exc) for i in chunk}
            used = {"failed_tasks": 1}
        rows.update(got)
        for k, v in used.items():
            paths[k] = paths.get(k, 0) + v
        progress.update(len(chunk))
    return rows, paths

