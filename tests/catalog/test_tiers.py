"""Price tiers and variants, all from genai-prices: every long-context boundary of every built-in
model (the estimate and the actual cost on both sides of it), the priority and fast tiers at their
own price when asked for, and interactive (never batch) pricing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from genai_prices import Usage as GpUsage
from genai_prices import calc_price

from modelroute.catalog import builtin_models, load_catalog
from modelroute.catalog.builtin import BUILTINS
from modelroute.catalog.library import LIBRARY_PROVIDER, TIER_CONTEXT, has_tier
from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.cost.actual import Usage, actual_cost_usd
from modelroute.cost.estimate import estimate
from modelroute.policy.schema import Settings
from modelroute.providers.anthropic_messages import build_params as anthropic_params
from modelroute.providers.openai_responses import build_params as responses_params
from modelroute.providers.types import ModelRequest, UserMessage

DAY = date(2026, 11, 1)
NOON = datetime(2026, 11, 1, 12, tzinfo=UTC)
BOUNDARIES = [
    (m.id, t.above_input_tokens) for m in builtin_models(DAY) for t in m.price.tiers if t.above_input_tokens
]


def _spec(model_id: str) -> tuple[str, str]:
    spec = next(b for b in BUILTINS if b.id == model_id)
    return spec.library_ref, LIBRARY_PROVIDER[spec.provider]


def _library_input_price(model_id: str, input_tokens: int, context: dict[str, str] | None = None) -> float:
    ref, provider = _spec(model_id)
    result = calc_price(
        GpUsage(input_tokens=input_tokens, output_tokens=0), ref, provider_id=provider,
        genai_request_timestamp=NOON, price_context=context,  # type: ignore[arg-type]
    )
    return float(result.input_price)


def test_the_boundaries_are_the_ones_the_library_has() -> None:
    assert ("gpt-5.4", 272_000) in BOUNDARIES and ("claude-haiku-5-5", 100_000) in BOUNDARIES
    assert ("minimax-m3", 512_000) in BOUNDARIES


@pytest.mark.parametrize(("model_id", "boundary"), BOUNDARIES)
def test_each_boundary_prices_as_the_library_on_both_sides(model_id: str, boundary: int) -> None:
    model = load_catalog(Settings(), day=DAY).get(model_id)
    assert model is not None
    below, above = model.price.tier_for(boundary), model.price.tier_for(boundary + 1)
    assert above.input_mtok > below.input_mtok  # the long-context rate starts past the boundary
    for tokens in (boundary, boundary + 1):
        expected = _library_input_price(model_id, tokens)
        assert actual_cost_usd(model, Usage(input_tokens=tokens)) == pytest.approx(expected)
        if not model.claude_tokenizer:  # o200k counts are this model's own: the estimate is exact
            quoted = estimate(tokens, Category.EXPLAIN, model, cached_input_tokens=0)
            assert quoted.input_usd == pytest.approx(expected)
    noted = estimate(boundary + 1, Category.EXPLAIN, model, cached_input_tokens=0).tier_note
    assert noted is not None and f"{boundary // 1000}K" in noted


def test_gpt54_doubles_input_past_272k_in_estimate_and_actual() -> None:
    gpt = load_catalog(Settings(), day=DAY).get("gpt-5.4")
    assert gpt is not None
    at = estimate(272_000, Category.EXPLAIN, gpt, cached_input_tokens=0)
    past = estimate(272_001, Category.EXPLAIN, gpt, cached_input_tokens=0)
    assert at.input_usd == pytest.approx(272_000 * 2.5 / 1e6)
    assert past.input_usd == pytest.approx(272_001 * 5.0 / 1e6)
    assert actual_cost_usd(gpt, Usage(input_tokens=272_001, output_tokens=1_000)) == pytest.approx(
        (272_001 * 5.0 + 1_000 * 22.5) / 1e6
    )


def test_a_date_gated_tier_follows_the_day() -> None:
    """Opus 4.6 billed past 200K at twice the rate until 2026-03-13, flat after (the library's data)."""
    before = load_catalog(Settings(), day=date(2026, 3, 12)).get("claude-opus-4-6")
    after = load_catalog(Settings(), day=DAY).get("claude-opus-4-6")
    assert before is not None and after is not None
    assert (before.price.tier_for(200_000).input_mtok, before.price.tier_for(200_001).input_mtok) == (5.0, 10.0)
    assert after.price.tier_for(200_001).input_mtok == 5.0


def _with_tier(provider: str, tier: str) -> dict[str, ModelEntry]:
    settings = Settings.model_validate({"providers": {provider: {"service_tier": tier}}})
    return {m.id: m for m in load_catalog(settings, day=DAY).models}


def test_priority_tier_is_priced_and_requested_where_the_library_has_it() -> None:
    models = _with_tier("openai", "priority")
    gpt, mini = models["gpt-5.4"], models["gpt-5-mini"]
    assert gpt.service_tier == "priority" and "priority tier" in gpt.price.source
    for model_id, model in (("gpt-5.4", gpt), ("gpt-5-mini", mini)):
        expected = _library_input_price(model_id, 10_000, {"service_tier": "priority"})
        assert actual_cost_usd(model, Usage(input_tokens=10_000)) == pytest.approx(expected)
        assert expected > _library_input_price(model_id, 10_000)  # dearer than standard
    assert models["claude-opus-4-6"].service_tier == "standard"  # another provider: untouched
    request = ModelRequest(messages=(UserMessage(text="hi"),), max_output_tokens=100)
    assert responses_params("gpt-5.4", "none", request, gpt.service_tier)["service_tier"] == "priority"
    assert "service_tier" not in responses_params("gpt-5.4", "none", request)


def test_fast_mode_is_priced_and_requested_and_models_without_it_stay_standard() -> None:
    models = _with_tier("anthropic", "fast")
    fable, opus46 = models["claude-fable-5-2"], models["claude-opus-4-6"]
    assert fable.service_tier == "fast" and opus46.service_tier == "standard"
    tier = fable.price.tiers[0]
    assert (tier.input_mtok, tier.output_mtok, tier.cache_read_mtok) == (16.0, 80.0, 0.4)  # the library's fast price
    assert opus46.price == load_catalog(Settings(), day=DAY).get("claude-opus-4-6").price  # type: ignore[union-attr]
    request = ModelRequest(messages=(UserMessage(text="hi"),), max_output_tokens=100)
    params = anthropic_params("claude-fable-5-2", "none", request, "fast")
    assert params["speed"] == "fast" and params["extra_headers"] == {"anthropic-beta": "fast-mode-2026-02-01"}
    assert "speed" not in anthropic_params("claude-opus-4-6", "none", request)


def test_interactive_prices_never_batch() -> None:
    gpt = load_catalog(Settings(), day=DAY).get("gpt-5.4")
    assert gpt is not None
    batch = _library_input_price("gpt-5.4", 10_000, {"processing": "batch"})
    standard = _library_input_price("gpt-5.4", 10_000)
    assert batch < standard
    assert actual_cost_usd(gpt, Usage(input_tokens=10_000)) == pytest.approx(standard)
    assert all("batch" not in str(context) for context in TIER_CONTEXT.values())


def test_tiers_the_library_lacks_are_not_offered() -> None:
    ref, provider = _spec("claude-opus-4-6")
    assert not has_tier(provider, ref, DAY, "anthropic-messages", "fast")
    ref, provider = _spec("gpt-5.4")
    assert not has_tier(provider, ref, DAY, "openai-responses", "standard")
    assert not has_tier(provider, ref, DAY, "openai-chat", "priority")  # no request parameter for it
