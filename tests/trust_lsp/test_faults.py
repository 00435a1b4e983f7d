"""Every provider fault at every point of a run, through the fake provider and the real server
(VS Code profile): a clear error message, no edit sent and no byte changed on disk or in the client,
a ledger row with outcome error, and a server that answers the next code action."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Fault, Reply, ScriptedToolCall
from tests.lsp.lsp_helpers import code_actions, command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, change_doc, open_doc, text_of, version_of
from tests.trust_lsp.helpers import config_with

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = Setup()
STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)
"""
HAIKU = "claude-haiku-4-5"
PARTIAL = "Here is the plan: first I will look at the signature, then "  # streamed before a mid-stream fault

# Fault kind -> (what the fake provider does, the ProviderError kind the user is told about).
# Status faults are retried by the SDK (max_retries = 1), so they are queued twice. Mid-stream an API
# can no longer send a status: 429 and 500 arrive as SSE error events there, as Anthropic sends them.
KINDS: dict[str, tuple[Fault, int, str]] = {
    "429": (Fault("status", status=429, retry_after=0.05), 2, "rate_limited"),
    "500": (Fault("status", status=500), 2, "server_error"),
    "timeout": (Fault("hang", hang_s=3.0), 2, "timeout"),
    "truncated": (Fault("truncate"), 1, "truncated"),
    "malformed": (Fault("malformed"), 1, "malformed"),
    "error_event": (Fault("error_event", status=529, message="Overloaded"), 1, "server_error"),
}
MID_STREAM_AS_EVENT = {"429", "500"}
POINTS = ("first_byte", "mid_stream", "tool_call")


def _faulty(kind: str, point: str) -> list[Reply]:
    """The replies that make a run fail at `point` with `kind`."""
    spec, times, _ = KINDS[kind]
    if point == "mid_stream":
        mid = Fault("error_event", status=spec.status, message=spec.message) if kind in MID_STREAM_AS_EVENT else spec
        mid = Fault(**{**mid.__dict__, "after_events": 6})
        return [Reply(text=PARTIAL, chunk_chars=4, fault=mid)]
    failing = [Reply(fault=spec)] * times
    if point == "tool_call":  # the model proposes an edit, then its next turn fails
        edit = ScriptedToolCall(
            name="propose_edit",
            arguments={
                "path": "app/store.py",
                "old_text": "def load(path):",
                "new_text": "def load(path: str) -> object:",
            },
        )
        return [Reply(text="Editing.", tool_calls=[edit]), *failing]
    return failing


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faultws")
    (root / "app").mkdir()
    (root / "app" / "store.py").write_text(STORE)
    return root


@pytest_lsp.fixture(config=config_with(SETUP), scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="faultws")],
        )
    )
    await idle(lsp_client)
    open_doc(lsp_client, _uri(workspace), STORE)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(autouse=True)
def fresh(client: LanguageClient, workspace: Path) -> None:
    SETUP.fake.reset()
    client.answer = lambda params: "Cancel"  # type: ignore[attr-defined]  # no fallback model
    uri = _uri(workspace)
    if text_of(client, uri) != STORE:
        change_doc(client, uri, STORE, version_of(client, uri) + 1)


def _uri(workspace: Path) -> str:
    return (workspace / "app" / "store.py").as_uri()


async def run(client: LanguageClient, workspace: Path) -> dict[str, Any]:
    args = {
        "uri": _uri(workspace),
        "range": range_json(rng(4, 0)),
        "instruction": "add type hints to this function",
        "model": HAIKU,
    }
    result: dict[str, Any] = await asyncio.wait_for(command(client, "modelroute.run", args), 30)
    return result


