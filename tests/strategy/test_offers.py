"""From a routing decision to the priced strategies: what is offered, the default, and why."""

from __future__ import annotations

import pytest

from modelroute.catalog import builtin_models
from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.classify.model import Classification
from modelroute.policy.schema import Settings
from modelroute.route import RouteInput, decide
from modelroute.route.model import Decision
from modelroute.strategy.calibration import AttemptRecord, PassRates
from modelroute.strategy.model import StrategyChoice
from modelroute.strategy.offers import propose
from tests.route.test_decide import model

STRONG = model("strong", "a", 80.0, 5.0, 25.0)
MID = model("mid", "b", 76.0, 1.0, 5.0)
CHEAP = model("cheap", "c", 72.0, 0.1, 0.4)
MODELS = (STRONG, MID, CHEAP)


def routed(category: Category = Category.DEBUGGING, objective: str = "quality",
           models: tuple[ModelEntry, ...] = MODELS, available: tuple[str, ...] = ("a", "b", "c")) -> Decision:
    cls = Classification(label=category, confidence=0.9, reasons=("test",), scores={category: 1.0})
    availability = {m.provider: (None if m.provider in available else "set a key") for m in models}
    return decide(RouteInput(classification=cls, input_tokens=20_000), models, Settings(objective=objective),  # type: ignore[arg-type]
                  availability)


def offers(decision: Decision, verify: str | None = "pytest -q", objective: str = "quality",
           rates: PassRates | None = None) -> StrategyChoice:
    return propose(decision, rates or PassRates(), objective=objective, verify_command=verify)  # type: ignore[arg-type]


def test_answers_are_single_runs_only() -> None:
    choice = offers(routed(Category.EXPLAIN))
    assert [o.kind for o in choice.offers] == ["single"] and choice.default.kind == "single"


def test_without_a_check_there_is_no_cascade_and_the_note_says_how_to_get_one() -> None:
    choice = offers(routed(), verify=None)
    assert choice.offer("cascade") is None and choice.default.kind == "single"
    assert any("[verify] command" in n for n in choice.notes)
    best = choice.offer("best-of-n")
    assert best is not None and "there is no check to run" in best.reasons[0]


def test_a_cheaper_cascade_through_the_routed_model_becomes_the_default() -> None:
    decision = routed()
    assert decision.model == "strong"
    choice = offers(decision)
    cascade = choice.offer("cascade")
    assert cascade is not None and choice.default is cascade and choice.offers[0] is cascade
    names = [a.name for a in cascade.attempts]
    assert "strong" in names and names[0] != "strong"
    single = choice.offer("single")
    assert single is not None and cascade.expected_cost_usd < single.expected_cost_usd
    assert cascade.expected_pass is not None and single.expected_pass is not None
    assert cascade.expected_pass > single.expected_pass
    assert cascade.max_cost_usd == pytest.approx(sum(a.max_cost_usd for a in cascade.attempts))
    assert any("only when `pytest -q` fails" in r for r in cascade.reasons)
    assert cascade.title().startswith("Cascade ") and " -> Strong · ~$" in cascade.title()


def test_a_model_that_keeps_failing_here_drops_out_of_the_cascade() -> None:
    before = offers(routed()).offer("cascade")
    assert before is not None and before.attempts[0].name == "cheap"
    ledger = [AttemptRecord(model="cheap", category=Category.DEBUGGING, verified="fail") for _ in range(30)]
    after = offers(routed(), rates=PassRates.from_records(ledger)).offer("cascade")
    assert after is None or "cheap" not in [a.name for a in after.attempts]


def test_best_of_n_runs_the_three_strongest_and_the_strongest_picks() -> None:
    best = offers(routed()).offer("best-of-n")
    assert best is not None and [a.name for a in best.attempts] == ["strong", "mid", "cheap"]
    assert best.synthesiser is not None and best.synthesiser.name == "strong"
    assert best.expected_cost_usd >= sum(a.cost_usd for a in best.attempts)
    attempts_max = sum(a.max_cost_usd for a in best.attempts)
    assert best.max_cost_usd == pytest.approx(attempts_max + best.synthesiser.max_cost_usd)


def test_plan_is_offered_for_large_kinds_and_priced_for_planning_only() -> None:
    refactor = offers(routed(Category.MULTI_FILE_REFACTOR), verify=None).offer("plan")
    assert refactor is not None and refactor.planner is not None and refactor.planner.name == "strong"
    assert refactor.note == "steps priced in the plan"
    single = offers(routed(Category.MULTI_FILE_REFACTOR), verify=None).offer("single")
    assert single is not None and refactor.expected_cost_usd < single.expected_cost_usd
    assert offers(routed(), verify=None).offer("plan") is None


def test_with_one_model_set_up_only_single_and_plan_remain() -> None:
    choice = offers(routed(Category.MULTI_FILE_REFACTOR, available=("a",)))
    assert [o.kind for o in choice.offers] == ["single", "plan"]
    assert any("two models" in n for n in choice.notes)


def test_the_real_catalog_offers_a_cascade_ending_in_the_routed_model_for_a_fix() -> None:
    models = builtin_models()
    names = {m.id: m.short_name for m in models}
    decision = routed(Category.DEBUGGING, "balanced", models=models, available=tuple({m.provider for m in models}))
    choice = propose(decision, PassRates(), objective="balanced", verify_command="pytest -q", names=names)
    cascade = choice.offer("cascade")
    assert cascade is not None and decision.model in [a.name for a in cascade.attempts]
    assert cascade.title().startswith("Cascade ") and ", at most $" in cascade.title()
    assert all(r for r in cascade.reasons)


def test_no_cascade_through_a_routed_model_that_cannot_run() -> None:
    # A pinned model whose provider is not set up is still the routed one; a cascade would need it.
    cls = Classification(label=Category.DEBUGGING, confidence=0.9, reasons=("test",), scores={Category.DEBUGGING: 1.0})
    settings = Settings.model_validate({"route": {"debugging": {"pin": "strong"}}})
    decision = decide(RouteInput(classification=cls, input_tokens=20_000), MODELS, settings,
                      {"a": "set ANTHROPIC_API_KEY", "b": None, "c": None})
    assert decision.model == "strong" and not decision.candidates[0].available
    choice = offers(decision)
    assert choice.offer("cascade") is None and any("cannot run here yet" in n for n in choice.notes)
    assert choice.default.kind == "single"


def test_under_quality_a_cascade_must_beat_the_strongest_model() -> None:
    # Under cost, routing picks a cheap model; the cascade only has to beat that one.
    decision = routed(objective="cost")
    assert decision.model != "strong"
    cost = offers(decision, objective="cost").offer("cascade")
    quality = offers(decision).offer("cascade")
    assert cost is not None and "strong" not in [a.name for a in cost.attempts]
    assert quality is not None and "strong" in [a.name for a in quality.attempts]
    assert quality.expected_pass is not None and quality.expected_pass > 0.8
