"""Fuzzing harness shared by ``tests/reliability/test_fuzz.py`` and ``benchmarks/fuzz.py``.

Hypothesis generates decision problems (``decide.testing.decision_problems`` plus the
discrete, from_draws and integer strategies here), an objective and a method; each
case is run through ``optimize``, ``compare`` and ``decompose`` and classified:

* ``ok``: an action came back, finite and feasible for its space;
* ``documented``: a :class:`decide.errors.DecideError` was raised *and* an independent
  check of the case says this input must raise it (:func:`expected_error`: e.g. a
  feasible action with constant draws for a ratio, one with a non-positive draw for a
  power utility, too few draws to hold half out); a DecideError the check does not
  predict is ``unjustified`` (a bug: a decision was expected);
* ``undocumented``: any other exception, a warning other than ``ConvergenceWarning``
  and ``UnreliableEstimateWarning`` (tiny or fat-tailed samples; compare must then
  show an ``ess_`` column below the threshold), or a ``SaturationWarning`` the check
  does not predict, or a ConvergenceWarning without ``converged=False`` (these are bugs);
* ``infeasible``: the returned action violates its space, is not finite, or a
  Discrete decision is not one of the options (a bug);
* ``suboptimal``: an exact method (cvxpy on a concave objective, enumeration) returned
  a score below a known feasible point (a bug).
"""

from __future__ import annotations

import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from decide.errors import (
    ConvergenceWarning,
    DecideError,
    SaturationWarning,
    UnreliableEstimateWarning,
)
from decide.errors import SolverError as SolverError_
from decide.measures import (
    CVaR,
    EntropicRisk,
    EVaR,
    ExpectedShortfallBelow,
    ExpectedUtility,
    Exponential,
    Mean,
    MeanCVaR,
    MeanVariance,
    Power,
    ProbabilityOfShortfall,
    Property,
    SemiVariance,
    Sharpe,
    StdDev,
    VaR,
    WorstCase,
)
from decide.optimization import Box, Budget, Discrete, Integer, available_methods, optimize
from decide.outcomes import from_draws, linear
from decide.testing import decision_problems, draws

__all__ = [
    "OBJECTIVES",
    "Case",
    "Tally",
    "cases",
    "expected_error",
    "run_case",
]

#: Objectives the fuzzer draws from (name, factory); factories keep hypothesis output printable.
OBJECTIVES: dict[str, Any] = {
    "Mean": Mean,
    "CVaR(0.1)": lambda: CVaR(0.1),
    "CVaR(0.5)": lambda: CVaR(0.5),
    "VaR(0.2)": lambda: VaR(0.2),
    "EVaR(0.1)": lambda: EVaR(0.1),
    "WorstCase": WorstCase,
    "MeanVariance(1)": lambda: MeanVariance(1.0),
    "MeanCVaR(2, 0.05)": lambda: MeanCVaR(2.0, 0.05),
    "Mean + CVaR(0.2)": lambda: Mean() + 1.0 * CVaR(0.2),
    "Mean + 0.5 StdDev": lambda: Mean() + 0.5 * StdDev(),
    "SemiVariance": SemiVariance,
    "EntropicRisk(0.5)": lambda: EntropicRisk(0.5),
    "EU(Exponential(0.3))": lambda: ExpectedUtility(Exponential(0.3)),
    "EU(Power(2))": lambda: ExpectedUtility(Power(2.0)),
    "Sharpe": Sharpe,
    "ProbabilityOfShortfall(0)": lambda: ProbabilityOfShortfall(0.0),
    "ExpectedShortfallBelow(0)": lambda: ExpectedShortfallBelow(0.0),
}


@dataclass
class Case:
    """One fuzz case: an outcome, a space, a feasible point, an objective and a method."""

    kind: str
    outcome: Any
    space: Any
    witness: np.ndarray | None
    objective_name: str
    method: str
    seed: int
    options: tuple[np.ndarray, ...] = ()

    def all_options(self) -> tuple[np.ndarray, ...]:
        """The candidate actions of a Discrete space."""
        if self.options:
            return self.options
        _, X = self.space.resolve(self.outcome)
        return tuple(X)

    def __repr__(self) -> str:
        return (
            f"Case({self.kind}, {self.outcome!r}, space={self.space!r}, "
            f"objective={self.objective_name}, method={self.method!r}, seed={self.seed})"
        )


