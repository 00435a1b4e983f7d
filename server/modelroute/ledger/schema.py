"""Schema and migrations. Each migration is a tuple of statements applied in one transaction.

Append new migrations; never edit one that has shipped. `meta.schema_version` is the number of
migrations applied.
"""

from __future__ import annotations

import sqlite3

from modelroute.ledger.model import LedgerError

_V1: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,            -- UTC, ISO 8601 with microseconds and 'Z'; sorts as text
        finished_at TEXT,
        workspace TEXT NOT NULL,
        category TEXT NOT NULL,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        est_input_tokens INTEGER NOT NULL,
        est_output_tokens INTEGER NOT NULL,
        est_reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        prior_output_tokens INTEGER NOT NULL,
        est_usd REAL NOT NULL,
        est_low_usd REAL NOT NULL,
        est_high_usd REAL NOT NULL,
        reserved_usd REAL NOT NULL,
        act_input_tokens INTEGER,
        act_output_tokens INTEGER,
        act_cache_read_tokens INTEGER,
        act_cache_write_tokens INTEGER,
        act_reasoning_tokens INTEGER,
        act_usd REAL,
        latency_ms INTEGER,
        outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'applied', 'rejected', 'cancelled',
                                                 'error', 'answered', 'reviewed', 'refused_budget')),
        error TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL
    )
    """,
    "CREATE INDEX runs_started_at ON runs (started_at)",
    "CREATE INDEX runs_pending ON runs (outcome) WHERE outcome = 'pending'",
    "CREATE INDEX runs_calibration ON runs (category, model, started_at)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; safe when several processes open the ledger at once.

    An up-to-date ledger is only read, so opening never waits for another process's write."""
    if current_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")  # serialises concurrent first opens
    try:
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"the ledger has schema version {version}, newer than this modelroute knows "
                f"({SCHEMA_VERSION}); upgrade modelroute or point MODELROUTE_DATA_DIR elsewhere"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
