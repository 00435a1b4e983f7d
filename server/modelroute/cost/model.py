"""Token and dollar estimates."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TokenEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)
    input: int = Field(ge=0)
    output: int = Field(ge=0)  # visible output tokens
    reasoning: int = Field(default=0, ge=0)  # billed as output
    input_low: int = Field(default=0, ge=0)
    input_high: int = Field(default=0, ge=0)
    output_low: int = Field(default=0, ge=0)
    output_high: int = Field(default=0, ge=0)
    exact_input: bool = True  # False when counted with a stand-in tokenizer and a factor
    # Of `input`, the tokens expected to be read from the provider's prompt cache (the stable prefix
    # re-sent by later turns of a run); priced at the cache-read rate.
    cache_read: int = Field(default=0, ge=0)
    # Of `input`, the tokens expected to be written to the cache (the prefix, once); priced at the
    # cache-write rate where the provider charges for writes (Anthropic).
    cache_write: int = Field(default=0, ge=0)


class CostEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)
    usd: float = Field(ge=0.0)
    low_usd: float = Field(ge=0.0)
    high_usd: float = Field(ge=0.0)
    tokens: TokenEstimate
    input_usd: float = 0.0
    output_usd: float = 0.0
    tier_note: str | None = None  # e.g. "GPT-5.4 long-context rate: input past 272K tokens"
