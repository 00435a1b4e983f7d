"""The baseline for bench_lsp.py: a pygls 2 server that answers codeAction with nothing, or with
`--actions N` static actions shaped like modelroute's (to separate the cost of answering with
actions, paid partly by the client, from the cost of modelroute's own work)."""

from __future__ import annotations

import sys
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("noop", "0", text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
ARGS = {"uri": "file:///ws/src/pkg_000/orders.py",
        "range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 80}},
        "instruction": "split this loader into a reader and a validator and update every caller"}
ACTIONS: list[Any] = []


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
def code_action(ls: LanguageServer, params: types.CodeActionParams) -> list[Any]:
    return ACTIONS


def static_actions(count: int) -> list[Any]:
    title = "Refactor with Claude Opus 4.6 · ~$0.031 (multi-file refactor) — needs ANTHROPIC_API_KEY"
    return [types.CodeAction(title=title, kind="refactor.rewrite.modelroute",
                             command=types.Command(title="Run with modelroute", command="modelroute.run",
                                                   arguments=[{**ARGS, "model": f"model-{i}"}]))
            for i in range(count)]


if __name__ == "__main__":
    if "--actions" in sys.argv:
        ACTIONS.extend(static_actions(int(sys.argv[sys.argv.index("--actions") + 1])))
    server.start_io()
