"""ONE list of what acts on the host later (`protected.toml`), and the rule that applies it.

Used by the overlay's change set, the apply guard, the in-sandbox read-only binds and the Seatbelt
profile, and shown in docs/security.md. A path is relative to the workspace, POSIX separators.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Literal

Kind = Literal["name", "suffix", "marker", "git-dir"]
MARKER_KINDS = ("marker", "git-dir")


@dataclass(frozen=True)
class Protected:
    pattern: str
    kind: Kind
    reason: str


MarkerCheck = Callable[[str, Protected], bool]


@cache
def protected_entries() -> tuple[Protected, ...]:
    raw = tomllib.loads(resources.files(__package__).joinpath("protected.toml").read_text(encoding="utf-8"))
    return tuple(Protected(e["pattern"], e["kind"], e["reason"]) for e in raw["entry"])


@cache
def protected_names() -> frozenset[str]:
    """Names that are protected wherever they appear (files or folders)."""
    return frozenset(e.pattern for e in protected_entries() if e.kind == "name")


def path_error(rel: str) -> str | None:
    """Why `rel` is not a plain workspace-relative path, or None."""
    if not rel or "\x00" in rel:
        return "empty path or NUL byte in the path"
    if rel.startswith("/") or "\\" in rel:
        return "absolute path or backslash: only workspace-relative paths are applied"
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "path with an empty, '.' or '..' component: it could resolve outside the workspace"
    return None


def protected_reason(rel: str, is_marker_dir: MarkerCheck | None = None) -> str | None:
    """Why writing `rel` could act on the host later (protected list), or None.

    `is_marker_dir(folder, entry)` answers whether a folder is what a "marker"/"git-dir" entry describes
    (a virtualenv, a repository under another name); the caller looks on disk and in the change set.
    Names match case-insensitively: on case-insensitive file systems `.GIT` is `.git`.
    """
    parts = PurePosixPath(rel).parts
    lowered = [p.lower() for p in parts]
    for entry in protected_entries():
        pattern = entry.pattern.lower()
        if entry.kind == "name" and pattern in lowered:
            return f"{entry.pattern}: {entry.reason}"
        if entry.kind == "suffix" and lowered and lowered[-1].endswith(pattern):
            return f"*{entry.pattern}: {entry.reason}"
        if entry.kind == "marker" and lowered and lowered[-1] == pattern:
            return f"{entry.pattern}: {entry.reason}"
        if entry.kind in MARKER_KINDS and is_marker_dir is not None:
            for depth in range(len(parts) - 1, -1, -1):
                if is_marker_dir("/".join(parts[:depth]), entry):
                    return f"inside a folder with {entry.pattern}: {entry.reason}"
    return None


def marker_entries() -> tuple[Protected, ...]:
    return tuple(e for e in protected_entries() if e.kind in MARKER_KINDS)


def folder_is(entry: Protected, has_file: Callable[[str], bool], has_dir: Callable[[str], bool]) -> bool:
    """Whether a folder (seen through `has_file(name)`/`has_dir(name)`) is what a marker entry describes."""
    if entry.kind == "marker":
        return has_file(entry.pattern)
    return has_file(entry.pattern) and ((has_dir("objects") and has_dir("refs")) or has_file("commondir"))


def layered_marker(roots: list[str], planned: Collection[str] = ()) -> MarkerCheck:
    """`is_marker_dir` over folder trees on disk (an overlay's upper layer, the workspace; no symlinks
    followed) and over `planned` file paths (a change set about to be applied)."""
    planned_files = set(planned)
    planned_dirs = {"/".join(p.split("/")[:i]) for p in planned_files for i in range(1, p.count("/") + 1)}
    memo: dict[tuple[str, str], bool] = {}

    def check(folder: str, entry: Protected) -> bool:
        key = (folder, entry.pattern)
        if key not in memo:
            memo[key] = folder_is(entry, lambda n: _has(folder, n, False), lambda n: _has(folder, n, True))
        return memo[key]

    def _has(folder: str, name: str, want_dir: bool) -> bool:
        rel = f"{folder}/{name}" if folder else name
        if rel in (planned_dirs if want_dir else planned_files):
            return True
        for root in roots:
            path = os.path.join(root, rel)
            if os.path.islink(path):
                continue
            if os.path.isdir(path) if want_dir else os.path.isfile(path):
                return True
        return False

    return check


def docs_table() -> str:
    """The Markdown table in docs/security.md, generated from the list."""
    rows = ["| path | matches | why it is refused |", "| --- | --- | --- |"]
    how = {"name": "file or folder of this name, at any depth", "suffix": "file name ending so",
           "marker": "everything in a folder holding it",
           "git-dir": "everything in a folder holding it with objects/ and refs/ (or commondir)"}
    for e in protected_entries():
        shown = f"*{e.pattern}" if e.kind == "suffix" else e.pattern
        rows.append(f"| `{shown}` | {how[e.kind]} | {e.reason} |")
    return "\n".join(rows) + "\n"
