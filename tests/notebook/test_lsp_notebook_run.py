"""modelroute.run on a notebook, end to end over stdio against the fake provider (real SDKs): a
three-cell notebook with notebook sync (VS Code profile), a traceback in the first cell's output, a
directive in the second; the model edits the second cell's code and only that cell changes. Also a
change across cells (refused, nothing applied) and a run on a jupyter-lsp virtual document."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Reply, call
from tests.lsp_run.run_helpers import Setup, edit_text, open_doc, text_of, version_of
from tests.notebook.three_cells import CELLS, ERROR_OUTPUT, cell_uri, did_open

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = Setup()
INSTRUCTION = "fix the KeyError from the cell above"
FIX_OLD = "monthly.plot()"
FIX_NEW = "monthly['amount'].plot(kind='bar')"


def notebook_client() -> LanguageClient:
    """An editor with a notebook: applies cell edits (refusing a stale cell version, as VS Code
    does) and reports them with notebookDocument/didChange; plain documents as run_helpers does."""
    from tests.lsp_run.run_helpers import apply_edit, editor_client

    client = editor_client()
    client.cells = {}  # type: ignore[attr-defined]  # cell uri -> (version, text)
    client.notebook_version = 1  # type: ignore[attr-defined]
    del client.protocol.fm._features[types.WORKSPACE_APPLY_EDIT]  # replaced: this editor has cells too

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.edits.append(params)  # type: ignore[attr-defined]
        cells: dict[str, tuple[int, str]] = client.cells  # type: ignore[attr-defined]
        ops = [c for c in params.edit.document_changes or [] if isinstance(c, types.TextDocumentEdit)]
        if not any(op.text_document.uri in cells for op in ops):
            return apply_edit(client, params.edit)
        for op in ops:
            if op.text_document.uri not in cells or cells[op.text_document.uri][0] != op.text_document.version:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="cell version changed")
        for op in ops:
            text = cells[op.text_document.uri][1]
            set_cell(client, op.text_document.uri, edit_text(text, list(op.edits)))
        return types.ApplyWorkspaceEditResult(applied=True)

    return client


def set_cell(client: LanguageClient, uri: str, text: str) -> None:
    """A cell's new text, told to the server as a notebook change (whole-cell content change)."""
    version = client.cells[uri][0] + 1  # type: ignore[attr-defined]
    client.cells[uri] = (version, text)  # type: ignore[attr-defined]
    client.notebook_version += 1  # type: ignore[attr-defined]
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(
            uri=client.notebook_uri, version=client.notebook_version),  # type: ignore[attr-defined]
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
            types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        ])),
    ))


CONFIG = SETUP.config()
CONFIG.client_factory = notebook_client


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nbrun")
    (root / ".modelroute.toml").write_text('objective = "balanced"\n')
    (root / "analysis.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "cells": [
            {"cell_type": "code", "source": CELLS[0], "metadata": {}, "execution_count": 1,
             "outputs": [ERROR_OUTPUT]},
            {"cell_type": "code", "source": CELLS[1], "metadata": {}, "execution_count": None, "outputs": []},
            {"cell_type": "markdown", "source": CELLS[2], "metadata": {}},
        ],
    }))
    return root


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    caps = client_capabilities("visual-studio-code")
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(execution_summary_support=True)
    )
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="nbrun")],
    ))
    await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))
    lsp_client.notebook_uri = (workspace / "analysis.ipynb").as_uri()  # type: ignore[attr-defined]
    lsp_client.cells = {cell_uri(workspace, i): (1, t) for i, t in enumerate(CELLS)}  # type: ignore[attr-defined]
    lsp_client.notebook_document_did_open(did_open(workspace))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(autouse=True)
def fresh(client: LanguageClient) -> None:
    SETUP.fake.reset()
    client.answer = lambda params: params.actions[0].title if params.actions else None  # type: ignore[attr-defined]


