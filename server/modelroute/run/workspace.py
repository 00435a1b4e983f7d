"""The attempt workspace: the files one attempt reads, edits and runs commands against.

Each attempt has its own copy-on-write overlay of the workspace (`modelroute.sandbox.Overlay`): the
real workspace is the read-only lower layer, and everything the attempt changes lands in the
overlay's upper layer, outside the workspace:
- the model's staged edits are written into the upper layer, so its approved commands (tests,
  builds, formatters) and the check run against its own proposed changes;
- what those commands write lands there too (git-ignored output such as node_modules persists
  across the attempt's commands and is left out of the change set);
- the attempt's result is the overlay's change set, taken relative to what the attempt started
  from (the editor's buffers, the steps carried before it, the disk). Nothing reaches the host
  until the user accepts, and then only through the apply guard (`write`).

Reads: the editor's buffer when the editor holds the file (its unsaved text is seeded into the
overlay, so commands see what the model sees), else the overlay's view (the disk, the staged edits
and what commands wrote). A file whose buffer is a view rather than its bytes (a notebook's cells
joined) is staged in memory: commands see the notebook as it is on disk.

Reads are safe against a hostile repository: the path is resolved (symlinks followed) and must stay
inside the workspace, and the privacy rule is asked for both the path the model named and the path
it resolves to, so a link cannot smuggle a withheld file out. The overlay itself never follows a
symlink a command planted.

Without an overlay (a loose file, or a workspace no sandbox may run in) edits are staged in memory
and no command runs.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Collection, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelroute.changeset import Change, ChangeSet, Refusal
from modelroute.execute.edits import EditRejected, EditStage, FileChange
from modelroute.prompt.privacy import withheld

if TYPE_CHECKING:
    from modelroute.policy.schema import PrivacySettings, SandboxSettings
    from modelroute.run.editor import Buffer
    from modelroute.sandbox import ApplyResult, Overlay, SandboxResult

MAX_READ_BYTES = 2_000_000
STALE = "the file changed while the model was working; nothing was applied"
CHANGED_BY_CHECK = "changed by the check after the attempt finished: not offered"

BufferSource = Callable[[Path], "Buffer | None"]


class AttemptWorkspace:
    """One attempt's files: reads through the editor's buffers, edits staged in the overlay,
    commands sandboxed in it, the change set read back from it.

    `only`: a loose file (outside every workspace folder) is the only file the attempt may read or
    edit, and it runs no commands: its folder may be $HOME. `base`: changes earlier steps made that
    are not on disk (a plan's accepted steps): the attempt starts from them."""

    def __init__(
        self,
        root: Path,
        privacy: PrivacySettings,
        *,
        model_is_local: bool,
        buffers: BufferSource | None = None,
        only: str | None = None,
        sandbox: SandboxSettings | None = None,
        base: ChangeSet | None = None,
    ) -> None:
        self.root = root.resolve()
        self.exclude = tuple(privacy.exclude)
        self.local_only = tuple(privacy.local_only)
        self.model_is_local = model_is_local
        self.only = only
        self.base = base if base is not None else ChangeSet()
        self._buffers = buffers
        self.versions: dict[str, Hashable | None] = {}  # path -> version when first read (None: not a buffer)
        self._pinned: dict[str, Buffer] = {}
        self._start: dict[str, str | None] = {}  # path -> its text when the attempt first read it
        self._memory: dict[str, str] = {}  # files staged in memory (views, or no overlay)
        # edits the model staged that the guard's rules refused: told to the model, and to the user
        # with the change set (never dropped silently)
        self._refused: dict[str, Refusal] = {}
        self._digests: dict[str, str] = {}  # binary changes of the sealed proposal -> sha256
        self.proposal: ChangeSet | None = None  # the attempt's result, sealed before the check ran
        self.notes: list[str] = []
        self.unavailable: str | None = None  # why there is no overlay (then no command runs)
        self._overlay: Overlay | None = None
        if only is None:
            self._open(sandbox)
        else:
            self.unavailable = f"{only} is outside every workspace folder: no commands run for it"

    def _open(self, sandbox: SandboxSettings | None) -> None:
        from modelroute.policy.schema import SandboxSettings
        from modelroute.run.approval import sandboxed_settings
        from modelroute.sandbox import Overlay, SandboxSpec, SandboxUnavailable

        settings = sandboxed_settings(sandbox if sandbox is not None else SandboxSettings())
        try:
            self._overlay = Overlay(self.root, SandboxSpec.from_settings(self.root, settings))
        except (SandboxUnavailable, OSError) as exc:
            self.unavailable = getattr(exc, "reason", None) or str(exc)
            return
        for change in self.base.changes:  # the steps before this one, as commands must see them
            self._carry(change)

    def _carry(self, change: Change) -> None:
        assert self._overlay is not None
        try:
            if change.kind == "deleted":
                self._overlay.delete(change.path)
            elif change.new is not None:
                self._overlay.write(change.path, change.new)
            else:
                self.notes.append(f"{change.path}: a binary change of an earlier step is not in this step's copy")
        except (OSError, ValueError) as exc:
            self.notes.append(f"{change.path}: an earlier step's change could not be carried here: {exc}")

    # -- reading -----------------------------------------------------------------------
    def pin(self, rel: str, buffer: Buffer) -> None:
        """The action's document as the editor held it when the action was asked for: the model
        reads this text, and the change set applies only while the document is still this version."""
        self._pinned[rel] = buffer
        self._begin(rel)

    def guard(self, path: str) -> None:
        """EditRejected when the privacy settings keep `path` from this model."""
        if why := withheld(path, self.exclude, self.local_only, model_is_local=self.model_is_local):
            raise EditRejected(why)

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

    def _inside(self, rel: str) -> str:
        """`rel` checked and resolved to the workspace path it names (a link inside is followed)."""
        path = self.resolve(rel)
        inside = path.relative_to(self.root).as_posix()
        return rel if inside == "." else inside

    def read(self, path: str) -> str | None:
        """The file as the attempt sees it now (staged edits and command output included); None
        when it does not exist."""
        rel = self._inside(path)
        self._begin(rel)
        return self._current(rel)

    def _begin(self, rel: str) -> str | None:
        """The text `rel` had when the attempt first read it (recorded once, with its version).
        An editor buffer is seeded into the overlay so commands see the text the model reads."""
        if rel in self._start:
            return self._start[rel]
        buffer = self._pinned.get(rel) or self._buffer(rel, (self.root / rel).resolve())
        if buffer is None:  # what it was before the attempt (a command may have changed it since)
            self.versions.setdefault(rel, None)
            text = self._disk(rel)
        else:
            self.versions[rel] = buffer.version
            text = buffer.text
            if buffer.view or self._overlay is None:
                self._memory[rel] = text
            elif self._current(rel) != text:
                self._seed(rel, text)
        self._start[rel] = text
        return text

    def _seed(self, rel: str, text: str) -> None:
        assert self._overlay is not None
        try:
            self._overlay.write(rel, text)
        except (OSError, ValueError):  # a protected or odd path: the model still reads the buffer
            self._memory[rel] = text

    def _current(self, rel: str) -> str | None:
        if rel in self._memory:
            return self._memory[rel]
        if self._overlay is None:
            return self._disk(rel)
        if not self._overlay.exists(rel):
            return None
        try:
            data = self._overlay.read_bytes(rel)
        except IsADirectoryError:
            raise EditRejected(f"{rel} is not a file") from None
        except OSError as exc:
            raise EditRejected(str(exc)) from None
        if len(data) > MAX_READ_BYTES:
            raise EditRejected(f"{rel} is larger than {MAX_READ_BYTES // 1_000_000} MB")
        return data.decode("utf-8", errors="replace")

    def exists(self, rel: str) -> bool:
        """Whether `rel` (a file or folder) is in the attempt's view now (commands' writes included)."""
        if rel in self._memory:
            return True
        if self._overlay is not None:
            return self._overlay.exists(rel)
        return self._carried(rel) is not None or (self.root / rel).exists()

    def _disk(self, rel: str) -> str | None:
        carried = self._carried(rel)
        if carried is not None:
            return carried.new
        path = self.root / rel
        if not path.exists():
            return None
        if not path.is_file():
            raise EditRejected(f"{rel} is not a file")
        if path.stat().st_size > MAX_READ_BYTES:
            raise EditRejected(f"{rel} is larger than {MAX_READ_BYTES // 1_000_000} MB")
        return read_text(path)

    def _carried(self, rel: str) -> Change | None:
        return next((c for c in self.base.changes if c.path == rel), None)

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
            text = self._begin(self._inside(rel))
        except EditRejected:
            return []
        return (text or "").splitlines()

    # -- editing -------------------------------------------------------------------------
    def stage(self, path: str, old_text: str, new_text: str) -> str:
        """Stage one replacement (an empty `old_text` creates the file); a line for the model."""
        rel = self._inside(path)
        self._begin(rel)
        scratch = EditStage()
        message = scratch.apply(rel, self._current(rel), old_text, new_text)
        self._write(rel, scratch.current[rel])
        return message

    def _write(self, rel: str, text: str) -> None:
        if rel in self._memory or self._overlay is None:
            self._memory[rel] = text
            return
        from modelroute.sandbox import PathRefused

        try:
            self._overlay.write(rel, text)
        except PathRefused as exc:
            self._refused[rel] = Refusal(path=rel, reason=f"the model's edit: {exc.reason}")
            raise EditRejected(f"{rel} is never written by a run: {exc.reason}") from None
        except OSError as exc:
            raise EditRejected(f"{rel}: {exc}") from None

    def changes(self) -> list[FileChange]:
        """The text files created or modified so far (the agent loop's view of its own work)."""
        return [FileChange(path=c.path, original=c.original, new=c.new)
                for c in self.change_set().changes if c.new is not None and not c.binary]

    # -- results ----------------------------------------------------------------------
    def change_set(self) -> ChangeSet:
        """Everything the attempt changed so far, relative to what it started from."""
        raw = self._overlay.change_set() if self._overlay is not None else ChangeSet()
        changes: dict[str, Change] = {}
        for change in raw.changes:
            if change.path not in self._memory:
                self._relative(changes, self._before(change.path, change.original), change)
        for carried in self.base.changes:  # a carried change that a command put back as the disk has it
            if carried.path in changes or carried.path in self._memory or carried.binary:
                continue
            try:
                now = self._current(carried.path)
            except EditRejected:
                continue
            self._relative(changes, self._before(carried.path, carried.new),
                           Change(path=carried.path, kind="modified", new=now))
        for rel, text in self._memory.items():
            self._relative(changes, self._start.get(rel), Change(path=rel, kind="modified", new=text))
        refused = (*raw.refused, *(r for p, r in self._refused.items() if p not in {x.path for x in raw.refused}))
        return ChangeSet(changes=tuple(changes[p] for p in sorted(changes)), refused=refused, left_out=raw.left_out)

    def _before(self, rel: str, on_disk: str | None) -> str | None:
        """What the attempt started from at `rel`: its first read, else a carried step's text,
        else the disk."""
        if rel in self._start:
            return self._start[rel]
        carried = self._carried(rel)
        return carried.new if carried is not None else on_disk

    @staticmethod
    def _relative(out: dict[str, Change], before: str | None, after: Change) -> None:
        """`after` as a change from `before` into `out` (nothing when it comes to the same)."""
        if after.binary:
            out[after.path] = after
            return
        new = after.new
        if (before == new and after.executable is None) or (before is None and new is None):
            return
        kind = "created" if before is None else ("deleted" if new is None else "modified")
        out[after.path] = Change(path=after.path, kind=kind, original=before, new=new, executable=after.executable)

    def seal(self) -> ChangeSet:
        """Take the change set now as the attempt's result: what a check writes afterwards (caches,
        build output, snapshots) is not part of it."""
        self.proposal = self.change_set()
        self._digests = {c.path: self._digest(c.path) for c in self.proposal.changes if c.binary}
        return self.proposal

    def result(self) -> ChangeSet:
        """The sealed result, with any binary file the check rewrote afterwards moved to `refused`."""
        proposal = self.proposal if self.proposal is not None else self.change_set()
        moved = [c for c in proposal.changes if c.binary and self._digest(c.path) != self._digests.get(c.path)]
        if not moved:
            return proposal
        return proposal.model_copy(update={
            "changes": tuple(c for c in proposal.changes if c not in moved),
            "refused": (*proposal.refused, *(Refusal(path=c.path, reason=CHANGED_BY_CHECK) for c in moved)),
        })

    def check_writes(self) -> list[str]:
        """Paths the check wrote after the result was sealed (left out of it)."""
        if self.proposal is None:
            return []
        sealed = {c.path: c for c in self.proposal.changes}
        return [c.path for c in self.change_set().changes if sealed.get(c.path) != c]

    def _digest(self, rel: str) -> str:
        if self._overlay is None or not self._overlay.exists(rel):
            return ""
        try:
            return hashlib.sha256(self._overlay.read_bytes(rel)).hexdigest()
        except OSError:
            return ""

    def stale(self, change_set: ChangeSet | None = None) -> str | None:
        """Why applying the result now would be wrong (a file moved on since the attempt read it)."""
        for change in (change_set or self.result()).changes:
            if not change.binary and self._moved(change):
                return f"{change.path}: {STALE}"
        return None

    def _moved(self, change: Change) -> bool:
        buffer = self._buffer(change.path)
        seen = self.versions.get(change.path)
        now = buffer.version if buffer is not None else None
        if seen != now:
            return True
        if buffer is not None:
            return False
        path = self.root / change.path
        on_disk = read_text(path) if path.is_file() else None
        carried = self._carried(change.path)
        expected = {change.original} | ({carried.original, carried.new} if carried is not None else set())
        return on_disk not in expected

    def read_versions(self) -> Mapping[str, Hashable | None]:
        return dict(self.versions)

    def write(self, change_set: ChangeSet, approved_executable: Collection[str] = ()) -> ApplyResult:
        """Write an accepted change set to the workspace through the apply guard (binary files from
        the overlay). What the guard refused is in the result, never dropped."""
        from modelroute.sandbox import apply_change_set

        if self._overlay is not None:
            return self._overlay.apply(change_set, approved_executable=approved_executable)
        return apply_change_set(self.root, change_set, approved_executable=approved_executable)

    # -- commands ---------------------------------------------------------------------
    @property
    def runs_commands(self) -> bool:
        return self._overlay is not None

    async def run(
        self,
        command: str,
        sandbox: SandboxSettings,
        *,
        unsandboxed: bool = False,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        check: bool = False,
    ) -> SandboxResult:
        """Run an approved command against this attempt (SandboxUnavailable: nothing ran).

        In the overlay it sees the staged edits, and what it writes joins the change set. With
        `[sandbox] mode = "read-only"` a model's command sees the workspace as it is on disk and
        writes nothing; the check (`check`) always runs in the overlay (what it writes is left out
        of the result, see `seal`). "Run without sandbox" (a human's choice for one command) runs
        in the workspace itself."""
        from modelroute.sandbox import SandboxSpec, SandboxUnavailable, run_sandboxed, run_unsandboxed

        limit = timeout_s if timeout_s is not None else sandbox.timeout_s
        if self._overlay is None:
            raise SandboxUnavailable(self.unavailable or "no sandbox")
        if unsandboxed:
            return await asyncio.to_thread(
                run_unsandboxed, command, self.root, timeout_s=limit,
                max_output_bytes=sandbox.max_output_bytes, env=env,
            )
        if sandbox.mode == "read-only" and not check:
            spec = SandboxSpec.from_settings(self.root, sandbox)
            return await asyncio.to_thread(run_sandboxed, command, spec)
        overlay = self._overlay
        return await asyncio.to_thread(overlay.run, command, timeout_s=limit, network=sandbox.network)

    def close(self) -> None:
        """Remove the overlay's layers (the workspace is untouched)."""
        if self._overlay is not None:
            self._overlay.close()


def compose(first: ChangeSet, then: ChangeSet) -> ChangeSet:
    """`then` (made on top of `first`'s result) folded into `first`: one change set from what
    `first` started from (a plan's steps so far; a merge on top of its candidate)."""
    out = {c.path: c for c in first.changes}
    for change in then.changes:
        prior = out.get(change.path)
        if prior is None:
            out[change.path] = change
            continue
        before = None if prior.kind == "created" else prior.original
        if change.binary or prior.binary:
            kind = "created" if prior.kind == "created" and change.kind != "deleted" else change.kind
            out[change.path] = change.model_copy(update={"kind": kind, "original": before})
            continue
        new = change.new
        executable = change.executable if change.executable is not None else prior.executable
        if (before == new and executable is None) or (before is None and new is None):
            del out[change.path]
            continue
        kind = "created" if before is None else ("deleted" if new is None else "modified")
        out[change.path] = Change(path=change.path, kind=kind, original=before, new=new, executable=executable)
    return ChangeSet(
        changes=tuple(out[p] for p in sorted(out)),
        refused=tuple(dict.fromkeys((*first.refused, *then.refused))),
        flagged=tuple(dict.fromkeys((*first.flagged, *then.flagged))),
        left_out=tuple(sorted({*first.left_out, *then.left_out})),
    )


def read_text(path: Path) -> str:
    """A file's text as the model sees it: line ends kept as they are (a CRLF file stays CRLF)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        return fh.read()


__all__ = ["CHANGED_BY_CHECK", "MAX_READ_BYTES", "STALE", "AttemptWorkspace", "BufferSource", "compose", "read_text"]
