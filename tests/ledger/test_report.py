from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.ledger import (
    BudgetExceeded,
    Identity,
    Ledger,
    LedgerStore,
    build_report,
    report_main,
    report_text,
)

from .helpers import budgets, run

DAY1 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def _fill(ledger: Ledger) -> None:
    caps = budgets(daily=2.0)
    # claude: estimated 0.20 and 0.40, actual 0.25 and 0.30 on day 1
    r = ledger.reserve(run(0.20, high=0.3, category=Category.DEBUGGING), caps, now=DAY1)
    ledger.settle(r, Usage(input_tokens=1000, output_tokens=800), 0.25, "applied", 900, now=DAY1)
    r = ledger.reserve(run(0.40, high=0.6, category=Category.QUICK_EDIT), caps, now=DAY1)
    ledger.settle(r, Usage(input_tokens=2000, output_tokens=400), 0.30, "rejected", 700, now=DAY1)
    # gpt on day 2: estimated 0.10, actual 0.10; one cancelled with partial spend; one pending
    r = ledger.reserve(
        run(0.10, high=0.2, model="gpt-5.3-codex", category=Category.CODE_REVIEW), caps, now=DAY2
    )
    ledger.settle(r, Usage(input_tokens=500, output_tokens=300), 0.10, "reviewed", 400, now=DAY2)
    r = ledger.reserve(run(0.10, high=0.2, model="gpt-5.3-codex"), caps, now=DAY2)
    ledger.abandon(r, "cancelled", usage=Usage(input_tokens=500, output_tokens=20), actual_usd=0.01, now=DAY2)
    ledger.reserve(run(0.50, high=0.9, model="gpt-5.3-codex"), caps, now=DAY2)
    with pytest.raises(BudgetExceeded):
        ledger.reserve(run(1.0, high=1.5), caps, now=DAY2)


def test_report_figures(ledger: Ledger) -> None:
    _fill(ledger)
    report = ledger.report(now=DAY2)
    assert report.run_count == 5 and report.refused_count == 1 and report.in_progress == 1
    assert report.total_usd == pytest.approx(0.66)
    assert report.reserved_usd == pytest.approx(0.9)
    assert report.outcomes == {
        "applied": 1,
        "cancelled": 1,
        "pending": 1,
        "refused_budget": 1,
        "rejected": 1,
        "reviewed": 1,
    }
    assert [(d.day, d.runs, round(d.usd, 6)) for d in report.by_day] == [
        ("2026-05-01", 2, 0.55),
        ("2026-05-02", 3, 0.11),
    ]
    claude, gpt = report.by_model
    assert (claude.model, claude.runs, claude.input_tokens, claude.output_tokens) == (
        "claude-sonnet-4-5",
        2,
        3000,
        1200,
    )
    assert claude.usd == pytest.approx(0.55) and gpt.usd == pytest.approx(0.11) and gpt.provider == "openai"
    categories = {c.category: (c.runs, round(c.usd, 6)) for c in report.by_category}
    assert categories == {"debugging": (1, 0.25), "quick_edit": (3, 0.31), "code_review": (1, 0.10)}


def test_estimate_error(ledger: Ledger) -> None:
    _fill(ledger)
    errors = {e.model: e for e in ledger.report(now=DAY2).estimate_error}
    claude = errors["claude-sonnet-4-5"]
    # |0.20-0.25|/0.25 = 20%, |0.40-0.30|/0.30 = 33.3%
    assert claude.runs == 2 and claude.mape_pct == pytest.approx((20 + 100 / 3) / 2)
    assert claude.mean_signed_error_usd == pytest.approx(((0.20 - 0.25) + (0.40 - 0.30)) / 2)
    assert claude.mean_signed_error_pct == pytest.approx((-20 + 100 / 3) / 2)
    assert claude.within_range_pct == 100.0  # 0.25 in [0.10, 0.30]; 0.30 in [0.20, 0.60]
    gpt = errors["gpt-5.3-codex"]
    assert gpt.runs == 1 and gpt.mape_pct == pytest.approx(0.0)  # cancelled and pending runs excluded
    assert errors["all"].runs == 3


def test_since_filters_and_empty_report(ledger: Ledger) -> None:
    _fill(ledger)
    assert ledger.report(since=DAY2.replace(hour=0), now=DAY2).run_count == 3
    empty = build_report([], now=DAY2)
    assert empty.run_count == 0 and empty.estimate_error == [] and empty.total_usd == 0.0
    assert "0 runs" in report_text(empty)


def test_table_rendering(ledger: Ledger) -> None:
    _fill(ledger)
    text = report_text(ledger.report(now=DAY2), width=120)
    for expected in (
        "By day (UTC)",
        "2026-05-01",
        "By model",
        "claude-sonnet-4-5",
        "By category",
        "Estimate error",
        "MAPE",
        "26.7%",
        "$0.0250",
    ):
        assert expected in text, expected


