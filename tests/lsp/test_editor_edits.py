"""How the language server's editor turns a change set into one WorkspaceEdit: versioned with no
confirmation asked (VS Code's Apply applies it as shown), flagged changes alone annotated as needing
confirmation with a label that says they are not ticked, plain `changes` for clients without
documentChanges, and a clear refusal for what a client cannot take."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace
from pytest_lsp import client_capabilities

from modelroute.changeset import Change, ChangeSet, Flag
from modelroute.lsp.documents import DocumentQuery
from modelroute.lsp.editor import FLAGGED_ID, LspEditor
from modelroute.lsp.server import ModelrouteServer
from modelroute.run.editor import Offer

OLD = "def load(path):\n    return path\n"
NEW = "def load(path: str) -> str:\n    return path\n"


def editor_for(root: Path, profile: str) -> tuple[LspEditor, str]:
    server = ModelrouteServer()
    server.protocol._workspace = Workspace(root.as_uri())
    server.protocol.client_capabilities = client_capabilities(profile)
    server.session.registry.add_folder(root)  # not started: nothing here decides
    (root / "app.py").write_text(OLD)
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").write_text("def test():\n    assert True\n")
    uri = (root / "app.py").as_uri()
    server.session.documents.opened(types.TextDocumentItem(uri=uri, language_id="python", version=4, text=OLD))
    query = server.session.query(uri)
    assert isinstance(query, DocumentQuery)
    return LspEditor(server, query), uri


def offer(*changes: Change, flagged: tuple[Flag, ...] = ()) -> Offer:
    return Offer(changes=ChangeSet(changes=changes, flagged=flagged), label="Haiku: add hints", description="1 file",
                 read_versions={"app.py": 4})


MODIFIED = Change(path="app.py", kind="modified", original=OLD, new=NEW)


def test_a_plain_change_set_asks_for_no_confirmation(tmp_path: Path) -> None:
    editor, uri = editor_for(tmp_path, "visual-studio-code")
    edit = editor.workspace_edit(offer(MODIFIED))
    assert edit.change_annotations is None
    [doc_edit] = edit.document_changes or []
    assert isinstance(doc_edit, types.TextDocumentEdit)
    assert doc_edit.text_document.uri == uri and doc_edit.text_document.version == 4
    assert all(not isinstance(e, types.AnnotatedTextEdit) for e in doc_edit.edits)


def test_only_flagged_changes_ask_and_say_they_are_not_ticked(tmp_path: Path) -> None:
    editor, _ = editor_for(tmp_path, "visual-studio-code")
    test_change = Change(path="tests/test_app.py", kind="modified", original="def test():\n    assert True\n",
                         new="def test():\n    pass\n")
    created = Change(path="app_types.py", kind="created", new="X = 1\n")
    edit = editor.workspace_edit(offer(MODIFIED, test_change, created,
                                       flagged=(Flag(path="tests/test_app.py", reason="a test changed during a fix"),)))
    annotation = (edit.change_annotations or {})[FLAGGED_ID]
    assert annotation.needs_confirmation is True and "not ticked" in annotation.label
    assert "tests/test_app.py: a test changed during a fix" in annotation.label
    ops = edit.document_changes or []
    creates = [op for op in ops if isinstance(op, types.CreateFile)]
    assert [op.uri for op in creates] == [(tmp_path / "app_types.py").as_uri()] and creates[0].annotation_id is None
    by_uri = {op.text_document.uri: op for op in ops if isinstance(op, types.TextDocumentEdit)}
    flagged = by_uri[(tmp_path / "tests" / "test_app.py").as_uri()]
    assert all(isinstance(e, types.AnnotatedTextEdit) and e.annotation_id == FLAGGED_ID for e in flagged.edits)
    plain = by_uri[(tmp_path / "app.py").as_uri()]
    assert all(not isinstance(e, types.AnnotatedTextEdit) for e in plain.edits)


def test_a_client_without_document_changes_gets_plain_changes_and_cannot_create(tmp_path: Path) -> None:
    editor, uri = editor_for(tmp_path, "neovim@v0.7.0")
    edit = editor.workspace_edit(offer(MODIFIED))
    assert edit.document_changes is None and list(edit.changes or {}) == [uri]
    with pytest.raises(ValueError, match="cannot create files"):
        editor.workspace_edit(offer(Change(path="new.py", kind="created", new="x\n")))


def test_binary_changes_are_refused_with_a_reason(tmp_path: Path) -> None:
    editor, _ = editor_for(tmp_path, "visual-studio-code")
    with pytest.raises(ValueError, match="binary"):
        editor.workspace_edit(offer(Change(path="logo.png", kind="modified", binary=True, size=10)))
