"""The classifier's answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category


class Classification(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: Category
    confidence: float = Field(ge=0.0, le=1.0)
    reasons: tuple[str, ...]  # which signals decided, in words a user can read
    scores: dict[Category, float] = Field(default_factory=dict)  # every label's score, for ties and debugging

    def runner_up(self) -> Category | None:
        ranked = sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)
        others = [c for c, _ in ranked if c != self.label]
        return others[0] if others else None
