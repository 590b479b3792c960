"""Precomputed outcome draws for a finite set of options (A/B arms, CausalPy impacts).

The action is the choice of an option, encoded as a vector ``p`` over the
options (one-hot for a plain choice). Outcomes are rewards (higher is better)
and draw arrays put the sample axis first.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._config import REPLICATE_DIM, SAMPLE_DIM
from decide._validation import as_draws, as_indices, stack_sample_dims
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import ActionSpec, OutcomeModel

__all__ = ["DrawsOutcome", "from_draws"]

#: Name of the dim of the option vector in the action space.
OPTION_DIM = "option"


def _label_array(labels: Sequence[Hashable]) -> np.ndarray:
    # 1-d even for tuple labels (pandas MultiIndex columns)
    out = np.empty(len(labels), dtype=object)
    out[:] = list(labels)
    try:
        typed = np.asarray(list(labels))
    except (TypeError, ValueError):
        return out
    return typed if typed.shape == (len(labels),) and typed.dtype != object else out


def _check_labels(labels: list[Hashable]) -> None:
    if not labels:
        raise DecideValueError(
            "table must hold at least one option; got none. Give one column or key per option."
        )
    seen: set[Hashable] = set()
    dup = [lab for lab in labels if lab in seen or seen.add(lab)]  # type: ignore[func-returns-value]
    if dup:
        raise DecideValueError(
            f"option names must be unique; got duplicates {sorted(map(str, set(dup)))}. "
            "Rename the options so that each names one action."
        )


def _stack_columns(columns: list[tuple[Hashable, Any]]) -> np.ndarray:
    """Validate each option's draws and stack them to (n_options, n_samples[, n_rep])."""
    arrays = [(lab, as_draws(v, f"table[{lab!r}]")) for lab, v in columns]
    first_lab, first = arrays[0]
    for lab, arr in arrays[1:]:
        if arr.shape[0] != first.shape[0]:
            raise DecideValueError(
                f"table[{lab!r}] has {arr.shape[0]} draws but table[{first_lab!r}] has "
                f"{first.shape[0]}; every option needs draws for the same posterior samples "
                "(same number, same order)."
            )
        if arr.shape != first.shape:
            raise DecideValueError(
                f"table[{lab!r}] has shape {arr.shape} but table[{first_lab!r}] has shape "
                f"{first.shape}; give every option the same number of replicates."
            )
    return np.stack([a for _, a in arrays])


def _from_dataarray(da: xr.DataArray, dim: str) -> tuple[np.ndarray, list[Hashable]]:
    if dim not in da.dims:
        others = [d for d in da.dims if d not in ("chain", "draw", SAMPLE_DIM, REPLICATE_DIM)]
        raise DecideValueError(
            f"table has no option dim {dim!r}; its dims are {tuple(da.dims)}. Pass dim= the "
            f"dim that lists the options (candidates: {others})."
        )
    stacked = stack_sample_dims(da, "table")
    extra = [d for d in stacked.dims if d not in (dim, SAMPLE_DIM, REPLICATE_DIM)]
    if extra:
        raise DecideValueError(
            f"table must have only the option dim {dim!r}, the sample dims and optionally "
            f"{REPLICATE_DIM!r}; got the extra dims {extra}. Reduce them first "
            f"(e.g. .sum({extra!r}))."
        )
    order = [dim, SAMPLE_DIM] + ([REPLICATE_DIM] if REPLICATE_DIM in stacked.dims else [])
    stacked = stacked.transpose(*order)
    labels = (
        list(stacked[dim].values.tolist()) if dim in stacked.coords else list(range(da.sizes[dim]))
    )
    return stacked.values, labels


def _parse_table(table: Any, dim: str) -> tuple[np.ndarray, list[Hashable]]:
    if isinstance(table, xr.DataArray):
        values, labels = _from_dataarray(table, dim)
        _check_labels(labels)
        return _stack_columns(list(zip(labels, values))), labels
    if isinstance(table, xr.Dataset):
        table = {k: table[k] for k in table.data_vars}
    if isinstance(table, pd.DataFrame):
        labels = list(table.columns)
        _check_labels(labels)
        if table.shape[0] == 0:
            raise DecideValueError("table must have at least one row (posterior sample); got 0.")
        return _stack_columns([(c, table.iloc[:, i].to_numpy()) for i, c in enumerate(labels)]), labels
    if isinstance(table, Mapping):
        labels = list(table)
        _check_labels(labels)
        return _stack_columns([(k, table[k]) for k in labels]), labels
    raise DecideTypeError(
        "table must be a dict of option -> draws, a pandas DataFrame (one column per option) or "
        f"an xarray DataArray/Dataset; got {type(table).__name__}. For an array of shape "
        "(n_samples, n_options) use pandas.DataFrame(array, columns=option_names)."
    )


