"""Hover on a directive line: the decision in short (model, cost, category, top reasons)."""

from __future__ import annotations

from lsprotocol import types

from modelroute.lsp.documents import build_request
from modelroute.lsp.format import hover_markdown
from modelroute.lsp.server import ModelrouteServer


def register(server: ModelrouteServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ModelrouteServer, params: types.HoverParams) -> types.Hover | None:
        target = ls.target(params.text_document.uri)
        if target is None:
            return None
        pos = target.doc.to_server(params.position)
        directive = ls.directives.on_line(target.doc, pos.line)
        if directive is None:
            return None
        key, request = build_request(
            target.doc,
            target.rel,
            start=pos,
            end=None,
            instruction=directive.instruction,
            directive=directive,
        )
        try:
            routed = await target.state.routed(key, request)
        except Exception as exc:
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"**modelroute**: {exc}")
            )
        line = types.Range(
            start=types.Position(line=directive.line, character=0), end=target.doc.line_end(directive.line)
        )
        return types.Hover(
            contents=_content(ls, hover_markdown(routed.decision)),
            range=line,
        )


def _content(ls: ModelrouteServer, markdown: str) -> types.MarkupContent:
    text = ls.client_capabilities.text_document
    formats = text.hover.content_format if text and text.hover else None
    kind = (
        types.MarkupKind.Markdown if not formats or types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
    )
    return types.MarkupContent(kind=kind, value=markdown)