@st.composite
def _continuous(draw: Any) -> tuple[str, Any, Any, np.ndarray, tuple[np.ndarray, ...]]:
    p = draw(decision_problems(n_samples=st.integers(2, 30)))
    return "continuous", p.outcome, p.space, p.feasible, ()


@st.composite
def _integer(draw: Any) -> tuple[str, Any, Any, np.ndarray, tuple[np.ndarray, ...]]:
    k = draw(st.integers(1, 3))
    n = draw(st.integers(2, 25))
    scen = draw(draws(n_samples=n, n_replicates=k, min_value=-10.0, max_value=10.0))
    if draw(st.booleans()):
        total = draw(st.integers(0, 6))
        upper = draw(st.one_of(st.none(), st.integers(-(-total // k), 6)))
        space = Integer(Budget(total, upper=upper, equality=draw(st.booleans())))
        witness = np.zeros(k)
        for i in range(total):  # spread the total in unit steps within the upper bounds
            witness[i % k] += 1
    else:
        lo = np.asarray(draw(st.lists(st.integers(-3, 3), min_size=k, max_size=k)), float)
        width = np.asarray(draw(st.lists(st.integers(0, 3), min_size=k, max_size=k)), float)
        space = Integer(Box(lo, lo + width))
        witness = lo.copy()
    return "integer", linear(scen), space, witness, ()


@st.composite
def _from_draws(draw: Any) -> tuple[str, Any, Any, np.ndarray | None, tuple[np.ndarray, ...]]:
    k = draw(st.integers(1, 5))
    n = draw(st.integers(2, 30))
    reps = draw(st.one_of(st.none(), st.integers(2, 4)))
    labels = [f"arm{i}" for i in range(k)]
    table = {}
    for lab in labels:
        if reps is None:
            table[lab] = draw(draws(n_samples=n, min_value=-10.0, max_value=10.0))
        else:
            table[lab] = draw(draws(n_samples=n, n_replicates=reps, min_value=-10.0,
                                    max_value=10.0))
    outcome = from_draws(table)
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=k, unique=True))
        space = Discrete(chosen)
    else:
        chosen, space = labels, Discrete()
    opts = tuple(outcome.one_hot(lab) for lab in chosen)
    return "from_draws", outcome, space, opts[0], opts


@st.composite
def _discrete_linear(draw: Any) -> tuple[str, Any, Any, np.ndarray, tuple[np.ndarray, ...]]:
    k = draw(st.integers(1, 3))
    n = draw(st.integers(2, 25))
    scen = draw(draws(n_samples=n, n_replicates=k, min_value=-10.0, max_value=10.0))
    m = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(st.floats(-3, 3), min_size=k, max_size=k), min_size=m,
                         max_size=m))
    X = np.asarray(rows, dtype=float)
    space = Discrete({f"o{i}": X[i] for i in range(m)})
    return "discrete", linear(scen), space, X[0], tuple(X)


@st.composite
def cases(draw: Any, kinds: tuple[str, ...] = ("continuous", "integer", "from_draws",
                                              "discrete")) -> Case:
    """A fuzz case of one of ``kinds`` with a random objective and an applicable method."""
    makers = {"continuous": _continuous, "integer": _integer, "from_draws": _from_draws,
              "discrete": _discrete_linear}
    kind = draw(st.sampled_from(kinds))
    kind, outcome, space, witness, opts = draw(makers[kind]())
    name = draw(st.sampled_from(sorted(OBJECTIVES)))
    methods = ["auto", *available_methods(outcome, OBJECTIVES[name](), space)]
    method = draw(st.sampled_from(methods))
    seed = draw(st.integers(0, 2**16))
    return Case(kind, outcome, space, witness, name, method, seed, opts)


# -- checks ---------------------------------------------------------------------------------
def _violation(case: Case, x: np.ndarray) -> str | None:
    """Why ``x`` is not a point of the case's space, or None."""
    if x is None or np.shape(x) != (case.outcome.action_space.size,):
        return f"action has shape {np.shape(x)}"
    if not np.all(np.isfinite(x)):
        return f"action is not finite: {x}"
    if getattr(case.space, "discrete", False):
        if not any(np.array_equal(x, o) for o in case.all_options()):
            return f"action {x} is not one of the options"
        return None
    system = case.space.linear_constraints(case.outcome.action_space)
    viol, where = system.violation(x)
    if viol > 1e-6 * (1.0 + float(np.max(np.abs(x)))):
        return f"action {x} violates {where} by {viol:.3g}"
    if getattr(case.space, "integer", False) and not np.array_equal(x, np.round(x)):
        return f"integer action {x} is not integral"
    return None


