"""Plots of decisions and policies (matplotlib); every function returns ``(fig, ax)``.

matplotlib is imported inside the functions, so ``import decide`` stays light.
Nothing is shown unless ``show=True``; pass ``ax=`` to draw into existing axes.
Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability.

* :func:`plot_outcomes`: outcome distributions of several policies with CVaR marks;
* :func:`plot_frontier`: the mean-risk efficient frontier with policies on it;
* :func:`plot_sweep`: the chosen action along a parameter sweep (stacked for a budget);
* :func:`plot_uncertainty`: the epistemic / aleatoric split per action or element;
* :func:`plot_acceptability`: probability each action is best against risk aversion;
* :func:`plot_robustness`: regret (or value) of each policy under each candidate model;
* :func:`plot_evsi`, :func:`plot_enbs`: the value and net benefit of an experiment against its size;
* :func:`plot_voi_curve`: EVPI and EVPPI against a willingness-to-pay or risk-aversion parameter.
"""

from decide.plots._acceptability import plot_acceptability
from decide.plots._evsi import plot_enbs, plot_evsi, plot_voi_curve
from decide.plots._frontier import plot_frontier
from decide.plots._outcomes import plot_outcomes
from decide.plots._robustness import plot_robustness
from decide.plots._sweep import plot_sweep
from decide.plots._uncertainty import plot_uncertainty

__all__ = [
    "plot_acceptability",
    "plot_enbs",
    "plot_evsi",
    "plot_frontier",
    "plot_outcomes",
    "plot_robustness",
    "plot_sweep",
    "plot_uncertainty",
    "plot_voi_curve",
]
