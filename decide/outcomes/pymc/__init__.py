"""Outcome draws from a PyMC model under ``do(action)``: :func:`from_pymc`.

The compiler: ``_outcome`` (the :class:`PyMCOutcome` and :func:`from_pymc`),
``_graph`` (intervene with ``pm.do``, replace free variables by posterior inputs,
vectorize over draws), ``_ops`` (noise and moments per distribution), ``_grad``
(the vector-Jacobian product graph).
"""

from decide.outcomes.pymc._outcome import PyMCOutcome, from_pymc

__all__ = ["PyMCOutcome", "from_pymc"]
