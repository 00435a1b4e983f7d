"""Inlay hints at the end of each directive line: `→ Opus 4.6 · ~$0.42`.

Registered only for clients that advertise `textDocument.inlayHint` (see lifecycle).
"""

from __future__ import annotations

from lsprotocol import types

from modelroute.lsp.format import category_label, inlay_label
from modelroute.lsp.server import ModelrouteServer

MAX_HINTS = 50  # a file full of directives must not route hundreds of times per keystroke


def register(server: ModelrouteServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hints(ls: ModelrouteServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
        query = ls.session.query(params.text_document.uri)
        if query is None:
            return None
        first, last = params.range.start.line, params.range.end.line
        hints: list[types.InlayHint] = []
        for directive in query.directives():
            uri, line = query.line_range(directive.line)
            if uri != params.text_document.uri or not first <= line.start.line <= last or len(hints) >= MAX_HINTS:
                continue  # a notebook's other cells get their own requests
            key, make = query.request(start=directive.range.start, end=None, instruction=directive.instruction,
                                      directive=directive)
            try:
                entry = await ls.session.decisions.get(query, key, make, stale_ok=True)
            except Exception:
                continue  # hover and code actions say why; a hint has no room for it
            assert entry.routed is not None
            d = entry.routed.decision
            engine = query.state.engine
            model = engine.catalog.get(d.model) if engine is not None else None
            short = model.short_name if model is not None else d.display_name
            hints.append(types.InlayHint(
                position=line.end, label=inlay_label(short, d.cost.usd), padding_left=True,
                tooltip=f"{d.category.verb} with {d.display_name} ({category_label(d.category)})",
            ))
        return hints
