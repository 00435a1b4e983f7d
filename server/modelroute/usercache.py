"""Private files in the user cache folder (`$XDG_CACHE_HOME/modelroute/...`), safe to lose.

Every cache modelroute keeps across processes reads and writes through here, so each gets the same
guarantees: the folder belongs to the user and no one else can write in it (otherwise another user
could plant an entry), a file is only read when it is a regular file of this user (never through a
symlink), and a file is written to a temporary name with mode 0600 and renamed into place, so a
reader sees the old content or the new, never half. Callers still check what they read: a cache
file is data from disk, not something to trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def cache_folder(name: str) -> Path:
    """`name` inside modelroute's user cache folder (not created)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("modelroute", appauthor=False)) / name


def code_fingerprint(*, folders: list[Path], packages: list[str], extra: str = "") -> str:
    """A hash of the size and modification time of every file in `folders` and in the folders of the
    top-level `packages` (found without importing them): it changes when the code or data that
    produced a cache entry may have changed (an upgrade, an edited source)."""
    from importlib.util import find_spec

    for name in packages:
        spec = find_spec(name)
        if spec is not None and spec.origin:
            folders = [*folders, Path(spec.origin).parent]
    parts = [extra]
    for folder in folders:
        try:
            entries = sorted((e.name, e.stat()) for e in os.scandir(folder) if e.is_file())
        except OSError:
            entries = []
        parts.extend(f"{folder}/{name} {st.st_size} {st.st_mtime_ns}" for name, st in entries)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def private_folder(folder: Path, *, create: bool) -> bool:
    """The folder exists (or is created 0700), is a real folder of this user, and no one else can write
    in it."""
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        log.warning("not using the cache folder %s: it must be a folder of this user, not writable by others", folder)
        return False
    return True


def read_private(path: Path) -> bytes | None:
    """The content of a regular file of this user in a private folder, else None (absent, a symlink,
    another user's, unreadable)."""
    if not private_folder(path.parent, create=False):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            log.warning("ignoring cache file %s: not a regular file of this user", path)
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace `path` with `data` (temporary file in the same folder, then rename; no fsync: a cache
    lost in a crash is rebuilt). False when the folder is unsafe or the write fails."""
    if not private_folder(path.parent, create=True):
        return False
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.info("could not write the cache file %s: %s", path, exc)
        return False
    return True
