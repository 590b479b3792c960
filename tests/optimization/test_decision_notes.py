"""Notes that change what a Decision means are shown in its repr."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from decide.errors import ConvergenceWarning
from decide.measures import Mean, ProbabilityOfShortfall
from decide.optimization import Box, optimize
from decide.outcomes import from_function


def _outcome():
    theta = np.random.default_rng(0).normal(3.0, 0.5, size=400)

    def fn(action, params):  # concave in the action, no jacobian given
        x = float(np.asarray(action).reshape(-1)[0])
        return params["theta"] * x - x**2

    return theta, from_function(fn, {"theta": theta}, action_shape=())


def test_every_note_is_in_the_repr():
    theta, outcome = _outcome()
    decision = optimize(outcome, Mean(), Box(0.0, 10.0), method="scipy", random_seed=0)
    # closed form: argmax E[theta] x - x^2 = E[theta] / 2
    assert float(decision.flat_action[0]) == pytest.approx(theta.mean() / 2, abs=1e-3)
    # an objective without a gradient: how the solve went is recorded in the notes
    with warnings.catch_warnings():  # a forced gradient method on a step objective: may not verify
        warnings.simplefilter("ignore", ConvergenceWarning)
        shortfall = optimize(outcome, ProbabilityOfShortfall(2.0), Box(0.0, 10.0), method="scipy",
                             random_seed=0)
    for d in (decision, shortfall):
        assert d.diagnostics.notes
        text = repr(d)
        for note in d.diagnostics.notes:
            assert f"note: {note}" in text
