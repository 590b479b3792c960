"""Tests of check_declared, pooling and weights checks, the default search's reach
(planted bugs: weights branch, replicate pooling, above 64 draws, the Wang-measure
slips), user objectives' equality, settings composition, determinism, rules."""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from scipy.stats import norm

from decide.measures import Objective, Property
from decide.testing import (
    PropertyViolation,
    argmax_rule,
    check_declared,
    check_monotone,
    check_never_dominated,
    check_never_ssd_dominated,
    check_pooled,
    check_translation_invariant,
    check_weights,
)
from decide.testing._settings import check_settings

N = 30
DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def _doc_namespace() -> dict:
    """Run the docs block that defines the Wang objective, as a user would copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    block = next(b for b in blocks if "class Wang(Objective)" in b)
    block = block.replace("check_declared(Wang(0.75))", "pass")  # checked in the test below
    ns: dict = {}
    exec(compile(block, "<docs/testing.md Wang>", "exec"), ns)
    return ns


WANG = _doc_namespace()["Wang"]


def wang_reference(x, theta, w=None):
    """Independent Wang transform: sorted draws, distorted cumulative probabilities."""
    x = np.asarray(x, dtype=float).reshape(-1)
    p = np.full(x.size, 1.0 / x.size) if w is None else np.asarray(w, float) / np.sum(w)
    o = np.argsort(x)
    F = np.cumsum(p[o])
    g = 1.0 - norm.cdf(norm.ppf(1.0 - np.minimum(F, 1.0)) - theta)
    return float(np.sum(np.diff(np.r_[0.0, g]) * x[o]))


def test_user_objective_from_docs_passes_and_compares_by_parameters():
    x = np.array([3.0, -1.0, 2.0, 0.5])
    assert WANG(0.75)(x) == pytest.approx(wang_reference(x, 0.75), abs=1e-12)
    assert WANG(0.75)(x, [1, 2, 1, 1]) == pytest.approx(
        wang_reference(x, 0.75, [1, 2, 1, 1]), abs=1e-12)
    check_declared(WANG(0.75), max_examples=N)
    assert WANG(0.75) != WANG(2.0) and hash(WANG(0.75)) != hash(WANG(2.0))
    assert WANG(0.75) == WANG(0.75) and len({WANG(0.75), WANG(0.75), WANG(2.0)}) == 2
    assert repr(WANG(2.0)) == "Wang(theta=2.0)"


def _wang_variant(name, value):
    """A Wang subclass whose _value is ``value(self, x, w)``: a planted bug."""
    return type(name, (WANG,), {"_value": value})


def _probs(x, w, theta, n_norm=None):
    p = np.full(x.size, 1.0 / (n_norm or x.size)) if w is None else w
    return 1.0 - norm.cdf(norm.ppf(1.0 - np.clip(np.cumsum(p), 0, 1)) - theta)


def _bug_sign(self, x, w):  # distorts towards the best outcomes
    o = np.argsort(x)
    g = _probs(x, None if w is None else w[o], -self.theta)
    return float(np.diff(g, prepend=0.0) @ x[o])


def _bug_descending(self, x, w):
    o = np.argsort(x)[::-1]
    g = _probs(x, None if w is None else w[o], self.theta)
    return float(np.diff(g, prepend=0.0) @ x[o])


def _bug_not_summing(self, x, w):  # drops the last increment: weights sum below one
    o = np.argsort(x)
    g = _probs(x, None if w is None else w[o], self.theta)
    return float(np.diff(g, prepend=0.0)[:-1] @ x[o][:-1])


def _bug_normalisation(self, x, w):  # divides by n + 1
    o = np.argsort(x)
    g = _probs(x, None if w is None else w[o], self.theta, n_norm=x.size + 1)
    return float(np.diff(g, prepend=0.0) @ x[o])


def _bug_missing_sort(self, x, w):
    g = _probs(x, w, self.theta)
    return float(np.diff(g, prepend=0.0) @ x)


def _bug_nan(self, x, w):  # 0 * inf at the top: norm.ppf(0) = -inf times a zero draw
    o = np.argsort(x)
    g = _probs(x, None if w is None else w[o], self.theta)
    cum = np.clip(np.cumsum(np.full(x.size, 1.0 / x.size)), 0, 1)
    with np.errstate(invalid="ignore"):
        return float(np.diff(g, prepend=0.0) @ x[o] + np.sum(norm.ppf(1.0 - cum) * (x[o] == 0)))


def _bug_weights_branch(self, x, w):  # weights not reordered with the sorted draws
    o = np.argsort(x)
    g = _probs(x, w, self.theta)
    return float(np.diff(g, prepend=0.0) @ x[o])


def _bug_above_64(self, x, w):  # a "blocked" path for long inputs forgets to sort
    if x.size <= 64:
        return WANG._value(self, x, w)
    return _bug_missing_sort(self, x, w)


@pytest.mark.parametrize("bug", [_bug_sign, _bug_descending, _bug_not_summing,
                                 _bug_normalisation, _bug_missing_sort, _bug_nan,
                                 _bug_weights_branch, _bug_above_64])
def test_default_search_catches_planted_wang_bugs(bug):
    obj = _wang_variant("Wang" + bug.__name__, bug)(0.75)
    with pytest.raises(PropertyViolation) as info:
        check_declared(obj, max_examples=N)
    ce = info.value.counterexample
    # recompute: the reported scores are the buggy objective's on the reported inputs
    x = ce.inputs.get("x")
    w = ce.inputs.get("weights")
    key = next(k for k in ce.scores if k.startswith("score(x"))
    if key == "score(x)":
        got = obj(x) if w is None else obj(x, w)
        assert got == ce.scores[key] or (np.isnan(got) and np.isnan(ce.scores[key]))
    if bug is _bug_above_64:
        # the bug needs more than 64 values: pooled, or the samples repeated by their weights
        reps = 1 if w is None else int(np.sum(w))
        assert max(x.size, reps * (x.size // x.shape[0])) > 64
    if bug is _bug_weights_branch:
        assert w is not None


def wang_fn_pool_bug(d, weights=None):
    """A plain-function Wang that averages replicates instead of pooling them."""
    d = np.asarray(d, dtype=float)
    if d.ndim == 2:
        d = d.mean(axis=1)
    return wang_reference(d, 0.75, weights)


def test_pooling_bug_caught_by_default_search():
    with pytest.raises(PropertyViolation) as info:
        check_declared(wang_fn_pool_bug, laws=["monotone", "pooled"], max_examples=N)
    ce = info.value.counterexample
    assert ce.check == "check_pooled"
    x = ce.inputs["x"]
    assert x.ndim == 2
    assert abs(wang_reference(x.mean(axis=1), 0.75, ce.inputs.get("weights"))
               - wang_reference(x.reshape(-1), 0.75, ce.inputs.get("weights_pooled"))) > 1e-9


def test_pooled_and_weights_plain_forms():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    check_pooled(lambda d: float(np.min(d)), x)
    with pytest.raises(PropertyViolation):
        check_pooled(wang_fn_pool_bug, x)
    check_weights(lambda d, weights=None: float(np.average(d, weights=weights)),
                  np.array([1.0, 5.0, 2.0]), [1.0, 2.0, 1.0])


def test_weights_repeat_law_against_numpy():
    def weighted_median_bug(d, weights=None):  # ignores the weights
        return float(np.median(d))

    with pytest.raises(PropertyViolation) as info:
        check_weights(weighted_median_bug, max_examples=N)
    ce = info.value.counterexample
    assert ce.check == "check_weights"


def bump(d):
    """Not translation invariant: a quadratic term."""
    return float(np.mean(d) + 0.01 * np.mean(d) ** 2)


def test_counterexample_shrinks_to_one_draw():
    with pytest.raises(PropertyViolation) as info:
        check_translation_invariant(bump, max_examples=N)
    x = info.value.counterexample.inputs["x"]
    assert x.shape[0] == 1
    c = info.value.counterexample.inputs["c"]
    assert abs(bump(x + c) - bump(x) - c) > 1e-6 * max(1.0, abs(c), float(np.abs(x).max()))


def test_violation_traceback_is_short():
    with pytest.raises(PropertyViolation) as info:
        check_translation_invariant(bump, max_examples=N)
    exc = info.value
    assert exc.__suppress_context__ and exc.__cause__ is None
    frames = traceback.extract_tb(exc.__traceback__)
    assert not any("hypothesis" in f.filename for f in frames)
    assert "translation_invariant" in str(exc) or "score(x + c)" in str(exc)


def neg_var(d):
    return -float(np.var(d))


def _seen(max_examples=40):
    """Every input the search shows a (passing) score, in order."""
    seen = []

    def recording(d):
        seen.append(np.array(d, copy=True))
        return float(np.mean(d))

    check_translation_invariant(recording, max_examples=max_examples)
    return seen


def test_same_counterexample_with_a_module_of_literals_imported(tmp_path, monkeypatch):
    first = _ce_text(neg_var)
    first_seen = _seen()
    mod = tmp_path / "lots_of_literals_pt.py"
    vals = np.random.default_rng(1).uniform(-1, 1, 400)
    mod.write_text("VALUES = [" + ", ".join(repr(float(v)) for v in vals) + "]\n"
                   + "INTS = [" + ", ".join(str(i) for i in range(3, 400, 7)) + "]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    importlib.import_module("lots_of_literals_pt")
    try:
        assert _ce_text(neg_var) == first
        again = _seen()
        assert len(again) == len(first_seen)
        assert all(np.array_equal(a, b) for a, b in zip(again, first_seen))
    finally:
        sys.modules.pop("lots_of_literals_pt", None)


def _ce_text(f):
    with pytest.raises(PropertyViolation) as info:
        check_monotone(f, max_examples=N)
    return str(info.value)


def test_settings_compose_with_profile_and_user_settings():
    from hypothesis import Phase

    s = check_settings(None, settings(max_examples=7))
    assert (s.max_examples, s.derandomize, s.database, s.deadline) == (7, True, None, None)
    assert Phase.shrink not in s.phases and Phase.generate in s.phases  # the check shrinks
    s = check_settings(None, settings(phases=[Phase.generate, Phase.shrink]))
    assert set(s.phases) == {Phase.generate, Phase.shrink}
    settings.register_profile("pt-more", max_examples=13)
    settings.load_profile("pt-more")
    try:
        s = check_settings(None, None)
        assert (s.max_examples, s.derandomize, s.deadline) == (13, True, None)
        s = check_settings(None, settings(deadline=500))
        assert s.max_examples == 13 and s.deadline is not None
        assert s.deadline.total_seconds() == 0.5
        assert check_settings(4, settings(max_examples=9)).max_examples == 4
        calls = []

        def counted(d):
            calls.append(1)
            return float(np.mean(d))

        check_translation_invariant(counted)
        # two scores per example, 13 examples under the profile (no shrinking: it passes)
        assert len(calls) == 2 * 13
    finally:
        settings.load_profile("default")


def test_score_functions_accepted_as_rules_and_ties_shown():
    check_never_dominated(np.mean)
    table = {"spread": np.array([-1.0, 3.0]), "sure": np.array([1.0, 1.0])}
    assert argmax_rule(np.mean)(table) == "spread"
    with pytest.raises(PropertyViolation) as info:
        check_never_ssd_dominated(np.mean, table)
    msg = str(info.value)
    assert "0 ulp apart" in msg and "score['spread'] = 1" in msg
    check_never_ssd_dominated(lambda d: float(np.min(d)), table)


def test_ssd_rule_check_finds_a_real_dominance():
    def mean_plus_sd(d):
        return float(np.mean(d) + np.std(d))

    with pytest.raises(PropertyViolation) as info:
        check_never_ssd_dominated(mean_plus_sd, max_examples=N)
    ce = info.value.counterexample
    chosen, other = ce.scores["chosen"], ce.scores["dominated by"][0]
    a, b = ce.inputs["table"][chosen], ce.inputs["table"][other]
    ts = np.concatenate([a, b])
    # independent check: E[min(b, t)] >= E[min(a, t)] for every t, strictly for some
    gaps = [np.minimum(b, t).mean() - np.minimum(a, t).mean() for t in ts]
    assert min(gaps) >= -1e-9 and max(gaps) > 1e-9
    assert mean_plus_sd(a) >= mean_plus_sd(b)


def test_check_declared_needs_laws_for_plain_functions():
    from decide.errors import DecideValueError

    with pytest.raises(DecideValueError, match="laws must be given"):
        check_declared(np.mean)
    with pytest.raises(DecideValueError, match="laws must be among"):
        check_declared(np.mean, laws=["convex"])
    assert Property.MONOTONE in WANG(1.0).properties
    assert isinstance(WANG(1.0), Objective)
