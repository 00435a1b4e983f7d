"""What a run proposes: one change set the user accepts or rejects. Pure data, no I/O.

A run never writes to the host workspace. The model's staged edits and whatever its commands wrote
(in the sandbox's copy-on-write layer) are gathered into one `ChangeSet`. The editor (or
`modelroute run --apply`) applies the accepted changes; what the apply guard refused and what the
run flagged (a test changed during a fix) travel with it, so the user sees them instead of losing
them silently.

This is the contract between the run core, the sandbox's overlay, the apply guard, verification
and every front end (language server, command line, ACP agent).
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ChangeKind = Literal["modified", "created", "deleted"]


class Change(BaseModel):
    """One file's change, workspace-relative (POSIX separators, never absolute, never `..`)."""

    model_config = ConfigDict(frozen=True)

    path: str
    kind: ChangeKind
    original: str | None = None  # text before: None when created (or not text)
    new: str | None = None  # text after: None when deleted (or not text)
    binary: bool = False  # not UTF-8 text: shown as a summary, never as a text diff
    size: int | None = None  # bytes after the change (binary files)
    executable: bool | None = None  # the executable bit after the change, when it differs from before

    def diff(self) -> str:
        """A unified diff of this change (a one-line summary for binary files)."""
        if self.binary:
            return f"Binary file {self.path} {self.kind}" + (f" ({self.size} bytes)" if self.size is not None else "")
        before = (self.original or "").splitlines(keepends=True)
        after = (self.new or "").splitlines(keepends=True)
        old_name = "/dev/null" if self.kind == "created" else f"a/{self.path}"
        new_name = "/dev/null" if self.kind == "deleted" else f"b/{self.path}"
        lines = difflib.unified_diff(before, after, fromfile=old_name, tofile=new_name)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class Refusal(BaseModel):
    """Something the run produced that will not be applied, and why (shown to the user)."""

    model_config = ConfigDict(frozen=True)

    path: str
    reason: str


class Flag(BaseModel):
    """Something applied only if the user agrees after reading why it is suspect (e.g. a test changed
    during a fix): never counted as verified."""

    model_config = ConfigDict(frozen=True)

    path: str
    reason: str


class ChangeSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    changes: tuple[Change, ...] = ()
    refused: tuple[Refusal, ...] = ()
    flagged: tuple[Flag, ...] = ()
    left_out: tuple[str, ...] = Field(default=(), description="paths not offered, e.g. git-ignored build output")

    @property
    def empty(self) -> bool:
        return not self.changes

    def paths(self) -> list[str]:
        return [c.path for c in self.changes]

    def diff(self) -> str:
        return "".join(c.diff() for c in self.changes)

    def summary(self) -> str:
        """One line for a user: what changes, what was refused, what is flagged."""
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        parts = [f"{n} {kind}" for kind, n in counts.items()] or ["no changes"]
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        if self.flagged:
            parts.append(f"{len(self.flagged)} flagged")
        if self.left_out:
            parts.append(f"{len(self.left_out)} left out")
        return ", ".join(parts)


__all__ = ["Change", "ChangeKind", "ChangeSet", "Flag", "Refusal"]
