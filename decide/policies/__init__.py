"""Comparing risk-averse policies: held-out evaluation, frontiers, sweeps, acceptability.

Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability. Draw arrays put the sample axis first,
``(n_samples,)`` or ``(n_samples, n_replicates)``.

:func:`compare` optimizes several objectives (and scores fixed actions) on part
of the posterior draws and judges every chosen action on draws the optimizer
never saw, which makes the optimizer's curse visible; :func:`frontier` traces
mean against risk as the risk aversion grows; :func:`sweep` follows the chosen
action along one parameter; :func:`acceptability` gives the probability that
each action is best as a function of risk aversion; :func:`robustness` values
each chosen action under every candidate model of a mixture. :mod:`decide.plots` draws
them.

Examples
--------
>>> import numpy as np
>>> from decide.measures import CVaR, Mean
>>> from decide.outcomes import from_draws
>>> from decide.policies import compare
>>> rng = np.random.default_rng(0)
>>> arms = from_draws({"A": rng.normal(1.0, 0.1, 1000), "B": rng.normal(1.1, 1.0, 1000)})
>>> compare(arms, {"neutral": Mean(), "cautious": CVaR(0.05)}, random_seed=0).index.tolist()
['neutral', 'cautious']
"""

from decide.policies._acceptability import acceptability
from decide.policies._compare import compare
from decide.policies._frontier import frontier
from decide.policies._robustness import robustness
from decide.policies._sweep import sweep

__all__ = ["acceptability", "compare", "frontier", "robustness", "sweep"]
