"""decide: turn Bayesian posteriors into decisions.

Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability. See ``decide.measures`` for the scores,
``decide.outcomes`` for the sources of outcome draws and ``decide.optimize``
for choosing the action.
"""

from __future__ import annotations

import sys as _sys

__version__ = "0.1.0"

# plots is a submodule only, not star-imported (matplotlib loads on the first plot)
from decide import errors, many, measures, optimize, outcomes, plots, policies, uncertainty
from decide.errors import *  # noqa: F403
from decide.many import *  # noqa: F403
from decide.measures import *  # noqa: F403
from decide.optimize import *  # noqa: F403
from decide.outcomes import *  # noqa: F403
from decide.policies import *  # noqa: F403
from decide.uncertainty import *  # noqa: F403

# The star import bound the function ``optimize`` to this name; keep the subpackage here
# instead: it is callable, so ``decide.optimize(...)`` still runs the function.
optimize = _sys.modules["decide.optimize"]  # noqa: F811

__all__ = [
    "__version__",
    "errors",
    "measures",
    "optimize",
    "outcomes",
    "uncertainty",
    "policies",
    "plots",
    "many",
    *errors.__all__,
    *measures.__all__,
    *outcomes.__all__,
    *optimize.__all__,
    *uncertainty.__all__,
    *policies.__all__,
    *many.__all__,
]
