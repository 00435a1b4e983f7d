"""A directive in a VS Code notebook cell (`vscode-notebook-cell:` URIs, LSP 3.17 notebook sync)
gets what a directive in a file gets: priced actions, the hover and the inlay hint, each on the
cell's own lines. The real-VS Code test (tests/clients/vscode) drives the same through the UI."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from tests.lsp.lsp_helpers import code_actions, config, idle
from tests.notebook.three_cells import cell_uri, did_open

pytestmark = pytest.mark.asyncio(loop_scope="module")

DIRECTIVE_LINE = 1  # in the second cell


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cellsws")


@pytest_lsp.fixture(config=config(), scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    caps = client_capabilities("visual-studio-code")  # VS Code 1.65's profile: add what 1.139 has
    assert caps.text_document is not None
    caps.text_document.inlay_hint = types.InlayHintClientCapabilities(dynamic_registration=False)
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(execution_summary_support=True))
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="cellsws")]))
    await idle(lsp_client)
    lsp_client.notebook_document_did_open(did_open(workspace))
    yield
    await lsp_client.shutdown_session()


def _at(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def test_a_cell_directive_gets_actions_hover_and_an_inlay_hint(client: LanguageClient, workspace: Path):
    cell = cell_uri(workspace, 1)
    actions = await code_actions(client, cell, types.Range(start=_at(DIRECTIVE_LINE, 0), end=_at(DIRECTIVE_LINE, 0)))
    priced = [a for a in actions if a.command and a.command.command == "modelroute.run"]
    assert len(priced) >= 2 and "~$" in priced[0].title, [a.title for a in actions]

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=cell), position=_at(DIRECTIVE_LINE, 5)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**modelroute**" in hover.contents.value
    assert hover.range is None or hover.range.start.line == DIRECTIVE_LINE

    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=cell),
        range=types.Range(start=_at(0, 0), end=_at(3, 0))))
    assert hints, "no inlay hint on the cell's directive"
    assert [h.position.line for h in hints] == [DIRECTIVE_LINE]
    label = hints[0].label if isinstance(hints[0].label, str) else "".join(p.value for p in hints[0].label)
    assert label.startswith("→ ") and "$" in label, label

    other = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=cell_uri(workspace, 0)),
        range=types.Range(start=_at(0, 0), end=_at(3, 0))))
    assert not other  # the first cell has no directive
