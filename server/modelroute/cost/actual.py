"""What a call really cost, from the usage the API reported."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from modelroute.catalog.model import ModelEntry

MTOK = 1_000_000


class Usage(BaseModel):
    """Token usage of one API call, in genai-prices' convention.

    `input_tokens` is the whole prompt, cached parts included; `cache_read_tokens` and
    `cache_write_tokens` are the parts of it read from and written to the prompt cache.
    `output_tokens` is everything billed as output, reasoning included; `reasoning_tokens` is the
    part of it spent on reasoning (reported, not billed twice).
    """

    model_config = ConfigDict(frozen=True)
    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    cache_read_tokens: int = Field(0, ge=0)
    cache_write_tokens: int = Field(0, ge=0)
    reasoning_tokens: int = Field(0, ge=0)

    @classmethod
    def from_anthropic(
        cls, *, input_tokens: int, output_tokens: int, cache_read_input_tokens: int | None = None,
        cache_creation_input_tokens: int | None = None,
    ) -> Usage:
        """Anthropic reports `input_tokens` without the cached parts; add them back."""
        read = cache_read_input_tokens or 0
        write = cache_creation_input_tokens or 0
        return cls(
            input_tokens=input_tokens + read + write, output_tokens=output_tokens,
            cache_read_tokens=read, cache_write_tokens=write,
        )

    @classmethod
    def from_openai(
        cls, *, input_tokens: int, output_tokens: int, cached_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> Usage:
        """OpenAI (Responses and Chat) reports input with cached tokens included, output with reasoning."""
        return cls(
            input_tokens=input_tokens, output_tokens=output_tokens,
            cache_read_tokens=cached_tokens or 0, reasoning_tokens=reasoning_tokens or 0,
        )


def actual_cost_usd(model: ModelEntry, usage: Usage) -> float:
    """Dollars for one call; the price tier is chosen by the call's whole input, as providers bill."""
    tier = model.price.tier_for(usage.input_tokens)
    read = min(usage.cache_read_tokens, usage.input_tokens)
    write = min(usage.cache_write_tokens, usage.input_tokens - read)
    uncached = usage.input_tokens - read - write
    read_rate = tier.cache_read_mtok if tier.cache_read_mtok is not None else tier.input_mtok
    write_rate = tier.cache_write_mtok if tier.cache_write_mtok is not None else tier.input_mtok
    dollars = (
        uncached * tier.input_mtok
        + read * read_rate
        + write * write_rate
        + usage.output_tokens * tier.output_mtok
    )
    return dollars / MTOK
