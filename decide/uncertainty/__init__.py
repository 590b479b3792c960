"""What the uncertainty means for the decision.

:func:`decompose` splits an outcome's variance and tail risk into the
epistemic part (parameter uncertainty that more data would remove) and the
aleatoric part (irreducible noise). :func:`evpi` and :func:`evppi` value
perfect information about all or some parameters; :func:`evsi` values the
sample information of an :class:`Experiment` and :func:`enbs` nets its cost;
:func:`expected_regret` and :func:`prob_best` compare a finite set of actions
draw by draw.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability; draw arrays put the sample axis first,
``(n_samples,)`` or ``(n_samples, n_replicates)``.
"""

from decide.uncertainty._decompose import decompose
from decide.uncertainty._decomposition import Decomposition
from decide.uncertainty._enbs import ENBS, enbs
from decide.uncertainty._evppi import RegressionCheck, evppi
from decide.uncertainty._evppi_table import evppi_table
from decide.uncertainty._evsi import EVSI, evsi
from decide.uncertainty._experiment import Experiment
from decide.uncertainty._voi import ValueOfInformation, evpi, expected_regret, prob_best
from decide.uncertainty._voi_curve import voi_curve

__all__ = [
    "ENBS",
    "EVSI",
    "Decomposition",
    "Experiment",
    "RegressionCheck",
    "ValueOfInformation",
    "decompose",
    "enbs",
    "evpi",
    "evppi",
    "evppi_table",
    "evsi",
    "expected_regret",
    "prob_best",
    "voi_curve",
]
