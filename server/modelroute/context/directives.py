"""Directive comments: `AI!` (do it) or `AI?` (answer it) at the start or end of a comment.

Columns are Python string indices (code points) within the line; the LSP layer converts them to
the client's position encoding. Comments are found outside string literals on the same line
where the language's quoting makes that cheap; multi-line strings and block comments are not
tracked (a marker there must sit in a one-line comment).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from modelroute.context.languages import CommentSyntax, comment_syntax
from modelroute.context.model import Position, Range

DirectiveKind = Literal["do", "ask"]


class Directive(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int  # 0-based
    kind: DirectiveKind
    instruction: str  # the comment text without the marker and comment syntax
    range: Range  # the whole comment on that line, delimiters included
    marker_at: Literal["start", "end"]


# Cheap pre-filter over the whole text: most files have no candidate at all.
_CANDIDATE = re.compile(r"ai[!?]", re.IGNORECASE)
_START = re.compile(r"^ai([!?])(?![\w!?])[\s:,.\-]*", re.IGNORECASE)
_END = re.compile(r"(?<![\w!?])ai([!?])$", re.IGNORECASE)
_KIND: dict[str, DirectiveKind] = {"!": "do", "?": "ask"}

# (span start, span end, body start, body end) within one line
_Span = tuple[int, int, int, int]


def find_directives(text: str, language_id: str) -> list[Directive]:
    """Every directive comment in `text`, in line order; never raises on any input string."""
    syntax = comment_syntax(language_id)
    found: list[Directive] = []
    line_no = 0
    counted_to = 0
    next_line_start = -1
    for match in _CANDIDATE.finditer(text):
        if match.start() < next_line_start:
            continue  # this line was already examined
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        line_no += text.count("\n", counted_to, start)
        counted_to = start
        next_line_start = end + 1
        line = text[start:end].rstrip("\r")
        directive = _directive_in_line(line, line_no, syntax)
        if directive is not None:
            found.append(directive)
    return found


def directives_in_lines(lines: Sequence[str], language_id: str, first: int = 0, stop: int | None = None
                        ) -> list[Directive]:
    """The directives on `lines[first:stop]` (lines with or without their line ends), numbered by their
    index in `lines`: what an edit touched is rescanned, not the whole document."""
    syntax = comment_syntax(language_id)
    found: list[Directive] = []
    end = len(lines) if stop is None else min(stop, len(lines))
    for line_no in range(max(first, 0), end):
        line = lines[line_no]
        if _CANDIDATE.search(line) is None:
            continue
        directive = _directive_in_line(line.rstrip("\r\n"), line_no, syntax)
        if directive is not None:
            found.append(directive)
    return found


class DirectiveMap:
    """A document's directives kept current from its edits.

    `replaced(first, removed, lines)`: the `removed` lines from `first` were replaced, and `lines`
    is the document now; directives after the edit move by the change in line count, and only the
    lines the edit wrote are scanned again."""

    def __init__(self, lines: Sequence[str], language_id: str) -> None:
        self.language_id = language_id
        self._by_line = {d.line: d for d in directives_in_lines(lines, language_id)}
        self._line_count = len(lines)

    def replaced(self, first: int, removed: int, lines: Sequence[str]) -> None:
        added = removed + len(lines) - self._line_count
        self._line_count = len(lines)
        shift = added - removed
        kept: dict[int, Directive] = {}
        for line, directive in self._by_line.items():
            if line < first:
                kept[line] = directive
            elif line >= first + removed:
                kept[line + shift] = _moved(directive, line + shift) if shift else directive
        for directive in directives_in_lines(lines, self.language_id, first, first + max(added, 0)):
            kept[directive.line] = directive
        self._by_line = kept

    def all(self) -> list[Directive]:
        return [self._by_line[line] for line in sorted(self._by_line)]

    def snapshot(self) -> Mapping[int, Directive]:
        """Line -> directive as of now (an edit builds a new mapping; this one stays as it is)."""
        return self._by_line

    def on_line(self, line: int) -> Directive | None:
        return self._by_line.get(line)


def _moved(directive: Directive, line: int) -> Directive:
    rng = directive.range
    return directive.model_copy(update={
        "line": line,
        "range": Range(start=Position(line=line, character=rng.start.character),
                       end=Position(line=line, character=rng.end.character)),
    })


def _directive_in_line(line: str, line_no: int, syntax: CommentSyntax) -> Directive | None:
    for span_start, span_end, body_start, body_end in _comment_spans(line, syntax):
        parsed = _parse_body(line[body_start:body_end])
        if parsed is None:
            continue
        kind, instruction, marker_at = parsed
        return Directive(
            line=line_no,
            kind=kind,
            instruction=instruction,
            range=Range(
                start=Position(line=line_no, character=span_start),
                end=Position(line=line_no, character=span_end),
            ),
            marker_at=marker_at,
        )
    return None


def _parse_body(body: str) -> tuple[DirectiveKind, str, Literal["start", "end"]] | None:
    # Decorations such as `##`, `///`, `;;;`, `--- ` or a doc-comment `!`/`*` are not text.
    text = body.strip().lstrip("#/;-*!%").strip()
    start = _START.match(text)
    if start is not None:
        rest = text[start.end() :]
        end = _END.search(rest)
        if end is not None:
            rest = rest[: end.start()]
        return _KIND[start.group(1)], rest.strip(), "start"
    end = _END.search(text)
    if end is not None:
        return _KIND[end.group(1)], text[: end.start()].strip(), "end"
    return None


def _comment_spans(line: str, syntax: CommentSyntax) -> list[_Span]:
    """Comments on one line, skipping quoted strings; a line comment ends the scan."""
    spans: list[_Span] = []
    i, n, quote = 0, len(line), ""
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch in syntax.quotes:
            quote = ch
            i += 1
            continue
        block = _block_at(line, i, syntax)
        if block is not None:
            spans.append(block)
            i = block[1]
            continue
        token = _line_token_at(line, i, syntax)
        if token:
            spans.append((i, n, i + len(token), n))
            break
        i += 1
    return spans


def _block_at(line: str, i: int, syntax: CommentSyntax) -> _Span | None:
    for opener, closer in syntax.block:
        if line.startswith(opener, i):
            close = line.find(closer, i + len(opener))
            if close < 0:  # continues on later lines: take the rest of this one
                return (i, len(line), i + len(opener), len(line))
            return (i, close + len(closer), i + len(opener), close)
    return None


def _line_token_at(line: str, i: int, syntax: CommentSyntax) -> str:
    for token in syntax.line:
        if line.startswith(token, i) and (not syntax.word_start or i == 0 or line[i - 1].isspace()):
            return token
    return ""
