"""Builders shared by the ledger tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelroute.categories import Category
from modelroute.cost.model import CostEstimate, TokenEstimate
from modelroute.ledger import Ledger, LedgerStore, RunStart, is_postgres_url
from modelroute.policy.schema import BudgetSettings


def estimate(
    usd: float, low: float | None = None, high: float | None = None, output: int = 500
) -> CostEstimate:
    return CostEstimate(
        usd=usd,
        low_usd=usd * 0.5 if low is None else low,
        high_usd=usd * 1.5 if high is None else high,
        tokens=TokenEstimate(
            input=2_000, output=output, output_low=output // 2, output_high=output * 2, cache_read=1_500
        ),
    )


def run(
    usd: float = 0.10,
    *,
    high: float | None = None,
    model: str = "claude-sonnet-4-5",
    category: Category = Category.QUICK_EDIT,
    output: int = 500,
    prior_output: int | None = None,
) -> RunStart:
    return RunStart(
        workspace="/ws/project",
        category=category,
        model=model,
        provider="anthropic" if model.startswith("claude") else "openai",
        estimate=estimate(usd, high=high, output=output),
        prior_output_tokens=prior_output,
    )


def budgets(
    daily: float = 20.0,
    monthly: float = 200.0,
    per_request: float = 2.0,
    *,
    team_daily: float | None = None,
    team_monthly: float | None = None,
) -> BudgetSettings:
    return BudgetSettings(
        daily_usd=daily,
        monthly_usd=monthly,
        per_request_usd=per_request,
        team_daily_usd=team_daily,
        team_monthly_usd=team_monthly,
    )


def store_at(target: str, **options: Any) -> LedgerStore:
    """A store on a SQLite path or a PostgreSQL URL, as `open_ledger(target=...)` chooses."""
    if is_postgres_url(target):
        from modelroute.ledger.postgres import PostgresLedger

        return PostgresLedger(target, **options)
    return Ledger(Path(target), **options)