# -- the oracle: which documented error (or warning) must this input raise? -----------------
def _affine(case: Case) -> tuple[np.ndarray, np.ndarray] | None:
    """``(R, b)`` with draws(x) = R @ x + b for a linear outcome without replicates, else None."""
    if case.outcome.options is not None or case.outcome.n_replicates is not None:
        return None
    n = case.outcome.action_space.size
    b = np.asarray(case.outcome.draws(np.zeros(n)), dtype=float)
    if b.ndim != 1:
        return None
    R = np.column_stack([np.asarray(case.outcome.draws(np.eye(n)[j]), float) - b for j in range(n)])
    return R, b


def _candidate_draws(case: Case) -> list[np.ndarray]:
    """Outcome draws (samples x replicates, flattened) of every option of a Discrete space."""
    return [np.asarray(case.outcome.draws(o), float).reshape(-1) for o in case.all_options()]


def _lp(c: np.ndarray, case: Case, extra: dict[str, Any] | None = None) -> Any:
    from scipy.optimize import linprog

    kw = case.space.linear_constraints(case.outcome.action_space).linprog_kwargs()
    for key, value in (extra or {}).items():
        if kw.get(key) is None or np.size(kw[key]) == 0:
            kw[key] = value
        else:
            kw[key] = np.concatenate([kw[key], value])
    return linprog(c, **kw, method="highs")


def _some_draw_nonpositive(case: Case) -> bool:
    """Is there a feasible action with a draw <= 0 (outside a power utility's domain)?"""
    if getattr(case.space, "discrete", False):
        return any(float(np.min(d)) <= 0 for d in _candidate_draws(case))
    rb = _affine(case)
    if rb is None:
        return True  # cannot tell: do not call the error unjustified
    R, b = rb
    for s in range(R.shape[0]):
        res = _lp(R[s], case)
        if res.status == 3 or (res.status == 0 and res.fun + b[s] <= 1e-9):
            return True
    return False


def _some_action_constant(case: Case) -> bool:
    """Is there a feasible action whose draws are all equal (zero standard deviation)?"""
    if getattr(case.space, "discrete", False):
        return any(np.ptp(d) <= 1e-9 * (1 + np.max(np.abs(d))) for d in _candidate_draws(case))
    rb = _affine(case)
    if rb is None:
        return True
    R, b = rb
    D, e = R[1:] - R[0], b[1:] - b[0]
    if D.shape[0] == 0:
        return True
    n = R.shape[1]
    # min t subject to |D x + e| <= t, x in the space
    c = np.zeros(n + 1)
    c[-1] = 1.0
    from scipy.optimize import linprog

    sys = case.space.linear_constraints(case.outcome.action_space)
    kw = sys.linprog_kwargs()
    pad = lambda A: np.hstack([A, np.zeros((A.shape[0], 1))]) if A is not None and np.size(A) else None  # noqa: E731
    A_ub = np.vstack([np.hstack([D, -np.ones((D.shape[0], 1))]),
                      np.hstack([-D, -np.ones((D.shape[0], 1))])])
    b_ub = np.concatenate([-e, e])
    if pad(kw["A_ub"]) is not None:
        A_ub, b_ub = np.vstack([A_ub, pad(kw["A_ub"])]), np.concatenate([b_ub, kw["b_ub"]])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=pad(kw["A_eq"]), b_eq=kw["b_eq"] if pad(kw["A_eq"]) is not None else None,
                  bounds=[*kw["bounds"], (0, None)], method="highs")
    return res.status == 0 and res.fun <= 1e-9 * (1 + float(np.max(np.abs(R), initial=0)) + float(np.max(np.abs(b))))


def _some_pair_equal(case: Case) -> bool:
    """Is there a feasible action and two samples with equal draws (compare's halves)?"""
    if getattr(case.space, "discrete", False):
        for d in _candidate_draws(case):
            v = np.sort(d)
            if np.any(np.diff(v) <= 1e-9 * (1 + np.max(np.abs(v)))):
                return True
        return False
    rb = _affine(case)
    if rb is None:
        return True
    R, b = rb
    n = R.shape[1]
    for s in range(R.shape[0]):
        for t in range(s + 1, R.shape[0]):
            res = _lp(np.zeros(n), case, {"A_eq": (R[s] - R[t])[None, :], "b_eq": [b[t] - b[s]]})
            if res.status == 0:
                return True
    return False


