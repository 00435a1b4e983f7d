"""The SQLite ledger, the default: one file in the user data directory, one machine.

One connection per store, guarded by the store's lock so threads can share it; several stores and
several processes on one file are serialised by SQLite itself (WAL, busy_timeout, BEGIN IMMEDIATE).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from modelroute.ledger.budget import from_text, to_text
from modelroute.ledger.model import Identity, LedgerError
from modelroute.ledger.paths import default_ledger_path
from modelroute.ledger.schema import SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, apply_migrations
from modelroute.ledger.store import DEFAULT_LEASE, DEFAULT_ORPHAN_AFTER, LedgerStore, Row, Tx

BUSY_TIMEOUT_MS = 15_000
T = TypeVar("T")


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount


def current_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring the schema up to date; safe when several processes open the ledger at once.

    An up-to-date ledger is only read, so opening never waits for another process's write."""
    if current_version(conn) == SQLITE_SCHEMA_VERSION:
        return SQLITE_SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")  # serialises concurrent first opens
    try:
        apply_migrations(conn.execute, current_version(conn), SQLITE_MIGRATIONS, where, "?")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SQLITE_SCHEMA_VERSION


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"{path}: could not switch the ledger to WAL mode (got {mode!r})")
        # FULL: a committed run survives power loss too, and ledger writes are few.
        conn.execute("PRAGMA synchronous = FULL")
        conn.row_factory = sqlite3.Row
        migrate(conn, str(path))
    except BaseException:
        conn.close()
        raise
    return conn


class Ledger(LedgerStore):
    """The ledger in a SQLite file at `path` (default: the user data directory)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        identity: Identity | None = None,
        lease: timedelta = DEFAULT_LEASE,
        orphan_after: timedelta = DEFAULT_ORPHAN_AFTER,
    ) -> None:
        super().__init__(identity=identity, lease=lease, orphan_after=orphan_after)
        self.path = path if path is not None else default_ledger_path()
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger: {exc}") from exc
        self.release_stale()

    def _close_connection(self) -> None:
        self._conn.close()

    def _ts(self, moment: datetime) -> str:
        return to_text(moment)

    def _dt(self, value: Any) -> datetime:
        return from_text(str(value))

    def _transact(self, work: Callable[[Tx], T]) -> T:
        """One write transaction; the database lock is taken up front so reads inside are current."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: ledger is busy or unwritable: {exc}") from exc
            try:
                result = work(_SqliteTx(self._conn))
                self._conn.execute("COMMIT")
                return result
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise LedgerError(f"{self.path}: ledger write failed: {exc}") from exc
                raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            try:
                return [dict(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: ledger read failed: {exc}") from exc


SqliteLedger = Ledger
