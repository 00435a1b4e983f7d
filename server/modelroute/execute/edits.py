"""Edits a model proposes, staged in memory and turned into minimal text edits. Pure.

Nothing touches a file here: the LSP layer applies the result through the editor, all or nothing,
so a cancelled or failed run leaves every file as it was.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from modelroute.prompt.privacy import withheld

ReadFile = Callable[[str], "str | None"]  # workspace-relative path -> text (editor buffer or disk), None if absent


class EditRejected(Exception):
    """A proposed edit cannot be staged; the message goes back to the model."""


@dataclass(frozen=True)
class TextChange:
    """Replace [start, end) given as 0-based (line, character) by `text`."""

    start_line: int
    start_character: int
    end_line: int
    end_character: int
    text: str


@dataclass(frozen=True)
class FileChange:
    path: str
    original: str | None  # None: the file is created
    new: str

    def text_changes(self) -> list[TextChange]:
        return text_changes(self.original or "", self.new)


def normalize_path(path: str) -> str:
    """A workspace-relative POSIX path, or EditRejected when it would leave the workspace."""
    cleaned = path.strip().replace("\\", "/")
    if cleaned.startswith("./"):
        cleaned = cleaned[2:]
    if not cleaned or cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise EditRejected(f"{path!r}: use a path relative to the workspace root")
    norm = posixpath.normpath(cleaned)
    if norm == ".." or norm.startswith("../"):
        raise EditRejected(f"{path!r} is outside the workspace")
    return norm


@dataclass
class EditStage:
    """The files as the model's edits leave them, built on the originals read through `read`."""

    originals: dict[str, str | None] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)

    def text(self, path: str, original: str | None) -> str | None:
        if path not in self.originals:
            self.originals[path] = original
        return self.current.get(path, original)

    def apply(self, path: str, original: str | None, old_text: str, new_text: str) -> str:
        """Stage one replacement; returns a short confirmation for the model."""
        now = self.text(path, original)
        if old_text == "":
            if now:
                raise EditRejected(f"{path} exists and is not empty: give the old_text to replace")
            self.current[path] = new_text
            return f"staged: {path} created ({new_text.count(chr(10)) + 1} lines)"
        if now is None:
            raise EditRejected(f"{path} does not exist; to create it, use an empty old_text")
        count = now.count(old_text)
        if count == 0:
            raise EditRejected(f"old_text not found in {path}; read the file again and copy it exactly")
        if count > 1:
            raise EditRejected(f"old_text appears {count} times in {path}; include more lines to make it unique")
        self.current[path] = now.replace(old_text, new_text, 1)
        return f"staged: edit in {path}"

    def changes(self) -> list[FileChange]:
        return [
            FileChange(path=p, original=self.originals.get(p), new=text)
            for p, text in sorted(self.current.items())
            if text != self.originals.get(p)
        ]


class StagedFiles:
    """The files a run reads and edits: `read` gives a file's text before the run (editor buffer or
    disk), the stage keeps the model's edits on top, and the privacy rule guards both.

    The agent loop works on this interface (`read`, `stage`, `changes`); the run core's attempt
    workspace extends it (symlink-safe reads, versions, commands, the change set)."""

    def __init__(
        self, read: ReadFile, exclude: Sequence[str] = (), local_only: Sequence[str] = (), *, model_is_local: bool
    ) -> None:
        self._read = read
        self.exclude = tuple(exclude)
        self.local_only = tuple(local_only)
        self.model_is_local = model_is_local
        self.edits = EditStage()

    def guard(self, path: str) -> None:
        """EditRejected when the privacy settings keep `path` from this model."""
        if why := withheld(path, self.exclude, self.local_only, model_is_local=self.model_is_local):
            raise EditRejected(why)

    def read(self, path: str) -> str | None:
        """The file as the run sees it (its staged edits included); None when it does not exist."""
        self.guard(path)
        return self.edits.text(path, self._original(path))

    def stage(self, path: str, old_text: str, new_text: str) -> str:
        """Stage one replacement (an empty `old_text` creates the file); a line for the model."""
        self.guard(path)
        return self.edits.apply(path, self._original(path), old_text, new_text)

    def changes(self) -> list[FileChange]:
        return self.edits.changes()

    def _original(self, path: str) -> str | None:
        if path in self.edits.originals:
            return self.edits.originals[path]
        return self._read(path)


def text_changes(original: str, new: str) -> list[TextChange]:
    """Minimal line-based edits that turn `original` into `new` (keeps the editor's cursor and undo sane)."""
    a = original.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out: list[TextChange] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = _position(a, i1)
        end = _position(a, i2)
        out.append(TextChange(start[0], start[1], end[0], end[1], "".join(b[j1:j2])))
    return out


def _position(lines: list[str], index: int) -> tuple[int, int]:
    """(line, character) of the start of line `index`; past the end means the end of the last line."""
    if index < len(lines):
        return index, 0
    if not lines:
        return 0, 0
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return len(lines), 0
    return len(lines) - 1, len(last.encode("utf-16-le")) // 2  # LSP characters are UTF-16 units
