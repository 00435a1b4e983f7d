"""The joint model: abilities reproduce pass rates; cascades and best-of-n priced as the machine runs them."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.strategy.joint import (
    GRID_POINTS,
    Population,
    best_of_n_expectation,
    cascade_expectation,
    cost_curve,
    judged_right,
    pass_curve,
)
from modelroute.strategy.model import PERFECT_CHECK, CheckRates, Option
from modelroute.strategy.replay import ModelRun, TaskOutcome, replay_task
from tests.strategy.helpers import option, plan

INDEPENDENT = Population(spread=0.0, cost_elasticity=0.0)
CHECK = CheckRates(false_pass=0.2, false_fail=0.1)


@pytest.mark.parametrize("rate", [0.05, 0.3, 0.61, 0.75, 0.97])
@pytest.mark.parametrize("spread", [0.0, 1.0, 2.58, 5.0])
def test_the_ability_reproduces_the_pass_rate(rate: float, spread: float) -> None:
    curve = pass_curve(rate, spread)
    assert sum(curve) / GRID_POINTS == pytest.approx(rate, abs=1e-6)
    assert list(curve) == sorted(curve, reverse=True)  # harder tasks are solved less often


def test_cost_multiplier_averages_to_one_and_grows_with_difficulty() -> None:
    curve = cost_curve(0.37)
    assert sum(curve) / GRID_POINTS == pytest.approx(1.0)
    assert list(curve) == sorted(curve)


def test_one_step_is_the_model_itself() -> None:
    e = cascade_expectation([option("a", 0.7, 0.3)], CHECK, Population())
    assert e.right == pytest.approx(0.7) and e.cost_usd == pytest.approx(0.3) and e.reach == (1.0,)
    assert e.verified == pytest.approx(CHECK.passes(0.7))


def test_independent_models_with_a_perfect_check_multiply_failures() -> None:
    steps = [option("a", 0.6, 0.01), option("b", 0.7, 0.1), option("c", 0.8, 0.5)]
    e = cascade_expectation(steps, PERFECT_CHECK, INDEPENDENT)
    assert e.right == pytest.approx(1 - 0.4 * 0.3 * 0.2)
    assert e.reach == pytest.approx((1.0, 0.4, 0.12))
    assert e.cost_usd == pytest.approx(0.01 + 0.4 * 0.1 + 0.12 * 0.5)


def test_expected_cost_is_reach_times_cost_with_an_imperfect_check() -> None:
    steps = [option("a", 0.6, 0.01), option("b", 0.8, 0.5)]
    e = cascade_expectation(steps, CHECK, INDEPENDENT)
    reach_b = 1 - CHECK.passes(0.6)
    assert e.reach == pytest.approx((1.0, reach_b))
    assert e.cost_usd == pytest.approx(0.01 + reach_b * 0.5)
    assert e.right == pytest.approx(0.6 * 0.9 + reach_b * 0.8)


def test_shared_hard_tasks_shrink_what_a_second_model_adds() -> None:
    steps = [option("a", 0.6, 0.01), option("b", 0.75, 0.5)]
    gains = [cascade_expectation(steps, PERFECT_CHECK, Population(spread=s, cost_elasticity=0)).right
             for s in (0.0, 1.0, 2.58, 5.0)]
    assert gains == sorted(gains, reverse=True) and gains[-1] > 0.75


def test_escalation_costs_more_when_hard_tasks_cost_more() -> None:
    steps = [option("a", 0.6, 0.01), option("b", 0.75, 0.5)]
    flat = cascade_expectation(steps, CHECK, Population(spread=2.58, cost_elasticity=0.0)).cost_usd
    steep = cascade_expectation(steps, CHECK, Population(spread=2.58, cost_elasticity=0.37)).cost_usd
    assert steep > flat


def test_without_a_check_a_cascade_offers_its_first_result() -> None:
    e = cascade_expectation([option("a", 0.6, 0.01), option("b", 0.9, 1.0)], None, Population())
    assert (e.right, e.cost_usd, e.reach) == (0.6, 0.01, (1.0, 0.0))


def test_the_judge_recognises_a_right_candidate_with_its_accuracy() -> None:
    assert judged_right([True, False], 1.0) == 1.0
    assert judged_right([True, False], 0.0) == 0.5
    assert judged_right([False, False], 0.7) == 0.0
    assert judged_right([True, True, False], 0.5) == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_best_of_n_with_a_perfect_check_and_judge_is_right_when_any_attempt_is() -> None:
    attempts = [option("a", 0.6, 0.1), option("b", 0.7, 0.2)]
    e = best_of_n_expectation(attempts, 0.05, PERFECT_CHECK, INDEPENDENT, judge_accuracy=1.0)
    assert e.right == pytest.approx(1 - 0.4 * 0.3)
    assert e.cost_usd == pytest.approx(0.3 + 0.05 * 0.6 * 0.7)  # the synthesiser runs when both pass


# The closed forms above must agree with the state machine the runner and the replay drive: for
# every difficulty and every pattern of right and wrong attempts, replay the pattern through the
# machine (exact over check verdicts and the synthesiser's pick) and average.
def _machine_average(
    plan_kind: str, steps: list[Option], check: CheckRates, population: Population,
    synth: Option | None = None, synth_cost: float = 0.0, accuracy: float = 0.5,
) -> tuple[float, float]:
    curves = [pass_curve(s.pass_rate, population.spread) for s in steps]
    multiplier = cost_curve(population.cost_elasticity)
    strategy = plan(plan_kind, *steps, synthesiser=synth)  # type: ignore[arg-type]
    right = cost = 0.0
    for g in range(GRID_POINTS):
        for pattern in itertools.product((True, False), repeat=len(steps)):
            weight = math.prod(c[g] if ok else 1 - c[g] for c, ok in zip(curves, pattern, strict=True))
            runs = {s.name: ModelRun(resolved=ok, cost_usd=s.cost_usd * multiplier[g])
                    for s, ok in zip(steps, pattern, strict=True)}
            if synth is not None:
                runs[synth.name] = ModelRun(resolved=False, cost_usd=synth_cost, api_calls=1)
            tally = replay_task(strategy, TaskOutcome(half="tune", runs=runs), check, accuracy)
            right += weight * tally.resolved
            cost += weight * tally.cost_usd
    return right / GRID_POINTS, cost / GRID_POINTS


rates = st.floats(min_value=0.05, max_value=0.95)
costs = st.floats(min_value=0.001, max_value=2.0)
checks = st.sampled_from([PERFECT_CHECK, CHECK, CheckRates(false_pass=0.4, false_fail=0.3)])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(rates, costs), min_size=1, max_size=3), checks,
       st.floats(min_value=0.0, max_value=4.0), st.floats(min_value=-0.5, max_value=0.8))
def test_cascade_closed_form_matches_the_state_machine(
    steps: list[tuple[float, float]], check: CheckRates, spread: float, elasticity: float
) -> None:
    options = [option(f"m{i}", p, c) for i, (p, c) in enumerate(steps)]
    population = Population(spread=spread, cost_elasticity=elasticity)
    e = cascade_expectation(options, check, population)
    right, cost = _machine_average("cascade", options, check, population)
    assert e.right == pytest.approx(right, abs=1e-9) and e.cost_usd == pytest.approx(cost, rel=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(rates, costs), min_size=1, max_size=3), checks,
       st.floats(min_value=0.0, max_value=4.0), st.floats(min_value=0.0, max_value=1.0), costs)
def test_best_of_n_closed_form_matches_the_state_machine(
    attempts: list[tuple[float, float]], check: CheckRates, spread: float, accuracy: float, synth_cost: float
) -> None:
    options = [option(f"m{i}", p, c) for i, (p, c) in enumerate(attempts)]
    population = Population(spread=spread, cost_elasticity=0.0)
    synth = option("judge", 0.9, synth_cost)
    e = best_of_n_expectation(options, synth_cost, check, population, accuracy)
    right, cost = _machine_average("best-of-n", options, check, population, synth, synth_cost, accuracy)
    assert e.right == pytest.approx(right, abs=1e-9) and e.cost_usd == pytest.approx(cost, rel=1e-9)
