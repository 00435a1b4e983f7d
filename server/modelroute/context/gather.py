"""Gather one ActionContext from the editor's request and the workspace.

Reads only the action's file (or takes the editor's buffer) and asks the prebuilt index and the
cached git state for the rest: no walking per decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from modelroute.context.excerpt import Excerpt, NotText, excerpt_of_file, excerpt_of_text
from modelroute.context.languages import is_test_path, language_for
from modelroute.context.model import (
    ActionContext,
    Diagnostic,
    GitState,
    NotebookContext,
    Position,
    Range,
    RelatedFile,
    SymbolInfo,
)
from modelroute.context.outline import defines, enclosing_name, first_defined_name, identifier_at

if TYPE_CHECKING:
    from modelroute.context.git import GitReader
    from modelroute.context.workspace import WorkspaceIndex

WINDOW_LINES = 40
MAX_RELATED = 20
_RANK_POOL = 200  # referencing files looked at to pick the nearest MAX_RELATED


class ContextError(Exception):
    """The action cannot be gathered (no workspace, no file, a folder, a binary file...)."""


class ActionRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str  # relative to the workspace (an absolute path inside it is accepted)
    cursor: Position = Position(line=0, character=0)
    selection_end: Position | None = None  # with `cursor`, the selection; None or equal: none
    instruction: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    directive: Literal["do", "ask"] | None = None
    document_text: str | None = None  # the editor's buffer, which overrides the file on disk
    language: str | None = None  # the editor's languageId, which overrides detection by name
    notebook: NotebookContext | None = None  # a notebook: its cells, outputs, cursor cell


def gather_context(index: WorkspaceIndex, git: GitReader | None, request: ActionRequest) -> ActionContext:
    root = index.root
    if not root.is_dir():
        raise ContextError(f"workspace folder does not exist: {root}")
    rel, path = resolve_in_workspace(root, request.file)
    notes: list[str] = []
    excerpt = _excerpt(path, rel, request, notes)
    text, lines = excerpt.text, _Lines(excerpt)
    cursor = _clamp(request.cursor, lines, "cursor", notes)
    start = cursor
    end = _clamp(request.selection_end, lines, "selection end", notes) if request.selection_end else start
    if (end.line, end.character) < (start.line, start.character):
        start, end = end, start
    selection = Range(start=start, end=end) if end != start else None
    local_start, local_end = lines.local(start), lines.local(end)
    selected = _slice(lines.text, local_start, local_end) if selection else ""
    first_line = lines.text[0] if lines.text and excerpt.first_line == 0 else None
    language = request.language or language_for(rel, first_line)
    instruction, directive = request.instruction, request.directive
    if not instruction.strip() and directive is None:
        instruction, directive = _directive_on_line(lines.text, local_start.line, language)
    symbol, related = _symbol(index, rel, text, lines.text, local_start, selected, language)
    _index_notes(index, notes)
    git_state = git.state(rel) if git is not None else GitState()
    if git_state.stale:
        notes.append(f"git status of {rel} is from before its last save (a refresh is running)")
    return ActionContext(
        workspace=str(root),
        file=rel,
        language=language,
        instruction=instruction,
        directive=directive,
        cursor=cursor,
        selection=selection,
        selected_text=selected,
        prefix=_prefix(lines.text, local_start),
        suffix=_suffix(lines.text, local_end),
        enclosing=enclosing_name(lines.text, local_start.line, language),
        file_text=text,
        file_first_line=excerpt.first_line,
        file_line_count=excerpt.line_count,
        file_line_count_exact=excerpt.count_exact,
        is_test_file=is_test_path(rel),
        diagnostics=request.diagnostics,
        git=git_state,
        markers=index.markers(),
        file_count=index.file_count,
        symbol=symbol,
        related=related,
        notebook=request.notebook,
        notes=tuple(notes),
    )


def resolve_in_workspace(root: Path, file: str) -> tuple[str, Path]:
    """(relative POSIX path, absolute path) for a file named relative to the workspace."""
    if not file.strip():
        raise ContextError("no file given")
    candidate = Path(file) if Path(file).is_absolute() else root / file
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, say
        raise ContextError(f"cannot resolve {file}: {exc}") from exc
    if not resolved.is_relative_to(root):
        raise ContextError(f"path is outside the workspace {root}: {file}")
    rel = resolved.relative_to(root).as_posix()
    if rel == ".":
        raise ContextError(f"is a folder, not a file: {file}")
    return rel, resolved


def _excerpt(path: Path, rel: str, request: ActionRequest, notes: list[str]) -> Excerpt:
    """The editor's buffer, else the file on disk: whole, or whole lines around the cursor."""
    if path.is_dir():
        raise ContextError(f"is a folder, not a file: {rel}")
    line = request.cursor.line
    if request.document_text is not None:
        excerpt = excerpt_of_text(request.document_text, line)
        unit = "characters"
    else:
        if not path.is_file():
            raise ContextError(f"file not found in the workspace: {rel}")
        try:
            excerpt = excerpt_of_file(path, line)
        except NotText:
            raise ContextError(f"binary file, not text: {rel}") from None
        except OSError as exc:
            raise ContextError(f"cannot read {rel}: {exc.strerror or exc}") from exc
        unit = "bytes"
    if excerpt.invalid_utf8:
        notes.append(f"{rel}: not valid UTF-8; undecodable bytes were replaced")
    described = excerpt.describe(rel, unit)
    if described:
        notes.append(described)
    return excerpt


