"""The report: spend by day, model and category, and how good the estimates were.

`build_report` is pure over ledger rows; rendering is thin on top (the command is in `cli.py`).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from rich.console import Console, Group, RenderableType
from rich.table import Table

from modelroute.ledger.budget import as_utc, utc_now
from modelroute.ledger.model import COMPLETED_OUTCOMES, RunRecord


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DaySpend(_Frozen):
    day: str  # YYYY-MM-DD, UTC
    runs: int
    usd: float


class ModelSpend(_Frozen):
    model: str
    provider: str
    runs: int
    usd: float
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0  # of input_tokens, read from the provider's prompt cache
    cache_write_tokens: int = 0  # of input_tokens, written to it


class CategorySpend(_Frozen):
    category: str
    runs: int
    usd: float


class WhoSpend(_Frozen):
    """Spend of one person or one team ("" = not named: runs from before identities, or no team)."""

    name: str
    runs: int
    usd: float
    reserved_usd: float  # held by their runs still in progress


class EstimateError(_Frozen):
    """Point estimate vs actual cost, over completed runs with a known actual cost.

    `mean_signed_error_usd` is mean(estimated - actual): positive means estimates ran high.
    `mape_pct` is the mean of |estimated - actual| / actual over runs with actual > 0."""

    model: str  # catalog id, or "all"
    runs: int
    estimated_usd: float
    actual_usd: float
    mape_pct: float | None
    mean_signed_error_usd: float
    mean_signed_error_pct: float | None
    within_range_pct: float  # share of runs whose actual cost fell inside [low, high]
    # Prompt caching, estimated against reported: the cache reads the estimates expected and the
    # ones the API reported, over the same runs (the estimates price the expected reads).
    expected_cache_read_tokens: int = 0
    cache_read_tokens: int = 0


class Report(_Frozen):
    generated_at: datetime
    since: datetime | None
    until: datetime
    run_count: int  # runs started in the window, refused ones excluded
    refused_count: int
    in_progress: int
    total_usd: float  # spend of finished runs (interrupted runs at their reservation)
    reserved_usd: float  # held by runs still in progress
    outcomes: dict[str, int]
    by_day: list[DaySpend]
    by_model: list[ModelSpend]
    by_category: list[CategorySpend]
    by_person: list[WhoSpend]
    by_team: list[WhoSpend]
    estimate_error: list[EstimateError]  # one per model, then "all"


def _spend(record: RunRecord) -> float:
    return 0.0 if record.outcome == "pending" else record.charged_usd


def _usd(amount: float) -> float:
    """Sums of float prices carry ulp noise; a micro-dollar is finer than any bill."""
    return round(amount, 6)


def _estimate_error(model: str, records: Sequence[RunRecord]) -> EstimateError:
    pairs = [(r.est_usd, r.act_usd, r) for r in records if r.act_usd is not None]
    signed = [est - act for est, act, _ in pairs]
    relative = [(est - act) / act for est, act, _ in pairs if act > 0]
    inside = [r for _, act, r in pairs if r.est_low_usd - 1e-9 <= act <= r.est_high_usd + 1e-9]
    count = len(pairs)
    return EstimateError(
        model=model,
        runs=count,
        estimated_usd=_usd(sum(est for est, _, _ in pairs)),
        actual_usd=_usd(sum(act for _, act, _ in pairs)),
        mape_pct=100 * sum(abs(x) for x in relative) / len(relative) if relative else None,
        mean_signed_error_usd=_usd(sum(signed) / count) if count else 0.0,
        mean_signed_error_pct=100 * sum(relative) / len(relative) if relative else None,
        within_range_pct=100 * len(inside) / count if count else 0.0,
        expected_cache_read_tokens=sum(r.est_cache_read_tokens for _, _, r in pairs),
        cache_read_tokens=sum(r.act_cache_read_tokens or 0 for _, _, r in pairs),
    )


def _by_who(records: Sequence[RunRecord], key: str) -> list[WhoSpend]:
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for record in records:
        groups[str(getattr(record, key))].append(record)
    return sorted(
        (
            WhoSpend(
                name=name,
                runs=len(rs),
                usd=_usd(sum(_spend(r) for r in rs)),
                reserved_usd=_usd(sum(r.reserved_usd for r in rs if r.outcome == "pending")),
            )
            for name, rs in groups.items()
        ),
        key=lambda s: (-s.usd, s.name),
    )


def build_report(
    records: Iterable[RunRecord], since: datetime | None = None, now: datetime | None = None
) -> Report:
    moment = as_utc(now) if now is not None else utc_now()
    rows = list(records)
    counted = [r for r in rows if r.outcome != "refused_budget"]
    refused = len(rows) - len(counted)
    outcomes: dict[str, int] = defaultdict(int)
    if refused:
        outcomes["refused_budget"] = refused
    days: dict[str, list[RunRecord]] = defaultdict(list)
    models: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    categories: dict[str, list[RunRecord]] = defaultdict(list)
    for record in counted:
        outcomes[record.outcome] += 1
        days[record.started_at.strftime("%Y-%m-%d")].append(record)
        models[(record.model, record.provider)].append(record)
        categories[record.category].append(record)
    completed = [r for r in counted if r.outcome in COMPLETED_OUTCOMES and r.act_usd is not None]
    by_model_completed: dict[str, list[RunRecord]] = defaultdict(list)
    for record in completed:
        by_model_completed[record.model].append(record)
    errors = [_estimate_error(m, rs) for m, rs in sorted(by_model_completed.items())]
    if completed:
        errors.append(_estimate_error("all", completed))
    return Report(
        generated_at=moment,
        since=as_utc(since) if since is not None else None,
        until=moment,
        run_count=len(counted),
        refused_count=refused,
        in_progress=sum(1 for r in counted if r.outcome == "pending"),
        total_usd=_usd(sum(_spend(r) for r in counted)),
        reserved_usd=_usd(sum(r.reserved_usd for r in counted if r.outcome == "pending")),
        outcomes=dict(sorted(outcomes.items())),
        by_day=[
            DaySpend(day=day, runs=len(rs), usd=_usd(sum(_spend(r) for r in rs)))
            for day, rs in sorted(days.items())
        ],
        by_model=sorted(
            (
                ModelSpend(
                    model=model,
                    provider=provider,
                    runs=len(rs),
                    usd=_usd(sum(_spend(r) for r in rs)),
                    input_tokens=sum(r.act_input_tokens or 0 for r in rs),
                    output_tokens=sum(r.act_output_tokens or 0 for r in rs),
                    cache_read_tokens=sum(r.act_cache_read_tokens or 0 for r in rs),
                    cache_write_tokens=sum(r.act_cache_write_tokens or 0 for r in rs),
                )
                for (model, provider), rs in models.items()
            ),
            key=lambda s: (-s.usd, s.model),
        ),
        by_category=sorted(
            (
                CategorySpend(category=c, runs=len(rs), usd=_usd(sum(_spend(r) for r in rs)))
                for c, rs in categories.items()
            ),
            key=lambda s: (-s.usd, s.category),
        ),
        by_person=_by_who(counted, "person"),
        by_team=_by_who(counted, "team"),
        estimate_error=errors,
    )


def _money(usd: float | None) -> str:
    if usd is None:
        return "–"
    sign = "-" if usd < 0 else ""
    return f"{sign}${abs(usd):,.4f}" if abs(usd) < 1 else f"{sign}${abs(usd):,.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}%" if value < 0 else f"{value:.1f}%"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _spend_table(title: str, label: str, rows: Sequence[tuple[str, int, float]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    table.add_column("runs", justify="right")
    table.add_column("USD", justify="right")
    for key, runs, usd in rows:
        table.add_row(key, str(runs), _money(usd))
    return table


def _who_table(title: str, label: str, rows: Sequence[WhoSpend]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (label, "runs", "USD", "held"):
        table.add_column(column, justify="left" if column == label else "right")
    for who in rows:
        table.add_row(who.name or "(not named)", str(who.runs), _money(who.usd), _money(who.reserved_usd))
    return table


def render_report_table(report: Report, by: Sequence[str] = ()) -> RenderableType:
    """The report as rich tables: summary, spend by day, model and category, estimate error; by
    person and by team when asked for (`by`) or when the ledger holds more than one."""
    window = f"since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else "all time"
    outcome_text = ", ".join(f"{k} {v}" for k, v in report.outcomes.items()) or "none"
    summary = (
        f"modelroute spend, {window}: {_money(report.total_usd)} over {plural(report.run_count, 'run')}"
        f" ({report.in_progress} in progress holding {_money(report.reserved_usd)};"
        f" {report.refused_count} refused by budget)\noutcomes: {outcome_text}"
    )
    models = Table(title="By model", title_justify="left")
    for column in ("model", "provider", "runs", "input tok", "output tok", "USD"):
        models.add_column(column, justify="left" if column in ("model", "provider") else "right")
    for m in report.by_model:
        models.add_row(
            m.model, m.provider, str(m.runs), f"{m.input_tokens:,}", f"{m.output_tokens:,}", _money(m.usd)
        )
    errors = Table(title="Estimate error (point estimate vs actual USD)", title_justify="left")
    for column in (
        "model", "runs", "estimated", "actual", "MAPE", "mean signed", "signed %", "in range", "cache est/act"
    ):
        errors.add_column(column, justify="left" if column == "model" else "right")
    for e in report.estimate_error:
        errors.add_row(
            e.model, str(e.runs), _money(e.estimated_usd), _money(e.actual_usd), _pct(e.mape_pct),
            _money(e.mean_signed_error_usd), _pct(e.mean_signed_error_pct), f"{e.within_range_pct:.0f}%",
            f"{e.expected_cache_read_tokens:,} / {e.cache_read_tokens:,}",
        )
    if not report.run_count and not report.refused_count:
        return Group(summary, "No runs recorded in this window.")
    who: list[RenderableType] = []
    if "person" in by or len(report.by_person) > 1:
        who.append(_who_table("By person", "person", report.by_person))
    if "team" in by or len(report.by_team) > 1:
        who.append(_who_table("By team", "team", report.by_team))
    return Group(
        summary,
        _spend_table("By day (UTC)", "day", [(d.day, d.runs, d.usd) for d in report.by_day]),
        models,
        _spend_table("By category", "category", [(c.category, c.runs, c.usd) for c in report.by_category]),
        *who,
        errors,
    )


def report_text(report: Report, width: int = 100, by: Sequence[str] = ()) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, highlight=False).print(render_report_table(report, by))
    return buffer.getvalue()


def report_json(report: Report) -> str:
    return report.model_dump_json(indent=2)
