"""Pass rates from the ledger: each checked attempt of a model at a kind of task, as
`strategy.calibration` reads it, so expected costs and the cascade rule follow what the checks
here said. Read once per session and again after each settled run."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from modelroute.categories import Category
from modelroute.strategy.calibration import AttemptRecord, PassRates

if TYPE_CHECKING:
    from modelroute.ledger import RunRecord
    from modelroute.policy.schema import Settings
    from modelroute.run.flow import RunSession

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=180)  # the window of 50 attempts per (model, kind) is almost always inside it
_KEY = "pass_rates"
_CATEGORIES = frozenset(c.value for c in Category)


def attempt_records(rows: list[RunRecord]) -> list[AttemptRecord]:
    """Ledger rows that carry a check's verdict, as attempts (rows before verification carry none)."""
    out = []
    for row in rows:
        verified = row.verified
        if verified not in ("pass", "fail", "none") or row.category not in _CATEGORIES:
            continue
        out.append(AttemptRecord(
            model=row.model, category=Category(row.category), verified=verified,
            flagged=row.flagged, rejected=row.offered and row.outcome == "rejected", at=row.started_at,
        ))
    return out


def cached_rates(session: RunSession) -> PassRates:
    """The pass rates the session last read from the ledger, else the priors (never waits)."""
    cached = session.derived.get(_KEY) or session.previous.get(_KEY)
    return cached if isinstance(cached, PassRates) else PassRates()


async def rates_from_ledger(session: RunSession, settings: Settings | None = None) -> PassRates:
    """The session's pass rates (priors only when the ledger cannot be read)."""
    cached = session.derived.get(_KEY)
    if isinstance(cached, PassRates):
        return cached
    try:
        from modelroute.ledger.budget import utc_now

        ledger = await session.ledger(settings)
        rows = await asyncio.to_thread(ledger.runs, utc_now() - LOOKBACK)
        rates = PassRates.from_records(attempt_records(rows))
    except Exception as exc:  # pass rates are a refinement: a ledger that cannot be read leaves the priors
        log.warning("pass rates from the ledger unavailable: %s", exc)
        rates = PassRates()
    session.derived[_KEY] = rates
    return rates


__all__ = ["LOOKBACK", "attempt_records", "cached_rates", "rates_from_ledger"]
