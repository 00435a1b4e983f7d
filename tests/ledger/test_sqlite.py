"""What only the SQLite store has: the file, WAL, its migrations from version 1, the data dir."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelroute.cost.actual import Usage
from modelroute.ledger import Identity, Ledger, LedgerError, data_dir, default_ledger_path
from modelroute.ledger.budget import to_text
from modelroute.ledger.schema import SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION

from .helpers import budgets, run

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


def test_opens_in_wal_mode_with_a_schema_version(sqlite_ledger: Ledger, ledger_path: Path) -> None:
    conn = sqlite3.connect(ledger_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SQLITE_SCHEMA_VERSION == 3
    conn.close()


def test_a_version_1_ledger_is_migrated_and_its_rows_stay_the_users(ledger_path: Path) -> None:
    ledger_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(ledger_path)
    for statement in SQLITE_MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO runs (started_at, finished_at, workspace, category, model, provider, est_input_tokens,"
        " est_output_tokens, prior_output_tokens, est_usd, est_low_usd, est_high_usd, reserved_usd, act_usd,"
        " outcome, pid, host) VALUES (?, ?, '/ws', 'explain', 'm', 'p', 10, 10, 10, 0.5, 0.2, 0.9, 0.9, 0.8,"
        " 'answered', 1, 'h')",
        (to_text(NOW), to_text(NOW)),
    )
    conn.commit()
    conn.close()
    with Ledger(ledger_path, identity=Identity(person="ada")) as ledger:
        (old,) = ledger.runs()
        assert (old.person, old.team, old.renewed_at, old.act_usd) == ("", "", None, 0.8)
        assert ledger.spent("day", NOW) == pytest.approx(0.8)  # still counts against this user's cap
        reservation = ledger.reserve(run(0.1, high=0.2), budgets(daily=1.0), now=NOW)
        assert ledger.settle(reservation, Usage(), 0.1, "applied", now=NOW).person == "ada"
    check = sqlite3.connect(ledger_path)
    assert check.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"
    check.close()


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


def test_sqlite_failures_surface_as_ledger_errors(ledger_path: Path) -> None:
    ledger = Ledger(ledger_path)
    ledger.close()
    with pytest.raises(LedgerError, match="read failed"):
        ledger.status(budgets())
    with pytest.raises(LedgerError):
        ledger.reserve(run(), budgets())
