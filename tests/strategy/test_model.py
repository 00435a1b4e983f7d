"""The strategy data: check rates, options, plans and their titles."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelroute.strategy.model import CheckRates, Option, StrategyPlan, at_most
from tests.strategy.helpers import option


def test_check_rates_give_the_chance_to_pass() -> None:
    check = CheckRates(false_pass=0.2, false_fail=0.1)
    assert check.passes(1.0) == pytest.approx(0.9)
    assert check.passes(0.0) == pytest.approx(0.2)
    assert check.passes(0.5) == pytest.approx(0.55)


def test_a_check_that_cannot_tell_right_from_wrong_is_refused() -> None:
    with pytest.raises(ValidationError, match="says nothing"):
        CheckRates(false_pass=0.6, false_fail=0.4)


def test_an_option_whose_maximum_is_below_its_expectation_is_refused() -> None:
    with pytest.raises(ValidationError, match="below the expected"):
        Option(name="m", label="M", pass_rate=0.5, cost_usd=1.0, max_cost_usd=0.5)


def test_cascade_title_reads_like_the_editor_shows_it() -> None:
    plan = StrategyPlan(
        kind="cascade",
        attempts=(
            Option(name="minimax-m2.5", label="MiniMax M2.5", pass_rate=0.7, cost_usd=0.01, max_cost_usd=0.02),
            Option(name="claude-opus-4-6", label="Opus 4.6", pass_rate=0.8, cost_usd=0.2, max_cost_usd=0.29),
        ),
        expected_cost_usd=0.09, max_cost_usd=0.31,
    )
    assert plan.title() == "Cascade MiniMax M2.5 -> Opus 4.6 · ~$0.09, at most $0.31"
    assert plan.models == ("minimax-m2.5", "claude-opus-4-6")


def test_best_of_n_and_plan_titles_name_the_synthesiser_and_the_planner() -> None:
    a, b, s = option("a", 0.7, 0.1), option("b", 0.6, 0.05), option("s", 0.8, 0.02)
    best = StrategyPlan(kind="best-of-n", attempts=(a, b), synthesiser=s, expected_cost_usd=0.2, max_cost_usd=0.5)
    assert best.title() == "Best of 2 (A, B, S picks) · ~$0.20, at most $0.50"
    assert best.models == ("a", "b", "s")
    planned = StrategyPlan(kind="plan", planner=s, expected_cost_usd=0.02, max_cost_usd=0.04, note="steps priced")
    assert planned.title() == "Plan with S, then step by step · ~$0.02, at most $0.04 (steps priced)"
    assert planned.models == ("s",)


@pytest.mark.parametrize(
    ("kind", "attempts", "planner", "message"),
    [
        ("single", 0, False, "at least one attempt"),
        ("single", 2, False, "exactly one"),
        ("cascade", 0, False, "at least one attempt"),
        ("plan", 0, False, "needs a planner"),
    ],
)
def test_plans_of_the_wrong_shape_are_refused(kind: str, attempts: int, planner: bool, message: str) -> None:
    options = tuple(option(f"m{i}", 0.5, 0.1) for i in range(attempts))
    with pytest.raises(ValidationError, match=message):
        StrategyPlan(kind=kind, attempts=options, planner=option("p", 0.9, 0.1) if planner else None,  # type: ignore[arg-type]
                     expected_cost_usd=0.0, max_cost_usd=0.0)


def test_maximum_below_expected_cost_is_refused() -> None:
    with pytest.raises(ValidationError, match="maximum cost"):
        StrategyPlan(kind="single", attempts=(option("a", 0.5, 0.1),), expected_cost_usd=1.0, max_cost_usd=0.5)


def test_at_most_drops_the_estimate_tilde() -> None:
    assert at_most(0.31) == "$0.31" and at_most(0.0042) == "$0.0042"
