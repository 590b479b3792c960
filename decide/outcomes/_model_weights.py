"""Model weights from the models' log-likelihoods: stacking and pseudo-BMA through ``arviz.compare``.

The weights are computed by ArviZ (0.x on ``InferenceData``, 1.x on ``xarray.DataTree``),
so they are the numbers ``arviz.compare`` prints; this module checks the input,
calls the right spelling of ``compare`` for the installed ArviZ and puts the
weights back in the models' order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from decide._posterior import posterior_dataset
from decide.errors import DecideTypeError, DecideValueError

__all__ = ["WEIGHT_METHODS", "model_weights"]

#: decide's name of each weighting method -> ArviZ's spelling.
WEIGHT_METHODS: dict[str, str] = {
    "stacking": "stacking",
    "pseudo-bma": "pseudo-BMA",
    "bb-pseudo-bma": "BB-pseudo-BMA",
}


def _log_likelihood_vars(obj: Any, name: str) -> dict[str, int]:
    """The pointwise log-likelihood variables of one model's posterior: name -> observations."""
    where = f"idata[{name!r}]"
    try:
        ds = posterior_dataset(obj, group="log_likelihood", name=where)
    except DecideValueError as exc:
        if "no group" not in str(exc):
            raise
        raise DecideValueError(
            f"{where} has no log_likelihood group, which stacking and pseudo-BMA weights need "
            f"({exc}). Sample with pm.sample(..., idata_kwargs={{'log_likelihood': True}}) or "
            "add it with pm.compute_log_likelihood(idata, model=model); or give the weights as "
            "a dict."
        ) from None
    except DecideTypeError:
        raise DecideTypeError(
            f"{where} must be an arviz.InferenceData (ArviZ 0.x) or an xarray.DataTree (ArviZ "
            f"1.x) with a log_likelihood group; got {type(obj).__name__}."
        ) from None
    lead = ("chain", "draw", "sample")
    return {
        str(v): int(np.prod([n for d, n in ds[v].sizes.items() if d not in lead], dtype=np.int64))
        for v in ds.data_vars
    }


def _check_var_name(idata: Mapping[str, Any], var_name: str | None) -> None:
    """Each model has the compared log-likelihood, of one observed variable, over as many observations."""
    used: dict[str, tuple[str, int]] = {}
    for name, obj in idata.items():
        found = _log_likelihood_vars(obj, name)
        if not found:
            raise DecideValueError(f"idata[{name!r}] has an empty log_likelihood group.")
        if var_name is None and len(found) > 1:
            raise DecideValueError(
                f"idata[{name!r}] has several log-likelihood variables {list(found)}; pass "
                "var_name= the observed variable the models share (e.g. the sales)."
            )
        if var_name is not None and var_name not in found:
            raise DecideValueError(
                f"var_name={var_name!r} is not a log-likelihood variable of idata[{name!r}]; "
                f"it has {list(found)}."
            )
        var = var_name if var_name is not None else next(iter(found))
        used[name] = (var, found[var])
    names = {k: v for k, (v, _) in used.items()}
    if len(set(names.values())) > 1:
        raise DecideValueError(
            f"the models' log-likelihoods are of different observed variables {names}: stacking "
            "and pseudo-BMA weigh models by how well they predict the same observations (a "
            "transformed target, e.g. log sales, is another quantity). Give the observed "
            "variable one name in every model, or give the weights as a dict."
        )
    counts = {k: n for k, (_, n) in used.items()}
    if len(set(counts.values())) > 1:
        raise DecideValueError(
            f"the models' log-likelihoods of {next(iter(names.values()))!r} have different "
            f"numbers of observations {counts}: stacking and pseudo-BMA compare the models "
            "on the same observations. Fit every model to the same data."
        )


def model_weights(
    idata: Any, names: Sequence[str], method: str, var_name: str | None = None
) -> tuple[pd.Series, pd.DataFrame]:
    """Stacking or pseudo-BMA weights of the models, computed by ``arviz.compare``.

    Parameters
    ----------
    idata : dict of str to arviz.InferenceData or xarray.DataTree
        One posterior per model (keys: the model names) with a ``log_likelihood``
        group over the same observations.
    names : sequence of str
        The model names, in the order the weights are returned.
    method : {"stacking", "pseudo-bma", "bb-pseudo-bma"}
        ``arviz.compare``'s ``"stacking"``, ``"pseudo-BMA"`` or ``"BB-pseudo-BMA"``.
    var_name : str, optional
        The observed variable to compare on, when the models have several.

    Returns
    -------
    weights : pandas.Series
        Indexed by model name (in ``names`` order), summing to one.
    comparison : pandas.DataFrame
        The table ``arviz.compare`` returned (unrounded).

    Raises
    ------
    DecideValueError
        If ``idata`` does not name exactly the models, a model has no
        log-likelihood, or ``var_name`` is missing or ambiguous.
    DecideTypeError
        If ``idata`` is not a dict of ArviZ posterior objects.
    """
    if not isinstance(idata, Mapping):
        raise DecideTypeError(
            f"weights={method!r} needs idata= a dict model name -> InferenceData/DataTree with "
            f"a log_likelihood group; got {type(idata).__name__}."
        )
    keys = [str(k) for k in idata]
    missing = [n for n in names if n not in keys]
    unknown = [k for k in keys if k not in names]
    if missing or unknown:
        raise DecideValueError(
            f"idata must have one posterior per model, keys {list(names)}; missing {missing}, "
            f"unknown {unknown}."
        )
    ordered = {n: idata[n] for n in names}
    _check_var_name(ordered, var_name)
    import arviz

    spelling = WEIGHT_METHODS[method]
    if arviz.__version__.split(".")[0] == "0":
        kwargs: dict[str, Any] = {"ic": "loo", "scale": "log"}
        if method == "bb-pseudo-bma":
            kwargs["seed"] = 0  # arviz 1.x fixes its own bootstrap seed
        table = arviz.compare(ordered, method=spelling, var_name=var_name, **kwargs)
    else:
        table = arviz.compare(ordered, method=spelling, var_name=var_name, round_to="none")
    w = pd.Series(
        np.asarray(table["weight"].reindex(list(names)), dtype=np.float64),
        index=pd.Index(list(names), name="model"),
        name="weight",
    )
    w = w.clip(lower=0.0)
    return w / float(w.sum()), table
