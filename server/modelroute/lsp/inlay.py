"""Inlay hints at the end of each directive line: `→ Opus 4.6 · ~$0.42`.

Registered only for clients that advertise `textDocument.inlayHint` (see lifecycle).
"""

from __future__ import annotations

from lsprotocol import types

from modelroute.lsp.documents import build_request
from modelroute.lsp.format import category_label, inlay_label
from modelroute.lsp.server import ModelrouteServer

MAX_HINTS = 50  # a file full of directives must not route hundreds of times per keystroke


def register(server: ModelrouteServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hints(ls: ModelrouteServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
        target = ls.target(params.text_document.uri)
        if target is None:
            return None
        first, last = params.range.start.line, params.range.end.line
        hints: list[types.InlayHint] = []
        for directive in ls.directives.of(target.doc):
            if not first <= directive.line <= last or len(hints) >= MAX_HINTS:
                continue
            key, request = build_request(
                target.doc,
                target.rel,
                start=directive.range.start,
                end=None,
                instruction=directive.instruction,
                directive=directive,
            )
            try:
                routed = await target.state.routed(key, request)
            except Exception:
                continue  # hover and code actions say why; a hint has no room for it
            d = routed.decision
            engine = target.state.engine
            entry = engine.catalog.get(d.model) if engine is not None else None
            short = entry.short_name if entry is not None else d.display_name
            hints.append(
                types.InlayHint(
                    position=target.doc.line_end(directive.line),
                    label=inlay_label(short, d.cost.usd),
                    padding_left=True,
                    tooltip=f"{d.category.verb} with {d.display_name} ({category_label(d.category)})",
                )
            )
        return hints
