"""From an LSP document and range to an Engine `ActionRequest` and its cache key.

Positions arrive in the client's units (UTF-16 by default) and leave as code points, which is
what the context module indexes with. Directive lines are normalized (cursor at column 0, no
selection) so the code action, hover and inlay hint on one directive share one decision.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import Workspace

if TYPE_CHECKING:  # imported on first use: `initialize` is answered before the core is loaded
    from modelroute.context.directives import Directive
    from modelroute.context.gather import ActionRequest
    from modelroute.context.model import Diagnostic, Position

log = logging.getLogger(__name__)

MAX_DISK_BYTES = 4_000_000  # an unopened file larger than this is not read for a request
_DIRECTIVE_CACHE = 256


@dataclass(frozen=True)
class Doc:
    uri: str
    path: Path
    text: str
    version: Hashable  # editor version, or the file's mtime when read from disk
    language_id: str
    lines: Sequence[str]
    workspace: Workspace

    def to_server(self, pos: types.Position) -> Position:
        """Client units to a clamped code-point position."""
        from modelroute.context.model import Position

        if not self.lines:
            return Position(line=0, character=0)
        if pos.line < len(self.lines) and self.lines[pos.line].isascii():  # units == code points
            text = self.lines[pos.line].rstrip("\r\n")
            return Position(line=pos.line, character=min(pos.character, len(text)))
        copy = types.Position(line=pos.line, character=pos.character)  # pygls mutates its argument
        server = self.workspace.position_codec.position_from_client_units(self.lines, copy)
        return Position(line=server.line, character=max(server.character, 0))

    def line_end(self, line: int) -> types.Position:
        """End of `line` (without its newline) in client units."""
        text = self.lines[line].rstrip("\r\n") if line < len(self.lines) else ""
        return types.Position(line=line, character=self.workspace.position_codec.client_num_units(text))


def open_doc(workspace: Workspace, uri: str) -> Doc | None:
    """The editor's buffer when open, else the file on disk; None when neither exists."""
    from modelroute.context.languages import language_for

    path_str = to_fs_path(uri) if uri.startswith("file:") else None
    if path_str is None:
        return None
    path = Path(path_str)
    if uri in workspace.text_documents:
        doc = workspace.text_documents[uri]
        text = doc.source
        return Doc(
            uri,
            path,
            text,
            doc.version,
            doc.language_id or language_for(path.name),
            text.splitlines(True),
            workspace,
        )
    try:
        stat = path.stat()
        if not path.is_file() or stat.st_size > MAX_DISK_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return Doc(uri, path, text, ("disk", stat.st_mtime_ns), language_for(path.name), text.splitlines(True), workspace)


class DirectiveIndex:
    """`find_directives` once per document version."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, Hashable], list[Directive]] = OrderedDict()

    def of(self, doc: Doc) -> list[Directive]:
        key = (doc.uri, doc.version)
        found = self._cache.get(key)
        if found is None:
            from modelroute.context.directives import find_directives

            found = find_directives(doc.text, doc.language_id)
            self._cache[key] = found
            while len(self._cache) > _DIRECTIVE_CACHE:
                self._cache.popitem(last=False)
        return found

    def on_line(self, doc: Doc, line: int) -> Directive | None:
        return next((d for d in self.of(doc) if d.line == line), None)


def to_diagnostics(items: Sequence[types.Diagnostic]) -> tuple[Diagnostic, ...]:
    from modelroute.context.model import Diagnostic, Position, Range

    out = []
    for d in items:
        out.append(
            Diagnostic(
                range=Range(
                    start=Position(line=d.range.start.line, character=d.range.start.character),
                    end=Position(line=d.range.end.line, character=d.range.end.character),
                ),
                message=d.message,
                severity=int(d.severity) if d.severity is not None else None,
                source=d.source,
                code=d.code if isinstance(d.code, (str, int)) else None,
            )
        )
    return tuple(out)


def _diag_digest(diags: tuple[Diagnostic, ...]) -> str:
    if not diags:
        return ""
    blob = "\n".join(d.model_dump_json() for d in diags)
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def build_request(
    doc: Doc,
    rel_path: str,
    *,
    start: Position,
    end: Position | None,
    instruction: str,
    directive: Directive | None,
    diagnostics: tuple[Diagnostic, ...] = (),
) -> tuple[Hashable, Callable[[], ActionRequest]]:
    """The cache key (without the workspace generation) and a maker of the request, which is
    only built on a cache miss."""
    from modelroute.context.model import Position

    if directive is not None:
        if end is not None and end.line == start.line:
            end = None  # a selection inside the directive line is still "the directive"
        start = Position(line=directive.line, character=0)
    if end is not None and (end.line, end.character) <= (start.line, start.character):
        end = None
    kind = directive.kind if directive is not None else None

    def make() -> ActionRequest:
        from modelroute.context.gather import ActionRequest

        return ActionRequest(
            file=rel_path,
            cursor=start,
            selection_end=end,
            instruction=instruction,
            diagnostics=diagnostics,
            directive=kind,
            document_text=doc.text,
        )

    key = (
        doc.uri,
        doc.version,
        (start.line, start.character),
        (end.line, end.character) if end is not None else None,
        instruction,
        kind,
        _diag_digest(diagnostics),
    )
    return key, make


def relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root).as_posix()
