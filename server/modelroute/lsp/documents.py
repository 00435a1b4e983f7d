"""Documents as requests name them: one query for text files and notebooks (ruff's `DocumentQuery`).

A request names a URI: a text document, a notebook cell, or a jupyter-lsp virtual document. The
session turns it into a `DocumentQuery` that every handler uses the same way: the text the Engine
and the model see (for a notebook, its cells joined), where it sits in the workspace, its
directives, and how client positions map to that text and back. Handlers never ask which kind it is.

Open text documents are kept here from their edits: their lines are updated in place and only the
lines an edit touched are scanned for directives again (`context/directives.DirectiveMap`), so a
code action right after a keystroke does not split or rescan a large file.
"""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

if TYPE_CHECKING:  # imported on first use: `initialize` is answered before the core is loaded
    from modelroute.context.directives import Directive, DirectiveMap
    from modelroute.context.gather import ActionRequest
    from modelroute.context.model import Diagnostic, Position
    from modelroute.execute.agent import Finding
    from modelroute.lsp.state import WorkspaceState
    from modelroute.run.editor import Buffer

log = logging.getLogger(__name__)

MAX_DISK_BYTES = 4_000_000  # an unopened file larger than this is not read for a request
REVIEW_SOURCE = "modelroute review"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
Request = Callable[[], "ActionRequest"]  # builds the Engine request on a cache miss only


# -- positions -------------------------------------------------------------------------------
class Units:
    """The negotiated position encoding: client units (UTF-16 by default) <-> code points."""

    def __init__(self, encoding: str | None) -> None:
        self.encoding = str(encoding or "utf-16").lower()

    def width(self, char: str) -> int:
        if self.encoding == "utf-8":
            return len(char.encode("utf-8"))
        if self.encoding == "utf-32":
            return 1
        return 2 if ord(char) > 0xFFFF else 1

    def to_points(self, line: str, units: int) -> int:
        """Code points of `line` (its line end excluded) covering `units` client units, clamped."""
        body = line.rstrip("\r\n")
        if units <= 0:
            return 0
        if body.isascii() or self.encoding == "utf-32":
            return min(units, len(body))
        seen = 0
        for index, char in enumerate(body):
            if seen >= units:
                return index
            seen += self.width(char)
        return len(body)

    def count(self, text: str) -> int:
        if text.isascii() or self.encoding == "utf-32":
            return len(text)
        return sum(self.width(c) for c in text)

    def to_units(self, line: str, points: int) -> int:
        return self.count(line.rstrip("\r\n")[:points])


