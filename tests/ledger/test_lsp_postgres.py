"""The language server on a shared PostgreSQL ledger, end to end: `[ledger] url` in the user file
sends a run's reservation and settlement there, charged to the user's identity; when the database
goes away, the next run gets a clear error and never reaches the provider."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute.ledger.postgres import PostgresLedger
from modelroute_testing.fakeprovider.script import Reply
from tests.lsp.lsp_helpers import command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, open_doc
from tests.trust_lsp.helpers import config_with

from .pgserver import PgServer

SOURCE = "def load(path):\n    # explain this AI?\n    return open(path).read()\n"


@pytest.fixture
def setup(own_server: PgServer) -> Iterator[tuple[Setup, str]]:
    made = Setup()
    url = own_server.create_database("team")
    config = made.home / "config" / "modelroute" / "config.toml"
    config.write_text(
        config.read_text()
        + f'\n[ledger]\nurl = "{url}"\n[identity]\nperson = "ada@example.com"\nteam = "platform"\n'
        + "[budget]\nteam_daily_usd = 5.0\n"
    )
    yield made, url
    made.fake.stop()


async def _run(client: LanguageClient, uri: str) -> dict[str, Any]:
    args = {"uri": uri, "range": range_json(rng(1, 0)), "instruction": "explain this", "model": "claude-haiku-4-5"}
    result: dict[str, Any] = await asyncio.wait_for(command(client, "modelroute.run", args), 60)
    return result


async def test_runs_are_recorded_in_postgres_and_refused_when_it_is_gone(
    setup: tuple[Setup, str], own_server: PgServer, tmp_path: Path
) -> None:
    made, url = setup
    (tmp_path / "app.py").write_text(SOURCE)
    uri = (tmp_path / "app.py").as_uri()
    client: LanguageClient = await config_with(made).start()  # type: ignore[assignment]
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
        ))
        await idle(client)
        open_doc(client, uri, SOURCE)
        made.fake.queue(Reply(text="It reads a file."))
        assert (await _run(client, uri))["outcome"] == "answered"
        with PostgresLedger(url) as ledger:
            (row,) = ledger.runs()
        assert (row.outcome, row.person, row.team, row.model) == ("answered", "ada@example.com", "platform",
                                                                 "claude-haiku-4-5")
        assert not (made.data / "ledger.sqlite3").exists()  # nothing went to the local file
        status = await command(client, "modelroute.status")
        assert status["team"] == "platform" and status["team_daily_usd"] == 5.0

        own_server.stop("fast")  # the shared database goes away
        asked = len(made.fake.model_requests())
        made.fake.queue(Reply(text="should never be sent"))
        refused = await _run(client, uri)
        assert refused["outcome"] == "error" and refused["error_kind"] == "ledger"
        assert "cannot reach the ledger database" in refused["message"]
        assert "no run starts without a reservation" in refused["message"]
        assert len(made.fake.model_requests()) == asked  # the provider was never called

        own_server.start()  # back: the server's store reconnects by itself
        assert (await _run(client, uri))["outcome"] == "answered"
        with PostgresLedger(url) as ledger:
            assert [r.outcome for r in ledger.runs()] == ["answered", "answered"]
    finally:
        await client.shutdown_session()
