from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.ledger import (
    BudgetExceeded,
    Ledger,
    LedgerError,
    data_dir,
    default_ledger_path,
)
from modelroute.ledger.schema import SCHEMA_VERSION

from .helpers import budgets, run

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


def test_opens_in_wal_mode_with_a_schema_version(ledger: Ledger, ledger_path: Path) -> None:
    conn = sqlite3.connect(ledger_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    conn.close()


def test_reopening_keeps_rows_and_does_not_remigrate(ledger_path: Path) -> None:
    with Ledger(ledger_path) as first:
        reservation = first.reserve(run(0.2), budgets(), now=NOW)
        first.settle(reservation, Usage(input_tokens=10, output_tokens=20), 0.15, "applied", now=NOW)
    with Ledger(ledger_path) as second:
        (record,) = second.runs()
        assert record.outcome == "applied" and record.act_usd == 0.15


def test_newer_schema_is_refused_with_a_clear_error(ledger_path: Path) -> None:
    Ledger(ledger_path).close()
    conn = sqlite3.connect(ledger_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger(ledger_path)


def test_garbage_file_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="cannot open the ledger"):
        Ledger(path)


def test_default_path_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODELROUTE_DATA_DIR", str(tmp_path / "d"))
    assert default_ledger_path() == tmp_path / "d" / "ledger.sqlite3"
    with Ledger() as opened:
        assert opened.path == tmp_path / "d" / "ledger.sqlite3"
    assert (tmp_path / "d" / "ledger.sqlite3").exists()
    monkeypatch.delenv("MODELROUTE_DATA_DIR")
    assert data_dir().name == "modelroute"


def test_row_has_estimate_and_actual(ledger: Ledger) -> None:
    start = run(0.30, high=0.45, category=Category.DEBUGGING, output=800)
    reservation = ledger.reserve(start, budgets(), now=NOW)
    assert reservation.reserved_usd == 0.45
    usage = Usage(
        input_tokens=2100, output_tokens=900, cache_read_tokens=50, cache_write_tokens=7, reasoning_tokens=300
    )
    record = ledger.settle(reservation, usage, 0.33, "applied", 4200, now=NOW + timedelta(seconds=5))
    assert (record.workspace, record.category, record.model, record.provider) == (
        "/ws/project",
        "debugging",
        "claude-sonnet-4-5",
        "anthropic",
    )
    assert (record.est_input_tokens, record.est_output_tokens, record.est_usd) == (2000, 800, 0.30)
    assert (record.act_input_tokens, record.act_output_tokens, record.act_reasoning_tokens) == (
        2100,
        900,
        300,
    )
    assert (record.act_cache_read_tokens, record.act_cache_write_tokens) == (50, 7)
    assert record.act_usd == 0.33 and record.latency_ms == 4200
    assert record.started_at == NOW and record.finished_at == NOW + timedelta(seconds=5)


def test_latency_defaults_to_wall_clock(ledger: Ledger) -> None:
    reservation = ledger.reserve(run(), budgets(), now=NOW)
    record = ledger.abandon(reservation, "cancelled", now=NOW + timedelta(milliseconds=1500))
    assert record.latency_ms == 1500 and record.act_usd == 0.0 and record.act_output_tokens is None


def test_settle_releases_the_reservation_and_charges_actual(ledger: Ledger) -> None:
    caps = budgets(daily=1.0)
    reservation = ledger.reserve(run(0.4, high=0.6), caps, now=NOW)
    assert ledger.committed("day", NOW).reserved_usd == pytest.approx(0.6)
    ledger.settle(reservation, Usage(output_tokens=10), 0.25, "answered", now=NOW)
    day = ledger.committed("day", NOW)
    assert day.spent_usd == pytest.approx(0.25) and day.reserved_usd == 0.0
    assert ledger.spent("day", NOW) == pytest.approx(0.25)
    assert ledger.spent("day", NOW + timedelta(days=1)) == 0.0
    assert ledger.spent("month", NOW + timedelta(days=1)) == pytest.approx(0.25)
    assert ledger.spent("month", NOW + timedelta(days=31)) == 0.0


def test_refusal_writes_a_row_and_counts_nothing(ledger: Ledger) -> None:
    caps = budgets(daily=1.0)
    ledger.reserve(run(0.5, high=0.7), caps, now=NOW)
    with pytest.raises(BudgetExceeded) as refused:
        ledger.reserve(run(0.2, high=0.31), caps, now=NOW)
    assert refused.value.scope == "daily" and refused.value.needed_usd == pytest.approx(0.31)
    row = ledger.get(refused.value.run_id)
    assert row.outcome == "refused_budget" and row.error == str(refused.value)
    assert row.finished_at == NOW
    assert ledger.committed("day", NOW).total_usd == pytest.approx(0.7)
    ledger.reserve(run(0.2, high=0.3), caps, now=NOW)  # exactly fills the cap


def test_monthly_cap_counts_earlier_days(ledger: Ledger) -> None:
    caps = budgets(daily=5.0, monthly=6.0)
    for day in range(1, 4):
        moment = NOW.replace(day=day)
        reservation = ledger.reserve(run(1.5, high=2.0), caps, now=moment)
        ledger.settle(reservation, Usage(), 1.9, "applied", now=moment)
    with pytest.raises(BudgetExceeded) as refused:
        ledger.reserve(run(0.5, high=0.6), caps, now=NOW.replace(day=4))
    assert refused.value.scope == "monthly" and refused.value.spent_usd == pytest.approx(5.7)
    ledger.reserve(run(0.5, high=0.6), caps, now=NOW.replace(month=4, day=1))  # a new month


def test_overrun_is_recorded_and_blocks_later_runs(ledger: Ledger) -> None:
    caps = budgets(daily=1.0)
    reservation = ledger.reserve(run(0.4, high=0.5), caps, now=NOW)
    ledger.settle(reservation, Usage(output_tokens=9000), 1.2, "applied", now=NOW)
    assert ledger.spent("day", NOW) == pytest.approx(1.2)
    with pytest.raises(BudgetExceeded):
        ledger.reserve(run(0.0, high=0.01), caps, now=NOW)


def test_extend_checks_the_cap_and_keeps_the_old_hold_on_refusal(ledger: Ledger) -> None:
    caps = budgets(daily=1.0)
    reservation = ledger.reserve(run(0.2, high=0.3), caps, now=NOW)
    bigger = ledger.extend(reservation, 0.5, caps)
    assert bigger.reserved_usd == pytest.approx(0.8) and ledger.get(
        bigger.run_id
    ).reserved_usd == pytest.approx(0.8)
    with pytest.raises(BudgetExceeded):
        ledger.extend(bigger, 0.3, caps)
    assert ledger.committed("day", NOW).reserved_usd == pytest.approx(0.8)
    ledger.settle(bigger, Usage(), 0.7, "applied", now=NOW)
    with pytest.raises(LedgerError, match="not in progress"):
        ledger.extend(bigger, 0.1, caps)


def test_a_run_finishes_once(ledger: Ledger) -> None:
    reservation = ledger.reserve(run(), budgets(), now=NOW)
    ledger.settle(reservation, Usage(), 0.1, "applied", now=NOW)
    with pytest.raises(LedgerError, match="not in progress"):
        ledger.abandon(reservation, "error", "late failure", now=NOW)
    with pytest.raises(ValueError, match="cannot end"):
        ledger.settle(reservation, Usage(), 0.1, "pending", now=NOW)  # type: ignore[arg-type]


def test_abandon_with_partial_usage(ledger: Ledger) -> None:
    reservation = ledger.reserve(run(0.5, high=0.8), budgets(), now=NOW)
    record = ledger.abandon(
        reservation,
        "error",
        "stream cut after 120 tokens",
        usage=Usage(input_tokens=2000, output_tokens=120),
        actual_usd=0.02,
        now=NOW,
    )
    assert record.outcome == "error" and record.error == "stream cut after 120 tokens"
    assert record.act_output_tokens == 120 and record.charged_usd == 0.02
    assert ledger.spent("day", NOW) == pytest.approx(0.02)


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(child.stdout)


def test_stale_runs_of_dead_processes_are_released_on_open(ledger_path: Path) -> None:
    caps = budgets(daily=1.0)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with Ledger(ledger_path) as first:
        mine = first.reserve(run(0.3, high=0.4), caps, now=hour_ago)
        crashed = first.reserve(run(0.3, high=0.4), caps, now=hour_ago)
    conn = sqlite3.connect(ledger_path)
    conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (_dead_pid(), crashed.run_id))
    conn.commit()
    conn.close()
    with Ledger(ledger_path, stale_after=timedelta(minutes=10)) as second:
        # Opening an hour later: the dead process's run is interrupted, ours is not.
        released = second.get(crashed.run_id)
        assert released.outcome == "error" and released.error == "interrupted"
        assert released.charged_usd == pytest.approx(0.4)  # counted at its reservation, not freed
        assert second.get(mine.run_id).outcome == "pending"
        # Our own process is alive: only the orphan age limit releases its run.
        assert second.release_stale(now=hour_ago + timedelta(hours=25)) == [mine.run_id]
        # A late settle still records what the interrupted run really cost.
        late = second.settle(crashed, Usage(output_tokens=5), 0.05, "applied", now=hour_ago)
        assert late.outcome == "applied" and late.charged_usd == 0.05