def test_report_main_json(ledger: Ledger, ledger_target: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    caps = budgets()
    reservation = ledger.reserve(run(0.2), caps, now=now)
    ledger.settle(reservation, Usage(output_tokens=500), 0.18, "applied", now=now)
    ledger.reserve(run(0.2), caps, now=now - timedelta(days=40))  # outside --days 30
    assert report_main(["--json", "--ledger", ledger_target]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_count"] == 1 and data["total_usd"] == pytest.approx(0.18)
    assert {"by_day", "by_model", "by_category", "by_person", "by_team", "estimate_error", "outcomes"} <= set(data)
    assert report_main(["--json", "--days", "60", "--ledger", ledger_target]) == 0
    assert json.loads(capsys.readouterr().out)["run_count"] == 2


def test_report_main_table_and_env(
    ledger_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODELROUTE_DATA_DIR", str(ledger_path.parent))
    assert report_main([]) == 0  # no ledger yet: an empty report, and no file created
    assert not ledger_path.exists()
    captured = capsys.readouterr()
    assert "0 runs" in captured.out
    assert f"no runs recorded yet (the ledger {ledger_path} does not exist)" in captured.err
    with Ledger() as ledger:
        reservation = ledger.reserve(run(0.2), budgets())
        ledger.settle(reservation, Usage(output_tokens=500), 0.18, "applied")
    assert report_main(["--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "claude-sonnet-4-5" in out and "over 1 run (" in out  # not "1 runs"


def test_report_main_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report_main(["--days", "0"]) == 2
    assert "--days takes a whole number of days, 1 or more (got 0)" in capsys.readouterr().err
    assert report_main(["--days", "abc"]) == 2
    err = capsys.readouterr().err
    assert "--days takes a whole number of days, 1 or more (got 'abc')" in err
    assert "_positive_int" not in err and "invalid" not in err
    assert report_main(["--bogus"]) == 2
    missing = tmp_path / "nowhere" / "ledger.sqlite3"
    assert report_main(["--ledger", str(missing)]) == 2  # a named ledger that is not there is an error
    assert f"no ledger at {missing}" in capsys.readouterr().err
    assert not missing.parent.exists()  # and nothing was created there
    assert report_main(["--ledger", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    assert report_main(["--ledger", str(bad)]) == 1
    assert "cannot open the ledger" in capsys.readouterr().err


def test_group_by_person_and_team(open_store: Callable[..., LedgerStore], ledger_target: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    for person, team, usd in (("ada", "platform", 0.30), ("bob", "platform", 0.10), ("eve", "web", 0.05)):
        store = open_store(identity=Identity(person=person, team=team))
        reservation = store.reserve(run(usd, high=usd * 2), budgets(), now=now)
        store.settle(reservation, Usage(output_tokens=10), usd, "applied", now=now)
    open_store(identity=Identity(person="bob", team="platform")).reserve(run(0.2, high=0.4), budgets(), now=now)
    assert report_main(["--json", "--ledger", ledger_target]) == 0
    data = json.loads(capsys.readouterr().out)
    people = {p["name"]: (p["runs"], p["usd"], p["reserved_usd"]) for p in data["by_person"]}
    assert people == {"ada": (1, 0.3, 0.0), "bob": (2, 0.1, 0.4), "eve": (1, 0.05, 0.0)}
    teams = {t["name"]: (t["runs"], t["usd"]) for t in data["by_team"]}
    assert teams == {"platform": (3, pytest.approx(0.4)), "web": (1, 0.05)}
    assert report_main(["--ledger", ledger_target, "--by", "team"]) == 0
    text = capsys.readouterr().out
    assert "By person" in text and "By team" in text and "platform" in text


def test_one_person_shows_no_person_table_unless_asked(ledger: Ledger) -> None:
    reservation = ledger.reserve(run(0.2), budgets())
    ledger.settle(reservation, Usage(), 0.1, "applied")
    report = ledger.report()
    assert "By person" not in report_text(report, width=120)
    assert "By person" in report_text(report, width=120, by=("person",))


def test_cache_reads_estimated_and_reported(ledger: Ledger) -> None:
    now = datetime.now(UTC)
    reservation = ledger.reserve(run(0.2), budgets(), now=now)  # the helper's estimate expects 1,500
    usage = Usage(input_tokens=2_000, output_tokens=300, cache_read_tokens=1_200, cache_write_tokens=400)
    ledger.settle(reservation, usage, 0.15, "applied", now=now)
    report = ledger.report()
    (model,) = report.by_model
    assert (model.cache_read_tokens, model.cache_write_tokens) == (1_200, 400)
    overall = report.estimate_error[-1]
    assert (overall.expected_cache_read_tokens, overall.cache_read_tokens) == (1_500, 1_200)
    assert "1,500 / 1,200" in report_text(report, width=160)