def _not_milp(objective: Any) -> bool:
    """cvxpy's own verdict: is the objective's DCP form over linear draws not a linear program?"""
    import cvxpy as cp

    x = cp.Variable(2)
    R = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    try:
        score = objective.to_cvxpy(R @ x)
    except Exception:
        return True
    return not cp.Problem(cp.Maximize(score), [x >= 0, cp.sum(x) <= 1]).is_lp()


def expected_error(case: Case, objective: Any, call: str, exc: DecideError) -> str | None:
    """Why ``exc`` is the documented error for this input (None: it was not to be expected).

    Each rule checks the input itself, independently of the code that raised.
    """
    message = str(exc)
    name = case.objective_name
    if call == "compare" and "holdout" in message and case.outcome.n_samples < 4:
        return "half of fewer than 4 draws leaves fewer than 2 on a side"
    if call == "decompose" and "split cannot be estimated" in message:
        if not case.outcome.has_conditional_mean and (case.outcome.n_replicates or 1) < 2:
            return "no conditional mean and fewer than 2 replicates"
        return None
    if name == "EU(Power(2))" and ("positive outcomes only" in message
                                   or isinstance(exc, SolverError_)):
        return "a feasible action has a non-positive draw" if _some_draw_nonpositive(case) else None
    if name == "Sharpe" and "zero standard deviation" in message:
        if _some_action_constant(case):
            return "a feasible action has constant draws"
        if call == "compare" and _some_pair_equal(case):
            return "a feasible action has equal draws on two samples (a half may be constant)"
        return None
    if "mixed-integer linear program" in message and case.method == "cvxpy":
        return "the objective is not a linear program" if _not_milp(objective) else None
    return None


def _saturation_expected(case: Case, objective: Any, x: Any) -> bool:
    """E[exp(-a X)] < 1e-8 at the returned action or the witness (SaturationWarning's rule)."""
    if not case.objective_name.startswith("EU(Exponential"):
        return False
    a = objective.utility.risk_aversion
    points = [p for p in (x, case.witness) if p is not None]
    for p in points:
        d = np.asarray(case.outcome.draws(p), float).reshape(-1)
        if float(np.mean(np.exp(-a * d))) < 1e-8:
            return True
    return False


@dataclass
class Tally:
    """Counts of outcomes by category, exception type and call."""

    examples: int = 0
    calls: Counter = field(default_factory=Counter)
    ok: Counter = field(default_factory=Counter)
    documented: Counter = field(default_factory=Counter)
    undocumented: Counter = field(default_factory=Counter)
    infeasible: int = 0
    suboptimal: int = 0
    not_converged: int = 0
    unjustified: Counter = field(default_factory=Counter)
    saturated: int = 0
    failures: list[str] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)

    @property
    def bad(self) -> int:
        return (sum(self.undocumented.values()) + sum(self.unjustified.values())
                + self.infeasible + self.suboptimal)

    def fail(self, case: Case, call: str, why: str) -> None:
        if len(self.failures) < 20:
            self.failures.append(f"{call} on {case!r}: {why}")


def _guarded(tally: Tally, case: Case, call: str, fn: Any, objective: Any = None) -> Any:
    """Run ``fn``; classify exceptions and warnings; return its result or None."""
    tally.calls[call] += 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except DecideError as exc:
            key = f"{call}: {type(exc).__name__}"
            message = str(exc).split(";")[0].split(":")[0][:90]
            reason = expected_error(case, objective, call, exc)
            if reason is None:
                tally.unjustified[f"{key}: {message}"] += 1
                tally.fail(case, call, f"{type(exc).__name__} not expected for this input: "
                                       f"{str(exc)[:300]}")
                return None
            tally.documented[key] += 1
            tally.samples.setdefault(f"{key}: {message} [expected: {reason}]", f"{case!r}")
            return None
        except Exception as exc:
            tally.undocumented[f"{call}: {type(exc).__name__}"] += 1
            tally.fail(case, call, "".join(traceback.format_exception_only(exc)).strip()[:400])
            return None
    points = [getattr(result, "flat_action", None)]
    if hasattr(result, "attrs") and "action_columns" in getattr(result, "attrs", {}):
        points = list(result[result.attrs["action_columns"]].to_numpy(dtype=float))
    if any(issubclass(w.category, SaturationWarning) for w in caught):
        if any(_saturation_expected(case, objective, p) for p in points):
            tally.saturated += 1
            caught = [w for w in caught if not issubclass(w.category, SaturationWarning)]
    documented = (ConvergenceWarning, UnreliableEstimateWarning)
    other = [w for w in caught if not issubclass(w.category, documented)]
    if any(issubclass(w.category, UnreliableEstimateWarning) for w in caught):
        # documented for tiny or fat-tailed samples; compare must show the low ESS it warns of
        tally.documented[f"{call}: UnreliableEstimateWarning"] += 1
        if hasattr(result, "columns"):
            from decide._config import MIN_EXPONENTIAL_ESS

            ess = result[[c for c in result.columns if c.startswith("ess_")]].to_numpy()
            if not bool((ess < MIN_EXPONENTIAL_ESS).any()):
                tally.undocumented[f"{call}: UnreliableEstimateWarning without a low ess_"] += 1
                tally.fail(case, call, "UnreliableEstimateWarning but every ess_ column is high")
                return None
    if other:
        tally.undocumented[f"{call}: warning {other[0].category.__name__}"] += 1
        tally.fail(case, call, f"warning {other[0].category.__name__}: {other[0].message}")
        return None
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        tally.not_converged += 1
        converged = getattr(result, "converged", None)
        if converged is True or (hasattr(result, "columns") and bool(result["converged"].all())):
            tally.undocumented[f"{call}: ConvergenceWarning but converged=True"] += 1
            tally.fail(case, call, "ConvergenceWarning on a result flagged converged")
            return None
    tally.ok[call] += 1
    return result


