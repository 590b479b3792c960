"""Linear (scenario) outcomes: ``outcome_s = scenarios[s] @ action + intercept[s]``.

The scenario form is what lets the convex backend solve CVaR as a linear
program, mean-variance as a quadratic program and exponential or log utility
in the exponential cone: :meth:`LinearOutcome.affine_form` hands it the
matrices. Outcomes are rewards (higher is better) and draw arrays put the
sample axis first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._config import SAMPLE_DIM
from decide._validation import as_indices, stack_sample_dims
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import ActionSpec, OutcomeModel

__all__ = ["LinearOutcome", "linear"]


def _finite_matrix(arr: Any, name: str) -> np.ndarray:
    try:
        out = np.array(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"{name} must be numeric; got {type(arr).__name__} that cannot be converted to "
            "floats."
        ) from None
    if out.ndim != 2:
        raise DecideValueError(
            f"{name} must be 2-d with shape (n_samples, n_actions); got shape {out.shape}."
        )
    if out.shape[0] == 0 or out.shape[1] == 0:
        raise DecideValueError(
            f"{name} must have at least one sample and one action column; got shape {out.shape}."
        )
    if not np.all(np.isfinite(out)):
        bad = np.argwhere(~np.isfinite(out))[0]
        raise DecideValueError(
            f"{name} must be finite; got {out[tuple(bad)]} at (sample, action) "
            f"{tuple(int(i) for i in bad)} ({int(np.sum(~np.isfinite(out)))} non-finite values)."
            " Drop or impute those scenarios first."
        )
    return out


def _scenario_matrix(
    scenarios: Any, dim: str | None
) -> tuple[np.ndarray, str | None, np.ndarray | None]:
    """Return ``(matrix, action_dim, labels)`` from an array, DataFrame or DataArray."""
    if isinstance(scenarios, xr.Dataset):
        raise DecideTypeError(
            "scenarios must be an array, a pandas DataFrame or an xarray.DataArray; got a "
            f"Dataset with variables {list(scenarios.data_vars)}. Select one variable or use "
            "Dataset.to_dataarray(dim=...)."
        )
    if isinstance(scenarios, xr.DataArray):
        stacked = stack_sample_dims(scenarios, "scenarios")
        rest = [d for d in stacked.dims if d != SAMPLE_DIM]
        if dim is not None and dim not in rest:
            raise DecideValueError(
                f"scenarios has no action dim {dim!r}; its dims are {tuple(scenarios.dims)}. "
                "Pass dim= one of them."
            )
        if len(rest) != 1:
            raise DecideValueError(
                "scenarios must have exactly one action dim besides the sample dims "
                f"('chain', 'draw') or 'sample'; got the extra dims {rest}. Stack them into one "
                "dim first (DataArray.stack)."
            )
        action_dim: str | None = str(rest[0])
        labels = (
            np.asarray(stacked[action_dim].values) if action_dim in stacked.coords else None
        )
        return _finite_matrix(stacked.values, "scenarios"), action_dim, labels
    if isinstance(scenarios, pd.DataFrame):
        labels = np.asarray(scenarios.columns)
        if len(set(labels.tolist())) != len(labels):
            dup = sorted({str(c) for c in labels.tolist() if labels.tolist().count(c) > 1})
            raise DecideValueError(f"scenarios columns must be unique; got duplicates {dup}.")
        col_dim = scenarios.columns.name
        action_dim = dim if dim is not None else (str(col_dim) if col_dim is not None else None)
        return _finite_matrix(scenarios.to_numpy(), "scenarios"), action_dim, labels
    return _finite_matrix(scenarios, "scenarios"), dim, None


def _intercept_vector(intercept: Any, n_samples: int) -> np.ndarray:
    if isinstance(intercept, xr.DataArray) and intercept.ndim:
        intercept = stack_sample_dims(intercept, "intercept").values
    try:
        b = np.array(intercept, dtype=np.float64)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"intercept must be a number or an array of shape ({n_samples},); got "
            f"{type(intercept).__name__}."
        ) from None
    if b.ndim == 0:
        b = np.full(n_samples, float(b))
    if b.shape != (n_samples,):
        raise DecideValueError(
            f"intercept must be a scalar or have shape (n_samples,) = ({n_samples},), one value "
            f"per scenario; got shape {b.shape}."
        )
    if not np.all(np.isfinite(b)):
        i = int(np.flatnonzero(~np.isfinite(b))[0])
        raise DecideValueError(f"intercept must be finite; got {b[i]} at sample {i}.")
    return b


def _linear_space(
    n: int,
    names: str | Sequence[str] | None,
    dim: str | None,
    labels: np.ndarray | None,
    coords: Mapping[str, Any] | Sequence[Any] | None,
) -> ActionSpec:
    if names is not None and not isinstance(names, str):
        names_t = tuple(str(v) for v in names)
        if len(names_t) != n:
            raise DecideValueError(
                f"names must be one variable name (str) or one name per scenario column "
                f"({n}); got {len(names_t)} names."
            )
        if coords is not None:
            raise DecideValueError(
                "coords cannot be combined with one scalar variable per column (names given as "
                "a list); the names are the labels."
            )
        return ActionSpec(names=names_t, shapes=((),) * n)
    name = "action" if names is None else names
    action_dim = dim if dim is not None else f"{name}_dim_0"
    if coords is not None:
        if isinstance(coords, Mapping):
            if set(coords) - {action_dim}:
                raise DecideValueError(
                    f"coords may only label the action dim {action_dim!r}; got keys "
                    f"{sorted(map(str, coords))}. Pass dim= to rename the action dim."
                )
            given = coords.get(action_dim)
        else:
            given = coords
        if given is not None:
            labels = np.asarray(given)
            if labels.shape != (n,):
                raise DecideValueError(
                    f"coords for {action_dim!r} must give {n} labels, one per scenario column; "
                    f"got shape {labels.shape}."
                )
    if labels is not None and len(set(labels.tolist())) != n:
        raise DecideValueError(f"action labels must be unique; got {labels.tolist()}.")
    return ActionSpec(
        names=(name,),
        shapes=((n,),),
        dims=((action_dim,),),
        coords={} if labels is None else {action_dim: labels},
    )


class LinearOutcome(OutcomeModel):
    """Outcome draws affine in the action: ``draws(x) = scenarios @ x + intercept``.

    Build it with :func:`linear`. Outcomes are rewards (higher is better);
    one scalar outcome per posterior sample, no replicates.

    Parameters
    ----------
    scenarios : ndarray of shape (n_samples, n)
        One row per posterior sample (or scenario), one column per action element.
    intercept : ndarray of shape (n_samples,)
        Outcome at the zero action, per sample.
    action_space : ActionSpec
        Action description; its :attr:`ActionSpec.size` must equal ``n``.

    Attributes
    ----------
    scenarios : ndarray of shape (n_samples, n)
        Read-only copy of the scenario matrix.
    intercept : ndarray of shape (n_samples,)
        Read-only copy of the intercepts.

    Raises
    ------
    DecideValueError
        If the arrays are not finite or their shapes do not match.
    """

    def __init__(
        self, scenarios: np.ndarray, intercept: np.ndarray, action_space: ActionSpec
    ) -> None:
        r = _finite_matrix(scenarios, "scenarios")
        b = _intercept_vector(intercept, r.shape[0])
        if action_space.size != r.shape[1]:
            raise DecideValueError(
                f"action_space has size {action_space.size} but scenarios has {r.shape[1]} "
                "columns; they must match."
            )
        r.setflags(write=False)
        b.setflags(write=False)
        self.scenarios = r
        self.intercept = b
        self.action_space = action_space
        self.n_samples = int(r.shape[0])
        self.n_replicates = None
        self.outcome_dims = ()

    def __repr__(self) -> str:
        return (
            f"LinearOutcome(n_samples={self.n_samples}, action={self.action_space.names}, "
            f"size={self.action_space.size})"
        )

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        return self.scenarios @ x + self.intercept

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        # the scenarios carry no noise: each draw is its own conditional mean
        return self.sample_flat(x)

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        if cotangent.shape != (self.n_samples,):
            raise DecideValueError(
                f"cotangent must have the shape of draws(action), ({self.n_samples},); got "
                f"shape {cotangent.shape}."
            )
        return self.scenarios.T @ cotangent

    def affine_form(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` with ``draws(x) = A @ x + b``.

        Returns
        -------
        A : ndarray of shape (n_samples, size)
            The scenario matrix (read-only).
        b : ndarray of shape (n_samples,)
            The intercepts (read-only).
        """
        return self.scenarios, self.intercept

    def subset(self, indices: Sequence[int] | np.ndarray) -> LinearOutcome:
        """The same outcome restricted to the samples ``indices`` (positions or a boolean mask).

        Returns
        -------
        LinearOutcome
            With ``scenarios[indices]`` and ``intercept[indices]``.
        """
        idx = as_indices(indices, self.n_samples)
        new = LinearOutcome(self.scenarios[idx], self.intercept[idx], self.action_space)
        return new._with_guards_of(self)


