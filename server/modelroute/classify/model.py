"""The classifier's answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category


class Classification(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: Category
    confidence: float = Field(ge=0.0, le=1.0)  # calibrated probability that `label` is right
    reasons: tuple[str, ...]  # the features that carried the decision, in words a user can read
    scores: dict[Category, float] = Field(default_factory=dict)  # probability per label; they sum to 1
    runner_up: Category | None = None  # the second most likely label
    runner_up_confidence: float = Field(0.0, ge=0.0, le=1.0)
    close: bool = False  # the top two are close: worth offering both, each priced
