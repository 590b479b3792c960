"""The exact CVaR linear program for many linear scenarios (``method="cvar-lp"``).

:func:`solve_cvar_lp` maximizes ``wm * mean(R x) + wc * CVaR_alpha(R x)`` over a
polyhedron, optionally with a CVaR floor, by solving small LPs over a band of
scenarios near the value-at-risk and certifying the answer by weak duality
(see ``docs/cvar_fast.md``). Modules: ``_solve`` (API and checks), ``_search``
(warm starts and the floor search), ``_core`` (rounds, trust region,
certificate), ``_band`` (which scenarios are folded, free or dropped),
``_highs`` (the HiGHS LPs).
"""

from decide.optimization.cvar_lp._search import CVaRLPWarm
from decide.optimization.cvar_lp._solve import CVaRLPResult, solve_cvar_lp

__all__ = ["CVaRLPResult", "CVaRLPWarm", "solve_cvar_lp"]
