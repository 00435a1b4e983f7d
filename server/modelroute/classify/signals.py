"""Evidence: one signal for one or more labels, with a reason a user can read."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelroute.categories import Category


@dataclass(frozen=True)
class Signal:
    weights: dict[Category, float]
    reason: str
    source: str  # "instruction", "context" or "model": used for vagueness and in the docs


@dataclass
class Evidence:
    signals: list[Signal] = field(default_factory=list)

    def add(self, weights: dict[Category, float], reason: str, source: str) -> None:
        self.signals.append(Signal(weights, reason, source))

    def totals(self, *, decay: float = 0.6) -> dict[Category, float]:
        """Per-label sum; positive weights decay by rank so piling up synonyms has diminishing returns."""
        out: dict[Category, float] = {}
        for cat in Category:
            pos = sorted((s.weights[cat] for s in self.signals if s.weights.get(cat, 0.0) > 0), reverse=True)
            neg = sum(s.weights[cat] for s in self.signals if s.weights.get(cat, 0.0) < 0)
            out[cat] = sum(w * decay**i for i, w in enumerate(pos)) + neg
        return out
