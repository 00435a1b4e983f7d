"""The one place the run core reaches the sandbox and the host's files.

Branch `sandbox` moves the sandbox to `modelroute.sandbox`, adds the copy-on-write overlay and the
apply guard (`apply_change_set`, which refuses everything that acts on the host later). When it
lands, the imports and `apply_change_set` below are the only lines of the run core that change.

Until then `apply_change_set` writes an accepted change set with the safe minimum: every path is
opened component by component relative to its directory without following symlinks, nothing under a
`.git` or a `.modelroute.toml` is written, a file must still hold what the run read, and the whole
set is checked before the first byte is written.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from modelroute.changeset import Change, ChangeSet, Refusal
from modelroute.sandbox import (
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    run_sandboxed,
    run_unsandboxed,
)

NEVER_WRITTEN = (".git", ".modelroute.toml")  # names that act on the host later (git config, our settings)


@dataclass
class Applied:
    written: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def apply_change_set(root: Path, change_set: ChangeSet) -> Applied:
    """Write `change_set` into `root`, all or nothing: any refusal writes nothing."""
    result = Applied()
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for change in change_set.changes:
            why = _refusal(root_fd, change)
            if why is not None:
                result.refused.append(Refusal(path=change.path, reason=why))
        if result.refused:
            return result
        for change in change_set.changes:
            _write(root_fd, change)
            result.written.append(change.path)
    finally:
        os.close(root_fd)
    return result


def _parts(rel: str) -> list[str] | None:
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(p in ("..", ".") for p in path.parts):
        return None
    return list(path.parts)


def _refusal(root_fd: int, change: Change) -> str | None:
    parts = _parts(change.path)
    if parts is None:
        return "not a path inside the workspace"
    if any(p in NEVER_WRITTEN for p in parts):
        return "git metadata and modelroute settings are never written by a run"
    if change.binary or (change.kind != "deleted" and change.new is None):
        return "binary changes are not written by this command"
    try:
        current = _read(root_fd, parts)
    except _Unsafe as exc:
        return str(exc)
    if change.kind == "created" and current is not None:
        return "the file was created meanwhile; nothing was written"
    if change.kind != "created" and (current is None or _text(current) != (change.original or "")):
        return "the file changed since the run read it; nothing was written"
    return None


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")  # as the run read it (run/workspace.py)


class _Unsafe(Exception):
    pass


def _open_dir(root_fd: int, parts: list[str], *, create: bool) -> int:
    """The directory holding `parts[-1]`, walked without following symlinks."""
    fd = os.dup(root_fd)
    for name in parts[:-1]:
        try:
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                os.close(fd)
                raise
            os.mkdir(name, 0o755, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            os.close(fd)
            raise _Unsafe(f"{name} is not a plain folder (a symlink?)") from exc
        os.close(fd)
        fd = child
    return fd


def _read(root_fd: int, parts: list[str]) -> bytes | None:
    try:
        dir_fd = _open_dir(root_fd, parts, create=False)
    except FileNotFoundError:
        return None
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Unsafe("not a plain file (a symlink?)") from exc
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            raise _Unsafe("not a plain file (a device, a FIFO or a hard link)")
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    finally:
        os.close(fd)


def _write(root_fd: int, change: Change) -> None:
    parts = _parts(change.path)
    assert parts is not None
    dir_fd = _open_dir(root_fd, parts, create=change.kind == "created")
    name = parts[-1]
    try:
        if change.kind == "deleted":
            os.unlink(name, dir_fd=dir_fd)
            return
        mode = 0o644
        if change.kind == "modified":
            mode = stat.S_IMODE(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode) & 0o777
        temp = f".{name}.modelroute-{os.getpid()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as fh:
            fh.write((change.new or "").encode())
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


__all__ = [
    "Applied",
    "SandboxResult",
    "SandboxSpec",
    "SandboxUnavailable",
    "apply_change_set",
    "run_sandboxed",
    "run_unsandboxed",
]
