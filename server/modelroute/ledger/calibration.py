"""Output-token calibration from finished runs, pure.

Per (category, model): how many billed output tokens the runs really produced, as a ratio of
what the uncalibrated prior predicted. Only runs whose output the model finished count
(applied, rejected, answered, reviewed); cancelled and failed runs would bias the ratio low.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from modelroute.ledger.model import COMPLETED_OUTCOMES, RunRecord

# The most recent runs per key: the ratio follows model and habit changes instead of all history.
DEFAULT_WINDOW = 50

OutputRatios = dict[tuple[str, str], tuple[float, int]]


def output_ratios(records: Iterable[RunRecord], window: int = DEFAULT_WINDOW) -> OutputRatios:
    """{(category, model): (sum actual output / sum prior output, runs)} over the last `window` runs.

    A ratio of sums weights long runs more, which is what dollar estimates care about."""
    groups: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for record in records:
        if (
            record.outcome in COMPLETED_OUTCOMES
            and record.act_output_tokens is not None
            and record.prior_output_tokens > 0
        ):
            groups[(record.category, record.model)].append(record)
    ratios: OutputRatios = {}
    for key, rows in groups.items():
        recent = sorted(rows, key=lambda r: (r.started_at, r.id))[-window:]
        actual = sum(r.act_output_tokens or 0 for r in recent)
        prior = sum(r.prior_output_tokens for r in recent)
        ratios[key] = (actual / prior, len(recent))
    return ratios