def test_young_stale_runs_are_left_alone(ledger: Ledger) -> None:
    reservation = ledger.reserve(run(), budgets())
    conn = sqlite3.connect(ledger.path)
    conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (_dead_pid(), reservation.run_id))
    conn.commit()
    conn.close()
    assert ledger.release_stale() == []
    assert ledger.release_stale(now=datetime.now(UTC) + timedelta(minutes=11)) == [reservation.run_id]


def test_status_keys(ledger: Ledger) -> None:
    caps = budgets(daily=3.0, monthly=30.0)
    reservation = ledger.reserve(run(0.5, high=1.0), caps, now=NOW)
    ledger.settle(reservation, Usage(), 0.5, "applied", now=NOW)
    ledger.reserve(run(0.5, high=1.0), caps, now=NOW)
    status = ledger.status(caps, now=NOW)
    assert status["spent_today_usd"] == pytest.approx(0.5)
    assert status["spent_month_usd"] == pytest.approx(0.5)
    assert status["reserved_today_usd"] == pytest.approx(1.0)
    assert (status["daily_usd"], status["monthly_usd"]) == (3.0, 30.0)


def test_sqlite_failures_surface_as_ledger_errors(ledger_path: Path) -> None:
    ledger = Ledger(ledger_path)
    ledger.close()
    with pytest.raises(LedgerError, match="read failed"):
        ledger.status(budgets())
    with pytest.raises(LedgerError):
        ledger.reserve(run(), budgets())
