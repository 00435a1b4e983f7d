"""The workspace index: one walk for the file listing, markers and an identifier index, then
incremental updates from file events. Decisions read it; they never walk the tree.

Persisted: a build first loads the index a previous process saved for this workspace
(context/index_cache.py) and brings it up to date instead of reading every file again. A folder
whose lstat (mtime, ctime, inode) is unchanged has the same entries; a file whose lstat (size,
mtime, ctime, inode) is unchanged has the same content, unless it changed within RACY_NS of the walk
that recorded it (a timestamp's granularity), in which case it is read again, as git does with
"racily clean" entries. A changed .gitignore or .git/info/exclude walks its folder again, reusing
every file whose lstat is unchanged.

Threading: `build()` loads or walks into a fresh state without the lock and swaps it in; `update()`
and `remove()` calls that arrive meanwhile apply to the old state and are replayed on the new one.
Every public read takes the lock, so the LSP server may answer while a build runs.
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pathspec

from modelroute.context.index_cache import IndexCache, Sig, Snapshot, sig_of
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
INFO_EXCLUDE = ".git/info/exclude"
RACY_NS = 2_000_000_000  # a file changed this close to the walk that read it is read again
SAVE_AFTER = 256  # a refresh that read this many files (or walked a folder again) is saved
_DEFAULT_CACHE = IndexCache(Path("<default>"))  # stands for IndexCache.default(), resolved lazily


@dataclass
class _State:
    ids: dict[str, int] = field(default_factory=dict)  # rel path -> live file id
    paths: list[str | None] = field(default_factory=list)  # file id -> rel path, None once dead
    sizes: array[int] = field(default_factory=lambda: array("q"))
    mtimes: array[int] = field(default_factory=lambda: array("q"))  # file id -> lstat, for the next load
    ctimes: array[int] = field(default_factory=lambda: array("q"))
    inodes: array[int] = field(default_factory=lambda: array("q"))
    languages: dict[str, str] = field(default_factory=dict)  # shebang-detected, path-less languages
    symbols: SymbolIndex = field(default_factory=SymbolIndex)
    ignores: dict[str, pathspec.GitIgnoreSpec] = field(default_factory=dict)  # folder -> .gitignore
    ignore_sigs: dict[str, Sig | None] = field(default_factory=dict)  # ignore file -> lstat (None: absent)
    dirs: dict[str, Sig] = field(default_factory=dict)  # walked folder -> lstat taken before listing it
    markers: MarkerTotals = field(default_factory=MarkerTotals)
    info_exclude: pathspec.GitIgnoreSpec | None = None  # .git/info/exclude
    listing: tuple[str, ...] | None = None  # sorted rel paths, rebuilt on demand
    truncated: bool = False
    scanned_ns: int = 0  # when the walk or refresh that produced this state started
    refresh: _Refresh | None = None  # set while a build brings this (loaded) state up to date

    def is_live(self, file_id: int) -> bool:
        return file_id < len(self.paths) and self.paths[file_id] is not None

    def sig(self, file_id: int) -> Sig:
        return (self.sizes[file_id], self.mtimes[file_id], self.ctimes[file_id], self.inodes[file_id])

    def renumber(self) -> array[int]:
        """Each file id's number among the live ones (in order), -1 for a dead one."""
        out = array("q", [-1]) * len(self.paths)
        for new, old in enumerate(i for i, p in enumerate(self.paths) if p is not None):
            out[old] = new
        return out

    def in_place(self) -> array[int]:
        """Each live id mapped to itself, dead ones to -1: what an in-memory refreeze drops."""
        return array("q", (i if p is not None else -1 for i, p in enumerate(self.paths)))


@dataclass(frozen=True)
class BuildReport:
    """How the last build went: walked from scratch, or loaded and refreshed; what it read."""

    kind: Literal["walked", "refreshed"]
    files_read: int = 0  # file contents read (all of them for a walk)
    folders_listed: int = 0  # folders listed again because their entries changed
    trees_walked: int = 0  # folders walked again because an ignore file changed
    saved: bool = False
    seconds: float = 0.0


