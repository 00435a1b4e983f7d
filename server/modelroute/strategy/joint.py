"""What several models together are likely to give, from each model's own pass rate. Pure.

Models fail on the same hard tasks: after a cheap model's attempt fails, the next model faces a
harder task than its average, so multiplying marginal failure rates (independence) promises far
more from a cascade than it delivers. The model here is the simplest that captures this: a task
has a difficulty d ~ N(0, 1); a model with ability a solves it with probability σ(a - spread·d);
given d, attempts are independent. A model's ability is the one that reproduces its own pass rate
over the population, so each model still needs only one number (its pass rate). An attempt's cost
also grows with difficulty (agents loop longer on hard tasks): cost(d) ∝ exp(cost_elasticity·d),
normalised so the average is the model's expected cost.

`spread` and `cost_elasticity` are fitted by `strategy.fit` on the tune half of public per-task
results (bench/bench_outcomes.py prints the fit). Integrals over d are averages over
GRID_POINTS equal-probability quantiles of N(0, 1).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict, Field

from modelroute.strategy.model import CheckRates, Option

GRID_POINTS = 32
GRID: tuple[float, ...] = tuple(NormalDist().inv_cdf((i + 0.5) / GRID_POINTS) for i in range(GRID_POINTS))
_RATE_BOUNDS = (1e-4, 1.0 - 1e-4)  # a pass rate of exactly 0 or 1 has no finite ability


class Population(BaseModel):
    """How task difficulty spreads (logits) and how much harder tasks cost."""

    model_config = ConfigDict(frozen=True)

    spread: float = Field(2.58, ge=0.0, le=10.0)
    cost_elasticity: float = Field(0.37, ge=-3.0, le=3.0)
    source: str = (
        "fitted by bench/bench_outcomes.py on the tune half of SWE-bench Verified bash-only "
        "(261 tasks x 25 models)"
    )


class Expectation(BaseModel):
    """What a strategy is expected to give, per action."""

    model_config = ConfigDict(frozen=True)

    right: float = Field(ge=0.0, le=1.0)  # chance the offered result is right
    verified: float = Field(ge=0.0, le=1.0)  # chance the offered result passed its check
    cost_usd: float = Field(ge=0.0)
    reach: tuple[float, ...] = ()  # chance each attempt runs, in plan order


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def ability(pass_rate: float, spread: float) -> float:
    """The ability whose pass rate over the population is `pass_rate` (bisection; monotone)."""
    rate = min(max(pass_rate, _RATE_BOUNDS[0]), _RATE_BOUNDS[1])
    low, high = -40.0, 40.0
    for _ in range(40):  # 80 / 2**40: far below what a pass rate can tell
        mid = (low + high) / 2.0
        if _mean([_sigmoid(mid - spread * d) for d in GRID]) < rate:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


@lru_cache(maxsize=4096)
def pass_curve(pass_rate: float, spread: float) -> tuple[float, ...]:
    """P(right | d) at each grid point, for a model whose average pass rate is `pass_rate`."""
    if pass_rate <= 0.0 or pass_rate >= 1.0:
        return tuple(float(pass_rate) for _ in GRID)
    a = ability(pass_rate, spread)
    return tuple(_sigmoid(a - spread * d) for d in GRID)


@lru_cache(maxsize=64)
def cost_curve(elasticity: float) -> tuple[float, ...]:
    """The cost multiplier at each grid point; it averages to 1."""
    raw = [math.exp(elasticity * d) for d in GRID]
    mean = _mean(raw)
    return tuple(r / mean for r in raw)


def cascade_expectation(steps: Sequence[Option], check: CheckRates | None, population: Population) -> Expectation:
    """A cascade run in `steps` order: each attempt runs only when every earlier one failed its
    check; the first to pass is offered; when all fail, the last is offered (as unverified).
    Expected cost = sum over steps of P(reach step) x cost of step (at the difficulty it is reached).
    With no check (None) the first result is offered: later steps run only if the user rejects it,
    which this does not predict."""
    if not steps:
        raise ValueError("a cascade needs at least one step")
    if check is None:
        first = steps[0]
        return Expectation(right=first.pass_rate, verified=0.0, cost_usd=first.cost_usd,
                           reach=(1.0, *tuple(0.0 for _ in steps[1:])))
    curves = [pass_curve(s.pass_rate, population.spread) for s in steps]
    multiplier = cost_curve(population.cost_elasticity)
    right = verified = cost = 0.0
    reach_sum = [0.0] * len(steps)
    last = len(steps) - 1
    for g in range(GRID_POINTS):
        reach = 1.0
        for k, step in enumerate(steps):
            p = curves[k][g]
            reach_sum[k] += reach
            cost += reach * step.cost_usd * multiplier[g]
            right_pass = p * (1.0 - check.false_fail)
            wrong_pass = (1.0 - p) * check.false_pass
            right += reach * (p if k == last else right_pass)
            verified += reach * (right_pass + wrong_pass)
            reach *= 1.0 - right_pass - wrong_pass
    n = float(GRID_POINTS)
    return Expectation(
        right=min(1.0, right / n),
        verified=min(1.0, verified / n),
        cost_usd=cost / n,
        reach=tuple(r / n for r in reach_sum),
    )


# An attempt's four fates: (right, passed its check).
_FATES = ((True, True), (True, False), (False, True), (False, False))


def _fate_probability(p: float, fate: tuple[bool, bool], check: CheckRates | None) -> float:
    right, passed = fate
    if check is None:  # nothing to fail: every result is a candidate
        return (p if right else 1.0 - p) * float(passed)
    if right:
        return p * ((1.0 - check.false_fail) if passed else check.false_fail)
    return (1.0 - p) * (check.false_pass if passed else 1.0 - check.false_pass)


def judged_right(verified_right: Sequence[bool], accuracy: float) -> float:
    """The chance the synthesiser offers a right candidate among verified ones (right or not):
    with probability `accuracy` it recognises a right one when there is one, otherwise it picks at
    random. The replay uses the same rule."""
    if not verified_right:
        return 0.0
    share = sum(verified_right) / len(verified_right)
    return accuracy * float(any(verified_right)) + (1.0 - accuracy) * share


def best_of_n_expectation(
    attempts: Sequence[Option],
    synthesis_cost_usd: float,
    check: CheckRates | None,
    population: Population,
    judge_accuracy: float,
) -> Expectation:
    """Every attempt runs; with two or more verified candidates the synthesiser is called and
    picks (see `judged_right`); with one, it is offered; with none, the first attempt (the strongest)
    is offered as unverified. With no check (None) every result is a candidate."""
    if not attempts:
        raise ValueError("best-of-n needs at least one attempt")
    curves = [pass_curve(a.pass_rate, population.spread) for a in attempts]
    base_cost = sum(a.cost_usd for a in attempts)
    right = verified = synth = 0.0
    for g in range(GRID_POINTS):
        for fates in itertools.product(_FATES, repeat=len(attempts)):
            weight = math.prod(_fate_probability(curves[i][g], f, check) for i, f in enumerate(fates))
            if weight == 0.0:
                continue
            passed = [f[0] for f in fates if f[1]]
            if not passed:
                right += weight * float(fates[0][0])
                continue
            verified += weight if check is not None else 0.0
            if len(passed) == 1:
                right += weight * float(passed[0])
            else:
                synth += weight
                right += weight * judged_right(passed, judge_accuracy)
    n = float(GRID_POINTS)
    return Expectation(
        right=min(1.0, right / n),
        verified=min(1.0, verified / n),
        cost_usd=base_cost + synthesis_cost_usd * synth / n,
        reach=tuple(1.0 for _ in attempts),
    )


__all__ = [
    "GRID",
    "GRID_POINTS",
    "Expectation",
    "Population",
    "ability",
    "best_of_n_expectation",
    "cascade_expectation",
    "cost_curve",
    "judged_right",
    "pass_curve",
]