class _Lines:
    """The excerpt's lines, and positions in the file mapped to and from them."""

    def __init__(self, excerpt: Excerpt) -> None:
        self.text = excerpt.lines()
        self.first = excerpt.first_line
        self.at_end = excerpt.at_end

    @property
    def last(self) -> int:
        return self.first + len(self.text) - 1

    def local(self, pos: Position) -> Position:
        return Position(line=pos.line - self.first, character=pos.character)

    def length(self, line: int) -> int:
        text = self.text[line - self.first]
        return len(text) - 1 if text.endswith("\r") else len(text)


def _clamp(pos: Position, lines: _Lines, what: str, notes: list[str]) -> Position:
    line = min(max(pos.line, lines.first), lines.last)
    character = min(pos.character, lines.length(line))
    if (line, character) != (pos.line, pos.character):
        unread = pos.line < lines.first or (pos.line > lines.last and not lines.at_end)
        where = "outside the part of the file that was read" if unread else "outside the text"
        notes.append(f"{what} {pos.line}:{pos.character} was {where}; moved to {line}:{character}")
        return Position(line=line, character=character)
    return pos


def _slice(lines: list[str], start: Position, end: Position) -> str:
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    middle = lines[start.line + 1 : end.line]
    return "\n".join([lines[start.line][start.character :], *middle, lines[end.line][: end.character]])


def _prefix(lines: list[str], start: Position) -> str:
    before = lines[max(0, start.line - WINDOW_LINES) : start.line]
    return "\n".join([*before, lines[start.line][: start.character]])


def _suffix(lines: list[str], end: Position) -> str:
    after = lines[end.line + 1 : end.line + 1 + WINDOW_LINES]
    return "\n".join([lines[end.line][end.character :], *after])


def _directive_on_line(lines: list[str], line: int, language: str) -> tuple[str, Literal["do", "ask"] | None]:
    """An empty request on a directive comment's line takes its instruction from the comment."""
    from modelroute.context.directives import find_directives  # only for a request without instruction

    found = find_directives(lines[line], language)
    if not found:
        return "", None
    return found[0].instruction, found[0].kind


def _symbol(
    index: WorkspaceIndex,
    rel: str,
    text: str,
    lines: list[str],
    start: Position,
    selected: str,
    language: str,
) -> tuple[SymbolInfo, tuple[RelatedFile, ...]]:
    name = first_defined_name(selected, language) if selected else None
    if name is None:
        name = identifier_at(lines[start.line], start.character)
    if name is None:
        return SymbolInfo(), ()
    count = index.referencing_count(name, exclude_file=rel)
    pool = index.referencing_files(name, exclude_file=rel, limit=_RANK_POOL)
    nearest = sorted(pool, key=lambda p: (-_shared_depth(p, rel), p))[:MAX_RELATED]
    related = tuple(
        RelatedFile(path=p, size_bytes=index.size_of(p) or 0, reason=f"references `{name}`") for p in nearest
    )
    info = SymbolInfo(name=name, reference_files=count, defined_here=defines(text, name, language))
    return info, related


def _shared_depth(a: str, b: str) -> int:
    """How many leading folders two relative paths share."""
    depth = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        depth += 1
    return depth


def _index_notes(index: WorkspaceIndex, notes: list[str]) -> None:
    if not index.is_built:
        notes.append("workspace index is still being built: file count and references are partial")
    elif index.truncated:
        notes.append(f"workspace has more than {index.max_files} files: only the first were indexed")