def split_lines(text: str) -> list[str]:
    """Lines with their line ends, split on LF as LSP and the context module count them."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


# -- open text documents, kept from their edits -------------------------------------------------
class OpenDoc:
    """An open text document: its lines, updated from each edit, and its directives."""

    def __init__(self, uri: str, text: str, version: int, language_id: str) -> None:
        self.uri = uri
        self.version: Hashable = version
        self.language_id = language_id
        self.lines = split_lines(text)
        self._text: str | None = text
        self._directives: DirectiveMap | None = None
        self._shared = False

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self.lines)
        return self._text

    def directives(self) -> DirectiveMap:
        if self._directives is None:
            from modelroute.context.directives import DirectiveMap

            self._directives = DirectiveMap(self.lines, self.language_id)
        return self._directives

    def apply(self, change: types.TextDocumentContentChangeEvent, units: Units) -> None:
        """One content change: the lines it covers are replaced, the rest is shared with the last
        version (a new list, so queries holding the old one still read the old version)."""
        self._text = None
        if not isinstance(change, types.TextDocumentContentChangePartial):
            self.lines = split_lines(change.text)
            self._shared = False
            self._directives = None
            return
        lines = self.lines
        start, end = change.range.start, change.range.end
        if start.line >= len(lines):  # after the last line
            if lines and not lines[-1].endswith("\n"):  # the last line has no line end: the text continues it
                self._replace(len(lines) - 1, len(lines), lines[-1] + change.text)
            else:
                self._replace(len(lines), len(lines), change.text)
            return
        last = min(end.line, len(lines) - 1)
        prefix = lines[start.line][: units.to_points(lines[start.line], start.character)]
        # the rest of the end line, its line end included (a range past the document's end takes all)
        suffix = lines[last][units.to_points(lines[last], end.character):] if end.line < len(lines) else ""
        self._replace(start.line, last + 1, prefix + change.text + suffix)

    def snapshot(self) -> list[str]:
        """The lines as they are now, for a query to keep: the next edit copies them first."""
        self._shared = True
        return self.lines

    def _replace(self, first: int, stop: int, text: str) -> None:
        if self._shared:  # a query holds this version's lines: keep them as they are
            self.lines = self.lines[:first] + split_lines(text) + self.lines[stop:]
            self._shared = False
        else:  # nobody looked since the last edit (a burst of keystrokes): in place, no copy
            self.lines[first:stop] = split_lines(text)
        if self._directives is not None:
            self._directives.replaced(first, stop - first, self.lines)


class Documents:
    """The open text documents of one session, by URI."""

    def __init__(self) -> None:
        self._open: dict[str, OpenDoc] = {}

    def opened(self, item: types.TextDocumentItem) -> OpenDoc:
        doc = OpenDoc(item.uri, item.text, item.version, item.language_id)
        self._open[item.uri] = doc
        return doc

    def changed(self, params: types.DidChangeTextDocumentParams, units: Units) -> OpenDoc | None:
        doc = self._open.get(params.text_document.uri)
        if doc is None:
            return None
        for change in params.content_changes:
            doc.apply(change, units)
        doc.version = params.text_document.version
        return doc

    def closed(self, uri: str) -> None:
        self._open.pop(uri, None)

    def get(self, uri: str) -> OpenDoc | None:
        return self._open.get(uri)

    def __len__(self) -> int:
        return len(self._open)


# -- the query -------------------------------------------------------------------------------
class DocumentQuery(ABC):
    """A document a request names, as every handler sees it (text file or notebook alike)."""

    uri: str  # the URI the client named
    path: Path  # the file on disk (a notebook's .ipynb)
    rel: str  # relative to the workspace root
    state: WorkspaceState
    units: Units

    @property
    @abstractmethod
    def text(self) -> str:
        """What the Engine and the model read: the file, or the notebook's cells joined."""

    @property
    @abstractmethod
    def version(self) -> Hashable:
        """Identifies `text` (an editor version, or the file's mtime when read from disk)."""

    @property
    @abstractmethod
    def buffer(self) -> Buffer | None:
        """The document as the editor holds it now (None: the editor does not hold it)."""

    @property
    def brief(self) -> str | None:
        """How the model reads and edits this document, when that needs saying (a notebook)."""
        return None

    @abstractmethod
    def to_server(self, pos: types.Position) -> Position:
        """A client position in `uri` to a clamped position in `text` (code points)."""

    @abstractmethod
    def to_client(self, pos: Position) -> tuple[str, types.Position]:
        """A position in `text` to (URI, client position): a notebook's cell URI with notebook sync."""

    @abstractmethod
    def directives(self) -> Sequence[Directive]:
        """Every directive, in `text` coordinates."""

    @abstractmethod
    def directive_on(self, line: int) -> Directive | None:
        """The directive on a line of `text`."""

    @abstractmethod
    def line_text(self, line: int) -> str:
        """One line of `text`, without its line end."""

    def line_range(self, line: int) -> tuple[str, types.Range]:
        """A whole line of `text` in client terms: (URI, range without the line end)."""
        from modelroute.context.model import Position

        uri, start = self.to_client(Position(line=line, character=0))
        _, end = self.to_client(Position(line=line, character=len(self.line_text(line))))
        return uri, types.Range(start=start, end=end)

    def language(self) -> str | None:
        """The language the Engine should assume (None: detect from the file name)."""
        return None

    def notebook(self, start: Position) -> Any:
        """The notebook context for the Engine (cells, outputs, the cursor's cell), or None."""
        return None

    def shift_diagnostics(self, diagnostics: tuple[Diagnostic, ...]) -> tuple[Diagnostic, ...]:
        """Client diagnostics (positions in `uri`) in `text` coordinates."""
        return diagnostics

    def request(
        self,
        *,
        start: Position,
        end: Position | None,
        instruction: str,
        directive: Directive | None,
        diagnostics: Sequence[types.Diagnostic] = (),
    ) -> tuple[Hashable, Request]:
        """The decision cache's key for this action and a maker of its Engine request.

        Directive lines are normalized (cursor at column 0, no selection inside the line) so the
        code action, hover and inlay hint on one directive share one decision."""
        from modelroute.context.model import Position

        if directive is not None:
            if end is not None and end.line == directive.line:
                end = None
            start = Position(line=directive.line, character=0)
        if end is not None and (end.line, end.character) <= (start.line, start.character):
            end = None
        kind = directive.kind if directive is not None else None
        diags = self.shift_diagnostics(to_diagnostics(diagnostics))
        rel, language, notebook = self.rel, self.language(), self.notebook(start)

        def make() -> ActionRequest:  # on a cache miss only: the text is joined then, not per keystroke
            from modelroute.context.gather import ActionRequest

            return ActionRequest(file=rel, cursor=start, selection_end=end, instruction=instruction,
                                 diagnostics=diags, directive=kind, document_text=self.text, language=language,
                                 notebook=notebook)

        if directive is not None:  # a directive's decision survives edits elsewhere (see session.py)
            occurrence = sum(1 for d in self.directives() if d.line < directive.line and
                             d.instruction == directive.instruction)
            anchor: Hashable = ("directive", instruction, kind, occurrence,
                                (end.line - directive.line, end.character) if end is not None else None)
        elif end is not None:  # a selection: by what is selected, so an edit elsewhere keeps its decision
            anchor = ("selection", instruction, _text_digest(self.selected(start, end)))
        else:
            anchor = ("cursor", (start.line, start.character), instruction)
        return (anchor, _digest(diags)), make

    def selected(self, start: Position, end: Position) -> str:
        """The text between two positions of `text`."""
        if start.line == end.line:
            return self.line_text(start.line)[start.character : end.character]
        parts = [self.line_text(start.line)[start.character :]]
        parts += [self.line_text(line) for line in range(start.line + 1, end.line)]
        parts.append(self.line_text(end.line)[: end.character])
        return "\n".join(parts)

    # -- results back into the editor -----------------------------------------------------
    def review(self, findings: Sequence[Finding], model_id: str) -> dict[str, list[types.Diagnostic]]:
        """Findings on this document's lines as diagnostics per URI (a notebook: per cell)."""
        out: dict[str, list[types.Diagnostic]] = {}
        for finding in findings:
            uri, rng = self._finding_range(finding.line - 1, finding.end_line - 1)
            out.setdefault(uri, []).append(_diagnostic(rng, finding, model_id))
        return out

    def _finding_range(self, first: int, last: int) -> tuple[str, types.Range]:
        from modelroute.context.model import Position

        count = max(self.text.count("\n") + (0 if self.text.endswith("\n") else 1), 1)
        start = min(max(first, 0), count - 1)
        end = min(max(last, start), count - 1)
        uri, begin = self.to_client(Position(line=start, character=0))
        _, finish = self.to_client(Position(line=end, character=len(self.line_text(end))))
        return uri, types.Range(start=begin, end=finish)

    @abstractmethod
    def text_edits(self, original: str, new: str) -> dict[str, list[types.TextEdit]]:
        """`original` -> `new` (this document's text) as text edits per URI, in client units.
        ValueError (with a reason for the user) when the editor cannot take the change."""

    def edit_version(self, uri: str) -> int | None:
        """The version a versioned edit of `uri` must be applied to."""
        return None


