"""What only the shared PostgreSQL store must prove, on a real server: machines racing for one team
cap never overspend, a killed process's reservation is released by its lease, and a database that
goes away mid-run gives a clear error and lets no run start without a reservation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from modelroute.cost.actual import Usage
from modelroute.ledger import Identity, LedgerError, LedgerUnavailable
from modelroute.ledger.postgres import PostgresLedger, display_url

from . import concurrent_worker as cw
from . import lease_worker
from .helpers import budgets, run
from .pgserver import PgServer

TEAM_CAP = 1.0
FITS = int(TEAM_CAP / cw.RESERVE_USD + 1e-9)  # 14 reservations of $0.07 fit under $1.00


def _spawn(url: str, mode: str, person: str, threads: int, attempts: int, seed: int) -> subprocess.Popen[str]:
    args = [url, str(TEAM_CAP), mode, str(threads), str(attempts), str(seed), person]
    return subprocess.Popen([sys.executable, str(Path(cw.__file__)), *args], stdout=subprocess.PIPE, text=True)


def _collect(process: subprocess.Popen[str]) -> dict[str, int]:
    out, _ = process.communicate(timeout=240)
    assert process.returncode == 0
    result: dict[str, int] = json.loads(out)
    return result


def _team_charged(url: str) -> float:
    with PostgresLedger(url) as ledger:
        return sum(r.charged_usd for r in ledger.runs() if r.outcome != "refused_budget" and r.team == "t")


def test_four_processes_of_twenty_runs_book_exactly_what_the_team_cap_allows(pg_url: str) -> None:
    PostgresLedger(pg_url).close()  # migrate once, so the race is about budgets only
    children = [_spawn(pg_url, "hold", f"dev{i}", threads=20, attempts=FITS + 1, seed=i) for i in range(4)]
    results = [_collect(child) for child in children]
    assert sum(r["reserved"] for r in results) == FITS
    assert sum(r["refused"] for r in results) == 80  # every run that did not fit was refused
    assert sum(r["violations"] for r in results) == 0
    assert _team_charged(pg_url) <= TEAM_CAP + 1e-9


def test_four_processes_of_twenty_churning_runs_never_overspend(pg_url: str) -> None:
    PostgresLedger(pg_url).close()
    children = [_spawn(pg_url, "churn", f"dev{i}", threads=20, attempts=6, seed=i) for i in range(4)]
    results = [_collect(child) for child in children]
    assert sum(r["violations"] for r in results) == 0
    assert sum(r["refused"] for r in results) > 0  # the cap was really reached
    with PostgresLedger(pg_url) as ledger:
        rows = ledger.runs()
        assert not [r for r in rows if r.outcome == "pending"]
        assert len(rows) == sum(r["reserved"] + r["refused"] for r in results) == 480
        assert {r.person for r in rows} == {"dev0", "dev1", "dev2", "dev3"}
    assert _team_charged(pg_url) <= TEAM_CAP + 1e-9


def test_a_killed_process_releases_its_reservation_after_the_lease(pg_url: str) -> None:
    lease = timedelta(seconds=1)
    child = subprocess.Popen(
        [sys.executable, str(Path(lease_worker.__file__)), pg_url, str(lease.total_seconds())],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        run_id = int(child.stdout.readline())
        with PostgresLedger(pg_url) as watcher:
            renewals: set[object] = set()
            for _ in range(1000):  # the live process renews (every 0.25 s); wait for two renewals
                renewals.add(watcher.get(run_id).renewed_at)
                if len(renewals - {None}) >= 2:
                    break
                time.sleep(0.02)
            assert len(renewals - {None}) >= 2, "the lease was never renewed while the process lived"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            last = watcher.get(run_id).renewed_at  # no renewal can follow the kill
            assert last is not None
            assert watcher.get(run_id).outcome == "pending"
            assert watcher.release_stale(now=last + lease - timedelta(milliseconds=100)) == []
            assert watcher.release_stale(now=last + lease + timedelta(milliseconds=100)) == [run_id]
            released = watcher.get(run_id)
            assert released.outcome == "error" and released.error == "interrupted"
            assert released.charged_usd == pytest.approx(0.4)  # counted at its reservation
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)


def test_the_database_going_away_mid_run(own_server: PgServer) -> None:
    url = own_server.create_database("ledger")
    ledger = PostgresLedger(url, identity=Identity(person="ada", team="t"))
    try:
        running = ledger.reserve(run(0.3, high=0.4), budgets())
        own_server.stop("fast")  # the database goes away while the run is with the model
        with pytest.raises(LedgerUnavailable) as settle_error:
            ledger.settle(running, Usage(output_tokens=100), 0.2, "applied")
        message = str(settle_error.value)
        assert "cannot reach the ledger database" in message and "no run starts without a reservation" in message
        assert ledger.unsettled == [running.run_id]  # kept, not lost
        with pytest.raises(LedgerUnavailable):  # no run starts without a reservation
            ledger.reserve(run(), budgets())
        with pytest.raises(LedgerUnavailable):
            ledger.status(budgets())
        own_server.start()  # back: the store reconnects on its own ...
        after = ledger.reserve(run(0.1, high=0.2), budgets())
        rows = {r.id: r for r in ledger.runs()}
        # ... and the settlement it kept is written before anything else.
        assert ledger.unsettled == []
        assert rows[running.run_id].outcome == "applied" and rows[running.run_id].act_usd == 0.2
        assert rows[after.run_id].outcome == "pending"
        assert ledger.committed("day").total_usd == pytest.approx(0.2 + 0.2)
    finally:
        ledger.close()


def test_a_kept_settlement_is_written_by_the_heartbeat(own_server: PgServer) -> None:
    """No other write needed: the lease heartbeat flushes it once the database is back."""
    url = own_server.create_database("ledger")
    ledger = PostgresLedger(url, lease=timedelta(seconds=0.4))  # heartbeat every 0.1 s
    try:
        running = ledger.reserve(run(0.3, high=0.4), budgets())
        own_server.stop("fast")
        with pytest.raises(LedgerUnavailable):
            ledger.abandon(running, "cancelled", usage=Usage(output_tokens=5), actual_usd=0.01)
        own_server.start()
        for _ in range(1500):  # until the heartbeat has written it; no assertion on how long
            if not ledger.unsettled:
                break
            time.sleep(0.02)
        assert ledger.unsettled == []
        with PostgresLedger(url) as reader:
            done = reader.get(running.run_id)
        assert (done.outcome, done.act_usd) == ("cancelled", 0.01)
    finally:
        ledger.close()


def test_an_unreachable_database_is_a_clear_error_that_hides_the_password(tmp_path: Path) -> None:
    url = f"postgresql://ada:s3cret-pw@/ledger?host={tmp_path}/nowhere"
    with pytest.raises(LedgerUnavailable) as refused:
        PostgresLedger(url)
    message = str(refused.value)
    assert "s3cret-pw" not in message and "ada:***@" in message
    assert "no run starts without a reservation" in message and "MODELROUTE_LEDGER_URL" in message
    assert display_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert display_url("postgresql://u:p@h:5433/db") == "postgresql://u:***@h:5433/db"


def test_newer_schema_is_refused_with_a_clear_error(pg_url: str) -> None:
    PostgresLedger(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="schema version 99"):
        PostgresLedger(pg_url)


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_first_opens_migrate_once(pg_url: str, round_: int) -> None:
    """Six processes open one empty database at once: one migrates, the others wait and find it
    done (this once failed when a process read the version through a stale catalog lookup)."""
    code = (
        "import sys; from modelroute.ledger.postgres import PostgresLedger; "
        "PostgresLedger(sys.argv[1]).close()"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code, pg_url], stderr=subprocess.PIPE, text=True) for _ in range(6)
    ]
    results = [(child.wait(timeout=120), child.stderr.read() if child.stderr else "") for child in children]
    assert [code for code, _ in results] == [0] * 6, [err for _, err in results if err]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert row is not None and row[0] == "2"


def test_report_on_an_unreachable_database_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from modelroute.ledger import report_main

    url = f"postgresql://ada:s3cret-pw@/ledger?host={tmp_path}/nowhere"
    assert report_main(["--ledger", url]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the ledger database" in err and "s3cret-pw" not in err