def cells_of(client: LanguageClient) -> dict[str, tuple[int, str]]:
    return dict(client.cells)  # type: ignore[attr-defined]


async def directive_run_args(client: LanguageClient, workspace: Path) -> dict[str, Any]:
    """The routed model's action on the directive in the second cell, as the editor offers it."""
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=cell_uri(workspace, 1)),
        range=types.Range(start=types.Position(line=1, character=4), end=types.Position(line=1, character=4)),
        context=types.CodeActionContext(diagnostics=[]),
    ))
    action = next(a for a in result or [] if isinstance(a, types.CodeAction) and a.is_preferred)
    assert action.command is not None and action.command.arguments
    args: dict[str, Any] = action.command.arguments[0]
    return args


async def execute(client: LanguageClient, args: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="modelroute.run", arguments=[args]))
    return result


async def test_a_run_edits_the_second_cell_only(client: LanguageClient, workspace: Path) -> None:
    args = await directive_run_args(client, workspace)
    assert args["uri"] == cell_uri(workspace, 1) and args["instruction"] == INSTRUCTION
    before = cells_of(client)
    SETUP.fake.queue(
        Reply(tool_calls=[call("read_file", path="analysis.ipynb")]),
        Reply(tool_calls=[call("propose_edit", path="analysis.ipynb", old_text=FIX_OLD, new_text=FIX_NEW)]),
        Reply(text="Plot the amount column: revenue does not exist.", output_tokens=30),
    )
    result = await execute(client, args)
    assert result["outcome"] == "applied", result
    assert result["category"] == "debugging" and result["files"] == ["analysis.ipynb"]

    [params] = client.edits[-1:]  # type: ignore[attr-defined]
    [cell_edit] = params.edit.document_changes
    assert cell_edit.text_document.uri == cell_uri(workspace, 1)
    assert cell_edit.text_document.version == before[cell_uri(workspace, 1)][0]
    assert all(e.range.start.line == 2 for e in cell_edit.edits)  # cell-local: the cell's third line
    after = cells_of(client)
    assert after[cell_uri(workspace, 1)][1] == CELLS[1].replace(FIX_OLD, FIX_NEW)
    assert after[cell_uri(workspace, 0)] == before[cell_uri(workspace, 0)]
    assert after[cell_uri(workspace, 2)] == before[cell_uri(workspace, 2)]

    # the model read the joined cells, and its prompt had the whole notebook and the cell layout
    first, second = SETUP.fake.model_requests()[:2]
    prompt = json.dumps(first.json)
    assert "Traceback" in prompt and "Revenue is in euros." in prompt and "cell 2 at line 6" in prompt
    assert "monthly = sales.groupby('month').sum()\\n# fix the KeyError" in json.dumps(second.json)

    row = SETUP.rows()[-1]
    assert row["id"] == result["run_id"] and row["outcome"] == "applied"
    assert row["category"] == "debugging" and row["act_usd"] > 0 and row["model"] == args["model"]
    await _restore(client, workspace)


async def test_a_change_across_two_cells_is_refused_and_nothing_applied(
    client: LanguageClient, workspace: Path
) -> None:
    args = await directive_run_args(client, workspace)
    edits_before = len(client.edits)  # type: ignore[attr-defined]
    before = cells_of(client)
    SETUP.fake.queue(
        Reply(tool_calls=[call("propose_edit", path="analysis.ipynb",
                               old_text="monthly.plot()\n\n\n## Notes", new_text="monthly.plot()\n## Notes")]),
        Reply(text="Merged the notes into the code cell.", output_tokens=20),
    )
    result = await execute(client, args)
    assert result["outcome"] == "rejected", result
    assert "within one cell" in result["message"] and "cells (2 and 3)" in result["message"]
    assert len(client.edits) == edits_before  # type: ignore[attr-defined]
    assert cells_of(client) == before
    row = SETUP.rows()[-1]
    assert row["id"] == result["run_id"] and row["outcome"] == "rejected"


