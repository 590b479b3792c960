"""The optimizer backends behind :func:`decide.optimize`: one registry, one rule for ``"auto"``.

Each backend is one :class:`Backend` subclass in its own module, registered under
its ``method`` name: ``"enumerate"`` (every option of a Discrete space), ``"cvxpy"``
(the exact convex program), ``"cvar-lp"`` (the exact specialized mean-CVaR LP),
``"scipy"`` (local solves from several starts; integer search) and
``"scipy-global"`` (differential evolution then a polish), ``"derivative-free"`` (grid,
global or local searches without gradients, for non-smooth objectives) and ``"highs"``
(constraints on a linear outcome as one LP or MILP, chance constraints included; its
MILP's big-M, preprocessing and warm start live in ``_chance_milp``). :func:`choose` is the
rule of ``method="auto"``. To add a backend, write one module with a registered
subclass and import it below.
"""

from decide.optimization.backends import _cvar_lp as _cvar_lp
from decide.optimization.backends import _cvar_slp as _cvar_slp
from decide.optimization.backends import _cvxpy as _cvxpy
from decide.optimization.backends import _enumerate as _enumerate
from decide.optimization.backends import _highs as _highs
from decide.optimization.backends import _scipy as _scipy
from decide.optimization.backends import _scipy_derivative_free as _scipy_derivative_free
from decide.optimization.backends._base import (
    Backend,
    backend_names,
    choose,
    get_backend,
    register,
)
from decide.optimization.backends._cvxpy import ConvexProblem

__all__ = ["Backend", "ConvexProblem", "backend_names", "choose", "get_backend", "register"]
