"""The replay: outcomes in the shared format, driven through the state machine, exactly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelroute.strategy.model import PERFECT_CHECK, CheckRates
from modelroute.strategy.replay import (
    ModelRun,
    OutcomeFile,
    TaskOutcome,
    by_kind,
    options_from,
    oracle,
    replay,
    replay_task,
)
from tests.strategy.helpers import option, plan

CHECK = CheckRates(false_pass=0.2, false_fail=0.1)


def task(cheap: tuple[bool, float], strong: tuple[bool, float], half: str = "report", **kw: object) -> TaskOutcome:
    return TaskOutcome(half=half, runs={"cheap": ModelRun(resolved=cheap[0], cost_usd=cheap[1], api_calls=10),  # type: ignore[arg-type]
                                        "strong": ModelRun(resolved=strong[0], cost_usd=strong[1], api_calls=4)},
                       **kw)  # type: ignore[arg-type]


# Both right; only the strong model right; both wrong.
TASKS = [task((True, 0.01), (True, 1.0)), task((False, 0.02), (True, 1.0)), task((False, 0.03), (False, 2.0))]
CASCADE = plan("cascade", option("cheap", 0.3, 0.02), option("strong", 0.7, 1.3))


def test_a_cascade_is_replayed_exactly_over_the_checks_verdicts() -> None:
    # Task 1: the cheap result passes 90% of the time; otherwise the strong one runs (and is right).
    # Task 2: the wrong cheap result passes 20% of the time; otherwise the strong one runs, right.
    # Task 3: nobody is right; the strong one runs 80% of the time.
    tally = replay(CASCADE, TASKS, CHECK, 0.5)
    assert tally.resolved == pytest.approx(1 + 0.8 + 0)
    assert tally.cost_usd == pytest.approx((0.01 + 0.1 * 1.0) + (0.02 + 0.8 * 1.0) + (0.03 + 0.8 * 2.0))
    assert tally.attempts == pytest.approx(3 + 0.1 + 0.8 + 0.8)
    assert tally.verified == pytest.approx((0.9 + 0.1 * 0.9) + (0.2 + 0.8 * 0.9) + (0.2 + 0.8 * 0.2))


def test_a_perfect_check_escalates_exactly_when_the_cheap_model_is_wrong() -> None:
    tally = replay(CASCADE, TASKS, PERFECT_CHECK, 0.5)
    assert (tally.resolved, tally.cost_usd) == (pytest.approx(2.0), pytest.approx(0.01 + 1.02 + 2.03))


def test_a_single_model_resolves_what_it_resolves() -> None:
    tally = replay(plan("single", option("strong", 0.7, 1.3)), TASKS, CHECK, 0.5)
    assert (tally.resolved, tally.cost_usd, tally.attempts) == (2.0, pytest.approx(4.0), 3.0)


def test_best_of_n_pays_every_attempt_and_one_synthesiser_call() -> None:
    best = plan("best-of-n", option("strong", 0.7, 1.3), option("cheap", 0.3, 0.02),
                synthesiser=option("strong", 0.7, 1.3))
    one = replay_task(best, TASKS[0], PERFECT_CHECK, 1.0)
    # Both pass: the synthesiser (one average call of the strong model: 1.0 / 4) picks a right one.
    assert (one.resolved, one.cost_usd, one.attempts) == (1.0, pytest.approx(1.01 + 0.25), 3.0)
    two = replay_task(best, TASKS[1], PERFECT_CHECK, 0.0)
    assert (two.resolved, two.cost_usd) == (1.0, pytest.approx(1.02))  # one candidate: no synthesiser
    wrong_cheap = TASKS[0].model_copy(update={"runs": {
        **TASKS[0].runs, "cheap": ModelRun(resolved=False, cost_usd=0.01)}})
    coin = replay_task(best, wrong_cheap, CheckRates(false_pass=0.5, false_fail=0.0), 0.0)
    # The wrong cheap result passes half the time; then a random pick is right half the time.
    assert coin.resolved == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)


def test_a_model_missing_from_a_task_counts_as_an_error_and_escalates() -> None:
    partial = TaskOutcome(half="report", runs={"strong": ModelRun(resolved=True, cost_usd=1.0)})
    tally = replay_task(CASCADE, partial, CHECK, 0.5)
    assert (tally.resolved, tally.cost_usd, tally.attempts) == (1.0, 1.0, 1.0)


def test_the_oracle_knows_the_cheapest_solver_and_pays_the_cheapest_attempt_otherwise() -> None:
    tally = oracle(TASKS)
    assert (tally.resolved, tally.cost_usd) == (2, pytest.approx(0.01 + 1.0 + 0.03))


def test_options_are_learned_from_the_given_tasks() -> None:
    cheap, strong = options_from(TASKS, ["cheap", "strong", "absent"])
    assert (cheap.pass_rate, cheap.cost_usd, cheap.max_cost_usd) == (pytest.approx(1 / 3), pytest.approx(0.02), 0.03)
    assert (strong.pass_rate, strong.cost_usd) == (pytest.approx(2 / 3), pytest.approx(4 / 3))
    assert "resolved 2 of 3" in strong.evidence


def test_outcome_file_halves_and_kinds() -> None:
    data = OutcomeFile(source="test", models=("cheap", "strong"), tasks={
        "b": task((True, 0.01), (True, 1.0), half="tune", kind="debugging"),
        "a": task((True, 0.01), (True, 1.0), half="tune"),
        "c": task((True, 0.01), (True, 1.0)),
    })
    assert len(data.half("tune")) == 2 and len(data.half("report")) == 1
    assert sorted(by_kind(data.half("tune"))) == ["all", "debugging"]


def test_a_malformed_outcome_file_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="half"):
        OutcomeFile.model_validate({"source": "x", "models": ["a"], "tasks": {"t": {"half": "test", "runs": {}}}})
    with pytest.raises(ValidationError, match="cost_usd"):
        OutcomeFile.model_validate({"source": "x", "models": ["a"], "tasks": {
            "t": {"half": "tune", "runs": {"a": {"resolved": True, "cost_usd": -1}}}}})
