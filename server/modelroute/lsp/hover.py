"""Hover on a directive line: the decision in short (model, cost, category, top reasons).

Markdown hovers keep `$` away from math renderers: JupyterLab (and other clients with math support)
render `$...$` as TeX, which turned "~$0.42 (range $0.30–$0.61)" into formulas, and a backslash
before the dollar did not stop JupyterLab's MathJax (seen in real JupyterLab 4.6 with
jupyterlab-lsp 5.3). Amounts go in code spans, which no math renderer reads; any other `$` is escaped.
"""

from __future__ import annotations

import re

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


_CODE_SPAN = re.compile(r"(`[^`\n]*`)")
_AMOUNT = re.compile(r"(~?\$\d[\d,]*(?:\.\d+)?)")


def escape_math(markdown: str) -> str:
    """Amounts (`~$0.42`, `$0.30`) as code spans, any other `$` as `\\$`; code spans stay as they are."""
    out: list[str] = []
    for i, part in enumerate(_CODE_SPAN.split(markdown)):
        if i % 2:
            out.append(part)
            continue
        pieces = _AMOUNT.split(part.replace("\\$", "$"))
        out.append("".join(f"`{p}`" if j % 2 else p.replace("$", "\\$") for j, p in enumerate(pieces)))
    return "".join(out)
