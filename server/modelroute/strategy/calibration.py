"""How often a model's attempt at a kind of task is right, learned from the ledger. Pure.

Prior: the catalog's strength for the kind (0..100, mostly public benchmark percentages) read as a
pass rate, worth PRIOR_RUNS runs. Evidence: the ledger's attempts of that model and kind that ran a
check. What the ledger sees is the check, not the truth: an attempt counts as a pass when its check
passed, it was not flagged and the user did not reject it; as a failure when the check failed, the
tamper guard flagged it, or the user rejected it. Because a check passes some wrong results and fails
some right ones (`CheckRates`), the posterior is over the true pass rate p with the observed pass
chance p(1 - false_fail) + (1 - p) false_pass, computed on a grid (exact, no conjugacy needed).
Only the most recent WINDOW attempts per (model, kind) count, so the estimate follows model updates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category
from modelroute.strategy.model import CheckRates, Verified

PRIOR_RUNS = 8.0
WINDOW = 50
RATE_BOUNDS = (0.02, 0.98)  # a benchmark score of 100 does not make an attempt certain
_GRID = tuple((i + 0.5) / 200 for i in range(200))


class AttemptRecord(BaseModel):
    """One attempt as the ledger recorded it."""

    model_config = ConfigDict(frozen=True)

    model: str
    category: Category
    verified: Verified
    flagged: bool = False
    rejected: bool = False  # the user rejected the offered result
    at: datetime | None = None  # when it ran; records without a time keep their given order

    @property
    def observed_pass(self) -> bool | None:
        """The check's word, corrected by the tamper guard and the user; None when nothing was checked."""
        if self.flagged or self.rejected:
            return False
        if self.verified == "none":
            return None
        return self.verified == "pass"


class PassEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    category: Category
    rate: float = Field(ge=0.0, le=1.0)  # posterior mean of the true pass rate
    prior: float = Field(ge=0.0, le=1.0)
    passes: int = 0  # observed (by the check) in the window
    failures: int = 0

    @property
    def runs(self) -> int:
        return self.passes + self.failures

    def evidence(self) -> str:
        prior = f"catalog prior {self.prior:.0%}"
        if not self.runs:
            return f"~{self.rate:.0%} likely to pass ({prior}; no checked runs yet)"
        return (
            f"~{self.rate:.0%} likely to pass ({prior}; {self.passes} of {self.runs} checked runs passed here)"
        )


def prior_rate(strength: float) -> float:
    """A catalog strength (0..100) read as a pass rate."""
    return min(max(strength / 100.0, RATE_BOUNDS[0]), RATE_BOUNDS[1])


def posterior_rate(prior: float, passes: int, failures: int, check: CheckRates) -> float:
    """Mean of p under Beta(prior x PRIOR_RUNS, (1 - prior) x PRIOR_RUNS) times the likelihood of the
    observed check verdicts."""
    alpha = prior * PRIOR_RUNS
    beta = (1.0 - prior) * PRIOR_RUNS
    logs = []
    for p in _GRID:
        q = check.passes(p)
        logs.append(
            (alpha - 1.0) * math.log(p) + (beta - 1.0) * math.log(1.0 - p)
            + passes * math.log(q) + failures * math.log(1.0 - q)
        )
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    return sum(w * p for w, p in zip(weights, _GRID, strict=True)) / sum(weights)


class PassRates(BaseModel):
    """Observed check results per (model, kind), over the most recent WINDOW checked attempts."""

    model_config = ConfigDict(frozen=True)

    counts: dict[str, tuple[int, int]] = Field(default_factory=dict)  # "model|category" -> (passes, failures)
    check: CheckRates = CheckRates()

    @classmethod
    def from_records(cls, records: Iterable[AttemptRecord], check: CheckRates | None = None,
                     window: int = WINDOW) -> PassRates:
        groups: dict[str, list[tuple[int, AttemptRecord]]] = {}
        for order, record in enumerate(records):
            if record.observed_pass is not None:
                groups.setdefault(_key(record.model, record.category), []).append((order, record))
        counts = {}
        for key, rows in groups.items():
            recent = sorted(rows, key=lambda row: (row[1].at is not None, row[1].at or datetime.min, row[0]))[-window:]
            passes = sum(1 for _, r in recent if r.observed_pass)
            counts[key] = (passes, len(recent) - passes)
        return cls(counts=counts, check=check or CheckRates())

    def estimate(self, model: str, category: Category, strength: float) -> PassEstimate:
        prior = prior_rate(strength)
        passes, failures = self.counts.get(_key(model, category), (0, 0))
        rate = posterior_rate(prior, passes, failures, self.check) if passes + failures else prior
        return PassEstimate(model=model, category=category, rate=rate, prior=prior, passes=passes, failures=failures)


def _key(model: str, category: Category) -> str:
    return f"{model}|{category.value}"


__all__ = ["PRIOR_RUNS", "WINDOW", "AttemptRecord", "PassEstimate", "PassRates", "posterior_rate", "prior_rate"]
