"""Load: 1,000 didChange and codeAction messages in 20 bursts of 50 while a run streams. Every
codeAction is answered, the server's last document is the client's last, and RSS stays bounded.

The latency of the same bursts with and without a run streaming is a benchmark, not a test:
bench/bench_load.py (docs/benchmarks.md, "Load")."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Reply
from modelroute_testing.process import rss_mb
from tests.lsp.lsp_helpers import code_actions, command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, change_doc, open_doc
from tests.trust_lsp.helpers import config_with

SETUP = Setup()
STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)


def total(items):
    return sum(i["price"] for i in items)
"""
BURSTS, BURST = 20, 50  # the loaded phase: 1,000 messages, half didChange, half codeAction
BASELINE_BURSTS = 4
MAX_RSS_GROWTH_MB = 100.0


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "store.py").write_text(STORE)
    return tmp_path


@pytest_lsp.fixture(config=config_with(SETUP))
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="loadws")],
        )
    )
    await idle(lsp_client)
    yield
    await lsp_client.shutdown_session()


class Bursts:
    """Sends bursts of alternating didChange (the user typing) and codeAction (the lightbulb)."""

    def __init__(self, client: LanguageClient, uri: str) -> None:
        self.client = client
        self.uri = uri
        self.version = 1
        self.answered = 0
        self.sent = 0

    async def burst(self, tag: str) -> None:
        """One burst of BURST messages, every codeAction answered with actions."""
        pending = []
        for i in range(BURST // 2):
            self.version += 1
            text = STORE.replace("function AI!", f"function ({tag} {i}) AI!")
            change_doc(self.client, self.uri, text, self.version)
            pending.append(asyncio.ensure_future(self._answered(rng(4, i % 5))))
            self.sent += 2
        await asyncio.wait_for(asyncio.gather(*pending), 60)

    async def _answered(self, where: types.Range) -> None:
        actions = await code_actions(self.client, self.uri, where)
        assert actions, "a codeAction came back empty"
        self.answered += 1


def _server_pid(client: LanguageClient) -> int:
    proc = client._server
    assert proc is not None
    return int(proc.pid)


async def test_a_thousand_messages_while_a_run_streams(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "app" / "store.py").as_uri()
    open_doc(client, uri, STORE)
    pid = _server_pid(client)
    load = Bursts(client, uri)
    for _ in range(2):  # warm-up: imports, caches, the first routes
        await load.burst("warm-up")
    rss_before = rss_mb(pid)
    for b in range(BASELINE_BURSTS):
        await load.burst(f"base {b}")

    SETUP.fake.reset()
    SETUP.fake.queue(Reply(text="streaming a long answer " * 4000, chunk_chars=8, event_delay_s=0.02))  # ~4 min
    args = {
        "uri": uri,
        "range": range_json(rng(10, 0, 11, 40)),
        "instruction": "explain this code",
        "model": "claude-haiku-4-5",
    }
    running = asyncio.ensure_future(command(client, "modelroute.run", args))
    for _ in range(500):
        if SETUP.fake.model_requests():
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # text is flowing into $/progress
    assert not running.done()
    rss_streaming = rss_mb(pid)  # the run has loaded the provider SDK
    sent_before, answered_before = load.sent, load.answered
    for b in range(BURSTS):
        await load.burst(f"load {b}")
    still_streaming = not running.done()
    rss_after = rss_mb(pid)

    assert load.sent - sent_before == BURSTS * BURST == 1000
    assert load.answered - answered_before == 500
    # The server holds the client's last text: the last burst's directive is what it offers to run.
    final = await code_actions(client, uri, rng(4, 0))
    run_args = [a.command.arguments[0] for a in final if a.command and a.command.command == "modelroute.run"]
    assert any(f"load {BURSTS - 1} {BURST // 2 - 1}" in a["instruction"] for a in run_args), run_args

    assert (await command(client, "modelroute.cancelRun"))["cancelled"] == (1 if still_streaming else 0)
    outcome = (await asyncio.wait_for(running, 30))["outcome"]
    assert outcome in ("cancelled", "answered")

    figures: dict[str, Any] = {
        "rss_idle_mb": round(rss_before, 1),
        "rss_streaming_mb": round(rss_streaming, 1),
        "rss_after_mb": round(rss_after, 1),
        "run_streamed_throughout": still_streaming,
    }
    assert still_streaming, "the run ended before the load did: make it stream longer"
    assert rss_after - rss_streaming < MAX_RSS_GROWTH_MB, figures  # the 1,000 messages
    assert rss_after - rss_before < MAX_RSS_GROWTH_MB, figures  # the run and its SDK included
