"""Budget arithmetic, pure: time windows, how much a run reserves, and the cap check.

Budget days and months are UTC calendar days and months (the windows provider billing uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from modelroute.cost.model import CostEstimate
from modelroute.policy.schema import BudgetSettings

# Sums of REAL columns drift by ulps; a cap is met when within a micro-cent of it.
_EPSILON_USD = 1e-9

Scope = Literal["daily", "monthly", "team_daily", "team_monthly"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_text(moment: datetime) -> str:
    """Fixed-width ISO 8601 in UTC, so text order is time order in SQL."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def day_window(now: datetime) -> tuple[datetime, datetime]:
    start = as_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def month_window(now: datetime) -> tuple[datetime, datetime]:
    start = as_utc(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(
        month=start.month + 1
    )
    return start, end


def reservation_usd(estimate: CostEstimate) -> float:
    """Reserve the high end of the estimate: no overspend whenever the estimate's range holds."""
    return max(estimate.usd, estimate.high_usd)


@dataclass(frozen=True)
class Committed:
    """Money a window already holds: settled actual spend and open reservations."""

    spent_usd: float
    reserved_usd: float

    @property
    def total_usd(self) -> float:
        return self.spent_usd + self.reserved_usd


class BudgetExceeded(Exception):
    """A run would take the day's or month's commitments past a hard cap (personal or team)."""

    def __init__(
        self,
        scope: Scope,
        committed: Committed,
        needed_usd: float,
        cap_usd: float,
        run_id: int = 0,
        *,
        team: str = "",
    ) -> None:
        self.scope: Scope = scope
        self.spent_usd = committed.spent_usd
        self.reserved_usd = committed.reserved_usd
        self.needed_usd = needed_usd
        self.cap_usd = cap_usd
        self.team = team
        self.run_id = run_id  # the refused_budget row; 0 until it is written
        super().__init__(self._message())

    def _message(self) -> str:
        daily = self.scope in ("daily", "team_daily")
        period, reset = ("today", "00:00 UTC") if daily else ("this month", "the 1st (UTC)")
        if self.scope.startswith("team"):
            who = f"Team {self.team!r}" if self.team else "Team (everyone on this ledger)"
            head = f"{who} {'daily' if daily else 'monthly'} budget would be exceeded: the team spent"
        else:
            head = f"{'Daily' if daily else 'Monthly'} budget would be exceeded: spent"
        return (
            f"{head} ${self.spent_usd:.2f} {period}, "
            f"${self.reserved_usd:.2f} held by runs in progress, this run needs up to "
            f"${self.needed_usd:.2f}; cap ${self.cap_usd:.2f}. "
            f"Raise [budget] {self.scope}_usd or wait until {reset}."
        )


@dataclass(frozen=True)
class Windows:
    """Commitments in the windows a reservation is checked against: the person's and the team's,
    for the UTC day and month."""

    day: Committed
    month: Committed
    team_day: Committed
    team_month: Committed


def check_caps(needed_usd: float, windows: Windows, budgets: BudgetSettings, team: str = "") -> BudgetExceeded | None:
    """The first cap that `needed_usd` on top of current commitments would break, if any."""
    caps: tuple[tuple[Scope, Committed, float | None], ...] = (
        ("daily", windows.day, budgets.daily_usd),
        ("monthly", windows.month, budgets.monthly_usd),
        ("team_daily", windows.team_day, budgets.team_daily_usd),
        ("team_monthly", windows.team_month, budgets.team_monthly_usd),
    )
    for scope, committed, cap in caps:
        if cap is not None and committed.total_usd + needed_usd > cap + _EPSILON_USD:
            return BudgetExceeded(scope, committed, needed_usd, cap, team=team if scope.startswith("team") else "")
    return None


def needs_confirmation(estimate: CostEstimate, budgets: BudgetSettings) -> str | None:
    """A question for the user when the point estimate is above `per_request_usd`, else None."""
    if estimate.usd <= budgets.per_request_usd + _EPSILON_USD:
        return None
    return (
        f"This run is estimated at ${estimate.usd:.2f} (range ${estimate.low_usd:.2f}–"
        f"${estimate.high_usd:.2f}), above your per-request limit of ${budgets.per_request_usd:.2f}. "
        "Run it anyway?"
    )


def output_token_limit(budget_usd: float, input_usd: float, output_usd_per_mtok: float) -> int | None:
    """The most output tokens a call may request so that its cost stays within `budget_usd`,
    given what its input costs; None when output is free. Executors set the request's
    max_output_tokens to at most this, which turns the cap into a guarantee (docs/ledger.md)."""
    if output_usd_per_mtok <= 0:
        return None
    return max(0, int((budget_usd - input_usd) * 1_000_000 / output_usd_per_mtok))
