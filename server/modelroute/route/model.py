"""A routing decision: the chosen model, the alternatives, costs and readable reasons."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from modelroute.categories import Category
from modelroute.cost.model import CostEstimate


class Candidate(BaseModel):
    """One model's row in the routing table."""

    model_config = ConfigDict(frozen=True)
    model: str
    display_name: str
    provider: str
    quality: float  # 0..100 strength for the category
    score: float  # the objective's blend of quality and cost, higher is better
    cost: CostEstimate
    eligible: bool  # passes every hard limit
    available: bool  # its provider has a key or endpoint
    blocked_by: tuple[str, ...] = ()  # hard limits it fails, readable
    setup_hint: str | None = None  # what to set to make it available
    evidence: str = ""
    prior: bool = False  # the strength is an estimate (a documented prior), not a published result


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)
    category: Category
    confidence: float
    model: str
    display_name: str
    provider: str
    cost: CostEstimate
    candidates: tuple[Candidate, ...]  # the chosen one first, then alternatives by score
    reasons: tuple[str, ...]
    classification_reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def alternatives(self) -> list[Candidate]:
        return [c for c in self.candidates if c.model != self.model and c.eligible]

    def to_json(self) -> dict[str, Any]:
        """The `modelroute route --json` contract (DESIGN 2.2), plus extra keys."""
        return {
            "category": self.category.value,
            "confidence": round(self.confidence, 3),
            "model": self.model,
            "display_name": self.display_name,
            "provider": self.provider,
            "estimated_cost_usd": round(self.cost.usd, 6),
            "estimated_cost_range_usd": [round(self.cost.low_usd, 6), round(self.cost.high_usd, 6)],
            "estimated_tokens": {
                "input": self.cost.tokens.input,
                "output": self.cost.tokens.output + self.cost.tokens.reasoning,
            },
            "alternatives": [
                {
                    "model": c.model,
                    "provider": c.provider,
                    "estimated_cost_usd": round(c.cost.usd, 6),
                    "score": round(c.score, 3),
                    "quality": round(c.quality, 1),
                    "available": c.available,
                }
                for c in self.alternatives()
            ],
            "reasons": list(self.reasons),
            "classification_reasons": list(self.classification_reasons),
            "notes": list(self.notes),
            "candidates": [
                {
                    "model": c.model,
                    "score": round(c.score, 3),
                    "quality": round(c.quality, 1),
                    "estimated_cost_usd": round(c.cost.usd, 6),
                    "eligible": c.eligible,
                    "available": c.available,
                    "blocked_by": list(c.blocked_by),
                    "setup_hint": c.setup_hint,
                }
                for c in self.candidates
            ],
        }


class Unroutable(Exception):
    """No model passes the hard limits; the message says which limit stopped each."""

    def __init__(self, message: str, candidates: tuple[Candidate, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


__all__ = ["Candidate", "Decision", "Unroutable"]
