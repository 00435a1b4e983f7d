"""Routing rules on a small hand-made catalog: objective trade-offs, hard limits, pins, tie-break."""

from __future__ import annotations

import pytest

from modelroute.catalog.model import ModelEntry, ModelPrice, PriceTier, Strength
from modelroute.categories import Category
from modelroute.classify.model import Classification
from modelroute.policy.schema import Settings
from modelroute.route import RouteInput, Spend, Unroutable, decide


def model(mid: str, provider: str, score: float, inp: float, out: float, *, ctx: int = 200_000,
          local: bool = False, prior: bool = False) -> ModelEntry:
    strengths = {c: Strength(score=score, evidence=f"bench: {score}%", source="test", prior=prior)
                 for c in Category}
    return ModelEntry(
        id=mid, display_name=mid.title(), short_name=mid, provider=provider, api="openai-chat",
        api_model=mid, context_window=ctx, max_output_tokens=32_000, limits_source="test",
        price=ModelPrice(tiers=(PriceTier(input_mtok=inp, output_mtok=out),), source="test"),
        strengths=strengths, local=local,
    )


STRONG = model("strong", "a", 80.0, 5.0, 25.0)
MID = model("mid", "b", 76.0, 1.0, 5.0)
CHEAP = model("cheap", "c", 60.0, 0.1, 0.4)
MODELS = (STRONG, MID, CHEAP)
ALL_AVAILABLE = {"a": None, "b": None, "c": None}


def cls(label: Category = Category.DEBUGGING, conf: float = 0.9) -> Classification:
    return Classification(label=label, confidence=conf, reasons=("test signal",), scores={label: 1.0})


def run(settings: Settings | None = None, **kw: object) -> object:
    inp = RouteInput(classification=kw.pop("c", cls()), input_tokens=kw.pop("tokens", 5000),  # type: ignore[arg-type]
                     **kw)  # type: ignore[arg-type]
    return decide(inp, MODELS, settings or Settings(), ALL_AVAILABLE)


def test_quality_objective_takes_the_strongest() -> None:
    d = run(Settings(objective="quality"))
    assert d.model == "strong"


def test_cost_objective_takes_a_cheaper_model() -> None:
    d = run(Settings(objective="cost"))
    assert d.model in {"mid", "cheap"}
    assert d.cost.usd < decide(RouteInput(classification=cls(), input_tokens=5000), MODELS,
                               Settings(objective="quality"), ALL_AVAILABLE).cost.usd


def test_decision_has_two_alternatives_with_costs_and_reasons() -> None:
    d = run()
    alts = d.alternatives()
    assert len(alts) >= 2
    assert all(a.cost.usd > 0 for a in alts)
    assert any("bench:" in r for r in d.reasons)
    assert any(r.startswith("Estimated ~$") for r in d.reasons)
    js = d.to_json()
    assert {"category", "confidence", "model", "provider", "estimated_cost_usd", "estimated_cost_range_usd",
            "estimated_tokens", "alternatives", "reasons"} <= js.keys()
    low, high = js["estimated_cost_range_usd"]
    assert low <= js["estimated_cost_usd"] <= high


def test_deny_glob_removes_a_model() -> None:
    s = Settings.model_validate({"objective": "quality", "models": {"deny": ["str*"]}})
    d = run(s)
    assert d.model != "strong"
    strong = next(c for c in d.candidates if c.model == "strong")
    assert not strong.eligible and "allow/deny" in strong.blocked_by[0]


def test_context_window_is_a_hard_limit() -> None:
    small = model("small", "a", 99.0, 0.1, 0.1, ctx=8_000)
    d = decide(RouteInput(classification=cls(), input_tokens=50_000), (small, MID), Settings(), ALL_AVAILABLE)
    assert d.model == "mid"
    assert "context window" in next(c for c in d.candidates if c.model == "small").blocked_by[0]


def test_budget_left_today_is_a_hard_limit() -> None:
    s = Settings.model_validate({"objective": "quality", "budget": {"daily_usd": 1.0}})
    d = run(s, spend=Spend(today_usd=0.95), tokens=50_000)
    assert d.model == "cheap"


def test_nothing_eligible_raises_with_each_reason() -> None:
    s = Settings.model_validate({"models": {"allow": ["nothing-*"]}})
    with pytest.raises(Unroutable) as err:
        run(s)
    assert "strong" in str(err.value) and "allow/deny" in str(err.value)


def test_pin_wins_and_says_so() -> None:
    s = Settings.model_validate({"objective": "quality", "route": {"debugging": {"pin": "cheap"}}})
    d = run(s)
    assert d.model == "cheap"
    assert any("Pinned" in r for r in d.reasons)


def test_unusable_pin_falls_back_with_a_reason() -> None:
    s = Settings.model_validate({"objective": "quality", "route": {"debugging": {"pin": "cheap"}},
                                 "models": {"deny": ["cheap"]}})
    d = run(s)
    assert d.model == "strong"
    assert any("was not used" in r for r in d.reasons)


def test_prefer_tips_a_close_call() -> None:
    s = Settings.model_validate({"objective": "quality", "route": {"debugging": {"prefer": ["mid"]}}})
    assert run(s).model == "mid"


def test_tie_break_cheapest_only_when_unsure_and_enabled() -> None:
    on = Settings.model_validate({"objective": "quality", "route": {"tie_break_cheapest": True}})
    assert run(on, c=cls(conf=0.3)).model == "cheap"
    assert any("tie-break" in r for r in run(on, c=cls(conf=0.3)).reasons)
    assert run(on, c=cls(conf=0.9)).model == "strong"
    assert run(Settings(objective="quality"), c=cls(conf=0.3)).model == "strong"


def test_available_models_are_preferred_and_missing_keys_are_marked() -> None:
    d = decide(RouteInput(classification=cls(), input_tokens=5000), MODELS, Settings(objective="quality"),
               {"a": "set A_API_KEY", "b": None, "c": None})
    assert d.model == "mid"
    strong = next(c for c in d.candidates if c.model == "strong")
    assert strong.eligible and not strong.available and strong.setup_hint == "set A_API_KEY"


def test_no_provider_configured_still_routes_and_says_what_to_set() -> None:
    d = decide(RouteInput(classification=cls(), input_tokens=5000), MODELS, Settings(objective="quality"),
               {"a": "set A_API_KEY", "b": "set B", "c": "set C"})
    assert d.model == "strong"
    assert any("A_API_KEY" in n for n in d.notes)


def test_local_only_file_needs_a_local_model() -> None:
    local = model("local", "ollama", 40.0, 0.0, 0.0, local=True)
    d = decide(RouteInput(classification=cls(), input_tokens=5000, local_only_file=True),
               (*MODELS, local), Settings(), {**ALL_AVAILABLE, "ollama": None})
    assert d.model == "local"
    assert any("local_only" in n for n in d.notes)


def test_prior_is_penalised_against_equal_measured_score() -> None:
    guessed = model("guessed", "a", 80.0, 5.0, 25.0, prior=True)
    d = decide(RouteInput(classification=cls(), input_tokens=5000), (guessed, STRONG),
               Settings(objective="quality"), ALL_AVAILABLE)
    assert d.model == "strong"


def test_context_window_uses_the_largest_single_request_not_the_run_total() -> None:
    small = model("small", "a", 99.0, 0.1, 0.1, ctx=60_000)
    inp = RouteInput(classification=cls(), input_tokens=150_000, context_tokens=30_000)
    assert decide(inp, (small, MID), Settings(), ALL_AVAILABLE).model == "small"
