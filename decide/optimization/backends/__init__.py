"""The optimizer backends behind :func:`decide.optimize`.

One module per backend: scipy (SLSQP / trust-constr, differential evolution),
cvxpy (the exact convex program), enumeration of a Discrete space, integer search,
and the specialized CVaR LP.
"""

from decide.optimization.backends._cvxpy import ConvexProblem

__all__ = ["ConvexProblem"]
