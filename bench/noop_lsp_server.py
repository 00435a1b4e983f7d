"""The baseline for bench_lsp.py: a pygls 2 server that answers codeAction with nothing."""

from __future__ import annotations

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("noop", "0", text_document_sync_kind=types.TextDocumentSyncKind.Incremental)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
def code_action(ls: LanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    return []


if __name__ == "__main__":
    server.start_io()
