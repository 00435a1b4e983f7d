"""Nothing is lost: a process killed mid-transaction leaves a clean ledger, readers never wait."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from modelroute.cost.actual import Usage
from modelroute.ledger import Ledger

from . import crash_worker
from .helpers import budgets, run

WORKER = Path(crash_worker.__file__)


def _assert_three_answered(ledger: Ledger) -> None:
    rows = ledger.runs()
    assert [r.outcome for r in rows] == ["answered"] * 3
    assert [r.act_usd for r in rows] == pytest.approx([0.01, 0.02, 0.03])
    assert [r.act_output_tokens for r in rows] == [40, 41, 42]


@pytest.mark.parametrize("mode", ["insert", "commit", "spill"])
def test_killed_mid_write_leaves_earlier_rows_and_no_lock(ledger_path: Path, mode: str) -> None:
    ledger_path.parent.mkdir(parents=True)
    child = subprocess.run(
        [sys.executable, str(WORKER), str(ledger_path), mode], capture_output=True, text=True
    )
    assert child.returncode == 9, child.stderr
    assert "committed" not in child.stdout
    wal = ledger_path.with_name(ledger_path.name + "-wal")
    if mode == "spill":  # uncommitted frames really reached the WAL file before the crash
        assert wal.stat().st_size > 4_000_000
    with Ledger(ledger_path) as ledger:
        assert ledger._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        _assert_three_answered(ledger)
        reservation = ledger.reserve(run(), budgets())  # no lock left behind
        ledger.settle(reservation, Usage(), 0.05, "applied")
        assert len(ledger.runs()) == 4


def test_reader_in_another_process_does_not_wait_for_a_writer(ledger_path: Path) -> None:
    ledger_path.parent.mkdir(parents=True)
    child = subprocess.Popen(
        [sys.executable, str(WORKER), str(ledger_path), "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "holding"  # child holds the write lock now
        with Ledger(ledger_path) as reader:  # opening only reads: it succeeds while the writer holds
            _assert_three_answered(reader)  # sees committed rows, not the open transaction
            assert reader.status(budgets())["spent_today_usd"] == pytest.approx(0.06)
            assert reader.report().run_count == 3
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "committed"
    finally:
        child.communicate(timeout=30)
    assert child.returncode == 0
    with Ledger(ledger_path) as after:
        assert [r.outcome for r in after.runs()] == ["answered"] * 3 + ["pending"]


def test_writer_waits_for_another_process_then_succeeds(ledger_path: Path) -> None:
    ledger_path.parent.mkdir(parents=True)
    child = subprocess.Popen(
        [sys.executable, str(WORKER), str(ledger_path), "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "holding"
        with Ledger(ledger_path) as writer:

            def release() -> None:
                assert child.stdin is not None
                child.stdin.write("go\n")
                child.stdin.flush()

            timer = threading.Timer(0.3, release)
            began = time.monotonic()
            timer.start()
            reservation = writer.reserve(run(), budgets())  # blocks on busy_timeout, then succeeds
            waited = time.monotonic() - began
            timer.join()
            assert waited >= 0.25
            assert writer.get(reservation.run_id).outcome == "pending"
            assert len(writer.runs()) == 5  # the other process's row landed first
    finally:
        child.communicate(timeout=30)
    assert child.returncode == 0


def test_raw_sqlite_sees_a_consistent_file_after_a_crash(ledger_path: Path) -> None:
    ledger_path.parent.mkdir(parents=True)
    subprocess.run([sys.executable, str(WORKER), str(ledger_path), "commit"], check=False)
    conn = sqlite3.connect(ledger_path)
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3
    conn.close()