def linear(
    scenarios: Any,
    intercept: Any = 0.0,
    *,
    names: str | Sequence[str] | None = None,
    dim: str | None = None,
    coords: Mapping[str, Any] | Sequence[Any] | None = None,
) -> LinearOutcome:
    r"""Outcomes affine in the action, one scenario per posterior sample.

    ``outcome_s = sum_j scenarios[s, j] * action[j] + intercept[s]``, e.g.
    portfolio returns: ``scenarios`` holds posterior predictive asset returns
    and the action is the weight vector. Outcomes are rewards (higher is
    better); draws put the sample axis first, shape ``(n_samples,)``.

    Parameters
    ----------
    scenarios : array_like of shape (n_samples, n), pandas.DataFrame or xarray.DataArray
        A 2-d array (rows are posterior samples), a DataFrame (rows are samples,
        columns are the action elements and give their labels) or a DataArray
        with the sample dims ``("chain", "draw")`` or ``"sample"`` and exactly
        one action dim whose coordinates give the labels.
    intercept : float or array_like of shape (n_samples,)
        Outcome at the zero action; a scalar is used for every sample. A
        DataArray must carry the same sample dims as ``scenarios``.
    names : str or sequence of str, optional
        A str names the single action variable of shape ``(n,)`` (default
        ``"action"``). A list of ``n`` names makes one scalar action variable
        per column instead (the action can then be given as a dict).
    dim : str, optional
        Name of the action dim. For a DataArray it selects (and checks) the
        action dim; otherwise it names it (default: the DataFrame's
        ``columns.name``, else ``"{name}_dim_0"``).
    coords : dict or sequence, optional
        Labels of the action elements: ``{dim: labels}`` or just the ``n``
        labels; they override the labels taken from a DataFrame or DataArray.

    Returns
    -------
    LinearOutcome
        With ``affine_form() == (scenarios, intercept)``, an exact
        ``vjp(x, c) = scenarios.T @ c`` and ``conditional_mean == draws``.

    Raises
    ------
    DecideValueError
        If ``scenarios`` is not 2-d after stacking the sample dims, is empty or
        not finite, if ``intercept`` has the wrong length or is not finite, or if
        names, dims or labels do not fit the number of columns.
    DecideTypeError
        If an input is not numeric or is an xarray Dataset.

    Notes
    -----
    The draws are affine, :math:`y_s(x) = R_{s\cdot} x + b_s`, so the
    vector-Jacobian product of a cotangent :math:`c` is :math:`R^\top c`.
    The scenarios carry no outcome noise beyond what is in each row, so each
    draw is also its own conditional mean, :math:`E[y \mid \theta_s, x] = y_s(x)`
    (the whole spread is epistemic in :func:`decide.uncertainty.decompose`
    unless the rows are posterior predictive draws).

    References
    ----------
    .. [1] Rockafellar, R. T. and Uryasev, S. (2000). Optimization of
       conditional value-at-risk. Journal of Risk, 2, 21-42.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.outcomes import linear
    >>> returns = pd.DataFrame({"stocks": [0.10, -0.05, 0.02], "bonds": [0.01, 0.02, 0.01]})
    >>> model = linear(returns, intercept=0.0, dim="asset")
    >>> model.action_space.labels
    ['action[stocks]', 'action[bonds]']
    >>> model.draws([0.5, 0.5])
    array([ 0.055, -0.015,  0.015])
    >>> model.vjp([0.5, 0.5], np.ones(3))
    array([0.07, 0.04])
    """
    matrix, action_dim, labels = _scenario_matrix(scenarios, dim)
    space = _linear_space(matrix.shape[1], names, action_dim, labels, coords)
    return LinearOutcome(matrix, _intercept_vector(intercept, matrix.shape[0]), space)
