"""Every store test runs on SQLite and on a real PostgreSQL server (one per session, on a Unix
socket in a temp dir, a fresh database per test): both stores pass the same suite."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelroute.ledger import Ledger, LedgerStore

from .helpers import store_at
from .pgserver import PgServer, remove, start_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_server()
    yield server
    remove(server)


@pytest.fixture
def own_server() -> Iterator[PgServer]:
    """A PostgreSQL server of the test's own, which it may stop and start."""
    server = start_server()
    yield server
    remove(server)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    return pg_server.create_database(f"t{uuid.uuid4().hex[:16]}")


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ledger.sqlite3"


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_target(request: pytest.FixtureRequest, ledger_path: Path) -> str:
    """Where the store under test lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(ledger_path)
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def open_store(ledger_target: str) -> Iterator[Callable[..., LedgerStore]]:
    """Opens (another) store on the target under test; every one is closed after the test."""
    opened: list[LedgerStore] = []

    def _open(**options: Any) -> LedgerStore:
        store = store_at(ledger_target, **options)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def ledger(open_store: Callable[..., LedgerStore]) -> LedgerStore:
    return open_store()


@pytest.fixture
def sqlite_ledger(ledger_path: Path) -> Iterator[Ledger]:
    with Ledger(ledger_path) as opened:
        yield opened
