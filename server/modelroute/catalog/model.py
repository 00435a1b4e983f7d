"""A model a user can route to: price, limits and strengths, every number with its source."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category

Api = Literal["anthropic-messages", "openai-responses", "openai-chat"]
# Interactive service tiers at their own price: "priority" (OpenAI priority processing, request
# `service_tier`) and "fast" (Anthropic fast mode, request `speed`; OpenAI also takes it as a
# synonym of priority). Batch processing is never used: an editor action is interactive.
ServiceTier = Literal["standard", "priority", "fast"]


class PriceTier(BaseModel):
    """Prices per million tokens that apply once the prompt's input tokens exceed `above_input_tokens`."""

    model_config = ConfigDict(frozen=True)
    above_input_tokens: int = 0
    input_mtok: float
    output_mtok: float
    cache_read_mtok: float | None = None
    cache_write_mtok: float | None = None


class ModelPrice(BaseModel):
    model_config = ConfigDict(frozen=True)
    tiers: tuple[PriceTier, ...]  # ascending by above_input_tokens; the first has 0
    source: str  # e.g. "genai-prices 0.2.3 (anthropic/claude-opus-4-6)" or "settings: [models.custom.x]"

    def tier_for(self, input_tokens: int) -> PriceTier:
        chosen = self.tiers[0]
        for tier in self.tiers:
            if input_tokens > tier.above_input_tokens:
                chosen = tier
        return chosen


class Strength(BaseModel):
    """How good a model is at one category, on a 0..100 scale, and why we believe it."""

    model_config = ConfigDict(frozen=True)
    score: float = Field(ge=0.0, le=100.0)
    evidence: str  # readable: "Terminal-Bench 2.0: 77.3%"
    source: str  # URL or citation of the public result
    prior: bool = False  # True when no public result exists and a documented prior is used


class ModelEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str  # catalog id, e.g. "claude-opus-4-6"
    display_name: str  # e.g. "Claude Opus 4.6"
    short_name: str  # e.g. "Opus 4.6", for inlay hints
    provider: str  # settings key under [providers], e.g. "anthropic", "openai", "moonshot"
    api: Api
    api_model: str  # the model name sent to the API
    context_window: int
    max_output_tokens: int
    limits_source: str
    price: ModelPrice
    strengths: dict[Category, Strength]
    open_weight: bool = False
    local: bool = False  # served by an endpoint the user marked local
    reasoning: Literal["none", "extended-thinking", "adaptive-thinking", "reasoning-effort"] = "none"
    claude_tokenizer: bool = False  # token counts are estimated from o200k with a factor
    service_tier: ServiceTier = "standard"  # the tier requested and priced (see catalog/library.py)
