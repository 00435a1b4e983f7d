"""Schema and versioned migrations for both stores. Each migration is a tuple of statements applied
in one transaction, with `meta.schema_version` (the number of migrations applied) in the same one.

Append new migrations; never edit one that has shipped. SQLite keeps times as fixed-width UTC text
(text order is time order); PostgreSQL as timestamptz. Both stores read and write the same columns,
so the store's SQL is shared (`ledger/store.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from modelroute.ledger.model import LedgerError

_OUTCOME_CHECK = """CHECK (outcome IN ('pending', 'applied', 'rejected', 'cancelled',
                                        'error', 'answered', 'reviewed', 'refused_budget'))"""

_SQLITE_V1: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""
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
        outcome TEXT NOT NULL {_OUTCOME_CHECK},
        error TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL
    )
    """,
    "CREATE INDEX runs_started_at ON runs (started_at)",
    "CREATE INDEX runs_pending ON runs (outcome) WHERE outcome = 'pending'",
    "CREATE INDEX runs_calibration ON runs (category, model, started_at)",
)

# v2: who a run is charged to (personal and team caps), the lease that releases a dead process's
# reservation, and the cache reads the estimate expected. Rows from v1 belong to this machine's
# user: they keep person '' and count against the personal caps of whoever uses the file.
_SQLITE_V2: tuple[str, ...] = (
    "ALTER TABLE runs ADD COLUMN person TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE runs ADD COLUMN team TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE runs ADD COLUMN renewed_at TEXT",
    "ALTER TABLE runs ADD COLUMN lease_s REAL NOT NULL DEFAULT 600",
    "ALTER TABLE runs ADD COLUMN est_cache_read_tokens INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX runs_person ON runs (person, started_at)",
    "CREATE INDEX runs_team ON runs (team, started_at)",
)

# v3: runs that check their work (issue 12). Each attempt's row says the strategy it ran under, its
# check's verdict (pass | fail | none; NULL: no check was asked, or a row from before checks), whether
# the test-tamper guard flagged it and whether its result was offered to the user. Calibration of
# pass rates per model and kind reads them (run/calibrate.py).
_V3_COLUMNS: tuple[str, ...] = (
    "ALTER TABLE runs ADD COLUMN strategy TEXT",
    "ALTER TABLE runs ADD COLUMN verified TEXT CHECK (verified IN ('pass', 'fail', 'none'))",
)
_SQLITE_V3: tuple[str, ...] = (
    *_V3_COLUMNS,
    "ALTER TABLE runs ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE runs ADD COLUMN offered INTEGER NOT NULL DEFAULT 0",
)

SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (_SQLITE_V1, _SQLITE_V2, _SQLITE_V3)

_POSTGRES_V1: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""
    CREATE TABLE runs (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        workspace TEXT NOT NULL,
        category TEXT NOT NULL,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        est_input_tokens BIGINT NOT NULL,
        est_output_tokens BIGINT NOT NULL,
        est_reasoning_tokens BIGINT NOT NULL DEFAULT 0,
        prior_output_tokens BIGINT NOT NULL,
        est_usd DOUBLE PRECISION NOT NULL,
        est_low_usd DOUBLE PRECISION NOT NULL,
        est_high_usd DOUBLE PRECISION NOT NULL,
        reserved_usd DOUBLE PRECISION NOT NULL,
        act_input_tokens BIGINT,
        act_output_tokens BIGINT,
        act_cache_read_tokens BIGINT,
        act_cache_write_tokens BIGINT,
        act_reasoning_tokens BIGINT,
        act_usd DOUBLE PRECISION,
        latency_ms BIGINT,
        outcome TEXT NOT NULL {_OUTCOME_CHECK},
        error TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        person TEXT NOT NULL DEFAULT '',
        team TEXT NOT NULL DEFAULT '',
        renewed_at TIMESTAMPTZ,
        lease_s DOUBLE PRECISION NOT NULL DEFAULT 600,
        est_cache_read_tokens BIGINT NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX runs_started_at ON runs (started_at)",
    "CREATE INDEX runs_pending ON runs (outcome) WHERE outcome = 'pending'",
    "CREATE INDEX runs_calibration ON runs (category, model, started_at)",
    "CREATE INDEX runs_person ON runs (person, started_at)",
    "CREATE INDEX runs_team ON runs (team, started_at)",
)

_POSTGRES_V2: tuple[str, ...] = (
    *_V3_COLUMNS,  # the same columns as SQLite's v3
    "ALTER TABLE runs ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE runs ADD COLUMN offered BOOLEAN NOT NULL DEFAULT FALSE",
)

POSTGRES_MIGRATIONS: tuple[tuple[str, ...], ...] = (_POSTGRES_V1, _POSTGRES_V2)

# The version number a store reports; each store's list may differ in length as each evolves.
SQLITE_SCHEMA_VERSION = len(SQLITE_MIGRATIONS)
POSTGRES_SCHEMA_VERSION = len(POSTGRES_MIGRATIONS)
SCHEMA_VERSION = SQLITE_SCHEMA_VERSION  # the default store's, as before


def apply_migrations(
    run: Callable[[str, Sequence[Any]], object],
    version: int,
    migrations: tuple[tuple[str, ...], ...],
    where: str,
    placeholder: str,
) -> None:
    """Inside the caller's transaction: the migrations after `version`, then the new version number.
    `run(sql, params)` executes one statement; `placeholder` is the driver's (`?` or `%s`)."""
    known = len(migrations)
    if version > known:
        raise LedgerError(newer_schema_message(where, version, known))
    for statements in migrations[version:]:
        for statement in statements:
            run(statement, ())
    if version < known:
        run(
            f"INSERT INTO meta (key, value) VALUES ('schema_version', {placeholder}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(known),),
        )


def newer_schema_message(where: str, found: int, known: int) -> str:
    return (
        f"{where}: the ledger has schema version {found}, newer than this modelroute knows "
        f"({known}); upgrade modelroute or point it at another ledger"
    )
