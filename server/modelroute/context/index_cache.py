"""The workspace index on disk, so a new process (`modelroute route`, a server start) loads it and
checks it against the tree instead of reading every file again.

Where: one file per workspace in the user cache folder (`$XDG_CACHE_HOME/modelroute/index/`), named
by a hash of the workspace's resolved path and the settings that shape the index. What is in a file
can only come from this workspace: the name is derived from the path, never from anything in the
repository, and the file repeats the path (and the folder's device and inode), which must match.
A file modified by anyone else cannot run code: the format is flat arrays and JSON checked field by
field on load (no pickle), and anything that does not check out is ignored and rebuilt.

The folder must belong to the user and not be writable by others; files are written to a temporary
name with mode 0600 and renamed into place, so a reader sees an old index or a new one, never half.
Index files not used for PRUNE_AFTER_DAYS, or beyond the KEEP most recently used, are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelroute.context.symbols import Frozen

log = logging.getLogger(__name__)

FORMAT = 1
MAGIC = b"modelroute-index\n"
PRUNE_AFTER_DAYS = 30
KEEP = 64
MIN_FILES = 500  # smaller workspaces are walked in a few milliseconds: not worth a file

Sig = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode: what lstat says about a path
_SECTIONS = ("paths", "sizes", "mtimes", "ctimes", "inodes", "dirs", "dir_sigs", "keys", "offsets", "ids")


def sig_of(st: os.stat_result) -> Sig:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass
class Snapshot:
    """An index as stored: dense file ids (0..n-1), folders and ignore files with their lstat."""

    root: str
    scanned_ns: int  # when the walk or refresh that produced it started
    paths: list[str]
    sizes: array[int]
    mtimes: array[int]
    ctimes: array[int]
    inodes: array[int]
    dirs: dict[str, Sig]
    ignore_sigs: dict[str, Sig | None]  # .gitignore files and .git/info/exclude; None: absent
    languages: dict[str, str]  # languages detected from a shebang, by path
    markers: dict[str, Any]  # MarkerTotals.to_json()
    postings: Frozen = field(default_factory=Frozen.empty)


@dataclass(frozen=True)
class IndexCache:
    """Where index files live, and from how many files a workspace gets one."""

    folder: Path
    min_files: int = MIN_FILES

    @classmethod
    def default(cls) -> IndexCache:
        import platformdirs

        return cls(Path(platformdirs.user_cache_dir("modelroute", appauthor=False)) / "index")

    def path_for(self, root: Path, exclude: Sequence[str], max_files: int) -> Path:
        key = json.dumps([FORMAT, str(root), list(exclude), max_files, sys.byteorder])
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.idx"

    def load(self, path: Path, root: Path) -> Snapshot | None:
        """The stored index of `root`, or None (absent, unsafe, another folder, damaged)."""
        if not self._safe_folder(create=False):
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                log.warning("ignoring index file %s: not a regular file of this user", path)
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read()
        finally:
            os.close(fd)
        try:
            snapshot = _decode(data, root)
        except (ValueError, KeyError, TypeError, UnicodeError, OverflowError) as exc:
            log.info("ignoring index file %s: %s", path, exc)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by the pruning
        return snapshot

    def save(self, path: Path, snapshot: Snapshot) -> bool:
        """Write atomically (temporary file, fsync-free rename); False when the folder is unsafe."""
        if not self._safe_folder(create=True):
            return False
        data = _encode(snapshot)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".idx", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.info("could not save the index to %s: %s", path, exc)
            return False
        self._prune(keep=path)
        return True

    def _safe_folder(self, *, create: bool) -> bool:
        """The folder exists (or is created 0700), is a real folder of this user, and no one else can
        write in it: otherwise another user could plant an index for our workspace."""
        try:
            if create:
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.lstat(self.folder)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            log.warning("not using the index cache %s: it must be a folder of this user, not writable by others",
                        self.folder)
            return False
        return True

    def _prune(self, keep: Path) -> None:
        try:
            entries = [(e.stat().st_mtime, Path(e.path)) for e in os.scandir(self.folder) if e.name.endswith(".idx")]
        except OSError:
            return
        entries.sort(reverse=True)
        cutoff = time.time() - PRUNE_AFTER_DAYS * 86400
        for rank, (mtime, path) in enumerate(entries):
            if path != keep and (rank >= KEEP or mtime < cutoff):
                with contextlib.suppress(OSError):
                    path.unlink()


# --- format: MAGIC, one JSON header line, then raw sections in the header's order -----------------


def _encode(s: Snapshot) -> bytes:
    dirs = sorted(d for d in s.dirs if d)  # the workspace folder itself goes in the header
    sections = {
        "paths": b"\0".join(os.fsencode(p) for p in s.paths),
        "sizes": array("q", s.sizes).tobytes(),
        "mtimes": array("q", s.mtimes).tobytes(),
        "ctimes": array("q", s.ctimes).tobytes(),
        "inodes": array("q", s.inodes).tobytes(),
        "dirs": b"\0".join(os.fsencode(d) for d in dirs),
        "dir_sigs": array("q", (v for d in dirs for v in s.dirs[d])).tobytes(),
        "keys": b"\n".join(s.postings.keys),
        "offsets": array("I", s.postings.offsets).tobytes(),
        "ids": array("I", s.postings.ids).tobytes(),
    }
    header = {
        "format": FORMAT,
        "root": s.root,
        "root_id": list(_root_identity(Path(s.root))),
        "root_sig": list(s.dirs[""]) if "" in s.dirs else None,
        "scanned_ns": s.scanned_ns,
        "files": len(s.paths),
        "dir_count": len(dirs),
        "key_count": len(s.postings.keys),
        "ignore_sigs": {k: (list(v) if v else None) for k, v in s.ignore_sigs.items()},
        "languages": s.languages,
        "markers": s.markers,
        "sections": [[name, len(sections[name])] for name in _SECTIONS],
    }
    return MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + b"".join(sections.values())


def _decode(data: bytes, root: Path) -> Snapshot:
    if not data.startswith(MAGIC):
        raise ValueError("not an index file")
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC) : end])
    if header["format"] != FORMAT or header["root"] != str(root):
        raise ValueError("another format or another folder")
    if list(_root_identity(root)) != header["root_id"]:
        raise ValueError("the folder at this path is not the one indexed")
    raw = _sections(data, end + 1, header["sections"])
    files, dir_count = _count(header["files"]), _count(header["dir_count"])
    paths = _names(raw["paths"], files)
    arrays = {name: _array("q", raw[name], files) for name in ("sizes", "mtimes", "ctimes", "inodes")}
    dirs = _names(raw["dirs"], dir_count)
    dir_sigs = _array("q", raw["dir_sigs"], 4 * dir_count)
    folders = {d: _sig(dir_sigs[4 * i : 4 * i + 4]) for i, d in enumerate(dirs)}
    if header["root_sig"] is not None:
        folders[""] = _sig(header["root_sig"])
    postings = _postings(raw["keys"], raw["offsets"], raw["ids"], _count(header["key_count"]))
    return Snapshot(
        root=str(root),
        scanned_ns=_count(header["scanned_ns"]),
        paths=paths,
        sizes=arrays["sizes"],
        mtimes=arrays["mtimes"],
        ctimes=arrays["ctimes"],
        inodes=arrays["inodes"],
        dirs=folders,
        ignore_sigs={_path(k): (_sig(v) if v is not None else None) for k, v in dict(header["ignore_sigs"]).items()},
        languages={_path(k): str(v) for k, v in dict(header["languages"]).items()},
        markers=dict(header["markers"]),
        postings=postings,
    )  # fmt: skip


def _root_identity(root: Path) -> tuple[int, int]:
    info = os.lstat(root)
    return info.st_dev, info.st_ino


def _sections(data: bytes, start: int, layout: list[list[Any]]) -> dict[str, bytes]:
    if [name for name, _ in layout] != list(_SECTIONS):
        raise ValueError("unexpected sections")
    out: dict[str, bytes] = {}
    at = start
    for name, length in layout:
        length = _count(length)
        if at + length > len(data):
            raise ValueError("truncated")
        out[name] = data[at : at + length]
        at += length
    if at != len(data):
        raise ValueError("trailing bytes")
    return out


def _names(blob: bytes, count: int) -> list[str]:
    """NUL-separated clean relative paths."""
    if count == 0:
        if blob:
            raise ValueError("names without a count")
        return []
    if not _clean_paths(blob):
        raise ValueError("a path in the index is not a clean relative path")
    names = blob.decode("utf-8", "surrogateescape").split("\0")
    if len(names) != count:
        raise ValueError("name count")
    return names


def _clean_paths(blob: bytes) -> bool:
    """Whether NUL-separated names are all clean relative paths: none absolute, none with an empty,
    `.` or `..` component. Checked on the whole blob at once with substring searches."""
    s = b"/" + blob.replace(b"\0", b"/") + b"/"  # every name now sits between two slashes
    return b"//" not in s and b"/./" not in s and b"/../" not in s


def _path(rel: str) -> str:
    """A stored path must be a clean relative path inside the workspace: never absolute, never `..`."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"bad path in index: {rel!r}")
    return rel


def _array(code: str, blob: bytes, count: int) -> array[int]:
    out = array(code)
    out.frombytes(blob)
    if len(out) != count:
        raise ValueError("array length")
    return out


def _sig(values: Sequence[Any]) -> Sig:
    if len(values) != 4 or not all(isinstance(v, int) for v in values):
        raise ValueError("bad signature")
    return (int(values[0]), int(values[1]), int(values[2]), int(values[3]))


def _postings(keys_blob: bytes, offsets_blob: bytes, ids_blob: bytes, key_count: int) -> Frozen:
    """Checked for shape. Bad values inside could only make lookups wrong, never reach outside the
    workspace: an id past the stored files is skipped where it is read (WorkspaceIndex)."""
    keys = keys_blob.split(b"\n") if key_count else []
    if len(keys) != key_count or (keys_blob and not key_count):
        raise ValueError("key count")
    if keys != sorted(keys):
        raise ValueError("keys are not sorted")
    offsets = _array("I", offsets_blob, key_count + 1)
    ids = array("I")
    ids.frombytes(ids_blob)
    if offsets[0] != 0 or offsets[-1] != len(ids):
        raise ValueError("offsets")
    return Frozen(keys, offsets, ids)


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected a count")
    return value
