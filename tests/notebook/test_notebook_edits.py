"""Edits computed on the notebook context land in the right cell: a WorkspaceEdit on that cell's URI
(notebook sync) or on the virtual document (jupyter-lsp)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace

from modelroute.context.model import Position, Range
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
    target = notebooks.resolve(server, cell_uri(tmp_path, 1))
    assert target is not None and target.cell == 1 and target.rel == "nb.ipynb"
    second = target.layout.starts[1]
    new = "df.groupby('month')['revenue'].sum().plot()"
    edit = notebooks.workspace_edit(target, [
        (Range(start=Position(line=second + 1, character=0), end=Position(line=second + 1, character=9)), new),
    ])
    assert edit.changes is None
    assert edit.document_changes is not None and len(edit.document_changes) == 1
    change = edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == cell_uri(tmp_path, 1) and change.text_document.version == 6
    assert change.edits[0].range == types.Range(start=types.Position(line=1, character=0),
                                                end=types.Position(line=1, character=9))
    assert change.edits[0].new_text == new
    # unversioned for clients without documentChanges; positions in UTF-16 units (the emoji is 2)
    third = target.layout.starts[2]
    plain = notebooks.workspace_edit(target, [(Range(start=Position(line=third, character=11),
                                                     end=Position(line=third, character=11)), "!")], versioned=False)
    assert plain.changes == {cell_uri(tmp_path, 2): [types.TextEdit(
        range=types.Range(start=types.Position(line=0, character=12), end=types.Position(line=0, character=12)),
        new_text="!")]}
    with pytest.raises(NotebookEditError):
        notebooks.workspace_edit(target, [(Range(start=Position(line=0, character=0),
                                                 end=Position(line=second, character=1)), "x")])
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
    server.registry.add_folder(tmp_path)  # the Jupyter root, as rootUri makes it
    text = f"{CELLS[0]}\n\n\n\n\n\n{CELLS[1]}\n"  # as JupyterLab sends it: the markdown cell is one empty line
    server.workspace.put_text_document(types.TextDocumentItem(uri=virtual.as_uri(), language_id="python",
                                                              version=1, text=text))
    target = notebooks.resolve(server, virtual.as_uri())
    assert target is not None and target.rel == "sub/nb.ipynb" and target.cell_uris is None
    assert [c.kind for c in target.cells] == ["code", "markdown", "code"]
    assert target.cells[0].has_error and target.cells[1].text == "## Plot"
    directive = notebooks.directive_at(target, 7)
    assert directive is not None and directive.instruction == "plot revenue by month"
    _, request = notebooks.notebook_request(target, start=Position(line=7, character=3), end=None,
                                            instruction=directive.instruction, directive=directive)
    assert request.notebook is not None and request.notebook.active_cell == 2
    assert request.file == "sub/nb.ipynb" and request.document_text == text
    edit = notebooks.workspace_edit(target, [(Range(start=Position(line=8, character=0),
                                                    end=Position(line=8, character=9)), "df.plot(x='month')")])
    change = edit.document_changes[0]  # type: ignore[index]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.uri == virtual.as_uri()
    assert change.edits[0].range.start == types.Position(line=8, character=0)
    await server.idle()
