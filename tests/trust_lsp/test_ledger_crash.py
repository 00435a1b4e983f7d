"""Nothing is lost when a server dies: kill -9 mid-run leaves the earlier ledger rows intact, the
interrupted run stops holding budget once the ledger sees it as stale (release_stale: pending, its
process gone, older than stale_after), and two servers on one ledger at once both route and run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute.ledger.budget import from_text, to_text
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from tests.lsp.lsp_helpers import command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, open_doc, text_of
from tests.trust_lsp.helpers import config_with

STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)
"""
HAIKU = "claude-haiku-4-5"
STALE_AFTER = timedelta(minutes=10)  # Ledger's default stale_after


@pytest.fixture
def setup() -> Iterator[Setup]:
    made = Setup()
    yield made
    made.fake.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "store.py").write_text(STORE)
    return tmp_path


def _uri(workspace: Path) -> str:
    return (workspace / "app" / "store.py").as_uri()


async def start_server(setup: Setup, workspace: Path) -> LanguageClient:
    client: LanguageClient = await config_with(setup).start()  # type: ignore[assignment]
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="crashws")],
        )
    )
    await idle(client)
    open_doc(client, _uri(workspace), STORE)
    return client


def server_pid(client: LanguageClient) -> int:
    proc = client._server  # pytest-lsp keeps the server's asyncio subprocess here
    assert proc is not None
    return int(proc.pid)


async def run(client: LanguageClient, workspace: Path, instruction: str) -> dict[str, Any]:
    args = {"uri": _uri(workspace), "range": range_json(rng(4, 0)), "instruction": instruction, "model": HAIKU}
    result: dict[str, Any] = await asyncio.wait_for(command(client, "modelroute.run", args), 30)
    return result


def _edit(new: str) -> Reply:
    return Reply(
        tool_calls=[
            ScriptedToolCall(
                name="propose_edit", arguments={"path": "app/store.py", "old_text": "def load(path):", "new_text": new}
            )
        ]
    )


async def _until(predicate: Any, what: str, timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _age_pending(setup: Setup, by: timedelta) -> None:
    """Move pending rows' start back in time, as if `by` had passed since the crash."""
    path = setup.data / "ledger.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for run_id, started in conn.execute("SELECT id, started_at FROM runs WHERE outcome = 'pending'").fetchall():
            conn.execute("UPDATE runs SET started_at = ? WHERE id = ?", (to_text(from_text(started) - by), run_id))


async def test_kill_9_mid_run_keeps_the_ledger_and_frees_the_budget(setup: Setup, workspace: Path) -> None:
    first = await start_server(setup, workspace)
    setup.fake.queue(_edit("def load(path: str):"), Reply(text="done"))
    assert (await run(first, workspace, "add type hints to this function"))["outcome"] == "applied"
    setup.fake.queue(Reply(text="I would rather not"), Reply(text="(no more)"))
    await run(first, workspace, "explain what this function does")
    before = setup.rows()
    assert [r["outcome"] for r in before] == ["applied", "answered"]
    edited = text_of(first, _uri(workspace))

    # A run that streams slowly, with an edit it never gets to deliver.
    setup.fake.reset()
    setup.fake.queue(
        Reply(text="working on it " * 200, event_delay_s=0.03, tool_calls=_edit("def load(p):").tool_calls)
    )
    task = asyncio.ensure_future(run(first, workspace, "add type hints to this function"))
    await _until(lambda: setup.fake.model_requests() and len(setup.rows()) == 3, "the run to stream")
    await asyncio.sleep(0.3)
    pid = server_pid(first)
    os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(task, 5)
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(first.stop(), 5)

    after = setup.rows()
    assert after[:2] == before, "earlier rows changed"
    crashed = after[2]
    assert crashed["outcome"] == "pending" and crashed["pid"] == pid and crashed["reserved_usd"] > 0
    with contextlib.closing(sqlite3.connect(setup.data / "ledger.sqlite3")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (workspace / "app" / "store.py").read_text() == STORE, "the crashed run touched the disk"
    assert "def load(p):" not in edited

    second = await start_server(setup, workspace)
    try:
        held = await command(second, "modelroute.status")
        # Within stale_after the dead run's reservation still counts (the provider may bill it) ...
        assert held["reserved_today_usd"] == pytest.approx(crashed["reserved_usd"], abs=1e-6)
        # ... and once that has passed it is released: the row ends as error "interrupted".
        _age_pending(setup, STALE_AFTER + timedelta(minutes=1))
        setup.fake.reset()
        setup.fake.queue(Reply(text="It loads JSON from a file."))
        assert (await run(second, workspace, "explain what this function does"))["outcome"] == "answered"
        rows = setup.rows()
        assert rows[:2] == before
        assert rows[2]["outcome"] == "error" and rows[2]["error"] == "interrupted"
        assert rows[3]["outcome"] == "answered"
        assert (await command(second, "modelroute.status"))["reserved_today_usd"] == 0
        assert (await command(second, "modelroute.report"))["run_count"] == 4
    finally:
        await second.shutdown_session()


async def test_two_servers_share_one_ledger(setup: Setup, workspace: Path) -> None:
    one, two = await start_server(setup, workspace), await start_server(setup, workspace)
    try:
        args = {"uri": _uri(workspace), "range": range_json(rng(4, 0)), "instruction": "add type hints"}
        routed = await asyncio.gather(command(one, "modelroute.route", args), command(two, "modelroute.route", args))
        assert routed[0]["model"] == routed[1]["model"]
        for _ in range(2):
            setup.fake.queue(Reply(text="It loads JSON.", event_delay_s=0.01))
        results = await asyncio.gather(
            run(one, workspace, "explain what this function does"),
            run(two, workspace, "explain what this function does"),
        )
        assert [r["outcome"] for r in results] == ["answered", "answered"], results
        assert results[0]["run_id"] != results[1]["run_id"]
        rows = setup.rows()
        assert {r["id"] for r in rows} == {r["run_id"] for r in results}
        assert {r["pid"] for r in rows} == {server_pid(one), server_pid(two)}
        one_status, two_status = await command(one, "modelroute.status"), await command(two, "modelroute.status")
        assert one_status["spent_today_usd"] == two_status["spent_today_usd"] > 0
        assert one_status["reserved_today_usd"] == two_status["reserved_today_usd"] == 0
    finally:
        await asyncio.gather(one.shutdown_session(), two.shutdown_session())
