"""The rule that picks a cascade from pass rates and costs, the same for the product and the replay.

Among ordered sets of 2..max_steps distinct models (cheapest first) that include the reference
model, take the one with the lowest expected cost whose expected chance of offering a right result
beats the reference's own pass rate by at least `margin`. The reference is the model a single run
would use (the routed model; in the replay, the best single model on the tune half): a cascade
always contains the model the user would otherwise get, so it is never a bet on cheap models alone.

Expectations come from the joint model (`strategy.joint`), which overstates how much a second model
adds by a couple of points on public data (models also share blind spots beyond difficulty):
`margin` absorbs that. The margin is the smallest whose pick, replayed on the tune half, resolves as
many tasks as the best single model there (bench/bench_outcomes.py, docs/strategies.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from modelroute.strategy.joint import Expectation, Population, best_of_n_expectation, cascade_expectation
from modelroute.strategy.model import CheckRates, Option

# A best-of-n synthesiser that sees several candidates that passed the tests recognises a right one
# this often (otherwise it is a coin toss among them). No public measurement: a stated assumption;
# docs/strategies.md shows the replay at 0, this value and 1.
JUDGE_ACCURACY = 0.5


class CascadeRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_steps: int = Field(3, ge=2, le=4)
    margin: float = Field(0.0275, ge=-1.0, le=1.0)  # tuned by bench/bench_outcomes.py (docs/strategies.md)
    population: Population = Population()
    check: CheckRates = CheckRates()


DEFAULT_RULE = CascadeRule()


class CascadePick(BaseModel):
    model_config = ConfigDict(frozen=True)

    steps: tuple[Option, ...]
    expectation: Expectation


def cascade_order(options: Sequence[Option]) -> list[Option]:
    """Cheapest first; at equal cost the stronger first; then by name, so the order is stable."""
    return sorted(options, key=lambda o: (o.cost_usd, -o.pass_rate, o.name))


def choose_cascade(
    options: Sequence[Option], reference: Option, rule: CascadeRule = DEFAULT_RULE
) -> CascadePick | None:
    """The cheapest cascade that includes `reference` and is expected to beat it by `rule.margin`;
    None when none does."""
    # Every distinct option is tried: the cascade's expectation is not monotone in a step's pass rate
    # and cost (its order moves a cheaper model to another step), so no dominance rule prunes safely;
    # the property test against brute force found the counter-examples.
    others = [o for o in {o.name: o for o in options}.values() if o.name != reference.name]
    target = reference.pass_rate + rule.margin
    best: tuple[tuple[float, float, tuple[str, ...]], CascadePick] | None = None
    for size in range(1, min(rule.max_steps - 1, len(others)) + 1):
        for combo in itertools.combinations(others, size):
            steps = tuple(cascade_order((reference, *combo)))
            expectation = cascade_expectation(steps, rule.check, rule.population)
            if expectation.right < target:
                continue
            key = (expectation.cost_usd, -expectation.right, tuple(s.name for s in steps))
            if best is None or key < best[0]:
                best = (key, CascadePick(steps=steps, expectation=expectation))
    return best[1] if best is not None else None


def strongest(options: Sequence[Option]) -> Option:
    """The option most likely to pass; the cheaper one on a tie."""
    if not options:
        raise ValueError("no options")
    return min(options, key=lambda o: (-o.pass_rate, o.cost_usd, o.name))


def best_of_n_attempts(options: Sequence[Option], n: int = 3) -> tuple[Option, ...]:
    """The n strongest distinct options, strongest first (the order the fallback offers them)."""
    ranked = sorted({o.name: o for o in options}.values(), key=lambda o: (-o.pass_rate, o.cost_usd, o.name))
    return tuple(ranked[:n])


def best_of_n(
    attempts: Sequence[Option],
    synthesis_cost_usd: float,
    check: CheckRates | None,
    population: Population = DEFAULT_RULE.population,
    judge_accuracy: float = JUDGE_ACCURACY,
) -> Expectation:
    return best_of_n_expectation(attempts, synthesis_cost_usd, check, population, judge_accuracy)


__all__ = [
    "DEFAULT_RULE",
    "JUDGE_ACCURACY",
    "CascadePick",
    "CascadeRule",
    "best_of_n",
    "best_of_n_attempts",
    "cascade_order",
    "choose_cascade",
    "strongest",
]
