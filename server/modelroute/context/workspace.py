"""The workspace index: one walk for the file listing, markers and an identifier index, then
incremental updates from file events. Decisions read it; they never walk the tree.

Threading: `build()` walks into a fresh state without the lock and swaps it in; `update()` and
`remove()` calls that arrive meanwhile apply to the old state and are replayed on the new one.
Every public read takes the lock, so the LSP server may answer while a build runs.
"""

from __future__ import annotations

import os
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from modelroute.context.languages import language_for
from modelroute.context.markers import MarkerTotals, frameworks_in_package_json
from modelroute.context.model import WorkspaceMarkers
from modelroute.context.symbols import SymbolIndex, contains_id, identifiers_in

# Folders that are never the user's code, even without a .gitignore saying so.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".gradle",
        ".idea",
        ".next",
        ".nuxt",
        ".svelte-kit",
        ".cache",
    }
)
# Content that is data, generated or lock files: listed, but its words are not indexed.
_NO_CONTENT_SUFFIXES = (
    ".lock",
    ".min.js",
    ".min.css",
    ".map",
    ".svg",
    ".csv",
    ".tsv",
    ".sum",
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".woff",
    ".woff2",
    ".ttf",
    ".zip",
    ".gz",
    ".tar",
    ".jar",
    ".so",
    ".dll",
    ".exe",
    ".bin",
    ".pyc",
    ".class",
    ".o",
    ".a",
    ".wasm",
    ".ipynb",
)
_NO_CONTENT_NAMES = frozenset({"package-lock.json", "pnpm-lock.yaml", "yarn.lock", "npm-shrinkwrap.json"})
MAX_INDEXED_BYTES = 512 * 1024
BINARY_SNIFF = 8192

_Chain = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]  # (folder, its .gitignore), outermost first


@dataclass
class _State:
    ids: dict[str, int] = field(default_factory=dict)  # rel path -> live file id
    paths: list[str | None] = field(default_factory=list)  # file id -> rel path, None once dead
    sizes: array[int] = field(default_factory=lambda: array("Q"))
    languages: dict[str, str] = field(default_factory=dict)  # shebang-detected, path-less languages
    symbols: SymbolIndex = field(default_factory=SymbolIndex)
    ignores: dict[str, pathspec.GitIgnoreSpec] = field(default_factory=dict)  # folder -> .gitignore
    markers: MarkerTotals = field(default_factory=MarkerTotals)
    info_exclude: pathspec.GitIgnoreSpec | None = None  # .git/info/exclude
    listing: tuple[str, ...] | None = None  # sorted rel paths, rebuilt on demand
    truncated: bool = False

    def is_live(self, file_id: int) -> bool:
        return self.paths[file_id] is not None