@dataclass
class _Refresh:
    racy_after: int  # files and folders changed after this time (ns) are not trusted
    reusable: dict[str, tuple[int, Sig, str | None]] = field(default_factory=dict)  # rel -> id, lstat, language
    walked: list[str] = field(default_factory=list)  # folders walked again (their ignore rules changed)
    files_read: int = 0
    folders_listed: int = 0


class WorkspaceIndex:
    def __init__(
        self,
        root: Path,
        exclude: Sequence[str] = (),
        *,
        max_files: int = 200_000,
        cache: IndexCache | None = _DEFAULT_CACHE,
    ) -> None:
        """`cache`: where the index is persisted (default: the user cache folder); None keeps it in
        memory only."""
        self.root = Path(root).resolve()
        self.max_files = max_files
        self._exclude_lines = tuple(exclude)
        self._exclude = pathspec.GitIgnoreSpec.from_lines(list(exclude)) if exclude else None
        self._cache = IndexCache.default() if cache is _DEFAULT_CACHE else cache
        self._lock = threading.RLock()
        self._state = _State()
        self._building = 0
        self._pending: list[str] = []  # paths touched while a build ran, replayed after the swap
        self._built = threading.Event()
        self.last_build: BuildReport | None = None

    # --- building -----------------------------------------------------------------------------

    def build(self) -> None:
        """Load the saved index and bring it up to date, or walk the whole tree (can run in a
        background thread); save it when that saves work next time."""
        started = time.perf_counter()
        with self._lock:
            self._building += 1
        try:
            fresh, report = self._load_or_walk()
            saved = self._save(fresh, report)
        finally:
            with self._lock:
                self._building -= 1
                pending, self._pending = self._pending, []
        with self._lock:
            self._state = fresh
            for rel in pending:
                self._sync(fresh, rel)
        self.last_build = BuildReport(
            report.kind, report.files_read, report.folders_listed, report.trees_walked, saved,
            time.perf_counter() - started,
        )  # fmt: skip
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
                if file_id == skip or file_id >= len(st.paths):  # past the files: a damaged saved index
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

    # --- loading, refreshing, saving ---------------------------------------------------------------

    def _cache_path(self) -> Path | None:
        if self._cache is None:
            return None
        return self._cache.path_for(self.root, self._exclude_lines, self.max_files)

    def _load_or_walk(self) -> tuple[_State, BuildReport]:
        scanned_ns = time.time_ns()
        path = self._cache_path()
        snapshot = self._cache.load(path, self.root) if self._cache is not None and path is not None else None
        if snapshot is not None and self.root.is_dir():
            try:
                st = self._state_from(snapshot)
            except ValueError:
                st = None
            if st is not None:
                report = self._bring_up_to_date(st, snapshot.scanned_ns)
                st.scanned_ns = scanned_ns
                return st, report
        st = _State(scanned_ns=scanned_ns)
        if self.root.is_dir():
            self._walk(st, "", ())
        st.symbols.refreeze()  # flat arrays: far less memory than one list per identifier
        return st, BuildReport("walked", files_read=len(st.ids))

    def _save(self, st: _State, report: BuildReport) -> bool:
        path = self._cache_path()
        if self._cache is None or path is None or st.truncated or len(st.ids) < self._cache.min_files:
            return False
        worth = report.kind == "walked" or report.trees_walked or (
            report.files_read + report.folders_listed >= SAVE_AFTER
        )
        return bool(worth) and self._cache.save(path, self._snapshot(st))

    def _snapshot(self, st: _State) -> Snapshot:
        live = [i for i, p in enumerate(st.paths) if p is not None]
        dense = len(live) == len(st.paths)
        pick = (lambda a: a) if dense else (lambda a: array("q", (a[i] for i in live)))
        return Snapshot(
            root=str(self.root),
            scanned_ns=st.scanned_ns,
            paths=[p for p in st.paths if p is not None],
            sizes=pick(st.sizes),
            mtimes=pick(st.mtimes),
            ctimes=pick(st.ctimes),
            inodes=pick(st.inodes),
            dirs=dict(st.dirs),
            ignore_sigs=dict(st.ignore_sigs),
            languages=dict(st.languages),
            markers=st.markers.to_json(),
            postings=st.symbols.frozen(None if dense and not st.symbols.dead_ids else st.renumber()),
        )

    def _state_from(self, snapshot: Snapshot) -> _State:
        st = _State(
            paths=list(snapshot.paths),
            sizes=snapshot.sizes,
            mtimes=snapshot.mtimes,
            ctimes=snapshot.ctimes,
            inodes=snapshot.inodes,
            languages=dict(snapshot.languages),
            symbols=SymbolIndex(snapshot.postings),
            ignore_sigs=dict(snapshot.ignore_sigs),
            dirs=dict(snapshot.dirs),
            markers=MarkerTotals.from_json(snapshot.markers),
        )
        st.ids = {p: i for i, p in enumerate(snapshot.paths)}
        for rel in snapshot.ignore_sigs:
            if rel == INFO_EXCLUDE:
                st.info_exclude = self._load_ignore_file(self.root / INFO_EXCLUDE)
            else:
                spec = self._load_ignore_file(self.root / rel)
                if spec is not None:
                    st.ignores[_parent(rel)] = spec
        return st

    def _bring_up_to_date(self, st: _State, saved_ns: int) -> BuildReport:
        """Compare the loaded index with the tree by lstat, then list again the folders whose
        entries changed, walk again the folders whose ignore rules changed and read again the files
        whose content may have changed. Nothing else is read."""
        job = _Refresh(racy_after=saved_ns - RACY_NS)
        st.refresh = job
        st.symbols.hold = True  # ids of unchanged files may be revived by a walk: keep their postings
        try:
            trees, folders, files = self._changes(st, job)
            for tree in trees:
                self._walk_again(st, tree, job)
            children = _children(st) if folders else {}
            for folder in folders:
                if folder in st.dirs and not _under_any(folder, job.walked):
                    self._list_again(st, folder, children, job)
            for rel, file_id in files:
                if st.ids.get(rel) == file_id and not _under_any(rel, job.walked):  # not handled above
                    self._sync(st, rel)
        finally:
            st.symbols.hold = False
            st.refresh = None
        if st.symbols.dead_ids > max(1024, len(st.ids) // 4):
            st.symbols.refreeze(st.in_place())
        return BuildReport("refreshed", job.files_read, job.folders_listed, len(job.walked))

    def _changes(self, st: _State, job: _Refresh) -> tuple[list[str], list[str], list[tuple[str, int]]]:
        """(folders to walk again, folders to list again, files to read again), found by lstat."""
        base = str(self.root) + os.sep
        trees = _outermost(
            "" if rel == INFO_EXCLUDE else _parent(rel)
            for rel, saved in st.ignore_sigs.items()
            if _lstat_sig(base + rel) != saved
        )
        folders = [
            d for d, saved in sorted(st.dirs.items())
            if not _under_any(d, trees) and _changed(_lstat_sig(base + d if d else str(self.root)), saved, job)
        ]  # fmt: skip
        return trees, folders, self._changed_files(st, base, trees, job)

    @staticmethod
    def _changed_files(st: _State, base: str, trees: list[str], job: _Refresh) -> list[tuple[str, int]]:
        """One lstat per file: the loop the whole refresh costs (50,000 files), kept tight."""
        lstat, racy = os.lstat, job.racy_after
        sizes, mtimes, ctimes, inodes = st.sizes, st.mtimes, st.ctimes, st.inodes
        out: list[tuple[str, int]] = []
        for rel, i in st.ids.items():
            try:
                s = lstat(base + rel)
            except OSError:
                out.append((rel, i))
                continue
            if (
                s.st_mtime_ns != mtimes[i] or s.st_size != sizes[i] or s.st_ctime_ns != ctimes[i]
                or s.st_ino != inodes[i] or mtimes[i] >= racy
            ):  # fmt: skip
                out.append((rel, i))
        return [(rel, i) for rel, i in out if not _under_any(rel, trees)] if trees else out

    def _walk_again(self, st: _State, tree: str, job: _Refresh) -> None:
        """Walk a folder again under its new ignore rules, reusing the files whose lstat is unchanged."""
        prefix = f"{tree}/" if tree else ""
        job.reusable.update(
            (rel, (file_id, st.sig(file_id), st.languages.get(rel)))
            for rel, file_id in st.ids.items()
            if rel.startswith(prefix)
        )
        self._forget_tree(st, tree)
        job.walked.append(tree)
        if not (tree and self._ignored_with_parents(st, tree, True)):
            self._walk(st, tree, self._chain_for(st, _parent(tree)) if tree else ())
        job.reusable.clear()

    def _list_again(self, st: _State, folder: str, children: dict[str, set[str]], job: _Refresh) -> None:
        """A folder whose entries changed: forget the names that went, add the names that came."""
        abs_dir = self.root / folder if folder else self.root
        try:
            st.dirs[folder] = sig_of(os.lstat(abs_dir))
            now = set(os.listdir(abs_dir))
        except OSError:
            self._forget(st, folder)
            return
        before = children.get(folder, set())
        if (".gitignore" in now) != (_join(folder, ".gitignore") in st.ignore_sigs):  # rules came or went
            self._walk_again(st, folder, job)
            return
        job.folders_listed += 1
        for name in sorted(before - now):
            self._forget(st, _join(folder, name))
        for name in sorted(now - before):
            self._sync(st, _join(folder, name))

    # --- walking ------------------------------------------------------------------------------

    def _walk(self, st: _State, top: str, chain: _Chain) -> None:
        stack: list[tuple[str, _Chain]] = [(top, chain)]
        while stack:
            rel_dir, chain = stack.pop()
            abs_dir = self.root / rel_dir if rel_dir else self.root
            try:
                st.dirs[rel_dir] = sig_of(os.lstat(abs_dir))  # before listing: a later change shows
                with os.scandir(abs_dir) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                st.dirs.pop(rel_dir, None)
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
                self._add_file(st, rel, entry.stat(follow_symlinks=False))
        except OSError:
            return

    def _with_gitignore(self, st: _State, rel_dir: str, chain: _Chain) -> _Chain:
        spec = self._load_gitignore(st, rel_dir)
        if rel_dir == "":
            st.ignore_sigs[INFO_EXCLUDE] = _lstat_sig(str(self.root / INFO_EXCLUDE))
            st.info_exclude = self._load_ignore_file(self.root / INFO_EXCLUDE)
            if st.info_exclude is not None:
                chain = (*chain, ("", st.info_exclude))
        if spec is None:
            st.ignores.pop(rel_dir, None)
            return chain
        st.ignores[rel_dir] = spec
        return (*chain, (rel_dir, spec))

    def _load_gitignore(self, st: _State, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        rel = _join(rel_dir, ".gitignore")
        sig = _lstat_sig(str(self.root / rel))
        if sig is None:
            st.ignore_sigs.pop(rel, None)
            return None
        st.ignore_sigs[rel] = sig
        return self._load_ignore_file(self.root / rel)
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

    def _add_file(self, st: _State, rel: str, info: os.stat_result) -> None:
        sig = sig_of(info)
        job = st.refresh
        reuse = job.reusable.pop(rel, None) if job is not None else None
        unchanged = job is not None and reuse is not None and not _changed(sig, reuse[1], job)
        if reuse is not None and unchanged and _basename(rel) != "package.json":  # its frameworks are not stored
            self._revive(st, rel, reuse[0], reuse[2])
            return
        file_id = len(st.paths)
        st.paths.append(rel)
        st.sizes.append(max(sig[0], 0))
        st.mtimes.append(sig[1])
        st.ctimes.append(sig[2])
        st.inodes.append(sig[3])
        st.ids[rel] = file_id
        st.listing = None
        data = self._read_for_index(rel, sig[0])
        language = language_for(rel)
        if data and language == "plaintext" and "." not in _basename(rel) and data[:2] == b"#!":
            first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
            language = language_for(rel, first)
            st.languages[rel] = language
        st.markers.add(rel, language)
        if data:
            st.symbols.add(file_id, identifiers_in(data))
            if _basename(rel) == "package.json":
                st.markers.set_frameworks(rel, frameworks_in_package_json(data))
        if job is not None:
            job.files_read += 1

    def _revive(self, st: _State, rel: str, file_id: int, language: str | None) -> None:
        """An unchanged file found again by a walk: its old id, postings and lstat still hold."""
        st.paths[file_id] = rel
        st.ids[rel] = file_id
        st.listing = None
        if language is not None:
            st.languages[rel] = language
        st.markers.add(rel, language or language_for(rel))
        st.symbols.revived()

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
            self._forget_tree(st, rel)
        if _basename(rel) == ".gitignore":
            st.ignores.pop(_parent(rel), None)
            st.ignore_sigs.pop(rel, None)

    def _forget_tree(self, st: _State, tree: str) -> None:
        """Forget a folder (the whole workspace for ""): its files, folders and ignore files."""
        prefix = f"{tree}/" if tree else ""
        for path in [p for p in st.ids if p.startswith(prefix)]:
            self._drop_file(st, path)
        for folder in [f for f in st.ignores if f == tree or f.startswith(prefix)]:
            del st.ignores[folder]
        for folder in [d for d in st.dirs if d == tree or d.startswith(prefix)]:
            del st.dirs[folder]
        for rel in [r for r in st.ignore_sigs if r.startswith(prefix)]:
            del st.ignore_sigs[rel]

    def _drop_file(self, st: _State, rel: str) -> None:
        file_id = st.ids.pop(rel)
        st.paths[file_id] = None
        st.listing = None
        st.markers.remove(rel, st.languages.pop(rel, "") or language_for(rel))
        st.symbols.mark_dead(st.in_place, len(st.ids))

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
            spec = self._load_gitignore(st, parent)
            if spec is not None:
                st.ignores[parent] = spec
        if is_dir:
            self._walk(st, rel, self._chain_for(st, parent))
        elif path.is_file():
            try:
                info = os.lstat(path)
            except OSError:
                return
            self._add_file(st, rel, info)


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


def _lstat_sig(path: str) -> Sig | None:
    try:
        return sig_of(os.lstat(path))
    except OSError:
        return None


def _changed(now: Sig | None, saved: Sig, job: _Refresh) -> bool:
    """Whether a path may have changed since `saved` was taken: gone, different lstat, or changed so
    close to that moment that a change in the same timestamp tick could hide."""
    return now != saved or saved[1] >= job.racy_after


def _outermost(folders: object) -> list[str]:
    """The folders, without those inside another one of them ("" is the whole workspace)."""
    found = sorted(set(folders))  # type: ignore[call-overload]
    out: list[str] = []
    for folder in found:
        if not _under_any(folder, out):
            out.append(folder)
    return out


def _under_any(rel: str, folders: Sequence[str]) -> bool:
    return any(f == "" or rel == f or rel.startswith(f + "/") for f in folders)


def _children(st: _State) -> dict[str, set[str]]:
    """Folder -> the names the index holds in it (files and walked folders)."""
    out: dict[str, set[str]] = defaultdict(set)
    for rel in (*st.ids, *st.dirs):
        if rel:
            parent, _, name = rel.rpartition("/")
            out[parent].add(name)
    return out


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
