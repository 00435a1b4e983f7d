"""modelroute.run end to end over stdio with the VS Code and Neovim 0.7 profiles, against the fake
provider through the real SDKs: edits applied in the client, reviews as diagnostics, answers as
documents, cancel, every provider fault, a stale edit, and the ledger rows they leave."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Reply, call, fault
from tests.lsp.lsp_helpers import PROFILES, code_actions, command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, change_doc, open_doc, text_of, version_of
from tests.run.helpers import HAIKU, MINI, STORE

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = Setup()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runws")
    (root / "app").mkdir()
    (root / "app" / "store.py").write_text(STORE)
    (root / "app" / "notes.py").write_text("X = 1\n")
    return root


@pytest_lsp.fixture(config=SETUP.config(), scope="module", params=PROFILES)
async def client(lsp_client: LanguageClient, workspace: Path, request: pytest.FixtureRequest):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(request.param),
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="runws")],
    ))
    await idle(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(autouse=True)
def fresh(client: LanguageClient, workspace: Path) -> None:
    """Every test starts from the file on disk, an empty script and a client that says Cancel."""
    SETUP.fake.reset()
    client.answer = lambda params: "Cancel"  # type: ignore[attr-defined]
    uri = _uri(workspace)
    if uri in client.texts:  # type: ignore[attr-defined]
        change_doc(client, uri, STORE, version_of(client, uri) + 1)
    else:
        open_doc(client, uri, STORE)


def _uri(workspace: Path, rel: str = "app/store.py") -> str:
    return (workspace / rel).as_uri()


def _vscode(client: LanguageClient) -> bool:
    ws = client.capabilities.workspace
    return bool(ws and ws.workspace_edit and ws.workspace_edit.document_changes)


async def run(client: LanguageClient, workspace: Path, *, line: int = 4, end: tuple[int, int] | None = None,
              instruction: str = "add type hints to this function", model: str = HAIKU) -> dict[str, Any]:
    r = rng(line, 0) if end is None else rng(line, 0, end[0], end[1])
    args = {"uri": _uri(workspace), "range": range_json(r), "instruction": instruction, "model": model}
    result: dict[str, Any] = await command(client, "modelroute.run", args)
    return result


async def test_directive_action_runs_and_the_edit_is_applied(client: LanguageClient, workspace: Path):
    uri = _uri(workspace)
    actions = await code_actions(client, uri, rng(4, 0))
    action = next(a for a in actions if a.command and a.command.command == "modelroute.run")
    SETUP.fake.queue(
        Reply(tool_calls=[call("read_file", path="app/store.py")]),
        Reply(tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                               new_text="def load(path: str) -> object:")]),
        Reply(text="Added the hints.", output_tokens=40),
    )
    before = version_of(client, uri)
    result = await command(client, "modelroute.run", *action.command.arguments)
    assert result["outcome"] == "applied", result
    assert text_of(client, uri) == STORE.replace("def load(path):", "def load(path: str) -> object:")
    assert version_of(client, uri) == before + 1
    [params] = client.edits[-1:]  # type: ignore[attr-defined]
    if _vscode(client):  # versioned; nothing asks for confirmation, so VS Code's Apply applies it all
        [doc_edit] = params.edit.document_changes
        assert doc_edit.text_document.version == before
        assert params.edit.change_annotations is None
        assert not any(isinstance(e, types.AnnotatedTextEdit) for e in doc_edit.edits)
    else:  # Neovim 0.7: no documentChanges, plain changes
        assert params.edit.document_changes is None and list(params.edit.changes) == [uri]
    row = SETUP.rows()[-1]
    assert row["id"] == result["run_id"] and row["outcome"] == "applied"
    assert row["est_usd"] > 0 and row["act_usd"] > 0 and row["act_output_tokens"] >= 40
    assert row["latency_ms"] is not None and row["model"] == action.command.arguments[0]["model"]
    assert any(r.api for r in SETUP.fake.model_requests())


async def test_review_becomes_diagnostics_and_can_be_cleared(client: LanguageClient, workspace: Path):
    uri = _uri(workspace)
    SETUP.fake.queue(
        Reply(tool_calls=[call("report_finding", path="app/store.py", line=11, severity="warning",
                               message="a missing price raises KeyError")]),
        Reply(text="One issue."),
    )
    result = await run(client, workspace, line=10, end=(11, 40), instruction="Review this code", model=MINI)
    assert result["outcome"] == "reviewed" and result["findings"] == 1
    await idle(client)
    [diag] = client.diagnostics[uri]
    assert diag.source == "modelroute review" and diag.code == MINI
    assert diag.range.start.line == 10 and diag.severity == types.DiagnosticSeverity.Warning
    assert text_of(client, uri) == STORE
    assert (await command(client, "modelroute.clearReview", {"uri": uri}))["cleared"] == 1
    await idle(client)
    assert list(client.diagnostics[uri]) == []


async def test_question_becomes_a_shown_document(client: LanguageClient, workspace: Path):
    SETUP.fake.queue(Reply(text="It adds up the prices of the items."))
    shown = len(client.shown_documents)
    result = await run(client, workspace, line=10, end=(11, 40), instruction="Explain this code", model=MINI)
    assert result["outcome"] == "answered"
    path = Path(result["document"].removeprefix("file://"))
    assert "It adds up the prices" in path.read_text()
    support = client.capabilities.window.show_document
    if support and support.support:
        assert client.shown_documents[-1].uri == result["document"] and len(client.shown_documents) == shown + 1
    else:
        assert "It adds up the prices" in client.messages[-1].message
    assert SETUP.rows()[-1]["outcome"] == "answered"


async def test_cancel_stops_the_run_and_changes_nothing(client: LanguageClient, workspace: Path):
    uri = _uri(workspace)
    SETUP.fake.queue(Reply(text="thinking about it " * 80, event_delay_s=0.02,
                           tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                                            new_text="def load(p):")]))
    task = asyncio.ensure_future(run(client, workspace))
    token = await _progress_started(client)
    if _vscode(client):  # the progress bar's Cancel button
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    else:
        assert (await command(client, "modelroute.cancelRun"))["cancelled"] == 1
    result = await asyncio.wait_for(task, 10)
    assert result["outcome"] == "cancelled"
    assert text_of(client, uri) == STORE
    assert SETUP.rows()[-1]["outcome"] == "cancelled"
    assert (await command(client, "modelroute.status"))["reserved_today_usd"] == 0


async def _progress_started(client: LanguageClient) -> Any:
    """The token of a run's progress once it has reported streamed text."""
    for _ in range(200):
        for token, reports in client.progress_reports.items():
            begun = [r for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
            ended = [r for r in reports if isinstance(r, types.WorkDoneProgressEnd)]
            streamed = [r for r in reports if isinstance(r, types.WorkDoneProgressReport) and "thinking" in
                        (r.message or "")]
            if begun and begun[0].title.startswith("modelroute: ") and begun[0].cancellable and streamed \
                    and not ended:
                return token
        await asyncio.sleep(0.02)
    raise AssertionError("no progress with streamed text")


FAULTS = {
    "rate_limited": [fault("status", status=429, retry_after=0.05)] * 2,
    "server_error": [fault("status", status=500)] * 2,
    "timeout": [fault("hang", hang_s=3.0)] * 2,
    "truncated": [fault("truncate", after_events=3)],
    "malformed": [fault("malformed")],
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
async def test_each_fault_is_reported_and_nothing_is_applied(client: LanguageClient, workspace: Path, kind: str):
    uri = _uri(workspace)
    SETUP.fake.queue(*FAULTS[kind])
    result = await run(client, workspace)
    assert result["outcome"] == "error" and result["error_kind"] == kind, result
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert "anthropic" in errors[-1] and kind in errors[-1]
    assert text_of(client, uri) == STORE
    transient = kind != "malformed"
    offers = [q for q in client.questions[-1:] if q.message.startswith("Claude Haiku")]  # type: ignore[attr-defined]
    assert bool(offers) == transient and (not offers or offers[0].actions[0].title.startswith("Try "))
    row = SETUP.rows()[-1]
    assert row["outcome"] == "error" and row["act_usd"] == 0 and row["error"]
    status = await command(client, "modelroute.status")  # the server still answers
    assert status["reserved_today_usd"] == 0


async def test_fallback_runs_only_when_the_user_agrees(client: LanguageClient, workspace: Path):
    uri = _uri(workspace)
    client.answer = lambda params: params.actions[0].title  # type: ignore[attr-defined]
    SETUP.fake.queue(
        fault("status", status=500), fault("status", status=500),
        Reply(tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                               new_text="def load(path: str):")]),
        Reply(text="done"),
    )
    result = await run(client, workspace)
    assert result["outcome"] == "applied" and result["fallback_from"]["outcome"] == "error"
    assert result["model"] != HAIKU
    assert "def load(path: str):" in text_of(client, uri)
    question = client.questions[-1]  # type: ignore[attr-defined]
    assert question.actions[0].title.startswith("Try ") and "~$" in question.actions[0].title


