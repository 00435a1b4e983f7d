"""Token and dollar estimates for one request, before it runs. Pure functions.

Input: the prompt's o200k_base count (exact for OpenAI's models). Claude's tokenizer is not public:
its count is the o200k count times 1.2, with 1.1..1.3 as the range (published rules of thumb), and
the estimate says it is not exact. Other vendors' models are priced on the o200k count.

Output: modelroute's priors per category (below), scaled by the ledger's calibration. Reasoning
tokens, billed as output, are a prior per category times a factor for the model's reasoning mode.
Both are capped by the model's maximum output. The range combines the input range with the output
range, each priced at the tier its own input count selects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from modelroute.catalog.model import ModelEntry, PriceTier
from modelroute.categories import Category
from modelroute.cost.calibration import Calibration
from modelroute.cost.model import CostEstimate, TokenEstimate

MTOK = 1_000_000
CLAUDE_FACTOR = 1.2
CLAUDE_FACTOR_RANGE = (1.1, 1.3)


@dataclass(frozen=True)
class OutputPrior:
    """Visible output tokens (point, low, high) and reasoning tokens at full reasoning."""

    output: int
    low: int
    high: int
    reasoning: int


# Priors: a one-line change or short answer is a few hundred tokens; a review or a fix with its
# explanation a few thousand; a new component or a multi-file refactor (whole files rewritten) many
# thousands. Deliberately wide ranges; the ledger's calibration narrows the point estimate over time.
OUTPUT_PRIORS: dict[Category, OutputPrior] = {
    Category.QUICK_EDIT: OutputPrior(output=400, low=150, high=1_200, reasoning=300),
    Category.EXPLAIN: OutputPrior(output=700, low=300, high=2_000, reasoning=800),
    Category.SHELL_AUTOMATION: OutputPrior(output=800, low=250, high=2_500, reasoning=1_000),
    Category.CODE_REVIEW: OutputPrior(output=1_200, low=400, high=3_000, reasoning=2_000),
    Category.DEBUGGING: OutputPrior(output=1_500, low=500, high=5_000, reasoning=3_000),
    Category.UI_GREENFIELD: OutputPrior(output=4_000, low=1_500, high=10_000, reasoning=2_000),
    Category.MULTI_FILE_REFACTOR: OutputPrior(output=6_000, low=2_000, high=16_000, reasoning=4_000),
}

# Share of the reasoning prior each mode spends: adaptive thinking thinks only when the task needs it.
REASONING_FACTOR: dict[str, float] = {
    "none": 0.0,
    "adaptive-thinking": 0.75,
    "extended-thinking": 1.0,
    "reasoning-effort": 1.0,
}
REASONING_RANGE = (0.25, 2.5)


def claude_input(o200k_tokens: int) -> tuple[int, int, int]:
    """Estimated Claude tokens (point, low, high) for an o200k count."""
    low, high = CLAUDE_FACTOR_RANGE
    return (
        math.ceil(o200k_tokens * CLAUDE_FACTOR),
        math.ceil(o200k_tokens * low),
        math.ceil(o200k_tokens * high),
    )


def estimate_tokens(
    input_o200k_tokens: int, category: Category, model: ModelEntry, calibration: Calibration | None = None
) -> TokenEstimate:
    if model.claude_tokenizer:
        tokens_in, in_low, in_high = claude_input(input_o200k_tokens)
    else:
        tokens_in = in_low = in_high = input_o200k_tokens
    prior = OUTPUT_PRIORS[category]
    ratio = calibration.ratio(category, model.id) if calibration else 1.0
    reasoning = prior.reasoning * REASONING_FACTOR[model.reasoning] * ratio
    cap = model.max_output_tokens

    def total(visible: float, thinking: float) -> tuple[int, int]:
        """(visible, reasoning) capped together by the model's maximum output."""
        scale = min(1.0, cap / max(1.0, visible + thinking))
        return round(visible * scale), round(thinking * scale)

    out, think = total(prior.output * ratio, reasoning)
    out_low, think_low = total(prior.low * ratio, reasoning * REASONING_RANGE[0])
    out_high, think_high = total(prior.high * ratio, reasoning * REASONING_RANGE[1])
    return TokenEstimate(
        input=tokens_in,
        output=out,
        reasoning=think,
        input_low=in_low,
        input_high=in_high,
        output_low=out_low + think_low,
        output_high=out_high + think_high,
        exact_input=not model.claude_tokenizer,
    )


def _dollars(
    tier: PriceTier, input_tokens: int, cached_tokens: int, output_tokens: int, written_tokens: int = 0
) -> tuple[float, float]:
    cached = min(cached_tokens, input_tokens)
    written = min(written_tokens, input_tokens - cached)
    read_rate = tier.cache_read_mtok if tier.cache_read_mtok is not None else tier.input_mtok
    write_rate = tier.cache_write_mtok if tier.cache_write_mtok is not None else tier.input_mtok
    fresh = input_tokens - cached - written
    input_usd = (fresh * tier.input_mtok + cached * read_rate + written * write_rate) / MTOK
    return input_usd, output_tokens * tier.output_mtok / MTOK


