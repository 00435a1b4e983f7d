"""What a run changed: the overlay's upper layer compared with the workspace, as one `ChangeSet`.

Upper-layer entries and what they mean (overlayfs with `userxattr`, as bwrap mounts it in a user
namespace): a character device 0/0 is a whiteout (the path was deleted); a folder with the
`user.overlay.opaque` attribute hides everything the workspace had beneath it; a regular file is
created or modified; symlinks, hard links, devices, FIFOs and sockets are refused, as is everything on
the protected list and any setuid/setgid bit. Git-ignored output (and caches nobody commits) is
left out: listed, never offered.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from modelroute.changeset import Change, ChangeSet, Refusal
from modelroute.sandbox.apply import change_refusal
from modelroute.sandbox.protected import MarkerCheck, layered_marker

OPAQUE_XATTRS = ("user.overlay.opaque", "trusted.overlay.opaque")
ALWAYS_LEFT_OUT = ("__pycache__/", "*.pyc", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", "node_modules/",
                   ".tox/", ".nox/")
TEXT_LIMIT = 4 * 1024 * 1024  # larger files are summarised like binary ones


def is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def is_opaque(path: str) -> bool:
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def read_regular(path: str | Path) -> bytes:
    """The bytes of a regular file, never through a symlink (a command may swap one in while we read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{path}: not a regular file")
        return f.read()


def lower_lstat(root: Path, rel: str) -> os.stat_result | None:
    """lstat of `rel` in the workspace, None when it or a folder on the way is missing or a symlink."""
    path = str(root)
    parts = rel.split("/") if rel else []
    for i, name in enumerate(parts):
        path = os.path.join(path, name)
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
            return None
    return os.lstat(path) if parts else os.lstat(root)


class Ignored:
    """Git's ignore rules as the host repository has them (never the run's own edits to .gitignore),
    plus caches nobody commits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {"": self._load("", [*ALWAYS_LEFT_OUT])}

    def _load(self, folder: str, extra: list[str]) -> pathspec.GitIgnoreSpec | None:
        lines = list(extra)
        names = [".gitignore"] + ([".git/info/exclude"] if folder == "" else [])
        for name in names:
            rel = f"{folder}/{name}" if folder else name
            st = lower_lstat(self.root, rel)
            if st is not None and stat.S_ISREG(st.st_mode) and st.st_size < 1_000_000:
                lines += (self.root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None

    def __call__(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        for depth in range(len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in self._specs:
                self._specs[folder] = self._load(folder, [])
            spec = self._specs[folder]
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            if spec.match_file(sub):
                return True
        return False


@dataclass
class _Collector:
    root: Path
    upper: Path
    ignored: Ignored
    is_marker_dir: MarkerCheck
    changes: dict[str, Change] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)

    def refuse(self, rel: str, reason: str) -> None:
        self.refused.setdefault(rel, reason)

    def walk(self, folder: str) -> None:
        base = os.path.join(self.upper, folder) if folder else str(self.upper)
        with os.scandir(base) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = f"{folder}/{entry.name}" if folder else entry.name
            st = entry.stat(follow_symlinks=False)
            self.visit(rel, entry.path, st)

    def visit(self, rel: str, path: str, st: os.stat_result) -> None:
        is_dir = stat.S_ISDIR(st.st_mode)
        reason = change_refusal(rel, self.is_marker_dir)
        if reason is not None:
            self.refuse(rel + ("/" if is_dir else ""), reason)
            return
        if self.ignored(rel, is_dir):
            self.left_out.append(rel + ("/" if is_dir else ""))
            return
        lower = lower_lstat(self.root, rel)
        if is_whiteout(st):
            self.delete_lower(rel, lower)
        elif is_dir:
            if lower is not None and not stat.S_ISDIR(lower.st_mode):
                self.delete_lower(rel, lower)
            elif lower is not None and is_opaque(path):
                self.delete_lower(rel, lower)  # re-created below for what the upper layer has
            self.walk(rel)
        elif stat.S_ISREG(st.st_mode):
            self.file(rel, path, st, lower)
        elif stat.S_ISLNK(st.st_mode):
            self.refuse(rel, f"symlink (-> {os.readlink(path)}): never applied, it could point anywhere")
        else:
            self.refuse(rel, "device, FIFO or socket: never applied")

    def delete_lower(self, rel: str, lower: os.stat_result | None) -> None:
        if lower is None:
            return
        if stat.S_ISDIR(lower.st_mode):
            for dirpath, dirnames, filenames in os.walk(self.root / rel):
                dirnames.sort()
                for name in sorted(filenames):
                    sub = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/")
                    self.deleted.add(sub)
        else:
            self.deleted.add(rel)

    def file(self, rel: str, path: str, st: os.stat_result, lower: os.stat_result | None) -> None:
        if st.st_mode & (stat.S_ISUID | stat.S_ISGID):
            self.refuse(rel, "setuid/setgid bit: never applied")
            return
        if st.st_nlink > 1:
            self.refuse(rel, f"hard link ({st.st_nlink} names for one file): never applied")
            return
        new = read_regular(path)
        new_exec = bool(st.st_mode & 0o111)
        if lower is not None and stat.S_ISREG(lower.st_mode):
            self.deleted.discard(rel)
            old = read_regular(self.root / rel)
            old_exec = bool(lower.st_mode & 0o111)
            if old == new and old_exec == new_exec:
                return  # copied up (touch, chmod to the same bits): nothing changed
            self.changes[rel] = _change(rel, "modified", old, new, None if old_exec == new_exec else new_exec)
            return
        if lower is not None:
            self.delete_lower(rel, lower)
            self.deleted.discard(rel)
        self.changes[rel] = _change(rel, "created", None, new, True if new_exec else None)

    def result(self) -> ChangeSet:
        for rel in sorted(self.deleted - set(self.changes)):
            if self.ignored(rel, False):
                continue  # build output the workspace had: left alone, neither deleted nor offered
            reason = change_refusal(rel, self.is_marker_dir)
            if reason is not None:
                self.refuse(rel, reason)
            else:
                old = read_regular(self.root / rel) if lower_lstat(self.root, rel) is not None else b""
                self.changes[rel] = _change(rel, "deleted", old, None, None)
        return ChangeSet(
            changes=tuple(self.changes[k] for k in sorted(self.changes)),
            refused=tuple(Refusal(path=k, reason=v) for k, v in sorted(self.refused.items())),
            left_out=tuple(sorted(set(self.left_out))),
        )


def _text(data: bytes) -> str | None:
    if len(data) > TEXT_LIMIT or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _change(rel: str, kind: str, old: bytes | None, new: bytes | None, executable: bool | None) -> Change:
    old_text = _text(old) if old is not None else None
    new_text = _text(new) if new is not None else None
    binary = (old is not None and old_text is None) or (new is not None and new_text is None)
    if binary:
        return Change(path=rel, kind=kind, binary=True, size=len(new) if new is not None else None,
                      executable=executable)  # type: ignore[arg-type]
    return Change(path=rel, kind=kind, original=old_text, new=new_text, executable=executable)  # type: ignore[arg-type]


def collect_changes(root: Path, upper: Path) -> ChangeSet:
    """The change set of one overlay: its upper layer against the workspace it covers."""
    collector = _Collector(root, upper, Ignored(root), layered_marker([str(upper), str(root)]))
    collector.walk("")
    return collector.result()


def new_folders(root: Path, upper: Path) -> list[str]:
    """Empty folders commands created (a change set lists files only): `mkdir -p build` in a one-shot run.
    Protected and git-ignored ones are not listed."""
    ignored, is_marker = Ignored(root), layered_marker([str(upper), str(root)])
    out: list[str] = []
    for dirpath, dirnames, _files in os.walk(upper):
        rel_dir = os.path.relpath(dirpath, upper).replace(os.sep, "/")
        keep = []
        for name in sorted(dirnames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if change_refusal(rel, is_marker) or ignored(rel, True):
                continue
            keep.append(name)
            full = os.path.join(dirpath, name)
            if lower_lstat(root, rel) is None and not os.listdir(full):
                out.append(rel)
        dirnames[:] = keep
    return out
