"""The apply guard: write an accepted change set to the host workspace, refusing what acts on the host
later, whatever the model or a command did (issue 11 item 2).

Refused: anything on the protected list (`.git` at any depth, hooks, `.pth`, editor configs, ...);
a path that is absolute, has `..`, or resolves outside the workspace; a folder on the way that is a
symlink (every component is opened with O_NOFOLLOW relative to its parent, so a file or folder swapped
for a symlink after the run read it cannot redirect a write); a target that is not a regular file or
has other hard links; a target that changed on disk since the run read it; a new executable bit the
user did not approve; setuid/setgid bits are never written. Every refusal is returned, never dropped.
The guard deletes only files a change set says were deleted, and only when they are still exactly
what the run saw: it never removes anything else.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from modelroute.changeset import Change, ChangeSet, Refusal
from modelroute.sandbox.protected import MarkerCheck, layered_marker, path_error, protected_reason

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.refused


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def change_refusal(rel: str, is_marker_dir: MarkerCheck) -> str | None:
    """The rules every change passes, in the overlay's change set and again here (one implementation)."""
    return path_error(rel) or protected_reason(rel, is_marker_dir)


def marker_check(root: Path, change_set: ChangeSet) -> MarkerCheck:
    """Is a folder a virtualenv or a repository on the host, or after this change set?"""
    return layered_marker([str(root)], [c.path for c in change_set.changes if c.kind != "deleted"])


def refusal_of(root: Path, rel: str) -> str | None:
    """Why the guard would refuse writing `rel` under `root` (protected, outside, ...), or None: for an
    editor that writes a buffer, not the disk, and must still keep the guard's rules."""
    return change_refusal(rel, marker_check(root, ChangeSet()))


def apply_change_set(
    root: Path,
    change_set: ChangeSet,
    *,
    approved_executable: Collection[str] = (),
    content_root: Path | None = None,
) -> ApplyResult:
    """Write the accepted `change_set` under `root`; return what was applied and what was refused.

    `approved_executable`: paths whose new executable bit the user approved. `content_root`: where the
    bytes of binary changes are (the overlay's upper layer); without it binary changes are refused.
    """
    root = Path(os.path.realpath(root))
    is_marker = marker_check(root, change_set)
    applied: list[str] = []
    refused: list[Refusal] = list(change_set.refused)
    for change in change_set.changes:
        reason = change_refusal(change.path, is_marker)
        if reason is None:
            try:
                notes = _apply_one(root, change, change.path in approved_executable, content_root)
                applied.append(change.path)
                refused += [Refusal(path=change.path, reason=n) for n in notes]
                continue
            except Refused as exc:
                reason = exc.reason
            except OSError as exc:
                reason = f"could not be written: {exc.strerror or exc}"
        refused.append(Refusal(path=change.path, reason=reason))
    return ApplyResult(tuple(applied), tuple(refused))


def apply_folders(root: Path, folders: Collection[str]) -> ApplyResult:
    """Create empty folders under `root` with the same rules and no-follow walk as files."""
    root = Path(os.path.realpath(root))
    is_marker = layered_marker([str(root)], ())
    applied: list[str] = []
    refused: list[Refusal] = []
    for rel in folders:
        reason = change_refusal(rel, is_marker)
        if reason is None:
            try:
                with _open_parent(root, rel.split("/"), create=True):
                    applied.append(rel + "/")
                continue
            except Refused as exc:
                reason = exc.reason
            except OSError as exc:
                reason = f"could not be created: {exc.strerror or exc}"
        refused.append(Refusal(path=rel + "/", reason=reason))
    return ApplyResult(tuple(applied), tuple(refused))


