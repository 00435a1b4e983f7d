"""Spend commands: status, report, cancelRun, clearReview (setObjective lives in commands).

All read the one ledger the server shares across workspaces; budgets come from the settings of the
workspace named by an optional `uri` (else the first workspace folder, else the defaults).
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import attrs

from modelroute.lsp.documents import fs_path
from modelroute.lsp.server import ModelrouteServer


@attrs.define
class UriArgs:
    uri: str


def register(server: ModelrouteServer) -> None:
    @server.command("modelroute.status")
    async def status(ls: ModelrouteServer, *args: Any) -> dict[str, Any]:
        """{objective, spent_today_usd, daily_usd, spent_month_usd, monthly_usd} and what runs hold.

        A ledger that cannot be opened or read is bad input, not a failed request (a status bar
        asks for this on every start): the answer is the objective, the caps and `ledger_error`,
        a sentence that says what is wrong, with the spend left out (it is unknown)."""
        from modelroute.ledger import LedgerError

        settings = await _settings(ls, args)
        try:
            ledger = await ls.session.runs.ledger(settings)
            numbers = await asyncio.to_thread(ledger.status, settings.budget)
        except (LedgerError, OSError, sqlite3.Error) as exc:
            return {"objective": settings.objective, "daily_usd": settings.budget.daily_usd,
                    "monthly_usd": settings.budget.monthly_usd, "running": ls.session.running,
                    "ledger_error": f"the spend ledger cannot be read ({exc}); spend is unknown until it can"}
        return {
            "objective": settings.objective,
            **{k: round(v, 6) if isinstance(v, float) else v for k, v in numbers.items()},
            "running": ls.session.running,
        }

    @server.command("modelroute.report")
    async def report(ls: ModelrouteServer, *args: Any) -> dict[str, Any]:
        """The ledger report (`modelroute report --json`), plus `by_day_model` for charts."""
        ledger = await ls.session.runs.ledger(await _settings(ls, args))

        def build() -> dict[str, Any]:
            since = _since(args)
            data: dict[str, Any] = ledger.report(since=since).model_dump(mode="json")
            data["by_day_model"] = by_day_model(ledger, since)
            return data

        return await asyncio.to_thread(build)

    @server.command("modelroute.cancelRun")
    async def cancel_run(ls: ModelrouteServer, *args: Any) -> dict[str, Any]:
        cancelled = ls.session.runs.cancel_all() if ls.session.running else 0
        return {"cancelled": cancelled}

    @server.command("modelroute.clearReview")
    async def clear(ls: ModelrouteServer, args: UriArgs) -> dict[str, Any]:
        from modelroute.lsp.editor import clear_review

        return {"uri": args.uri, "cleared": clear_review(ls, args.uri)}


async def _settings(ls: ModelrouteServer, args: tuple[Any, ...]) -> Any:
    from modelroute.policy.schema import Settings

    uri = args[0].get("uri") if args and isinstance(args[0], dict) else None
    registry = ls.session.registry
    state = None
    if isinstance(uri, str) and (path := fs_path(uri)) is not None:
        state, created = registry.for_path(path.resolve())
        if created:
            ls.start_state(state)
    if state is None:
        states = list(registry.folders.values()) or registry.all()
        state = states[0] if states else None
    if state is None:
        return Settings()
    engine = await state.ready()
    return engine.settings


def _since(args: tuple[Any, ...]) -> Any:
    """`{"days": N}` limits the report to the last N UTC days, today included (default 30)."""
    from datetime import timedelta

    from modelroute.ledger.budget import day_window, utc_now

    days = args[0].get("days", 30) if args and isinstance(args[0], dict) else 30
    days = max(int(days), 1) if isinstance(days, (int, float)) else 30
    return day_window(utc_now())[0] - timedelta(days=days - 1)


def by_day_model(ledger: Any, since: Any) -> list[dict[str, Any]]:
    """Spend per UTC day and model, oldest day first (what a stacked chart wants)."""
    totals: dict[tuple[str, str], float] = {}
    for run in ledger.runs(since=since):
        if run.outcome in ("refused_budget", "pending"):
            continue
        key = (run.started_at.date().isoformat(), run.model)
        totals[key] = totals.get(key, 0.0) + run.charged_usd
    return [{"day": day, "model": model, "usd": round(usd, 6)} for (day, model), usd in sorted(totals.items())]


__all__ = ["by_day_model", "register"]
