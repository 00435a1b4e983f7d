"""Edits computed on the notebook context land in the right cell: a WorkspaceEdit on that cell's URI
(notebook sync) or on the virtual document (jupyter-lsp)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace

from modelroute.context.model import Position
from modelroute.context.notebook import NotebookEditError
from modelroute.lsp import notebooks
from modelroute.lsp.server import ModelrouteServer

CELLS = ["import pandas as pd\ndf = pd.read_csv('s.csv')", "# plot revenue by month AI!\ndf.plot()", "df.tail() 🙂"]


def server_with(root: Path) -> ModelrouteServer:
    server = ModelrouteServer()
    server.protocol._workspace = Workspace(root.as_uri())
    server.protocol.client_capabilities = types.ClientCapabilities()
    return server


def cell_uri(root: Path, i: int) -> str:
    return f"vscode-notebook-cell:{(root / 'nb.ipynb').as_posix()}#c{i}"


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """LSP text edits (ASCII: units are characters) applied last first."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        return sum(len(x) + 1 for x in lines[: pos.line]) + pos.character

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


async def test_edit_on_the_notebook_context_touches_the_second_cell_only(tmp_path: Path) -> None:
    server = server_with(tmp_path)
    server.workspace.put_notebook_document(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=(tmp_path / "nb.ipynb").as_uri(), notebook_type="jupyter-notebook", version=3,
            cells=[types.NotebookCell(kind=types.NotebookCellKind.Code, document=cell_uri(tmp_path, i))
                   for i in range(3)],
        ),
        cell_text_documents=[types.TextDocumentItem(uri=cell_uri(tmp_path, i), language_id="python", version=5 + i,
                                                    text=t) for i, t in enumerate(CELLS)],
    ))
    query = server.session.query(cell_uri(tmp_path, 1))
    assert isinstance(query, notebooks.NotebookQuery)
    assert query.cell == 1 and query.rel == "nb.ipynb" and query.text == query.layout.text
    new = "df.groupby('month')['revenue'].sum().plot()"
    edits = query.text_edits(query.text, query.text.replace("\ndf.plot()", "\n" + new))
    assert list(edits) == [cell_uri(tmp_path, 1)]  # the second cell's URI only
    [edit] = edits[cell_uri(tmp_path, 1)]
    assert edit.range.start.line == 1 and edit.range.end.line == 1  # cell-local lines
    assert apply_edits(CELLS[1], [edit]) == CELLS[1].replace("df.plot()", new)
    assert query.edit_version(cell_uri(tmp_path, 1)) == 6
    # positions in UTF-16 units: the emoji counts 2
    [plain] = query.text_edits(query.text, query.text.replace("🙂", "🙂!"))[cell_uri(tmp_path, 2)]
    assert plain == types.TextEdit(
        range=types.Range(start=types.Position(line=0, character=12), end=types.Position(line=0, character=12)),
        new_text="!")
    second = query.layout.starts[1]
    crossing = query.text.split("\n")
    crossing[second - 1] = "merged"  # a separator line between the first and the second cell
    with pytest.raises(NotebookEditError):
        query.text_edits(query.text, "\n".join(crossing))
    with pytest.raises(ValueError, match="changed while the model was working"):
        query.text_edits("an older text", query.text)
    assert query.buffer.text == query.text
    await server.idle()


async def test_virtual_document_maps_cells_and_keeps_joined_positions(tmp_path: Path) -> None:
    nb = {"nbformat": 4, "metadata": {"kernelspec": {"language": "python"}}, "cells": [
        {"cell_type": "code", "source": CELLS[0], "outputs": [
            {"output_type": "error", "ename": "KeyError", "evalue": "'revenue'",
             "traceback": ["KeyError: 'revenue'"]}]},
        {"cell_type": "markdown", "source": "## Plot"},
        {"cell_type": "code", "source": CELLS[1], "outputs": []},
    ]}
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nb.ipynb").write_text(json.dumps(nb))
    virtual = tmp_path / ".virtual_documents" / "sub" / "nb.ipynb"
    assert notebooks.virtual_notebook_path(virtual.as_uri()) == tmp_path / "sub" / "nb.ipynb"
    assert notebooks.virtual_notebook_path((tmp_path / "sub" / "nb.ipynb").as_uri()) is None
    server = server_with(tmp_path)
    server.session.registry.add_folder(tmp_path)  # the Jupyter root, as rootUri makes it
    text = f"{CELLS[0]}\n\n\n\n\n\n{CELLS[1]}\n"  # as JupyterLab sends it: the markdown cell is one empty line
    server.session.documents.opened(types.TextDocumentItem(uri=virtual.as_uri(), language_id="python",
                                                           version=1, text=text))
    query = server.session.query(virtual.as_uri())
    assert isinstance(query, notebooks.NotebookQuery)
    assert query.rel == "sub/nb.ipynb" and query.cell_uris is None
    assert [c.kind for c in query.cells] == ["code", "markdown", "code"]
    assert query.cells[0].has_error and query.cells[1].text == "## Plot"
    directive = query.directive_on(7)
    assert directive is not None and directive.instruction == "plot revenue by month"
    _, make = query.request(start=Position(line=7, character=3), end=None, instruction=directive.instruction,
                            directive=directive)
    request = make()
    assert request.notebook is not None and request.notebook.active_cell == 2
    assert request.file == "sub/nb.ipynb" and request.document_text == text
    edits = query.text_edits(text, text.replace("df.plot()", "df.plot(x='month')"))
    [edit] = edits[virtual.as_uri()]
    assert edit.range.start.line == 8 and apply_edits(text, [edit]) == text.replace("df.plot()", "df.plot(x='month')")
    await server.idle()
