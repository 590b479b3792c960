"""The result of :func:`decide.uncertainty.decompose`: the split as named parts and a table.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd
import xarray as xr

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["COLUMNS", "STRUCTURAL_COLUMNS", "Decomposition"]

COLUMNS = [
    "mean",
    "total_variance",
    "epistemic_variance",
    "aleatoric_variance",
    "epistemic_share",
    "cvar",
    "cvar_epistemic",
    "tail_epistemic",
    "tail_aleatoric",
    "objective",
    "objective_epistemic",
    "objective_aleatoric",
]

#: Extra columns for a mixture of candidate models (:func:`decide.outcomes.mixture`).
STRUCTURAL_COLUMNS = ["structural_variance", "parameter_variance", "structural_share"]


@dataclass(frozen=True)
class Decomposition:
    r"""The split of an outcome's uncertainty into epistemic and aleatoric parts.

    Outcomes are rewards (higher is better); risk is in the lower tail and
    ``alpha`` is the tail probability. Built by :func:`decompose`; the scalar
    fields describe the reduced (scalar) outcome that objectives score.

    Attributes
    ----------
    mean : float
        Predictive mean :math:`E[Y]`.
    total : float
        Total predictive variance, ``epistemic + aleatoric``.
    epistemic : float
        :math:`\mathrm{Var}_\theta(E[Y \mid \theta])`: the part more data would remove.
    aleatoric : float
        :math:`E_\theta[\mathrm{Var}(Y \mid \theta)]`: irreducible noise.
    epistemic_raw : float
        The unclipped epistemic estimate (nested simulation can make it negative).
    method : {"exact", "nested"}
        ``"exact"``: the conditional means came from the model; ``"nested"``:
        they were estimated from replicates.
    n_samples, n_replicates : int
        Posterior samples and outcome replicates per sample used.
    alpha : float
        Tail probability of the CVaR split.
    cvar : float
        :math:`\mathrm{CVaR}_\alpha(Y)` of the full predictive (a reward).
    cvar_epistemic : float
        :math:`\mathrm{CVaR}_\alpha(E[Y \mid \theta])`: the tail with the noise averaged out.
    objective_value, objective_epistemic : float or None
        The user's objective on the full predictive and on the conditional means.
    elements : pandas.DataFrame or None
        One row per element of a vector outcome (same columns as :meth:`to_dataframe`).
    by_element : xarray.Dataset or None
        The per-element split with the outcome's named dims and coordinates.
    notes : tuple of str
        Caveats recorded while computing (e.g. a clipped negative estimate).
    structural : float or None
        For a mixture of candidate models: :math:`\mathrm{Var}_m(E[Y \mid m])`, the
        part of the epistemic variance that comes from not knowing which model is
        right; ``None`` for a single model. Then ``epistemic = structural +
        parameter`` and ``total = structural + parameter + aleatoric``.
    """

    mean: float
    total: float
    epistemic: float
    aleatoric: float
    epistemic_raw: float
    method: Literal["exact", "nested"]
    n_samples: int
    n_replicates: int
    alpha: float
    cvar: float
    cvar_epistemic: float
    objective: Objective | None = None
    objective_value: float | None = None
    objective_epistemic: float | None = None
    elements: pd.DataFrame | None = None
    by_element: xr.Dataset | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    structural: float | None = None

    @property
    def parameter(self) -> float | None:
        """``epistemic - structural``: parameter uncertainty within the models (mixtures only)."""
        if self.structural is None:
            return None
        return max(self.epistemic - self.structural, 0.0)

    @property
    def structural_share(self) -> float | None:
        """Fraction of the total variance from not knowing which model is right (mixtures only)."""
        if self.structural is None:
            return None
        return self.structural / self.total if self.total > 0 else math.nan

    @property
    def epistemic_share(self) -> float:
        """Fraction of the total variance that is epistemic (NaN if the total is 0)."""
        return self.epistemic / self.total if self.total > 0 else math.nan

    @property
    def aleatoric_share(self) -> float:
        """Fraction of the total variance that is aleatoric (NaN if the total is 0)."""
        return self.aleatoric / self.total if self.total > 0 else math.nan

    @property
    def tail_epistemic(self) -> float:
        """``mean - cvar_epistemic``: tail shortfall caused by parameter uncertainty."""
        return self.mean - self.cvar_epistemic

    @property
    def tail_aleatoric(self) -> float:
        """``cvar_epistemic - cvar``: extra tail shortfall caused by the noise."""
        return self.cvar_epistemic - self.cvar

    @property
    def objective_aleatoric(self) -> float | None:
        """``objective_epistemic - objective_value``: what the noise costs the objective."""
        if self.objective_value is None or self.objective_epistemic is None:
            return None
        return self.objective_epistemic - self.objective_value

    def _total_row(self) -> dict[str, float]:
        nan = math.nan
        return {
            "mean": self.mean,
            "total_variance": self.total,
            "epistemic_variance": self.epistemic,
            "aleatoric_variance": self.aleatoric,
            "epistemic_share": self.epistemic_share,
            "cvar": self.cvar,
            "cvar_epistemic": self.cvar_epistemic,
            "tail_epistemic": self.tail_epistemic,
            "tail_aleatoric": self.tail_aleatoric,
            "objective": nan if self.objective_value is None else self.objective_value,
            "objective_epistemic": (
                nan if self.objective_epistemic is None else self.objective_epistemic
            ),
            "objective_aleatoric": (
                nan if self.objective_aleatoric is None else self.objective_aleatoric
            ),
            "structural_variance": nan if self.structural is None else self.structural,
            "parameter_variance": nan if self.parameter is None else self.parameter,
            "structural_share": nan if self.structural_share is None else self.structural_share,
        }

    def to_dataframe(self) -> pd.DataFrame:
        """One row per outcome element (vector outcomes) plus the ``"total"`` row.

        Returns
        -------
        pandas.DataFrame
            Index ``"element"`` (labels such as ``"week=3"``, and ``"total"`` for
            the reduced outcome); columns ``mean``, ``total_variance``,
            ``epistemic_variance``, ``aleatoric_variance``, ``epistemic_share``,
            ``cvar``, ``cvar_epistemic``, ``tail_epistemic``, ``tail_aleatoric``,
            ``objective``, ``objective_epistemic``, ``objective_aleatoric``
            (the objective columns are NaN for elements and without an objective);
            for a mixture of models also ``structural_variance``,
            ``parameter_variance`` and ``structural_share``.
        """
        cols = COLUMNS if self.structural is None else [*COLUMNS, *STRUCTURAL_COLUMNS]
        total = pd.DataFrame([self._total_row()], index=pd.Index(["total"], name="element"))
        if self.elements is None:
            return total[cols]
        return pd.concat([self.elements, total])[cols]

    def __repr__(self) -> str:
        structural = (
            "" if self.structural is None
            else f"structural={self.structural:.4g} ({self.structural_share:.1%}), "
        )
        return (
            f"Decomposition(method={self.method!r}, mean={self.mean:.4g}, total={self.total:.4g}, "
            f"epistemic={self.epistemic:.4g} ({self.epistemic_share:.1%}), {structural}"
            f"aleatoric={self.aleatoric:.4g}, cvar={self.cvar:.4g}, "
            f"cvar_epistemic={self.cvar_epistemic:.4g}, n_samples={self.n_samples}, "
            f"n_replicates={self.n_replicates}"
            + (f", notes={list(self.notes)}" if self.notes else "")
            + ")"
        )
