"""LSP 3.17 notebook sync end to end over stdio: a three-cell notebook, a traceback in the first
cell's output, a directive in the second; the decision reads the whole notebook."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

from modelroute_testing.env import scrubbed_env
from tests.notebook.three_cells import cell_uri, did_open

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOME = Path(tempfile.mkdtemp(prefix="modelroute-nb-test-"))
ENV = scrubbed_env() | {
    "XDG_CONFIG_HOME": str(HOME / "config"), "XDG_CACHE_HOME": str(HOME / "cache"),
    "XDG_DATA_HOME": str(HOME / "data"), "XDG_STATE_HOME": str(HOME / "state"),
}



def make_client() -> LanguageClient:
    client = make_test_lsp_client()
    converter = client.protocol._converter

    def action_or_command(obj: Any, _: Any) -> types.CodeAction | types.Command:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)  # type: ignore[no-any-return]

    converter.register_structure_hook(Union[types.Command, types.CodeAction], action_or_command)  # noqa: UP007
    return client


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nbws")
    (root / ".modelroute.toml").write_text('objective = "balanced"\n')
    (root / "analysis.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "modelroute.lsp.main"],
                              client_factory=make_client, server_env=ENV),
    scope="module",
)
async def client(lsp_client: LanguageClient, workspace: Path):
    caps = client_capabilities("visual-studio-code")
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(execution_summary_support=True)
    )
    result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="nbws")],
    ))
    lsp_client.server_caps = result.capabilities  # type: ignore[attr-defined]
    await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))
    lsp_client.notebook_document_did_open(did_open(workspace))
    yield
    await lsp_client.shutdown_session()


def _range(line: int, c1: int, c2: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=c1), end=types.Position(line=line, character=c2))


async def test_server_advertises_notebook_sync(client: LanguageClient) -> None:
    sync = client.server_caps.notebook_document_sync  # type: ignore[attr-defined]
    assert sync is not None and sync.save is True
    languages = {c.language for f in sync.notebook_selector for c in (f.cells or [])}
    assert {"python", "r", "julia", "sql", "markdown"} <= languages


async def test_directive_in_second_cell_gets_priced_actions_on_that_cell(client: LanguageClient, workspace: Path):
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=cell_uri(workspace, 1)), range=_range(1, 4, 4),
        context=types.CodeActionContext(diagnostics=[]),
    ))
    actions = [a for a in result or [] if isinstance(a, types.CodeAction)]
    priced = [a for a in actions if a.command and a.command.command == "modelroute.run"]
    assert len(priced) >= 2, [a.title for a in actions]
    assert priced[0].title.startswith("Debug with "), priced[0].title
    assert "$" in priced[0].title
    for action in priced:
        args = action.command.arguments[0]  # type: ignore[union-attr,index]
        assert args["uri"] == cell_uri(workspace, 1)  # positions stay cell-local
        assert args["range"]["start"] == {"line": 1, "character": 0}
        assert args["instruction"] == "fix the KeyError from the cell above"
    assert any(a.title == "Why this model?" for a in actions)
    # a line without a directive and no selection: nothing
    assert not await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=cell_uri(workspace, 0)), range=_range(0, 0, 0),
        context=types.CodeActionContext(diagnostics=[]),
    ))


async def test_route_reads_the_whole_notebook(client: LanguageClient, workspace: Path) -> None:
    args = {"uri": cell_uri(workspace, 1), "range": {"start": {"line": 1, "character": 0},
            "end": {"line": 1, "character": 0}}, "instruction": "fix the KeyError from the cell above"}
    routed = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="modelroute.route", arguments=[args]))
    assert routed["category"] == "debugging"
    assert routed["notebook"] == {"file": "analysis.ipynb", "active_cell": 1, "cells": 3}
    explained = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="modelroute.explainRoute", arguments=[args]))
    assert "`analysis.ipynb` lines 1-" in explained["markdown"] and "(the notebook)" in explained["markdown"]


async def test_selection_in_a_cell_offers_explain_and_review(client: LanguageClient, workspace: Path) -> None:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=cell_uri(workspace, 1)),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=38)),
        context=types.CodeActionContext(diagnostics=[]),
    ))
    titles = [a.title for a in result or []]
    assert any(t.startswith("Explain with ") for t in titles), titles
    assert any(t.startswith("Review with ") for t in titles), titles


async def test_plain_files_still_go_to_the_original_handlers(client: LanguageClient, workspace: Path) -> None:
    (workspace / "helper.py").write_text("def f(x):\n    # add type hints AI!\n    return x\n")
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=(workspace / "helper.py").as_uri(), language_id="python", version=1,
        text=(workspace / "helper.py").read_text())))
    routed = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="modelroute.route", arguments=[{"uri": (workspace / "helper.py").as_uri(),
                                                "range": {"start": {"line": 1, "character": 0},
                                                          "end": {"line": 1, "character": 0}},
                                                "instruction": "add type hints"}]))
    assert routed["category"] == "quick_edit" and "notebook" not in routed
