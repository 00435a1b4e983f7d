"""The attempt workspace: the files one attempt reads, edits and runs commands against.

One small abstraction over where a run's work happens:
- read a file as the run sees it: the editor's buffer, else the disk, with its staged edits on top;
- stage an edit (never written: the result is a change set the user accepts);
- run an approved command (in the sandbox) against the attempt's view of the workspace;
- produce the `ChangeSet`, and say whether the files moved on since they were read.

Today edits are staged in memory and commands run in the sandbox on the workspace itself, so a
command does not see the staged edits yet. Branch `sandbox` brings a copy-on-write overlay
(`modelroute.sandbox.Overlay`): staged edits then go into its upper layer, commands see them, and
the change set includes what commands wrote. That swap happens here and in `run/sandboxing.py` only.

Reads are safe against a hostile repository: the path is resolved (symlinks followed) and must stay
inside the workspace, and the privacy rule is asked for both the path the model named and the path
it resolves to, so a link cannot smuggle a withheld file out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelroute.changeset import Change, ChangeSet
from modelroute.execute.edits import EditRejected, FileChange, StagedFiles

if TYPE_CHECKING:
    from modelroute.policy.schema import PrivacySettings, SandboxSettings
    from modelroute.run.editor import Buffer
    from modelroute.run.sandboxing import SandboxResult

MAX_READ_BYTES = 2_000_000
STALE = "the file changed while the model was working; nothing was applied"

BufferSource = Callable[[Path], "Buffer | None"]


class AttemptWorkspace(StagedFiles):
    """One attempt's files: reads through the editor's buffers, edits staged, commands sandboxed.

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
        pinned = self._pinned.get(rel)
        if pinned is not None:
            return pinned.text
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
        return ChangeSet(changes=tuple(_change(c) for c in self.changes()))

    def stale(self, paths: list[str] | None = None) -> str | None:
        """Why applying the staged changes now would be wrong (a file moved on since it was read)."""
        for change in self.changes():
            if paths is not None and change.path not in paths:
                continue
            if self._moved(change):
                return f"{change.path}: {STALE}"
        return None

    def _moved(self, change: FileChange) -> bool:
        path = self.root / change.path
        buffer = self._buffer(change.path)
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
        """Run an approved command against this attempt (SandboxUnavailable: nothing ran)."""
        from modelroute.run.sandboxing import SandboxSpec, SandboxUnavailable, run_sandboxed, run_unsandboxed

        if not self.runs_commands:
            raise SandboxUnavailable(f"{self.only} is outside every workspace folder: no commands run for it")
        if unsandboxed:
            return await asyncio.to_thread(
                run_unsandboxed, command, self.root, timeout_s=sandbox.timeout_s,
                max_output_bytes=sandbox.max_output_bytes, env=env,
            )
        spec = SandboxSpec.from_settings(self.root, sandbox)
        return await asyncio.to_thread(run_sandboxed, command, spec)


def read_text(path: Path) -> str:
    """A file's text as the model sees it: line ends kept as they are (a CRLF file stays CRLF)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        return fh.read()


def _change(change: FileChange) -> Change:
    kind = "created" if change.original is None else "modified"
    return Change(path=change.path, kind=kind, original=change.original, new=change.new)


__all__ = ["MAX_READ_BYTES", "STALE", "AttemptWorkspace", "BufferSource"]
