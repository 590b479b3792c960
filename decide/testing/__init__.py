"""Property tests for objectives and decision rules (hypothesis strategies and checks).

Outcomes are rewards (higher is better); risk lives in the lower tail; draw
arrays put the sample axis first, ``(n_samples,)`` or ``(n_samples, n_replicates)``.

Strategies (:func:`draws`, :func:`outcome_tables`, :func:`decision_problems`)
generate inputs for your own hypothesis tests. Checks (``check_*``) raise
:class:`PropertyViolation`, an ``AssertionError`` carrying the
:class:`Counterexample`. Each check runs on given draws (plain, deterministic)
or, called without draws, searches with hypothesis itself.

Examples
--------
>>> import numpy as np
>>> from decide.testing import check_coherent, check_monotone
>>> check_coherent(np.min, max_examples=20)
>>> try:
...     check_monotone(lambda d: -np.var(d), max_examples=50)
... except AssertionError as exc:
...     ce = exc.counterexample
>>> bool(np.all(ce.inputs["x"] >= ce.inputs["y"]))
True
"""

from decide.testing._checks import (
    check_coherent,
    check_monotone,
    check_positive_homogeneous,
    check_translation_invariant,
)
from decide.testing._convexity_checks import check_concave, check_subadditive
from decide.testing._declared import check_declared, check_pooled, check_weights
from decide.testing._order_checks import check_law_invariant, check_ssd_consistent
from decide.testing._problems import DecisionProblem, decision_problems
from decide.testing._rules import (
    argmax_rule,
    check_deterministic,
    check_never_dominated,
    check_never_ssd_dominated,
)
from decide.testing._strategies import (
    DISTRIBUTIONS,
    draws,
    outcome_tables,
    sample_sizes,
    sample_weights,
)
from decide.testing._violation import Counterexample, PropertyViolation

__all__ = [
    "DISTRIBUTIONS",
    "Counterexample",
    "DecisionProblem",
    "PropertyViolation",
    "argmax_rule",
    "check_coherent",
    "check_concave",
    "check_declared",
    "check_deterministic",
    "check_law_invariant",
    "check_monotone",
    "check_never_dominated",
    "check_never_ssd_dominated",
    "check_pooled",
    "check_positive_homogeneous",
    "check_ssd_consistent",
    "check_subadditive",
    "check_translation_invariant",
    "check_weights",
    "decision_problems",
    "draws",
    "outcome_tables",
    "sample_sizes",
    "sample_weights",
]
