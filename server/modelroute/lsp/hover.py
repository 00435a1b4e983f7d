"""Hover on a directive line: the decision in short (model, cost, category, top reasons).

Markdown hovers escape `$`: JupyterLab (and other clients with math support) render `$...$` as TeX,
which turned "~$0.42 (range $0.30–$0.61)" into formulas.
"""

from __future__ import annotations

from lsprotocol import types

from modelroute.lsp.format import hover_markdown
from modelroute.lsp.server import ModelrouteServer


def register(server: ModelrouteServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ModelrouteServer, params: types.HoverParams) -> types.Hover | None:
        query = ls.session.query(params.text_document.uri)
        if query is None:
            return None
        pos = query.to_server(params.position)
        directive = query.directive_on(pos.line)
        if directive is None:
            return None
        key, make = query.request(start=pos, end=None, instruction=directive.instruction, directive=directive)
        try:
            entry = await ls.session.decisions.get(query, key, make, stale_ok=True)
        except Exception as exc:
            return types.Hover(contents=_content(ls, f"**modelroute**: {exc}"))
        assert entry.routed is not None
        _, line = query.line_range(directive.line)
        return types.Hover(contents=_content(ls, hover_markdown(entry.routed.decision)), range=line)


def _content(ls: ModelrouteServer, markdown: str) -> types.MarkupContent:
    text = ls.client_capabilities.text_document
    formats = text.hover.content_format if text and text.hover else None
    if formats and types.MarkupKind.Markdown not in formats:
        return types.MarkupContent(kind=types.MarkupKind.PlainText, value=markdown)
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=escape_math(markdown))


def escape_math(markdown: str) -> str:
    """`$` as `\\$`: CommonMark shows a literal dollar, and no client starts TeX math."""
    return markdown.replace("\\$", "$").replace("$", "\\$")