async def test_a_stale_edit_is_rejected_and_reported(client: LanguageClient, workspace: Path):
    uri = _uri(workspace)
    SETUP.fake.queue(
        Reply(text="reading " * 30, event_delay_s=0.02, tool_calls=[call("read_file", path="app/store.py")]),
        Reply(tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                               new_text="def load(path: str):")]),
        Reply(text="done"),
    )
    task = asyncio.ensure_future(run(client, workspace))
    await _progress_started_any(client)
    typed = STORE + "\n# the user kept typing\n"
    change_doc(client, uri, typed, version_of(client, uri) + 1)
    result = await asyncio.wait_for(task, 10)
    assert result["outcome"] == "rejected", result
    assert "changed while the model was working" in result["message"]
    assert text_of(client, uri) == typed
    assert "nothing was applied" in client.messages[-1].message
    assert SETUP.rows()[-1]["outcome"] == "rejected"


async def _progress_started_any(client: LanguageClient) -> None:
    """Wait until the model is streaming its first reply (the script was reset before the test)."""
    for _ in range(200):
        if SETUP.fake.model_requests():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the model was never called")


async def test_status_and_report_read_the_ledger(client: LanguageClient, workspace: Path):
    status = await command(client, "modelroute.status")
    for key in ("objective", "spent_today_usd", "daily_usd", "spent_month_usd", "monthly_usd"):
        assert key in status
    assert status["spent_today_usd"] > 0
    report = await command(client, "modelroute.report")
    assert report["run_count"] >= 3 and report["by_day_model"]
    assert {"day", "model", "usd"} <= set(report["by_day_model"][0])
    assert report["estimate_error"]