class WorkspaceIndex:
    def __init__(self, root: Path, exclude: Sequence[str] = (), *, max_files: int = 200_000) -> None:
        self.root = Path(root).resolve()
        self.max_files = max_files
        self._exclude = pathspec.GitIgnoreSpec.from_lines(list(exclude)) if exclude else None
        self._lock = threading.RLock()
        self._state = _State()
        self._building = 0
        self._pending: list[str] = []  # paths touched while a build ran, replayed after the swap
        self._built = threading.Event()

    # --- building -----------------------------------------------------------------------------

    def build(self) -> None:
        """Walk the whole tree once (can run in a background thread)."""
        with self._lock:
            self._building += 1
        try:
            fresh = _State()
            if self.root.is_dir():
                self._walk(fresh, "", ())
        finally:
            with self._lock:
                self._building -= 1
                pending, self._pending = self._pending, []
        with self._lock:
            self._state = fresh
            for rel in pending:
                self._sync(fresh, rel)
        self._built.set()

    def wait_built(self, timeout: float | None = None) -> bool:
        return self._built.wait(timeout)

    @property
    def is_built(self) -> bool:
        return self._built.is_set()

    def update(self, rel_path: str) -> None:
        """Re-read one path (file or folder) from disk: created, changed or deleted."""
        rel = _normalise(rel_path)
        if rel is None:
            return
        with self._lock:
            if self._building:
                self._pending.append(rel)
            self._sync(self._state, rel)

    def remove(self, rel_path: str) -> None:
        """Forget a path; a folder forgets everything under it."""
        rel = _normalise(rel_path)
        if rel is None:
            return
        with self._lock:
            if self._building:
                self._pending.append(rel)
            self._forget(self._state, rel)

    # --- reading ------------------------------------------------------------------------------

    @property
    def files(self) -> tuple[str, ...]:
        """Every indexed file, relative POSIX paths, sorted."""
        with self._lock:
            st = self._state
            if st.listing is None:
                st.listing = tuple(sorted(st.ids))
            return st.listing

    @property
    def file_count(self) -> int:
        with self._lock:
            return len(self._state.ids)

    @property
    def truncated(self) -> bool:
        """True when the walk stopped at `max_files`."""
        with self._lock:
            return self._state.truncated

    def contains(self, rel_path: str) -> bool:
        with self._lock:
            return rel_path in self._state.ids

    def size_of(self, rel_path: str) -> int | None:
        with self._lock:
            st = self._state
            file_id = st.ids.get(rel_path)
            return None if file_id is None else st.sizes[file_id]

    def markers(self) -> WorkspaceMarkers:
        with self._lock:
            return self._state.markers.snapshot()

    def referencing_files(
        self, symbol: str, exclude_file: str | None = None, limit: int | None = None
    ) -> list[str]:
        """Files whose text contains `symbol` as a whole identifier, in index order."""
        with self._lock:
            st = self._state
            skip = st.ids.get(exclude_file, -1) if exclude_file else -1
            found: list[str] = []
            for file_id in st.symbols.file_ids(symbol, st.is_live):
                if file_id == skip:
                    continue
                path = st.paths[file_id]
                if path is not None:
                    found.append(path)
                    if limit is not None and len(found) >= limit:
                        break
            return found

    def referencing_count(self, symbol: str, exclude_file: str | None = None) -> int:
        with self._lock:
            st = self._state
            posting = st.symbols.file_ids(symbol, st.is_live)
            skip = st.ids.get(exclude_file, -1) if exclude_file else -1
            return len(posting) - (1 if skip >= 0 and contains_id(posting, skip) else 0)

    @property
    def symbol_count(self) -> int:
        with self._lock:
            return self._state.symbols.symbol_count

    def is_ignored(self, rel_path: str) -> bool:
        """Whether the walk would skip this path (.gitignore, exclude globs, skipped folders)."""
        rel = _normalise(rel_path)
        if rel is None:
            return True
        with self._lock:
            return self._ignored_with_parents(self._state, rel, (self.root / rel).is_dir())

    # --- internals ----------------------------------------------------------------------------

    def _walk(self, st: _State, top: str, chain: _Chain) -> None:
        stack: list[tuple[str, _Chain]] = [(top, chain)]
        while stack:
            rel_dir, chain = stack.pop()
            abs_dir = self.root / rel_dir if rel_dir else self.root
            try:
                with os.scandir(abs_dir) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            chain = self._with_gitignore(st, rel_dir, chain)
            pushed = len(stack)
            for entry in entries:
                if len(st.ids) >= self.max_files:
                    st.truncated = True
                    return
                self._visit(st, entry, rel_dir, chain, stack)
            stack[pushed:] = stack[pushed:][::-1]  # visit sub-folders in name order

    def _visit(
        self,
        st: _State,
        entry: os.DirEntry[str],
        rel_dir: str,
        chain: _Chain,
        stack: list[tuple[str, _Chain]],
    ) -> None:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        try:
            if entry.is_symlink():
                return  # may point outside the workspace, or loop
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                if entry.name not in SKIP_DIRS and not self._ignored(chain, rel, True):
                    stack.append((rel, chain))
            elif entry.is_file(follow_symlinks=False) and not self._ignored(chain, rel, False):
                self._add_file(st, rel, entry.stat(follow_symlinks=False).st_size)
        except OSError:
            return

    def _with_gitignore(self, st: _State, rel_dir: str, chain: _Chain) -> _Chain:
        spec = self._load_gitignore(rel_dir)
        if rel_dir == "":
            st.info_exclude = self._load_ignore_file(self.root / ".git" / "info" / "exclude")
            if st.info_exclude is not None:
                chain = (*chain, ("", st.info_exclude))
        if spec is None:
            st.ignores.pop(rel_dir, None)
            return chain
        st.ignores[rel_dir] = spec
        return (*chain, (rel_dir, spec))

    def _load_gitignore(self, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        folder = self.root / rel_dir if rel_dir else self.root
        return self._load_ignore_file(folder / ".gitignore")

    @staticmethod
    def _load_ignore_file(path: Path) -> pathspec.GitIgnoreSpec | None:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        try:
            return pathspec.GitIgnoreSpec.from_lines(lines)
        except (ValueError, TypeError):
            return None  # a malformed pattern: ignore the file rather than fail the walk

    def _ignored(self, chain: _Chain, rel: str, is_dir: bool) -> bool:
        if self._exclude is not None and self._exclude.match_file(rel + "/" if is_dir else rel):
            return True
        for folder, spec in reversed(chain):  # the deepest .gitignore decides first
            sub = rel[len(folder) + 1 :] if folder else rel
            verdict = spec.check_file(sub + "/" if is_dir else sub).include
            if verdict is not None:
                return verdict
        return False

    def _chain_for(self, st: _State, rel_dir: str) -> _Chain:
        chain: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        if st.info_exclude is not None:
            chain.append(("", st.info_exclude))
        parts = rel_dir.split("/") if rel_dir else []
        for depth in range(len(parts) + 1):
            folder = "/".join(parts[:depth])
            spec = st.ignores.get(folder)
            if spec is not None:
                chain.append((folder, spec))
        return tuple(chain)

    def _ignored_with_parents(self, st: _State, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            last = depth == len(parts)
            if (not last or is_dir) and parts[depth - 1] in SKIP_DIRS:
                return True
            parent = "/".join(parts[: depth - 1])
            if self._ignored(self._chain_for(st, parent), prefix, is_dir or not last):
                return True
        return False

    def _add_file(self, st: _State, rel: str, size: int) -> None:
        file_id = len(st.paths)
        st.paths.append(rel)
        st.sizes.append(max(size, 0))
        st.ids[rel] = file_id
        st.listing = None
        data = self._read_for_index(rel, size)
        language = language_for(rel)
        if data and language == "plaintext" and "." not in _basename(rel) and data[:2] == b"#!":
            first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
            language = language_for(rel, first)
            st.languages[rel] = language
        st.markers.add(rel, language)
        if data:
            st.symbols.add(file_id, identifiers_in(data))
            if rel == "package.json" or rel.endswith("/package.json"):
                st.markers.set_frameworks(rel, frameworks_in_package_json(data))

    def _read_for_index(self, rel: str, size: int) -> bytes:
        name = _basename(rel).lower()
        if size > MAX_INDEXED_BYTES or name in _NO_CONTENT_NAMES or name.endswith(_NO_CONTENT_SUFFIXES):
            return b""
        try:
            with open(self.root / rel, "rb") as fh:
                data = fh.read(MAX_INDEXED_BYTES)
        except OSError:
            return b""
        return b"" if b"\0" in data[:BINARY_SNIFF] else data

    def _forget(self, st: _State, rel: str) -> None:
        if rel in st.ids:
            self._drop_file(st, rel)
        else:
            prefix = rel + "/"
            for path in [p for p in st.ids if p.startswith(prefix)]:
                self._drop_file(st, path)
            for folder in [f for f in st.ignores if f == rel or f.startswith(prefix)]:
                del st.ignores[folder]
        if _basename(rel) == ".gitignore":
            st.ignores.pop(_parent(rel), None)

    def _drop_file(self, st: _State, rel: str) -> None:
        file_id = st.ids.pop(rel)
        st.paths[file_id] = None
        st.listing = None
        st.markers.remove(rel, st.languages.pop(rel, "") or language_for(rel))
        st.symbols.mark_dead(st.is_live, len(st.ids))

    def _sync(self, st: _State, rel: str) -> None:
        path = self.root / rel
        self._forget(st, rel)
        if path.is_symlink() or not path.exists():
            return
        is_dir = path.is_dir()
        if self._ignored_with_parents(st, rel, is_dir):
            return
        parent = _parent(rel)
        if _basename(rel) == ".gitignore":
            spec = self._load_gitignore(parent)
            if spec is not None:
                st.ignores[parent] = spec
        if is_dir:
            self._walk(st, rel, self._chain_for(st, parent))
        elif path.is_file():
            try:
                size = path.stat().st_size
            except OSError:
                return
            self._add_file(st, rel, size)


def _normalise(rel_path: str) -> str | None:
    """A clean relative POSIX path inside the workspace, or None for one that escapes it."""
    text = rel_path.replace("\\", "/").strip()
    if not text or text.startswith("/"):
        return None
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _parent(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _basename(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]