def _apply_one(root: Path, change: Change, exec_approved: bool, content_root: Path | None) -> list[str]:
    parts = change.path.split("/")
    with _open_parent(root, parts[:-1], create=change.kind != "deleted") as dir_fd:
        name = parts[-1]
        current = _lstat(name, dir_fd)
        if change.kind == "deleted":
            _expect_unchanged(current, name, dir_fd, change)
            os.unlink(name, dir_fd=dir_fd)
            return []
        data = _new_bytes(change, content_root)
        if change.kind == "created" and current is not None:
            if stat.S_ISREG(current.st_mode) and _read_at(name, dir_fd) == data:
                return []  # already there, byte for byte
            raise Refused("exists on disk now: something created it after the run started")
        if change.kind == "modified":
            _expect_unchanged(current, name, dir_fd, change)
        old_mode = stat.S_IMODE(current.st_mode) if current is not None else 0o644
        mode, notes = _mode(old_mode, change.executable, exec_approved)
        _replace(name, dir_fd, data, mode)
        return notes


def _new_bytes(change: Change, content_root: Path | None) -> bytes:
    if not change.binary:
        return (change.new or "").encode("utf-8")
    if content_root is None:
        raise Refused("binary file: its bytes are not in the change set (apply it from the run's overlay)")
    with _open_parent(Path(os.path.realpath(content_root)), change.path.split("/")[:-1], create=False) as fd:
        st = _lstat(change.path.split("/")[-1], fd)
        if st is None or not stat.S_ISREG(st.st_mode):
            raise Refused("binary file: no longer in the run's overlay")
        return _read_at(change.path.split("/")[-1], fd)


def _mode(old: int, executable: bool | None, approved: bool) -> tuple[int, list[str]]:
    """Permission bits to write: never setuid/setgid/sticky; a new executable bit only when approved."""
    mode = old & 0o777
    notes: list[str] = []
    if executable is True:
        if approved:
            mode |= (mode & 0o444) >> 2
        else:
            notes.append("new executable bit not applied: the file was written without it (approve it to apply)")
    elif executable is False:
        mode &= ~0o111
    return mode, notes


def _expect_unchanged(current: os.stat_result | None, name: str, dir_fd: int, change: Change) -> None:
    if current is None:
        raise Refused("no longer on disk")
    if stat.S_ISLNK(current.st_mode):
        raise Refused("is a symlink on disk now: not followed")
    if not stat.S_ISREG(current.st_mode):
        raise Refused("is not a regular file on disk (folder, device, FIFO or socket)")
    if current.st_nlink > 1:
        raise Refused(f"has {current.st_nlink} hard links on disk: writing it could change a file elsewhere")
    if current.st_mode & (stat.S_ISUID | stat.S_ISGID):
        raise Refused("is setuid/setgid on disk")
    if change.binary:
        return  # binary changes carry no "before" to compare: the checks above are all there is
    if change.original is None or _read_at(name, dir_fd) != change.original.encode("utf-8"):
        raise Refused("changed on disk since the run read it: not overwritten")


def _replace(name: str, dir_fd: int, data: bytes, mode: int) -> None:
    """Write beside the target and rename over it: rename never follows a symlink at the target."""
    tmp = f".{name[:100]}.modelroute-{uuid.uuid4().hex[:8]}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb", closefd=True) as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        current = _lstat(name, dir_fd)
        if current is not None and not stat.S_ISREG(current.st_mode):
            raise Refused("was replaced by a symlink, folder or special file while applying: not written")
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


@contextlib.contextmanager
def _open_parent(root: Path, folders: list[str], *, create: bool) -> Iterator[int]:
    """The parent folder of a change, opened one component at a time with O_NOFOLLOW."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        for name in folders:
            try:
                nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise Refused(f"folder {name!r} is no longer on disk") from None
                os.mkdir(name, 0o755, dir_fd=fd)
                nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise Refused(f"{name!r} on the path is a symlink or not a folder: not followed") from None
                raise
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def _lstat(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _read_at(name: str, dir_fd: int) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Refused("is not a regular file")
        return f.read(READ_LIMIT)

