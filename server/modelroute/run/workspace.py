"""The attempt workspace: the files one attempt reads, edits and runs commands against.

One small abstraction over where a run's work happens:
- read a file as the run sees it: its staged edits, else what a command wrote, else the editor's
  buffer, else the disk;
- stage an edit (never written to the host: the result is a change set the user accepts);
- run an approved command in the sandbox against the attempt's own copy-on-write view of the
  workspace (`modelroute.sandbox.Overlay`): the staged edits are written into its upper layer first,
  so tests, builds and formatters see the proposed changes, and nothing a command writes reaches the
  workspace;
- produce the `ChangeSet` (the staged edits, then what commands wrote, with what the apply guard
  refuses in `refused`), and say whether the files moved on since the attempt read them.

Reads are safe against a hostile repository: the path is resolved (symlinks followed) and must stay
inside the workspace, and the privacy rule is asked for both the path the model named and the path
it resolves to, so a link cannot smuggle a withheld file out.

The overlay is made on the first command and removed by `close()`; an attempt that runs no command
never makes one. The sandbox is reached through `run/sandboxing.py` only.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelroute.changeset import Change, ChangeSet, Refusal
from modelroute.execute.edits import EditRejected, StagedFiles

if TYPE_CHECKING:
    from modelroute.policy.schema import PrivacySettings, SandboxSettings
    from modelroute.run.editor import Buffer
    from modelroute.run.sandboxing import Overlay, SandboxResult

MAX_READ_BYTES = 2_000_000
STALE = "the file changed while the model was working; nothing was applied"

BufferSource = Callable[[Path], "Buffer | None"]


class AttemptWorkspace(StagedFiles):
    """One attempt's files: reads through the editor's buffers, edits staged, commands in an overlay.

    `only`: a loose file (outside every workspace folder) is the only file the attempt may read or
    edit, and it runs no commands: its folder may be $HOME."""

    def __init__(
        self,
        root: Path,
        privacy: PrivacySettings,
        *,
        model_is_local: bool,
        buffers: BufferSource | None = None,
        only: str | None = None,
    ) -> None:
        super().__init__(self._read_original, privacy.exclude, privacy.local_only, model_is_local=model_is_local)
        self.root = root.resolve()
        self.only = only
        self._buffers = buffers
        self.versions: dict[str, Hashable | None] = {}  # path -> version when first read (None: disk)
        self._pinned: dict[str, Buffer] = {}
        self._overlay: Overlay | None = None
        self._synced: dict[str, str] = {}  # staged text last written into the overlay, per path
        self._first: dict[str, str | None] = {}  # each file as the attempt first found it

    # -- reading -----------------------------------------------------------------------
    def pin(self, rel: str, buffer: Buffer) -> None:
        """The action's document as the editor held it when the action was asked for: the model
        reads this text, and the change set applies only while the document is still this version."""
        self._pinned[rel] = buffer
        self.versions[rel] = buffer.version

    def resolve(self, rel: str) -> Path:
        """The real path of `rel`: inside the workspace and readable by this model, else EditRejected."""
        if self.only is not None and rel != self.only:
            raise EditRejected(
                f"{rel}: {self.only} is outside every workspace folder, so this run sees that file only"
            )
        path = (self.root / rel).resolve()
        try:
            inside = path.relative_to(self.root).as_posix()
        except ValueError:
            raise EditRejected(f"{rel} resolves outside the workspace") from None
        self.guard(rel)
        if inside != rel:
            self.guard(inside)
        return path

    def _read_original(self, rel: str) -> str | None:
        path = self.resolve(rel)
        before = self._before(rel, path)
        written = self._written_by_command(rel)
        if written is not None:
            return written or None  # "" marks a file a command deleted
        return before

    def _before(self, rel: str, path: Path | None = None) -> str | None:
        """The file before this attempt, as first read: pinned, else the editor's buffer, else the disk."""
        if rel in self._first:
            return self._first[rel]
        self._first[rel] = text = self._read_before(rel, path)
        return text

    def _read_before(self, rel: str, path: Path | None) -> str | None:
        pinned = self._pinned.get(rel)
        if pinned is not None:
            return pinned.text
        path = path if path is not None else self.resolve(rel)
        buffer = self._buffer(rel, path)
        if buffer is not None:
            self.versions.setdefault(rel, buffer.version)
            return buffer.text
        self.versions.setdefault(rel, None)
        if not path.exists():
            return None
        if not path.is_file():
            raise EditRejected(f"{rel} is not a file")
        if path.stat().st_size > MAX_READ_BYTES:
            raise EditRejected(f"{rel} is larger than {MAX_READ_BYTES // 1_000_000} MB")
        return read_text(path)

    def _written_by_command(self, rel: str) -> str | None:
        """What a command left at `rel` in the overlay ("" when it deleted it); None when no command
        touched it. Staged files are not asked: the stage answers for them."""
        overlay = self._overlay
        if overlay is None or rel in self._synced or not os.path.lexists(overlay.upper / rel):
            return None
        if not overlay.exists(rel):
            return ""
        try:
            return overlay.read_bytes(rel).decode("utf-8", errors="replace")
        except OSError as exc:
            raise EditRejected(f"{rel}: {exc}") from exc

    def _buffer(self, rel: str, resolved: Path | None = None) -> Buffer | None:
        """The editor's buffer of `rel`, by the path the model named or the one it resolves to."""
        if self._buffers is None:
            return None
        named = self.root / rel
        found = self._buffers(named)
        if found is None and resolved is not None and resolved != named:
            found = self._buffers(resolved)
        return found

    def lines(self, rel: str) -> list[str]:
        """The lines of a file as first read (for placing review findings); [] when unreadable."""
        try:
            text = self._original(rel)
        except EditRejected:
            return []
        return (text or "").splitlines()

    # -- results ----------------------------------------------------------------------
    def change_set(self) -> ChangeSet:
        """The staged edits (against the files as they were before the attempt), then what commands
        wrote, with what the apply guard refuses in `refused` and git-ignored output in `left_out`."""
        from modelroute.run.sandboxing import refusal_of

        changes: list[Change] = []
        refused: list[Refusal] = []
        staged = self.changes()
        for change in staged:
            before = self._before(change.path)
            if before == change.new:
                continue
            why = refusal_of(self.root, change.path)
            if why is not None:
                refused.append(Refusal(path=change.path, reason=why))
                continue
            kind = "created" if before is None else "modified"
            changes.append(Change(path=change.path, kind=kind, original=before, new=change.new))
        left_out: tuple[str, ...] = ()
        if self._overlay is not None:
            written = self._overlay.change_set()
            mine = {c.path for c in staged}
            changes += [c for c in written.changes if c.path not in mine]
            refused += [r for r in written.refused if r.path not in mine]
            left_out = written.left_out
        return ChangeSet(changes=tuple(changes), refused=tuple(refused), left_out=left_out)

    @property
    def content_root(self) -> Path | None:
        """Where the bytes of binary files commands wrote are (the overlay's upper layer)."""
        return self._overlay.upper if self._overlay is not None else None

    def stale(self, paths: list[str] | None = None) -> str | None:
        """Why applying the change set now would be wrong: a file moved on since the attempt read it
        (or, for one only a command changed, the editor holds other text than the disk)."""
        for change in self.change_set().changes:
            if paths is not None and change.path not in paths:
                continue
            if self._moved(change):
                return f"{change.path}: {STALE}"
        return None

    def _moved(self, change: Change) -> bool:
        path = self.root / change.path
        buffer = self._buffer(change.path)
        if change.path not in self.versions:  # only a command changed it: it read the disk
            return buffer is not None and buffer.text != change.original
        seen = self.versions.get(change.path)
        now = buffer.version if buffer is not None else None
        if seen != now:
            return True
        if buffer is None:
            on_disk = read_text(path) if path.is_file() else None
            return on_disk != change.original
        return False

    def read_versions(self) -> Mapping[str, Hashable | None]:
        return dict(self.versions)

    # -- commands ---------------------------------------------------------------------
    @property
    def runs_commands(self) -> bool:
        return self.only is None

    async def run(
        self,
        command: str,
        sandbox: SandboxSettings,
        *,
        unsandboxed: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> SandboxResult:
        """Run an approved command against this attempt (SandboxUnavailable: nothing ran). In the
        sandbox it sees the staged edits and writes only into the overlay; without it (a human's
        one-off choice) it runs on the workspace itself."""
        from modelroute.run.sandboxing import SandboxUnavailable, run_unsandboxed

        if not self.runs_commands:
            raise SandboxUnavailable(f"{self.only} is outside every workspace folder: no commands run for it")
        if unsandboxed:
            return await asyncio.to_thread(
                run_unsandboxed, command, self.root, timeout_s=sandbox.timeout_s,
                max_output_bytes=sandbox.max_output_bytes, env=env,
            )
        return await asyncio.to_thread(self._run_in_overlay, command, sandbox)

    def _run_in_overlay(self, command: str, sandbox: SandboxSettings) -> SandboxResult:
        from modelroute.run.sandboxing import Overlay, PathRefused, SandboxSpec

        if self._overlay is None:
            self._overlay = Overlay(self.root, SandboxSpec.from_settings(self.root, sandbox))
        overlay = self._overlay
        for change in self.changes():  # the model's edits, as the command should see them
            if self._synced.get(change.path) != change.new:
                try:
                    overlay.write(change.path, change.new)
                except (PathRefused, OSError):
                    continue  # refused in the change set too; the command sees the file without it
                self._synced[change.path] = change.new
        return overlay.run(command, timeout_s=sandbox.timeout_s, network=sandbox.network)

    def close(self) -> None:
        """Remove the overlay (the workspace itself was never touched)."""
        if self._overlay is not None:
            self._overlay.close()
            self._overlay = None


def read_text(path: Path) -> str:
    """A file's text as the model sees it: line ends kept as they are (a CRLF file stays CRLF)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        return fh.read()


__all__ = ["MAX_READ_BYTES", "STALE", "AttemptWorkspace", "BufferSource", "read_text"]
