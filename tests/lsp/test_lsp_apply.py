"""A run's edit settles whatever the client does with workspace/applyEdit: ALE applies it and sends
didChange but never answers (it advertises `applyEdit: false`); a broken client neither applies nor
answers. The ledger row must leave "pending" either way, and the user is told.

End to end over stdio against the fake provider through the real SDKs. The workspace sets
`run.apply_timeout_s` small so the unanswered case settles quickly; nothing asserts a duration."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from attrs import evolve
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from tests.lsp.lsp_helpers import command, idle, make_client, range_json, rng, store_workspace
from tests.lsp_run.run_helpers import Setup, apply_edit, open_doc, text_of
from tests.run.helpers import HAIKU, STORE

from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = Setup()
OLD, NEW = "def load(path):", "def load(path: str) -> object:"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_workspace(tmp_path_factory.mktemp("applyws"), {".modelroute.toml": "[run]\napply_timeout_s = 0.5\n"})


def apply_client() -> LanguageClient:
    """An editor whose answer to workspace/applyEdit is set per test: `answer` applies and answers;
    `silent` applies (didChange) and never answers, as ALE; `ignore` does neither; `late` applies
    and answers once the run has given up waiting."""
    client = make_client()
    client.texts = {}  # type: ignore[attr-defined]
    client.apply_mode = "answer"  # type: ignore[attr-defined]
    client.late = asyncio.Event()  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    async def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        mode = client.apply_mode  # type: ignore[attr-defined]
        if mode in ("ignore", "late"):  # answers only when the test lets it: after the run settled
            await client.late.wait()  # type: ignore[attr-defined]
            if mode == "ignore":
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="never shown")
        result = apply_edit(client, params.edit)
        if mode == "silent":
            await client.late.wait()  # type: ignore[attr-defined]
        return result

    return client


@pytest_lsp.fixture(config=evolve(SETUP.config(), client_factory=apply_client), scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    caps = client_capabilities("visual-studio-code")
    assert caps.workspace is not None
    caps.workspace.apply_edit = False  # as ALE says, though it applies them
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=caps,
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="applyws")],
    ))
    await idle(lsp_client)
    yield
    await lsp_client.shutdown_session()


def _uri(workspace: Path) -> str:
    return (workspace / "app" / "store.py").as_uri()


async def _run(client: LanguageClient, workspace: Path, mode: str) -> dict[str, Any]:
    SETUP.fake.reset()
    client.apply_mode = mode  # type: ignore[attr-defined]
    (workspace / "app" / "store.py").write_text(STORE)
    uri = _uri(workspace)
    texts: dict[str, Any] = client.texts  # type: ignore[attr-defined]
    if uri in texts:
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        del texts[uri]
    open_doc(client, uri, STORE)
    SETUP.fake.queue(
        Reply(tool_calls=[ScriptedToolCall(name="propose_edit",
                                           arguments={"path": "app/store.py", "old_text": OLD, "new_text": NEW})]),
        Reply(text="Added the hints.", output_tokens=20),
    )
    args = {"uri": uri, "range": range_json(rng(4, 0)), "instruction": "add type hints to this function",
            "model": HAIKU}
    client.late = asyncio.Event()  # type: ignore[attr-defined]
    result: dict[str, Any] = await command(client, "modelroute.run", args)
    client.late.set()  # type: ignore[attr-defined]  # the answer, late: logged, never acted on
    await idle(client)
    return result


async def test_an_edit_applied_without_an_answer_counts_as_applied(client: LanguageClient, workspace: Path):
    result = await _run(client, workspace, "silent")
    assert result["outcome"] == "applied", result
    assert text_of(client, _uri(workspace)) == STORE.replace(OLD, NEW)
    row = SETUP.rows()[-1]
    assert row["id"] == result["run_id"] and row["outcome"] == "applied"
    assert any("without answering" in m.message for m in client.log_messages)


async def test_an_edit_neither_applied_nor_answered_is_rejected_and_said(client: LanguageClient, workspace: Path):
    result = await _run(client, workspace, "ignore")
    assert result["outcome"] == "rejected", result
    assert text_of(client, _uri(workspace)) == STORE
    row = SETUP.rows()[-1]
    assert row["id"] == result["run_id"] and row["outcome"] == "rejected"
    told = [m for m in client.messages if "apply_timeout_s" in m.message]
    assert told and told[-1].type == types.MessageType.Warning, [m.message for m in client.messages]


async def test_an_answering_client_still_settles_on_its_answer(client: LanguageClient, workspace: Path):
    result = await _run(client, workspace, "answer")
    assert result["outcome"] == "applied", result
    assert SETUP.rows()[-1]["outcome"] == "applied"


async def test_a_late_answer_that_disagrees_is_told_and_the_ledger_keeps_its_outcome(
        client: LanguageClient, workspace: Path):
    result = await _run(client, workspace, "late")  # answers "applied" after the run settled
    assert result["outcome"] == "rejected", result
    assert SETUP.rows()[-1]["outcome"] == "rejected"
    told: list[str] = []
    for _ in range(600):  # a bound on the wait for the server's message, not a duration asserted
        if told := [m.message for m in client.messages if "after the run was settled" in m.message]:
            break
        await asyncio.sleep(0.05)
    assert told and "answered 'applied'" in told[-1] and "keeps 'rejected'" in told[-1], told
