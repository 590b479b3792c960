"""``optimize_many``: one decision per unit (store, product, region), in batch."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide import _config
from decide._progress import Progress
from decide.errors import ConvergenceWarning, DecideTypeError, DecideValueError
from decide.many._distributed import open_client, solve_distributed
from decide.many._engine import solve_units
from decide.many._newsvendor import NewsvendorOutcome, _plain
from decide.many._rows import assemble
from decide.many._units import make_batch, unit_spaces
from decide.measures import Objective
from decide.optimization import METHODS
from decide.outcomes import OutcomeModel

__all__ = ["optimize_many", "unit_seeds"]


def unit_seeds(random_seed: Any, n_units: int) -> list[np.random.SeedSequence]:
    """One seed per unit, keyed by the unit's position: the same on every path and worker.

    Parameters
    ----------
    random_seed : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Root seed; a Generator is advanced once to draw the root entropy.
    n_units : int

    Returns
    -------
    list of numpy.random.SeedSequence
        Unit ``i`` gets ``SeedSequence(entropy, spawn_key=(*root.spawn_key, i))``, what
        ``root.spawn`` would give, without changing the caller's SeedSequence.

    Examples
    --------
    >>> from decide.many import unit_seeds
    >>> a, b = unit_seeds(7, 3), unit_seeds(7, 3)
    >>> [s.generate_state(1)[0] for s in a] == [s.generate_state(1)[0] for s in b]
    True
    """
    if isinstance(random_seed, np.random.SeedSequence):
        root = random_seed
    elif isinstance(random_seed, np.random.Generator):
        root = np.random.SeedSequence(int(random_seed.integers(2**63 - 1)))
    elif random_seed is None or isinstance(random_seed, int | np.integer):
        if random_seed is not None and int(random_seed) < 0:
            raise DecideValueError(f"random_seed must be a non-negative int; got {random_seed}.")
        root = np.random.SeedSequence(None if random_seed is None else int(random_seed))
    else:
        raise DecideTypeError(
            "random_seed must be None, an int, a numpy SeedSequence or Generator; got "
            f"{type(random_seed).__name__}."
        )
    return [
        np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i)) for i in range(n_units)
    ]


def _infer_over(outcome: Any) -> str:
    if isinstance(outcome, Mapping):
        return "unit"
    if isinstance(outcome, NewsvendorOutcome) and outcome.unit_dim is not None:
        return outcome.unit_dim
    if isinstance(outcome, OutcomeModel) and len(tuple(outcome.outcome_dims)) == 1:
        return str(outcome.outcome_dims[0])
    dims = tuple(outcome.dims) if isinstance(outcome, xr.DataArray | xr.Dataset) else None
    raise DecideValueError(
        "over is required here: pass the name of the unit dim"
        + (f" (the outcome has dims {dims})." if dims else ".")
    )


def optimize_many(
    outcome: Any,
    objective: Objective,
    space: Any = None,
    over: str | None = None,
    *,
    client: Any = None,
    method: str = "auto",
    random_seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    vectorize: bool = True,
    option_dim: str | None = None,
    units: Sequence[Any] | None = None,
    **options: Any,
) -> pd.DataFrame:
    r"""One decision per unit along the dim ``over``: a batch of separate problems.

    Each unit (a store, a product, a region) gets its own action maximizing
    ``objective`` of its own outcome draws. Outcomes are rewards (higher is better);
    risk lives in the lower tail and ``alpha`` is the tail probability; draws put
    the sample axis first. One failing unit never aborts the batch: its row
    carries the error.

    Parameters
    ----------
    outcome : OutcomeModel, dict or xarray.DataArray / Dataset
        Where each unit's outcome model comes from:

        * an :class:`~decide.outcomes.OutcomeModel` whose unreduced outcome
          (:meth:`~decide.outcomes.OutcomeModel.sample`) has the dim ``over`` in
          ``outcome_dims`` (``from_pymc`` of a per-store variable of a hierarchical
          model, ``from_function(..., outcome_dims=("store",))``,
          :func:`~decide.many.newsvendor`). Unit ``u``'s outcome is the slice
          ``u`` along ``over``, its other outcome dims reduced with the model's
          ``reduce`` (see :class:`~decide.many.UnitOutcome`); an action variable
          with the dim ``over`` is sliced, one without it is chosen per unit. The
          units must be decoupled: unit ``u``'s outcome depends on its own action only.
        * a dict ``unit -> OutcomeModel`` (or ``unit -> table`` accepted by
          :func:`~decide.outcomes.from_draws`); the keys label the units.
        * an xarray DataArray of draws with dims ``(over, option, sample)`` (or
          ``chain``, ``draw`` for the sample, optionally ``replicate``): each unit is
          ``from_draws`` of its slice. A Dataset holds one variable per option.
    objective : Objective
        The score each unit maximizes, e.g. ``Mean()``, ``CVaR(0.05)``.
    space : Space, dict of unit to Space, or None
        The same space for every unit, one space per unit (a dict keyed by unit
        label), or ``None`` for every option of a draws-table outcome.
    over : str, optional
        The unit dim. Default: ``"unit"`` for a dict, the only outcome dim of an
        outcome model; required for xarray draws.
    client : None, "local" or dask.distributed.Client
        ``None`` solves in this process. A Client scatters the batch to the
        workers once and maps chunks of units to them; ``"local"`` starts a
        LocalCluster (one single-threaded process per core, at most 4) and closes
        it afterwards. Needs the ``dask`` extra.
    method : str
        Passed to :func:`~decide.optimize` for each unit (``"auto"``,
        ``"cvxpy"``, ``"scipy"``, ``"enumerate"``, ...).
    random_seed : int, SeedSequence, Generator or None
        Root seed; unit ``i`` uses a child seed keyed by ``i`` (see
        :func:`unit_seeds`), so every path and worker layout gives the same rows.
    chunk_size : int, optional
        Units per distributed task (default: about four tasks per worker).
    progress : bool
        Print a one-line progress bar on stderr.
    vectorize : bool
        Use the fast paths where they apply (default). ``False`` runs
        ``optimize`` unit by unit (the reference the fast paths are tested against).
    option_dim : str, optional
        The option dim of xarray draws (default: the only dim that is not
        ``over``, a sample dim or ``replicate``).
    units : sequence, optional
        Unit labels for an outcome model without coordinates along ``over``.
    **options
        Passed to ``optimize`` (``weights``, ``x0``, ``n_starts``, ``solvers``, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by unit (index name ``over``), in unit order: one column per
        action label (``ActionSpec.labels``), ``option`` (Discrete spaces),
        ``score`` (the objective at the action), the risk summary of
        :meth:`~decide.optimization.Decision.summary` (``mean``, ``sd``, ``q5`` ...
        ``q95``, ``cvar_5``, ``cvar_10``, ``prob_loss``), ``converged``,
        ``verification`` (how the unit's answer was checked:
        :attr:`~decide.optimization.Verification.label`, ``"verified (closed form)"``
        for the newsvendor quantile, ``"verified (certificate)"`` for the batched
        convex programs), ``method``, ``error`` (``None``, or ``"ErrorType: message"`` for a unit
        that failed, with NaN numbers) and ``warnings`` (messages raised while
        solving the unit). ``attrs["paths"]`` counts the units solved by the
        vectorized paths and by the per-unit loop.

    Raises
    ------
    DecideValueError
        If the units cannot be found (``over`` is not a dim), spaces do not match
        the units, or ``method`` is unknown.
    DecideTypeError
        If ``outcome``, ``objective`` or ``client`` has an unsupported type.
    DecideError
        If ``client`` is given and dask.distributed is not installed
        (``pip install "bayes-decide[dask]"``).

    Warns
    -----
    UserWarning
        If some units failed (their ``error`` column says why).
    ConvergenceWarning
        If some units did not converge (their ``converged`` is False).

    Notes
    -----
    Unit ``u`` solves :math:`\max_{a_u \in \mathcal A_u} \rho(Y_u(a_u))`
    independently. Fast paths solve many units in one vectorized call and give the
    same decisions as the loop:

    * a shared :class:`~decide.optimization.Discrete` space (``method`` "auto" or
      "enumerate"): a ``(unit, option)`` score array from the batched measures
      (``axis=-1``), argmax per unit; near ties (relative ``1e-9``) are re-scored
      with the objective, and the reported score is the objective's own value;
    * a :func:`~decide.many.newsvendor` outcome under ``Mean()`` over a Box
      (``method="auto"``): the lower empirical quantile of each unit's demand at
      the critical fractile :math:`(p - c)/(p - s)`, clipped to the box (the exact
      sample optimum; the loop's SLSQP reaches it to solver tolerance);
    * a parent outcome model with a gradient (``from_pymc`` of a per-store
      variable) under ``Mean()`` over a Box per unit (``method`` "auto" or
      "scipy"): one joint solve of the stacked action, since for decoupled units
      :math:`\sum_u E[Y_u(a_u)]` is the mean of the parent's summed draws; each
      step is one graph call for every unit's draws and one vector-Jacobian
      product for every unit's gradient (``method`` column ``"joint-scipy"``).

    A shared Box may bound each unit separately: a bound of shape ``(n_units,)``
    (or ``(n_units, *unit_action_shape)``) gives unit ``i`` its entry ``i``.

    Units sharing a resource (one total budget across stores) are not a batch but
    one problem: stack their actions in one ``linear`` outcome and call
    :func:`~decide.optimize` with a :class:`~decide.optimization.Budget`
    (see ``docs/many.md``).

    References
    ----------
    .. [1] Rocklin, M. (2015). Dask: parallel computation with blocked algorithms
       and task scheduling. Proceedings of the 14th Python in Science Conference.

    Examples
    --------
    Three stores, two candidate prices each; draws of profit per store and price:

    >>> import numpy as np, xarray as xr
    >>> from decide.many import optimize_many
    >>> from decide.measures import CVaR, Mean
    >>> rng = np.random.default_rng(0)
    >>> profit = xr.DataArray(
    ...     rng.normal([[[1.0], [1.2]], [[1.0], [0.8]], [[1.0], [1.1]]], 0.5, size=(3, 2, 2000)),
    ...     dims=("store", "price", "sample"),
    ...     coords={"store": ["north", "south", "east"], "price": ["low", "high"]})
    >>> table = optimize_many(profit, Mean(), over="store", progress=False)
    >>> table["option"].tolist()
    ['high', 'low', 'high']
    >>> table.attrs["paths"]["vectorized"]
    3
    """
    if not isinstance(objective, Objective):
        raise DecideTypeError(
            f"objective must be a decide Objective (Mean(), CVaR(0.05), ...); got "
            f"{type(objective).__name__}."
        )
    if method not in METHODS:
        raise DecideValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
    if chunk_size is not None and (not isinstance(chunk_size, int | np.integer) or chunk_size < 1):
        raise DecideValueError(f"chunk_size must be a positive int or None; got {chunk_size!r}.")
    over = _infer_over(outcome) if over is None else over
    batch = make_batch(outcome, over, option_dim=option_dim, units=units)
    spaces = unit_spaces(space, batch)
    seeds = unit_seeds(random_seed, batch.n_units)
    idx = list(range(batch.n_units))
    bar = Progress(batch.n_units, "optimize_many", enabled=progress, delay=_config.PROGRESS_DELAY)
    try:
        if client is None:
            rows, paths = solve_units(
                batch, idx, objective, spaces, method, seeds, dict(options), vectorize, bar
            )
        else:
            with open_client(client) as c:
                rows, paths = solve_distributed(
                    c, batch, idx, objective, spaces, method, seeds, dict(options), vectorize,
                    chunk_size, bar,
                )
    finally:
        bar.close()
    table = assemble([rows[i] for i in idx], batch.labels, over)
    table.attrs["paths"] = paths
    table.attrs["objective"] = repr(objective)
    _warn(table)
    return table


def _warn(table: pd.DataFrame) -> None:
    failed = table["error"].notna()
    if failed.any():
        first = table.index[failed][0]
        warnings.warn(
            f"{int(failed.sum())} of {len(table)} units failed (first: {_plain(first)!r}: "
            f"{table.loc[first, 'error']}); see the 'error' column.",
            UserWarning,
            stacklevel=3,
        )
    stalled = ~table["converged"] & ~failed
    if stalled.any():
        warnings.warn(
            f"{int(stalled.sum())} of {len(table)} units did not converge (first: "
            f"{table.index[stalled][0]!r}); see the 'converged' and 'warnings' columns.",
            ConvergenceWarning,
            stacklevel=3,
        )
