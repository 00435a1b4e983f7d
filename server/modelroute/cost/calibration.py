"""Output-token calibration from the ledger: how far real output ran from our estimates."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category

# With n samples the observed ratio r counts as r*n/(n+K) + 1*K/(n+K): a few runs move the estimate
# a little, many runs move it most of the way.
SHRINK_SAMPLES = 5.0
RATIO_BOUNDS = (0.2, 5.0)


class CalibrationEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    category: Category
    model: str
    estimated_output_tokens: int = Field(ge=0)  # sum over runs of estimated output (+ reasoning) tokens
    observed_output_tokens: int = Field(ge=0)  # sum over the same runs of the tokens the API reported
    samples: int = Field(ge=0)

    @property
    def raw_ratio(self) -> float:
        if self.estimated_output_tokens == 0:
            return 1.0
        return self.observed_output_tokens / self.estimated_output_tokens

    @property
    def ratio(self) -> float:
        weight = self.samples / (self.samples + SHRINK_SAMPLES)
        shrunk = weight * self.raw_ratio + (1.0 - weight)
        return min(RATIO_BOUNDS[1], max(RATIO_BOUNDS[0], shrunk))


class Calibration(BaseModel):
    """Pure data: built from ledger aggregates, applied by `estimate`."""

    model_config = ConfigDict(frozen=True)
    entries: tuple[CalibrationEntry, ...] = ()

    @classmethod
    def from_aggregates(cls, rows: Iterable[tuple[Category | str, str, int, int, int]]) -> Calibration:
        """Rows of (category, model id, estimated output sum, observed output sum, run count)."""
        return cls(
            entries=tuple(
                CalibrationEntry(
                    category=Category(category), model=model, estimated_output_tokens=estimated,
                    observed_output_tokens=observed, samples=samples,
                )
                for category, model, estimated, observed, samples in rows
            )
        )

    def entry(self, category: Category, model_id: str) -> CalibrationEntry | None:
        for entry in self.entries:
            if entry.category == category and entry.model == model_id:
                return entry
        return None

    def ratio(self, category: Category, model_id: str) -> float:
        entry = self.entry(category, model_id)
        return entry.ratio if entry else 1.0
