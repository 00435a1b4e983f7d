"""The store contract, run against SQLite and PostgreSQL alike (conftest parametrizes `ledger`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.ledger import BudgetExceeded, Checked, Identity, LedgerError, LedgerStore

from .helpers import budgets, run

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
Open = Callable[..., LedgerStore]


def test_reopening_keeps_rows_and_does_not_remigrate(open_store: Open) -> None:
    first = open_store()
    reservation = first.reserve(run(0.2), budgets(), now=NOW)
    first.settle(reservation, Usage(input_tokens=10, output_tokens=20), 0.15, "applied", now=NOW)
    first.close()
    (record,) = open_store().runs()
    assert record.outcome == "applied" and record.act_usd == 0.15


def test_row_has_estimate_actual_and_identity(open_store: Open) -> None:
    ledger = open_store(identity=Identity(person="ada@example.com", team="platform"))
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
    assert record.est_cache_read_tokens == 1500
    assert (record.act_input_tokens, record.act_output_tokens, record.act_reasoning_tokens) == (2100, 900, 300)
    assert (record.act_cache_read_tokens, record.act_cache_write_tokens) == (50, 7)
    assert record.act_usd == 0.33 and record.latency_ms == 4200
    assert record.started_at == NOW and record.finished_at == NOW + timedelta(seconds=5)
    assert (record.person, record.team, record.lease_s) == ("ada@example.com", "platform", 120.0)


def test_each_attempt_records_its_strategy_and_its_check(ledger: LedgerStore) -> None:
    """Runs that check their work: the strategy is known at the reservation, the verdict at the settlement."""
    first = ledger.reserve(run().model_copy(update={"strategy": "cascade"}), budgets(), now=NOW)
    second = ledger.reserve(run().model_copy(update={"strategy": "cascade"}), budgets(), now=NOW)
    plain = ledger.reserve(run(), budgets(), now=NOW)
    failed = ledger.settle(first, Usage(), 0.01, "rejected", now=NOW,
                           checked=Checked(verified="fail", flagged=True))
    passed = ledger.settle(second, Usage(), 0.02, "applied", now=NOW, checked=Checked(verified="pass", offered=True))
    unchecked = ledger.abandon(plain, "cancelled", now=NOW)
    assert (failed.strategy, failed.verified, failed.flagged, failed.offered) == ("cascade", "fail", True, False)
    assert (passed.strategy, passed.verified, passed.flagged, passed.offered) == ("cascade", "pass", False, True)
    assert (unchecked.strategy, unchecked.verified, unchecked.flagged) == (None, None, False)


def test_latency_defaults_to_wall_clock(ledger: LedgerStore) -> None:
    reservation = ledger.reserve(run(), budgets(), now=NOW)
    record = ledger.abandon(reservation, "cancelled", now=NOW + timedelta(milliseconds=1500))
    assert record.latency_ms == 1500 and record.act_usd == 0.0 and record.act_output_tokens is None


def test_settle_releases_the_reservation_and_charges_actual(ledger: LedgerStore) -> None:
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


def test_refusal_writes_a_row_and_counts_nothing(ledger: LedgerStore) -> None:
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


def test_monthly_cap_counts_earlier_days(ledger: LedgerStore) -> None:
    caps = budgets(daily=5.0, monthly=6.0)
    for day in range(1, 4):
        moment = NOW.replace(day=day)
        reservation = ledger.reserve(run(1.5, high=2.0), caps, now=moment)
        ledger.settle(reservation, Usage(), 1.9, "applied", now=moment)
    with pytest.raises(BudgetExceeded) as refused:
        ledger.reserve(run(0.5, high=0.6), caps, now=NOW.replace(day=4))
    assert refused.value.scope == "monthly" and refused.value.spent_usd == pytest.approx(5.7)
    ledger.reserve(run(0.5, high=0.6), caps, now=NOW.replace(month=4, day=1))  # a new month


def test_personal_caps_count_each_persons_runs_and_team_caps_the_teams(open_store: Open) -> None:
    ada = open_store(identity=Identity(person="ada", team="platform"))
    bob = open_store(identity=Identity(person="bob", team="platform"))
    eve = open_store(identity=Identity(person="eve", team="web"))
    caps = budgets(daily=1.0, team_daily=1.5)
    ada.reserve(run(0.5, high=0.9), caps, now=NOW)
    eve.reserve(run(0.5, high=0.9), caps, now=NOW)  # another team: counts against neither
    bob.reserve(run(0.3, high=0.6), caps, now=NOW)  # bob's own cap is untouched by ada's run
    with pytest.raises(BudgetExceeded) as team_full:
        bob.reserve(run(0.01, high=0.01), caps, now=NOW)  # 0.9 + 0.6 fills the team's 1.5
    assert team_full.value.scope == "team_daily" and team_full.value.team == "platform"
    assert team_full.value.spent_usd == 0.0 and team_full.value.reserved_usd == pytest.approx(1.5)
    with pytest.raises(BudgetExceeded) as own_full:
        eve.reserve(run(0.1, high=0.2), caps, now=NOW)  # eve alone: 0.9 + 0.2 > her 1.0
    assert own_full.value.scope == "daily"
    assert bob.committed("day", NOW).reserved_usd == pytest.approx(0.6)
    assert bob.committed("day", NOW, team=True).reserved_usd == pytest.approx(1.5)
    status = bob.status(caps, now=NOW)
    assert status["team"] == "platform" and status["team_reserved_today_usd"] == pytest.approx(1.5)
    assert status["team_daily_usd"] == 1.5 and status["reserved_today_usd"] == pytest.approx(0.6)


def test_without_a_team_name_the_team_is_everyone_on_the_ledger(open_store: Open) -> None:
    one, two = open_store(identity=Identity(person="a")), open_store(identity=Identity(person="b"))
    caps = budgets(team_monthly=1.0)
    one.reserve(run(0.5, high=0.6), caps, now=NOW)
    with pytest.raises(BudgetExceeded) as refused:
        two.reserve(run(0.3, high=0.41), caps, now=NOW)
    assert refused.value.scope == "team_monthly" and "everyone on this ledger" in str(refused.value)


def test_overrun_is_recorded_and_blocks_later_runs(ledger: LedgerStore) -> None:
    caps = budgets(daily=1.0)
    reservation = ledger.reserve(run(0.4, high=0.5), caps, now=NOW)
    ledger.settle(reservation, Usage(output_tokens=9000), 1.2, "applied", now=NOW)
    assert ledger.spent("day", NOW) == pytest.approx(1.2)
    with pytest.raises(BudgetExceeded):
        ledger.reserve(run(0.0, high=0.01), caps, now=NOW)


def test_extend_checks_the_cap_and_keeps_the_old_hold_on_refusal(ledger: LedgerStore) -> None:
    caps = budgets(daily=1.0)
    reservation = ledger.reserve(run(0.2, high=0.3), caps, now=NOW)
    bigger = ledger.extend(reservation, 0.5, caps)
    assert bigger.reserved_usd == pytest.approx(0.8)
    assert ledger.get(bigger.run_id).reserved_usd == pytest.approx(0.8)
    with pytest.raises(BudgetExceeded):
        ledger.extend(bigger, 0.3, caps)
    assert ledger.committed("day", NOW).reserved_usd == pytest.approx(0.8)
    ledger.settle(bigger, Usage(), 0.7, "applied", now=NOW)
    with pytest.raises(LedgerError, match="not in progress"):
        ledger.extend(bigger, 0.1, caps)


def test_a_run_finishes_once(ledger: LedgerStore) -> None:
    reservation = ledger.reserve(run(), budgets(), now=NOW)
    ledger.settle(reservation, Usage(), 0.1, "applied", now=NOW)
    with pytest.raises(LedgerError, match="not in progress"):
        ledger.abandon(reservation, "error", "late failure", now=NOW)
    with pytest.raises(ValueError, match="cannot end"):
        ledger.settle(reservation, Usage(), 0.1, "pending", now=NOW)  # type: ignore[arg-type]


def test_abandon_with_partial_usage(ledger: LedgerStore) -> None:
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


def test_a_lease_nobody_renews_is_released(open_store: Open) -> None:
    """The reserving store is closed (its process is gone); another store releases the run once
    its lease has run out, and counts it at its reservation (the provider may have billed it)."""
    caps = budgets(daily=1.0)
    start = datetime.now(UTC)
    first = open_store(lease=timedelta(seconds=60))
    crashed = first.reserve(run(0.3, high=0.4), caps, now=start)
    first.close()
    other = open_store()
    assert other.release_stale(now=start + timedelta(seconds=59)) == []  # lease still running
    assert other.release_stale(now=start + timedelta(seconds=61)) == [crashed.run_id]
    released = other.get(crashed.run_id)
    assert released.outcome == "error" and released.error == "interrupted"
    assert released.charged_usd == pytest.approx(0.4)
    # A late settle still records what the interrupted run really cost.
    late = other.settle(crashed, Usage(output_tokens=5), 0.05, "applied", now=start)
    assert late.outcome == "applied" and late.charged_usd == 0.05


def test_a_renewed_lease_holds_and_the_holder_never_releases_its_own(open_store: Open) -> None:
    holder = open_store(lease=timedelta(seconds=60))
    reservation = holder.reserve(run(), budgets())
    renewed_at = datetime.now(UTC) + timedelta(seconds=50)
    assert holder.renew(now=renewed_at) == [reservation.run_id]
    other = open_store()
    assert other.release_stale(now=renewed_at + timedelta(seconds=59)) == []
    assert holder.release_stale(now=renewed_at + timedelta(hours=1)) == []  # its own, still held
    assert other.release_stale(now=renewed_at + timedelta(seconds=61)) == [reservation.run_id]


def test_the_heartbeat_renews_while_the_run_lives(open_store: Open) -> None:
    holder = open_store(lease=timedelta(seconds=0.4))  # renewed every 0.1 s
    reservation = holder.reserve(run(), budgets())
    for _ in range(500):  # wait for a renewal to land; no assertion on how long it took
        if holder.get(reservation.run_id).renewed_at is not None:
            break
        time.sleep(0.02)
    first = holder.get(reservation.run_id).renewed_at
    assert first is not None and first >= reservation.started_at
    holder.settle(reservation, Usage(), 0.01, "answered")
    assert holder.renew() == []  # a settled run is no longer held


def test_orphan_limit_releases_even_a_renewed_run(open_store: Open) -> None:
    start = datetime.now(UTC)
    holder = open_store(orphan_after=timedelta(hours=24))
    reservation = holder.reserve(run(), budgets(), now=start)
    holder._renew([reservation.run_id], now=start + timedelta(hours=30))  # as if renewed all along
    other = open_store(orphan_after=timedelta(hours=24))
    assert other.release_stale(now=start + timedelta(hours=23, seconds=1)) == []
    assert other.release_stale(now=start + timedelta(hours=30, seconds=1)) == [reservation.run_id]


def test_status_keys(ledger: LedgerStore) -> None:
    caps = budgets(daily=3.0, monthly=30.0)
    reservation = ledger.reserve(run(0.5, high=1.0), caps, now=NOW)
    ledger.settle(reservation, Usage(), 0.5, "applied", now=NOW)
    ledger.reserve(run(0.5, high=1.0), caps, now=NOW)
    status = ledger.status(caps, now=NOW)
    assert status["spent_today_usd"] == pytest.approx(0.5)
    assert status["spent_month_usd"] == pytest.approx(0.5)
    assert status["reserved_today_usd"] == pytest.approx(1.0)
    assert (status["daily_usd"], status["monthly_usd"]) == (3.0, 30.0)
    assert "team_daily_usd" not in status  # no team caps: no team figures


def test_a_closed_store_raises_ledger_errors(open_store: Open) -> None:
    ledger = open_store()
    ledger.close()
    with pytest.raises(LedgerError):
        ledger.status(budgets())
    with pytest.raises(LedgerError):
        ledger.reserve(run(), budgets())
