"""The estimate counts what prompt caching does to a run: later turns read the earlier prompt back
at the cache-read rate; Anthropic bills the first write of each part at its write rate."""

from __future__ import annotations

from datetime import date

import pytest

from modelroute.catalog.load import load_catalog
from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.cost.estimate import EXPECTED_TURNS, MIN_CACHEABLE_TOKENS, estimate, expected_cache
from modelroute.policy.schema import Settings


def _plain(model_id: str) -> ModelEntry:
    found = load_catalog(Settings(), day=date(2026, 11, 1)).get(model_id)
    assert found is not None
    return found.model_copy(update={"reasoning": "none"})


def test_later_turns_read_all_but_the_last_turns_prompt() -> None:
    gpt = _plain("gpt-5.4")
    turns = EXPECTED_TURNS[Category.MULTI_FILE_REFACTOR]  # 5
    shape = expected_cache(50_000, Category.MULTI_FILE_REFACTOR, gpt)
    assert shape.read == 50_000 - 50_000 // turns and shape.written == 0  # OpenAI bills no writes
    est = estimate(50_000, Category.MULTI_FILE_REFACTOR, gpt)
    uncached = estimate(50_000, Category.MULTI_FILE_REFACTOR, gpt, cached_input_tokens=0)
    assert est.tokens.cache_read == shape.read
    assert est.input_usd == pytest.approx((10_000 * 2.5 + 40_000 * 0.25) / 1e6)
    assert est.usd < uncached.usd and est.output_usd == uncached.output_usd


def test_anthropic_pays_the_write_once_and_reads_at_a_tenth() -> None:
    opus = _plain("claude-opus-4-6")
    est = estimate(10_000, Category.DEBUGGING, opus)  # 12,000 Claude tokens over 4 turns
    assert (est.tokens.cache_read, est.tokens.cache_write) == (9_000, 3_000)
    assert est.input_usd == pytest.approx((9_000 * 0.5 + 3_000 * 6.25) / 1e6)
    assert est.usd < estimate(10_000, Category.DEBUGGING, opus, cached_input_tokens=0).usd


def test_one_turn_runs_and_short_prompts_are_not_cached() -> None:
    gpt = _plain("gpt-5.4")
    assert expected_cache(50_000, Category.EXPLAIN, gpt).read == 0  # one turn: nothing to read back
    short = MIN_CACHEABLE_TOKENS * EXPECTED_TURNS[Category.DEBUGGING] - 4
    assert expected_cache(short, Category.DEBUGGING, gpt).read == 0  # below the provider's minimum


def test_a_model_without_a_cache_price_caches_nothing() -> None:
    plain = _plain("gpt-5.4")
    tier = plain.price.tiers[0].model_copy(update={"cache_read_mtok": None})
    no_cache = plain.model_copy(update={"price": plain.price.model_copy(update={"tiers": (tier,)})})
    assert expected_cache(50_000, Category.DEBUGGING, no_cache).read == 0


def test_the_range_keeps_the_estimate_inside_it() -> None:
    opus = _plain("claude-opus-4-6")
    est = estimate(40_000, Category.MULTI_FILE_REFACTOR, opus)
    assert est.low_usd <= est.usd <= est.high_usd


def test_the_high_end_does_not_count_on_the_cache() -> None:
    """What a run reserves (the high end) holds even when every cache read misses."""
    gpt = _plain("gpt-5.4")
    cached = estimate(50_000, Category.MULTI_FILE_REFACTOR, gpt)
    plain = estimate(50_000, Category.MULTI_FILE_REFACTOR, gpt, cached_input_tokens=0)
    assert cached.usd < plain.usd
    assert cached.high_usd == pytest.approx(plain.high_usd)  # OpenAI bills no writes: as if uncached
    opus = _plain("claude-opus-4-6")
    assert estimate(40_000, Category.DEBUGGING, opus).high_usd > estimate(
        40_000, Category.DEBUGGING, opus, cached_input_tokens=0
    ).high_usd  # the writes are still billed