def _diagnostic(rng: types.Range, finding: Finding, model_id: str) -> types.Diagnostic:
    return types.Diagnostic(range=rng, message=finding.message or "(no message)", severity=SEVERITY[finding.severity],
                            source=REVIEW_SOURCE, code=model_id)


class TextQuery(DocumentQuery):
    """An open text document (as it was when the query was made), or a file read from disk."""

    def __init__(self, uri: str, path: Path, rel: str, state: WorkspaceState, units: Units,
                 doc: OpenDoc | None, disk: tuple[str, Hashable, str] | None = None) -> None:
        self.uri, self.path, self.rel, self.state, self.units = uri, path, rel, state, units
        self._doc = doc
        self._directive_map: Mapping[int, Directive] | None = None
        if doc is not None:  # a snapshot: edits after this make new lists and maps
            self._lines: list[str] | None = doc.snapshot()
            self._version: Hashable = doc.version
            self._language = doc.language_id
            self._directive_map = doc.directives().snapshot()
            self._text: str | None = None
        else:
            assert disk is not None
            self._text, self._version, self._language = disk
            self._lines = None

    @property
    def opened(self) -> bool:
        return self._doc is not None

    @property
    def text(self) -> str:
        if self._text is None:
            doc = self._doc
            # the document's own joined text while it is this version: one string for every query
            self._text = doc.text if doc is not None and doc.version == self._version else "".join(self.lines)
        return self._text

    @property
    def version(self) -> Hashable:
        return self._version

    @property
    def language_id(self) -> str:
        return self._language

    @property
    def lines(self) -> Sequence[str]:
        if self._lines is None:
            self._lines = split_lines(self.text)
        return self._lines

    @property
    def buffer(self) -> Buffer | None:
        if self._doc is None:
            return None
        from modelroute.run.editor import Buffer

        return Buffer(text=self.text, version=self._version)

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line].rstrip("\r\n") if 0 <= line < len(lines) else ""

    def to_server(self, pos: types.Position) -> Position:
        from modelroute.context.model import Position

        lines = self.lines
        if not lines:
            return Position(line=0, character=0)
        if pos.line >= len(lines):
            last = len(lines) - 1
            return Position(line=last, character=len(lines[last].rstrip("\r\n")))
        return Position(line=max(pos.line, 0), character=self.units.to_points(lines[pos.line], pos.character))

    def to_client(self, pos: Position) -> tuple[str, types.Position]:
        line = self.lines[pos.line] if pos.line < len(self.lines) else ""
        return self.uri, types.Position(line=pos.line, character=self.units.to_units(line, pos.character))

    def directives(self) -> Sequence[Directive]:
        found = self._directives_by_line()
        return [found[line] for line in sorted(found)]

    def directive_on(self, line: int) -> Directive | None:
        return self._directives_by_line().get(line)

    def _directives_by_line(self) -> Mapping[int, Directive]:
        if self._directive_map is None:
            from modelroute.context.directives import directives_in_lines

            self._directive_map = {d.line: d for d in directives_in_lines(self.lines, self.language_id)}
        return self._directive_map

    def language(self) -> str | None:
        return self.language_id if self._doc is not None else None

    def text_edits(self, original: str, new: str) -> dict[str, list[types.TextEdit]]:
        from modelroute.execute.edits import text_changes

        lines = split_lines(original)

        def position(line: int, character: int) -> types.Position:
            # text_changes gives line starts, or the end of the last line: the line's client units
            text = lines[line] if line < len(lines) else ""
            return types.Position(line=line, character=self.units.to_units(text, character))

        return {self.uri: [
            types.TextEdit(range=types.Range(start=position(c.start_line, c.start_character),
                                             end=position(c.end_line, c.end_character)), new_text=c.text)
            for c in text_changes(original, new)
        ]}

    def edit_version(self, uri: str) -> int | None:
        return self._version if self._doc is not None and isinstance(self._version, int) else None


def read_disk(path: Path) -> tuple[str, Hashable] | None:
    """A file's text and (mtime, size) version; None when it is missing, not a file or too large."""
    try:
        stat = path.stat()
        if not path.is_file() or stat.st_size > MAX_DISK_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return text, ("disk", stat.st_mtime_ns, stat.st_size)


def fs_path(uri: str) -> Path | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


def to_diagnostics(items: Sequence[types.Diagnostic]) -> tuple[Diagnostic, ...]:
    from modelroute.context.model import Diagnostic, Position, Range

    return tuple(
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
        for d in items
    )


def _text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _digest(diags: tuple[Diagnostic, ...]) -> str:
    if not diags:
        return ""
    blob = "\n".join(d.model_dump_json() for d in diags)
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root).as_posix()


__all__ = [
    "REVIEW_SOURCE",
    "DocumentQuery",
    "Documents",
    "OpenDoc",
    "TextQuery",
    "Units",
    "fs_path",
    "read_disk",
    "relative",
    "split_lines",
    "to_diagnostics",
]