async def assert_untouched_and_serving(client: LanguageClient, workspace: Path, edits_before: int) -> None:
    uri = _uri(workspace)
    assert len(client.edits) == edits_before, "an edit was sent to the client"  # type: ignore[attr-defined]
    assert text_of(client, uri) == STORE
    assert (workspace / "app" / "store.py").read_bytes() == STORE.encode()
    actions = await asyncio.wait_for(code_actions(client, uri, rng(4, 0)), 10)
    assert any(a.command and a.command.command == "modelroute.run" for a in actions)
    assert (await command(client, "modelroute.status"))["reserved_today_usd"] == 0


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("kind", list(KINDS))
async def test_fault_at_every_point(client: LanguageClient, workspace: Path, kind: str, point: str) -> None:
    SETUP.fake.queue(*_faulty(kind, point))
    edits_before = len(client.edits)  # type: ignore[attr-defined]
    rows_before = len(SETUP.rows())
    messages_before = len(client.messages)
    result = await run(client, workspace)

    assert result["outcome"] == "error", result
    assert result["error_kind"] == KINDS[kind][2], result
    errors = [m.message for m in client.messages[messages_before:] if m.type == types.MessageType.Error]
    assert len(errors) == 1, client.messages[messages_before:]
    assert "nothing was applied" in errors[0] and result["error_kind"] in errors[0] and "anthropic" in errors[0]
    assert "Traceback" not in errors[0]
    rows = SETUP.rows()
    assert len(rows) == rows_before + 1
    row = rows[-1]
    assert row["id"] == result["run_id"] and row["outcome"] == "error" and row["error"]
    if point == "tool_call":  # the first turn was billed and is recorded, the failed one is not
        assert row["act_usd"] > 0 and row["act_input_tokens"] > 0
    else:
        assert not row["act_usd"]
    requests = SETUP.fake.model_requests()
    assert len(requests) == (KINDS[kind][1] if point != "mid_stream" else 1) + (point == "tool_call")
    await assert_untouched_and_serving(client, workspace, edits_before)


async def test_rejected_edit_leaves_disk_and_client_as_they_were(client: LanguageClient, workspace: Path) -> None:
    """The editor refuses the edit (applyEdit answers applied=false): nothing changes, row 'rejected'."""
    edit = ScriptedToolCall(
        name="propose_edit",
        arguments={"path": "app/store.py", "old_text": "def load(path):", "new_text": "def load(path: str):"},
    )
    SETUP.fake.queue(Reply(tool_calls=[edit]), Reply(text="done"))
    uri = _uri(workspace)
    refused_before = len(client.refused)  # type: ignore[attr-defined]
    client.refuse = "user pressed Discard"  # type: ignore[attr-defined]
    try:
        result = await run(client, workspace)
    finally:
        client.refuse = None  # type: ignore[attr-defined]
    assert result["outcome"] == "rejected" and "user pressed Discard" in result["message"], result
    assert len(client.refused) == refused_before + 1  # type: ignore[attr-defined]
    assert text_of(client, uri) == STORE
    assert (workspace / "app" / "store.py").read_bytes() == STORE.encode()
    assert SETUP.rows()[-1]["outcome"] == "rejected"
    await assert_untouched_and_serving(client, workspace, len(client.edits))  # type: ignore[attr-defined]


async def test_cancel_mid_tool_call_leaves_everything_as_it_was(client: LanguageClient, workspace: Path) -> None:
    """Cancelled after the model proposed an edit, while its next turn streams: nothing applied."""
    edit = ScriptedToolCall(
        name="propose_edit",
        arguments={"path": "app/store.py", "old_text": "def load(path):", "new_text": "def load(p):"},
    )
    SETUP.fake.queue(Reply(tool_calls=[edit]), Reply(text="still thinking " * 100, event_delay_s=0.02))
    edits_before = len(client.edits)  # type: ignore[attr-defined]
    task = asyncio.ensure_future(run(client, workspace))
    for _ in range(300):
        if len(SETUP.fake.model_requests()) >= 2:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    assert (await command(client, "modelroute.cancelRun"))["cancelled"] == 1
    result = await task
    assert result["outcome"] == "cancelled", result
    assert SETUP.rows()[-1]["outcome"] == "cancelled"
    await assert_untouched_and_serving(client, workspace, edits_before)