class DrawsOutcome(OutcomeModel):
    """Precomputed outcome draws of a finite set of options.

    Build it with :func:`from_draws`. The action is one variable ``"action"``
    of shape ``(n_options,)`` (dim ``"option"``, labelled by the options): a
    one-hot vector picks an option; any vector ``p`` gives ``table.T @ p``.
    Outcomes are rewards (higher is better).

    Parameters
    ----------
    table : ndarray of shape (n_options, n_samples) or (n_options, n_samples, n_replicates)
        Outcome draws of each option, for the same posterior samples in the same order.
    options : sequence of hashable
        One label per option, unique.
    conditional_mean : bool
        Whether the draws are ``E[outcome | theta, option]`` (see :func:`from_draws`).

    Attributes
    ----------
    table : ndarray of shape (n_options, n_samples[, n_replicates])
        Read-only copy of the draws.
    options : tuple
        The option labels, in table order.
    """

    options: tuple[Hashable, ...]

    def __init__(
        self, table: np.ndarray, options: Sequence[Hashable], *, conditional_mean: bool = False
    ) -> None:
        arr = np.array(table, dtype=np.float64)
        labels = list(options)
        _check_labels(labels)
        if arr.ndim not in (2, 3) or arr.shape[0] != len(labels):
            raise DecideValueError(
                f"table must have shape (n_options={len(labels)}, n_samples[, n_replicates]); "
                f"got shape {arr.shape}."
            )
        if not np.all(np.isfinite(arr)):
            k = int(np.argwhere(~np.isfinite(arr))[0][0])
            raise DecideValueError(
                f"table[{labels[k]!r}] must be finite; got {int(np.sum(~np.isfinite(arr[k])))} "
                "NaN or inf values. Drop those samples from every option first."
            )
        if arr.shape[1] < 2:
            raise DecideValueError(
                f"table needs at least 2 posterior samples per option to describe uncertainty; "
                f"got {arr.shape[1]}."
            )
        if arr.ndim == 3 and arr.shape[2] < 2:
            raise DecideValueError(
                f"table has a replicate axis of length {arr.shape[2]}; give at least 2 replicates "
                "or drop the axis (shape (n_samples,) per option)."
            )
        if conditional_mean and arr.ndim == 3:
            raise DecideValueError(
                "conditional_mean=True needs one value per posterior sample and option; the "
                "table has replicates, whose mean is only an estimate of E[outcome | theta]."
            )
        arr.setflags(write=False)
        self.table = arr
        self.options = tuple(labels)
        self._is_mean = bool(conditional_mean)
        self._index = {lab: i for i, lab in enumerate(labels)}
        self.n_samples = int(arr.shape[1])
        self.n_replicates = int(arr.shape[2]) if arr.ndim == 3 else None
        self.outcome_dims = ()
        self.action_space = ActionSpec(
            names=("action",),
            shapes=((len(labels),),),
            dims=((OPTION_DIM,),),
            coords={OPTION_DIM: _label_array(labels)},
        )

    def __repr__(self) -> str:
        rep = "" if self.n_replicates is None else f", n_replicates={self.n_replicates}"
        return f"DrawsOutcome(options={list(self.options)}, n_samples={self.n_samples}{rep})"

    @property
    def has_conditional_mean(self) -> bool:
        """Whether the table was declared to hold ``E[outcome | theta, option]``."""
        return self._is_mean

    def _position(self, option: Hashable) -> int:
        try:
            return self._index[option]
        except (KeyError, TypeError):
            raise DecideValueError(
                f"option must be one of {list(self.options)}; got {option!r}."
            ) from None

    def one_hot(self, option: Hashable) -> np.ndarray:
        """The action vector that picks ``option``: shape ``(n_options,)``, one 1.0, zeros elsewhere."""
        x = np.zeros(len(self.options))
        x[self._position(option)] = 1.0
        return x

    def draws_for(self, option: Hashable) -> np.ndarray:
        """The draws of one option, shape ``(n_samples,)`` or ``(n_samples, n_replicates)``."""
        return self.table[self._position(option)].copy()

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        return np.tensordot(x, self.table, axes=(0, 0))

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        return self.sample_flat(x)

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        expected = self.table.shape[1:]
        if cotangent.shape != expected:
            raise DecideValueError(
                f"cotangent must have the shape of draws(action), {expected}; got shape "
                f"{cotangent.shape}."
            )
        return self.table.reshape(len(self.options), -1) @ cotangent.reshape(-1)

    def affine_form(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(A, b) = (table.T, 0)`` so that ``draws(p) = A @ p + b``; ``None`` with replicates.

        Returns
        -------
        tuple of ndarray of shapes (n_samples, n_options) and (n_samples,), or None
        """
        if self.n_replicates is not None:
            return None
        return self.table.T, np.zeros(self.n_samples)

    def subset(self, indices: Sequence[int] | np.ndarray) -> DrawsOutcome:
        """The same options restricted to the posterior samples ``indices``.

        Returns
        -------
        DrawsOutcome
            With ``table[:, indices]``.
        """
        idx = as_indices(indices, self.n_samples)
        new = DrawsOutcome(self.table[:, idx], self.options, conditional_mean=self._is_mean)
        return new._with_guards_of(self)


def from_draws(table: Any, *, dim: str = "action", conditional_mean: bool = False) -> DrawsOutcome:
    r"""Outcome model from precomputed draws of a finite set of options.

    Use it for A/B test arms, CausalPy impact draws per option, or any
    simulation run outside decide. Outcomes are rewards (higher is better);
    draws put the sample axis first.

    Parameters
    ----------
    table : dict, pandas.DataFrame, xarray.DataArray or xarray.Dataset
        * a dict ``option -> draws`` with draws of shape ``(n_samples,)`` or
          ``(n_samples, n_replicates)`` (arrays, or DataArrays with dims
          ``("chain", "draw")`` or ``"sample"`` and optionally ``"replicate"``);
        * a DataFrame with one column per option and one row per sample;
        * a DataArray with the option dim ``dim``, the sample dims and
          optionally ``"replicate"``;
        * a Dataset with one variable per option.

        Every option must have draws for the same posterior samples, in the
        same order (row ``s`` of every option comes from posterior draw ``s``).
    dim : str
        The dim of a DataArray that lists the options.
    conditional_mean : bool
        Declare that each value is ``E[outcome | theta_s, option]`` (for
        example an impact computed from the model's mean ``mu``, not from
        predictive draws). Only then is :meth:`~DrawsOutcome.conditional_mean`
        available and exact. decide cannot tell from the numbers, so the
        default is ``False``; a table with replicates cannot declare it.

    Returns
    -------
    DrawsOutcome
        With ``options``, ``table`` of shape ``(n_options, n_samples[, n_replicates])``,
        ``draws_for(option)``, ``one_hot(option)`` and ``subset(indices)``.

    Raises
    ------
    DecideValueError
        If the table is empty, option names repeat, options have different
        numbers of draws or replicates (both options are named), a value is NaN
        or inf, there is a single posterior sample (or a replicate axis of
        length 1), or a DataArray lacks ``dim`` or has extra dims.
    DecideTypeError
        If ``table`` is another type or is not numeric.

    Notes
    -----
    The action is one variable ``"action"`` of shape ``(n_options,)`` with dim
    ``"option"``. The draws are linear in it,

    .. math:: y_s(p) = \sum_k p_k \, T_{k s},

    so a one-hot vector returns that option's draws exactly, and a
    probability vector ``p`` returns, draw by draw, the outcome of the
    randomized policy "pick option k with probability p_k" averaged over the
    policy's coin flip. It is not a draw from the mixture distribution. Being
    linear, the model has an exact :meth:`~OutcomeModel.vjp` (``T @ c``) and,
    without replicates, :meth:`~DrawsOutcome.affine_form` ``(T^T, 0)``.

    References
    ----------
    .. [1] Manski, C. F. (2009). Diversified treatment under ambiguity.
       International Economic Review, 50(4), 1013-1041.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.outcomes import from_draws
    >>> rng = np.random.default_rng(0)
    >>> arms = {"A": rng.normal(1.0, 0.5, 1000), "B": rng.normal(1.2, 1.5, 1000)}
    >>> model = from_draws(arms)
    >>> model.options
    ('A', 'B')
    >>> bool(np.array_equal(model.draws(model.one_hot("B")), arms["B"]))
    True
    >>> model.draws([0.5, 0.5]).shape
    (1000,)
    """
    values, labels = _parse_table(table, dim)
    return DrawsOutcome(values, labels, conditional_mean=conditional_mean)
