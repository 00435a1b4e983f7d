"""Shared set-up for the run tests: one fake provider per test module, a server environment that
points the real SDKs at it, and a client that applies edits like an editor and answers questions."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from modelroute_testing.fakeprovider.server import FakeProvider
from tests.lsp.lsp_helpers import SERVER_COMMAND, make_client, server_env

PROVIDER_TOML = """\
[providers.anthropic]
max_retries = 1
timeout_s = 1.0

[providers.openai]
max_retries = 1
timeout_s = 1.0
"""


class Setup:
    """A fake provider and a private config/data home for one test module's server."""

    def __init__(self) -> None:
        self.fake = FakeProvider().start()
        self.home = Path(tempfile.mkdtemp(prefix="modelroute-run-test-"))
        config = self.home / "config" / "modelroute" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(PROVIDER_TOML)
        self.data = self.home / "data"

    def config(self) -> ClientServerConfig:
        env = server_env(
            XDG_CONFIG_HOME=str(self.home / "config"),
            MODELROUTE_DATA_DIR=str(self.data),
            ANTHROPIC_API_KEY="sk-ant-test-key",
            OPENAI_API_KEY="sk-test-key",
            ANTHROPIC_BASE_URL=self.fake.anthropic_base_url,
            OPENAI_BASE_URL=self.fake.openai_base_url,
        )
        return ClientServerConfig(server_command=SERVER_COMMAND, client_factory=editor_client, server_env=env)

    def rows(self) -> list[dict[str, Any]]:
        return ledger_rows(self.data)


def ledger_rows(data: Path) -> list[dict[str, Any]]:
    """The ledger's rows under a data folder, read with plain sqlite3 (a server owns the Ledger object)."""
    path = data / "ledger.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]


Answer = Callable[[types.ShowMessageRequestParams], "str | Awaitable[str | None] | None"]
NEVER = "<never answer>"


def editor_client() -> LanguageClient:
    """pytest-lsp's client acting like an editor: it keeps the open documents' text, applies
    workspace/applyEdit (refusing a versioned edit for another version, as vscode-languageclient
    does), tells the server about the change, and answers showMessageRequest through `answer`."""
    client = make_client()
    client.texts = {}  # type: ignore[attr-defined]  # uri -> (version, text)
    client.questions = []  # type: ignore[attr-defined]
    client.edits = []  # type: ignore[attr-defined]
    client.answer = lambda params: "Cancel"  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    async def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        client.questions.append(params)  # type: ignore[attr-defined]
        title = client.answer(params)  # type: ignore[attr-defined]
        if inspect.isawaitable(title):  # a user who takes their time
            title = await title
        if title == NEVER:  # a client that shows nothing and never answers (Helix, a closed window)
            await asyncio.sleep(3600)
        return types.MessageActionItem(title=title) if title else None

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.edits.append(params)  # type: ignore[attr-defined]
        return apply_edit(client, params.edit)

    return client


def apply_edit(client: LanguageClient, edit: types.WorkspaceEdit) -> types.ApplyWorkspaceEditResult:
    """Apply like VS Code when the user presses Apply: changes whose annotation needs confirmation
    are shown unticked in the Refactor Preview, so they are left out."""
    texts: dict[str, tuple[int, str]] = client.texts  # type: ignore[attr-defined]
    planned: dict[str, str] = {}
    unticked = {k for k, a in (edit.change_annotations or {}).items() if a.needs_confirmation}
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            planned.setdefault(change.uri, "")
            continue
        assert isinstance(change, types.TextDocumentEdit)
        uri = change.text_document.uri
        if change.text_document.version is not None:
            current = texts.get(uri)
            if current is None or current[0] != change.text_document.version:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="document version changed")
        base = planned.get(uri, texts[uri][1] if uri in texts else "")
        ticked = [e for e in change.edits if getattr(e, "annotation_id", None) not in unticked]
        planned[uri] = edit_text(base, ticked)
    for uri, edits in (edit.changes or {}).items():
        planned[uri] = edit_text(texts[uri][1] if uri in texts else "", list(edits))
    for uri, text in planned.items():
        version = texts[uri][0] + 1 if uri in texts else 1
        change_doc(client, uri, text, version)
    return types.ApplyWorkspaceEditResult(applied=True)


def edit_text(text: str, edits: list[Any]) -> str:
    """Apply LSP text edits (ASCII test files: characters are code units), last first."""
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        return sum(len(line) for line in lines[: pos.line]) + pos.character

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(e.range.start), offset(e.range.end)
        text = text[:start] + e.new_text + text[end:]
        lines = text.splitlines(keepends=True)
    return text


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python", version: int = 1) -> None:
    client.texts[uri] = (version, text)  # type: ignore[attr-defined]
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))


def change_doc(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """A whole-document change, as an editor sends after applying an edit or the user typing."""
    client.texts[uri] = (version, text)  # type: ignore[attr-defined]
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
    ))


def text_of(client: LanguageClient, uri: str) -> str:
    return str(client.texts[uri][1])  # type: ignore[attr-defined]


def version_of(client: LanguageClient, uri: str) -> int:
    return int(client.texts[uri][0])  # type: ignore[attr-defined]
