"""The PostgreSQL ledger: one database a team shares, so budgets hold across machines.

Every write (reserve, extend, settle, lease renewal) is one transaction that first takes the
ledger's transaction-scoped lock (`pg_advisory_xact_lock`), so writes from every machine run one
after another, like SQLite's BEGIN IMMEDIATE: a reservation reads the window's spend and inserts
its row with no other write in between, and the lock is released by COMMIT or ROLLBACK, also when
the client dies. Transactions run at READ COMMITTED, so each statement after the lock sees every
write committed before it. (SERIALIZABLE alone was tried first: with 80 writers racing for one cap,
most transactions were aborted and retried, some more than 50 times.) A serialization failure or
deadlock, which this design should never meet, is still retried from the start.
A broken connection (server restarted, network gone) is reopened on the next call; while the
database cannot be reached, every call raises LedgerUnavailable and no run starts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from modelroute.ledger.model import Identity, LedgerError, LedgerUnavailable
from modelroute.ledger.schema import POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, apply_migrations
from modelroute.ledger.store import DEFAULT_LEASE, DEFAULT_ORPHAN_AFTER, LedgerStore, Row, Tx

T = TypeVar("T")
CONNECT_TIMEOUT_S = 5
# Retries of a transaction PostgreSQL aborted to keep it serializable; each waits a little longer.
MAX_ATTEMPTS = 20
# pg_advisory_xact_lock keys: one serialises concurrent first opens of an empty database, the other
# every write to the ledger.
_MIGRATION_LOCK = 0x6D6F64656C726F75  # "modelrou"
_WRITE_LOCK = 0x6D6F64656C727774  # "modelrwt"
_RETRY = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
_META_TABLE = POSTGRES_MIGRATIONS[0][0]  # CREATE TABLE IF NOT EXISTS meta (...)


def display_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _placeholders(sql: str) -> str:
    """The shared SQL's `?` placeholders in psycopg's style (the SQL has no literal `%` or `?`)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _PgTx:
    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(_placeholders(sql), tuple(params)).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(_placeholders(sql), tuple(params)).rowcount


class PostgresLedger(LedgerStore):
    """The ledger in a PostgreSQL database (`url` as libpq takes it: postgresql://user@host/db)."""

    def __init__(
        self,
        url: str,
        *,
        identity: Identity | None = None,
        lease: timedelta = DEFAULT_LEASE,
        orphan_after: timedelta = DEFAULT_ORPHAN_AFTER,
    ) -> None:
        super().__init__(identity=identity, lease=lease, orphan_after=orphan_after)
        self.url = url
        self.where = display_url(url)
        self._conn: psycopg.Connection[Row] | None = None
        self._closed = False
        with self._lock:
            self._connection()
        self.release_stale()

    # -- connection --------------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Row]:
        """The open connection, reconnecting (and migrating) when there is none or it broke."""
        if self._closed:
            raise LedgerError(f"{self.where}: the ledger is closed")
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._drop()
        try:
            conn: psycopg.Connection[Row] = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="modelroute",
            )
        except psycopg.Error as exc:
            raise self._unavailable(exc) from exc
        try:
            # READ COMMITTED: after waiting for a lock, the next statement must see what the
            # process that held it committed (a SERIALIZABLE snapshot would predate the wait).
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            self._migrate(conn)
        except psycopg.OperationalError as exc:
            conn.close()
            raise self._unavailable(exc) from exc
        except psycopg.Error as exc:
            conn.close()
            raise LedgerError(f"{self.where}: cannot prepare the ledger schema: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _close_connection(self) -> None:
        self._closed = True
        self._drop()

    def _unavailable(self, exc: BaseException) -> LedgerUnavailable:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return LedgerUnavailable(
            f"{self.where}: cannot reach the ledger database ({detail}); no run starts without a "
            "reservation. Check that the server is up, or unset [ledger] url / MODELROUTE_LEDGER_URL "
            "to use this machine's own ledger"
        )

    def _migrate(self, conn: psycopg.Connection[Row]) -> None:
        if _version(conn) == POSTGRES_SCHEMA_VERSION:
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            # Read the version through the table itself: locking it makes this backend take in
            # the catalog changes of the process that held the migration lock, which a name
            # lookup (to_regclass) may not have seen yet.
            conn.execute(_META_TABLE)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            apply_migrations(
                lambda sql, params: conn.execute(sql, tuple(params)),  # type: ignore[arg-type]
                int(row["value"]) if row else 0, POSTGRES_MIGRATIONS, self.where, "%s",
            )

    # -- primitives --------------------------------------------------------------------------

    def _ts(self, moment: datetime) -> datetime:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    def _dt(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        raise LedgerError(f"{self.where}: unexpected time value {value!r} in the ledger")

    def _transact(self, work: Callable[[Tx], T]) -> T:
        with self._lock:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                conn = self._connection()
                try:
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                        return work(_PgTx(conn))
                except _RETRY:
                    # Another machine committed first; back off with jitter and start over.
                    time.sleep(min(0.2, 0.002 * attempt) * (1 + random.random()))
                except psycopg.OperationalError as exc:
                    self._drop()
                    raise self._unavailable(exc) from exc
                except psycopg.Error as exc:
                    raise LedgerError(f"{self.where}: ledger write failed: {exc}") from exc
            raise LedgerError(f"{self.where}: ledger write kept conflicting ({MAX_ATTEMPTS} attempts); try again")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            conn = self._connection()
            try:
                rows: list[Row] = conn.execute(_placeholders(sql), tuple(params)).fetchall()
            except psycopg.OperationalError as exc:
                self._drop()
                raise self._unavailable(exc) from exc
            except psycopg.Error as exc:
                raise LedgerError(f"{self.where}: ledger read failed: {exc}") from exc
            return rows


def _version(conn: psycopg.Connection[Row]) -> int:
    """The schema version, read without writing (0 may be stale: `_migrate` checks again)."""
    found = conn.execute("SELECT to_regclass('meta') IS NOT NULL AS present").fetchone()
    if not found or not found["present"]:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row["value"]) if row else 0