async def test_a_run_on_a_virtual_document_edits_at_joined_positions(
    client: LanguageClient, workspace: Path
) -> None:
    """jupyter-lsp: one document of the code cells joined; the markdown cell is one empty line."""
    uri = (workspace / ".virtual_documents" / "analysis.ipynb").as_uri()
    text = f"{CELLS[0]}\n\n\n{CELLS[1]}\n\n\n\n"
    open_doc(client, uri, text)
    args = {"uri": uri, "range": {"start": {"line": 6, "character": 0}, "end": {"line": 6, "character": 0}},
            "instruction": INSTRUCTION}
    SETUP.fake.queue(
        Reply(tool_calls=[call("propose_edit", path="analysis.ipynb", old_text=FIX_OLD, new_text=FIX_NEW)]),
        Reply(text="done", output_tokens=10),
    )
    version = version_of(client, uri)
    result = await execute(client, args)
    assert result["outcome"] == "applied", result
    [params] = client.edits[-1:]  # type: ignore[attr-defined]
    [doc_edit] = params.edit.document_changes
    assert doc_edit.text_document.uri == uri and doc_edit.text_document.version == version
    assert all(e.range.start.line == 7 for e in doc_edit.edits)  # joined: cell 2 starts at line 5
    assert text_of(client, uri) == text.replace(FIX_OLD, FIX_NEW)
    assert "markdown cell is one empty line" in json.dumps(SETUP.fake.model_requests()[0].json)
    assert SETUP.rows()[-1]["outcome"] == "applied"


async def _restore(client: LanguageClient, workspace: Path) -> None:
    """Put the second cell back as the user would (the next test starts from the original)."""
    set_cell(client, cell_uri(workspace, 1), CELLS[1])
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))


async def test_review_findings_land_in_the_cell_they_start_in(client: LanguageClient, workspace: Path) -> None:
    args = await directive_run_args(client, workspace)
    SETUP.fake.queue(
        Reply(tool_calls=[call("report_finding", path="analysis.ipynb", line=8, severity="warning",
                               message="monthly has no 'revenue' column")]),
        Reply(text="One finding.", output_tokens=10),
    )
    result = await execute(client, args)
    assert result["outcome"] == "reviewed" and result["findings"] == 1, result
    [finding] = client.diagnostics[cell_uri(workspace, 1)]
    # joined line 8 (1-based) is the second cell's third line: cell-local line 2, to its end
    assert finding.range.start.line == 2 and finding.range.end == types.Position(line=2, character=len(FIX_OLD))
    assert finding.source == "modelroute review"
    assert not client.diagnostics.get(cell_uri(workspace, 0)) and not client.diagnostics.get(cell_uri(workspace, 2))


async def test_a_cell_changed_while_the_model_worked_gets_no_edit(client: LanguageClient, workspace: Path) -> None:
    args = await directive_run_args(client, workspace)
    edits_before = len(client.edits)  # type: ignore[attr-defined]
    SETUP.fake.queue(
        Reply(tool_calls=[call("propose_edit", path="analysis.ipynb", old_text=FIX_OLD, new_text=FIX_NEW)],
              event_delay_s=0.1),
        Reply(text="done", output_tokens=10),
    )
    running = asyncio.ensure_future(execute(client, args))
    await asyncio.sleep(0.2)
    edited = CELLS[0].replace("sales.csv", "sales_2024.csv")
    set_cell(client, cell_uri(workspace, 0), edited)  # the user keeps typing in the first cell
    result = await running
    assert result["outcome"] == "rejected" and "changed while the model was working" in result["message"], result
    assert len(client.edits) == edits_before  # type: ignore[attr-defined]
    assert cells_of(client)[cell_uri(workspace, 1)][1] == CELLS[1]
    assert SETUP.rows()[-1]["outcome"] == "rejected"
    set_cell(client, cell_uri(workspace, 0), CELLS[0])
