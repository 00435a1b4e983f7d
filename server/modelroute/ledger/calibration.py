"""Output-token calibration from finished runs, pure.

Per (category, model): how many billed output tokens the runs really produced against what the
uncalibrated prior predicted (so ratios do not compound once estimates are calibrated). Only runs
whose output the model finished count (applied, rejected, answered, reviewed); cancelled and
failed runs would bias the ratio low.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from modelroute.categories import Category
from modelroute.cost.calibration import Calibration
from modelroute.ledger.model import COMPLETED_OUTCOMES, RunRecord

# The most recent runs per key: the ratio follows model and habit changes instead of all history.
DEFAULT_WINDOW = 50
CATEGORY_VALUES = frozenset(c.value for c in Category)

Aggregate = tuple[str, str, int, int, int]  # category, model, prior output sum, observed sum, runs


def output_aggregates(records: Iterable[RunRecord], window: int = DEFAULT_WINDOW) -> list[Aggregate]:
    """Per (category, model), over its last `window` completed runs: the prior's predicted output
    tokens, the output tokens the API reported, and the run count. Sorted by key."""
    groups: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for record in records:
        if (
            record.outcome in COMPLETED_OUTCOMES
            and record.act_output_tokens is not None
            and record.prior_output_tokens > 0
            and record.category in CATEGORY_VALUES
        ):
            groups[(record.category, record.model)].append(record)
    aggregates: list[Aggregate] = []
    for (category, model), rows in sorted(groups.items()):
        recent = sorted(rows, key=lambda r: (r.started_at, r.id))[-window:]
        prior = sum(r.prior_output_tokens for r in recent)
        observed = sum(r.act_output_tokens or 0 for r in recent)
        aggregates.append((category, model, prior, observed, len(recent)))
    return aggregates


def calibration_from(records: Iterable[RunRecord], window: int = DEFAULT_WINDOW) -> Calibration:
    """The cost module's Calibration (which shrinks small samples toward 1 and bounds the ratio)."""
    return Calibration.from_aggregates(output_aggregates(records, window))