# Providers cache a prompt prefix only from this many tokens on (Anthropic: 1,024 for Opus and
# Sonnet, 2,048 for Haiku; OpenAI: 1,024). Below it, a breakpoint or cache key does nothing.
MIN_CACHEABLE_TOKENS = 1_024


@dataclass(frozen=True)
class CacheShape:
    """Of a run's billed input: the tokens later turns read back from the prompt cache, and the
    tokens written to it (billed at the write rate where the provider charges one)."""

    read: int
    written: int


def expected_cache(run_input_tokens: int, category: Category, model: ModelEntry) -> CacheShape:
    """What prompt caching is expected to do to a run of `category` whose turns together send
    `run_input_tokens`. Every turn re-sends the previous turn's prompt as its prefix (system prompt,
    tools, the files read, the conversation so far: `providers/` marks it cacheable), so all but
    the last turn's prompt is read back: with T turns about (T - 1) / T of the run's input. What is
    not read is written once where the provider bills writes (a cache-write price) and sent plainly
    elsewhere. A one-turn run reads nothing; a model without a cache-read price caches nothing."""
    price = model.price.tiers[0]
    turns = EXPECTED_TURNS[category]
    if turns < 2 or price.cache_read_mtok is None:
        return CacheShape(0, 0)
    last_turn = math.ceil(run_input_tokens / turns)
    if last_turn < MIN_CACHEABLE_TOKENS:
        return CacheShape(0, 0)
    read = run_input_tokens - last_turn
    written = last_turn if price.cache_write_mtok is not None else 0
    return CacheShape(read, written)


def _tier_note(model: ModelEntry, point: PriceTier, high: PriceTier) -> str | None:
    if point.above_input_tokens > 0:
        return (
            f"{model.short_name} long-context rate: input past {point.above_input_tokens // 1000}K tokens "
            f"(${point.input_mtok:g}/${point.output_mtok:g} per MTok)"
        )
    if high.above_input_tokens > 0:
        return (
            f"{model.short_name}: the high estimate crosses the long-context rate "
            f"past {high.above_input_tokens // 1000}K input tokens"
        )
    return None


def estimate(
    input_o200k_tokens: int,
    category: Category,
    model: ModelEntry,
    calibration: Calibration | None = None,
    *,
    cached_input_tokens: int | None = None,
) -> CostEstimate:
    """Point estimate and range in USD for a run whose turns together send `input_o200k_tokens`.

    `cached_input_tokens` (same tokenizer as the input) are priced at the cache-read rate; left
    None, the run's expected prompt caching is counted (`expected_cache`) in the point and low
    estimates, while the high end assumes every cache read missed."""
    tokens = estimate_tokens(input_o200k_tokens, category, model, calibration)
    if cached_input_tokens is None:
        shape = expected_cache(tokens.input, category, model)
        cached, written = shape.read, shape.written
        low_shape = expected_cache(tokens.input_low, category, model)
        # The high end assumes the cache is missed (nothing read back, the writes still billed):
        # reservations and output caps then hold whether or not the provider's cache is hit.
        high_shape = CacheShape(0, expected_cache(tokens.input_high, category, model).written)
    else:
        cached = claude_input(cached_input_tokens)[0] if model.claude_tokenizer else cached_input_tokens
        written = 0
        low_shape = high_shape = CacheShape(cached, 0)
    point_tier = model.price.tier_for(tokens.input)
    low_tier = model.price.tier_for(tokens.input_low)
    high_tier = model.price.tier_for(tokens.input_high)
    input_usd, output_usd = _dollars(point_tier, tokens.input, cached, tokens.output + tokens.reasoning, written)
    low = sum(_dollars(low_tier, tokens.input_low, low_shape.read, tokens.output_low, low_shape.written))
    high = sum(_dollars(high_tier, tokens.input_high, high_shape.read, tokens.output_high, high_shape.written))
    usd = input_usd + output_usd
    return CostEstimate(
        usd=usd,
        low_usd=min(low, usd),
        high_usd=max(high, usd),
        tokens=tokens.model_copy(update={"cache_read": cached, "cache_write": written}),
        input_usd=input_usd,
        output_usd=output_usd,
        tier_note=_tier_note(model, point_tier, high_tier),
    )


# Tool-use turns a run of each category typically takes. Every turn re-sends the conversation, so a
# run's billed input is roughly the first prompt once per turn plus the files it read for the turns
# after the read (counted as half the turns on average). Calibrated like the output priors.
EXPECTED_TURNS: dict[Category, int] = {
    Category.EXPLAIN: 1,
    Category.QUICK_EDIT: 2,
    Category.CODE_REVIEW: 2,
    Category.SHELL_AUTOMATION: 3,
    Category.UI_GREENFIELD: 3,
    Category.DEBUGGING: 4,
    Category.MULTI_FILE_REFACTOR: 5,
}


def run_input_tokens(prompt_tokens: int, read_tokens: int, category: Category) -> int:
    """Billed input tokens over a whole run: the prompt every turn, reads from the turn after them on."""
    turns = EXPECTED_TURNS[category]
    later = max(turns - 1, 1) if read_tokens else 0
    return prompt_tokens * turns + math.ceil(read_tokens * later / 2) + read_tokens