def _method_options(method: str) -> dict[str, Any]:
    # differential evolution with its defaults costs seconds per case: a short search
    return {"de_maxiter": 30, "popsize": 8} if method == "scipy-global" else {}


def _exact(case: Case, objective: Any, method_used: str) -> bool:
    if method_used == "enumerate":
        return True
    concave = Property.CONCAVE in objective.properties
    return method_used in ("cvxpy", "cvar-lp") and concave and not case.space.integer


def run_case(case: Case, tally: Tally,
             calls: tuple[str, ...] = ("optimize", "compare", "decompose")) -> None:
    """Run ``optimize``, then ``compare`` and ``decompose`` on one case, updating ``tally``."""
    tally.examples += 1
    objective = OBJECTIVES[case.objective_name]()
    d = None
    if "optimize" in calls:
        d = _guarded(tally, case, "optimize",
                     lambda: optimize(case.outcome, objective, case.space, method=case.method,
                                      random_seed=case.seed, **_method_options(case.method)),
                     objective)
    if d is not None:
        why = _violation(case, d.flat_action)
        if why is None and not np.isfinite(d.value):
            why = f"non-finite value {d.value}"
        if why is not None:
            tally.infeasible += 1
            tally.fail(case, "optimize", why)
        elif case.witness is not None and _exact(case, objective, d.method):
            try:  # the feasible point may lie outside the objective's domain
                ref = float(objective(case.outcome.draws(case.witness)))
            except DecideError:
                ref = -np.inf
            if d.value < ref - 1e-6 * (1.0 + abs(ref)):
                tally.suboptimal += 1
                tally.fail(case, "optimize", f"value {d.value} below feasible point's {ref}")
    policies: dict[str, Any] = {"chosen": objective, "neutral": Mean()}
    if case.witness is not None:
        policies["fixed"] = case.witness
    table = None
    if "compare" in calls:
        table = _guarded(tally, case, "compare", lambda: compare_(case, policies), objective)
    if table is not None:
        cols = table.attrs["action_columns"]
        for name, row in table[cols].iterrows():
            why = _violation(case, row.to_numpy(dtype=float))
            if why is not None:
                tally.infeasible += 1
                tally.fail(case, "compare", f"policy {name}: {why}")
    at = d.flat_action if d is not None else case.witness
    if at is not None and "decompose" in calls:
        dec = _guarded(tally, case, "decompose", lambda: decompose_(case, at), objective)
        if dec is not None:
            parts = dec.epistemic + dec.aleatoric
            if not (np.isfinite(dec.total) and abs(parts - dec.total) <= 1e-6 * (1 + abs(dec.total))):
                if dec.method == "exact":
                    tally.undocumented["decompose: total != epistemic + aleatoric"] += 1
                    tally.fail(case, "decompose", f"{dec.total} != {dec.epistemic} + {dec.aleatoric}")


def compare_(case: Case, policies: dict[str, Any]) -> Any:
    from decide.policies import compare

    return compare(case.outcome, policies, space=case.space, random_seed=case.seed,
                   method="auto")


def decompose_(case: Case, action: np.ndarray) -> Any:
    from decide.uncertainty import decompose

    return decompose(case.outcome, action)
