"""Git state of the workspace, read through the `git` CLI and cached.

A decision never waits on git once a state is known: `invalidate(path)` (a file was saved) starts a
refresh in a background thread, and until it lands `state()` answers from the last known state, with
`stale` set when the action's own file changed after that state was read (the context says so). Only
the very first read of a reader waits; `refresh_async()` starts it early, alongside other work.

Never raises: no git binary, no repository, a repository with no commits, a timeout or a
repository git refuses (ownership) all give a usable GitState. Paths are relative to the
workspace root (which may be a sub-folder of the repository); changes outside it are left out.
The repository is not trusted: `core.fsmonitor` (a command git would run) is switched off and
external diff drivers and textconv are never used.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from modelroute.context.model import GitState

log = logging.getLogger(__name__)

DIFF_CAP_BYTES = 200_000
_TIMEOUT_S = 5.0
_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.quotepath=off", "-c", "color.ui=false")
_DIFF_FLAGS = ("--no-ext-diff", "--no-textconv", "--no-color", "--relative")
# Variables that would point git at another repository than the workspace's.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX")


@dataclass
class _Status:
    branch: str | None = None
    initial: bool = False
    changed: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    root_untracked: bool = False


ANY_PATH = "*"  # invalidate() without a path: any file may have changed


class GitReader:
    def __init__(self, root: Path, *, diff_cap: int = DIFF_CAP_BYTES, timeout: float = _TIMEOUT_S) -> None:
        self.root = Path(root)
        self.diff_cap = diff_cap
        self.timeout = timeout
        self._lock = threading.Lock()
        self._cached: GitState | None = None
        self._changed_since: set[str] = set()  # paths saved after the cached state was read
        self._generation = 0  # counts invalidations: a read that saw none of them is current
        self._worker: threading.Thread | None = None
        self._fresh = threading.Condition(self._lock)
        self._listeners: list[Callable[[], None]] = []
        self._git = shutil.which("git")
        self._env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
        self._env.update({"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"})

    def invalidate(self, rel_path: str | None = None) -> None:
        """A file changed (None: something did): refresh in the background; until then `state()`
        keeps answering from the last known state."""
        with self._lock:
            self._generation += 1
            if self._cached is not None:
                self._changed_since.add(rel_path or ANY_PATH)
            self._start_locked()

    def refresh_async(self) -> None:
        """Start reading now, in a background thread, if nothing is known yet or a change is pending."""
        with self._lock:
            if self._cached is None or self._changed_since:
                self._start_locked()

    def on_refresh(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from the refresh thread) each time a refresh after an invalidation lands,
        so a cache of decisions made on the stale state can be dropped."""
        with self._lock:
            self._listeners.append(listener)

    def wait_fresh(self, timeout: float | None = None) -> bool:
        """Wait until no refresh is pending (tests, and callers that need the current state)."""
        with self._lock:
            return self._fresh.wait_for(lambda: self._worker is None and self._cached is not None, timeout)

    def state(self, rel_file: str | None = None) -> GitState:
        """The repository state; `file_changed` says whether `rel_file` is uncommitted, `stale` that
        it was saved after the state was read. Waits only when nothing was ever read."""
        with self._lock:
            if self._cached is None:
                self._start_locked()
                self._fresh.wait_for(lambda: self._cached is not None)
            base = self._cached
            assert base is not None
            pending = self._changed_since
            stale = rel_file is not None and bool(pending) and (rel_file in pending or ANY_PATH in pending)
        if rel_file is None or not base.is_repo:
            return base
        return base.model_copy(update={"file_changed": _is_changed(base, rel_file), "stale": stale})

    # --- the background refresh -----------------------------------------------------------------

    def _start_locked(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._refresh, name="modelroute-git", daemon=True)
            self._worker.start()

    def _refresh(self) -> None:
        """Read until a read saw no invalidation while it ran, publishing each result."""
        while True:
            with self._lock:
                generation = self._generation
            try:
                state = self._read()
            except Exception:  # never leave waiters hanging: a failed read is "not a repository"
                state = GitState()
            with self._lock:
                was_stale = bool(self._changed_since)
                self._cached = state
                done = self._generation == generation
                if done:
                    self._changed_since.clear()
                    self._worker = None
                self._fresh.notify_all()
                listeners = list(self._listeners) if done and was_stale else []
            for listener in listeners:
                try:
                    listener()
                except Exception:  # a listener's failure must not stop git refreshes
                    log.exception("git refresh listener failed")
            if done:
                return

    # --- reading ------------------------------------------------------------------------------

    def _read(self) -> GitState:
        if self._git is None or not self.root.is_dir():
            return GitState()
        probe = self._run("rev-parse", "--is-inside-work-tree", "--show-prefix")
        if probe is None or not probe.startswith("true"):
            return GitState()
        lines = probe.split("\n")
        prefix = lines[1] if len(lines) > 1 else ""
        status = self._status(prefix, "normal")
        if status is None:
            return GitState(is_repo=True)
        if status.root_untracked:  # the workspace folder itself is new: list its files
            status = self._status(prefix, "all") or status
        base = self._empty_tree() if status.initial else "HEAD"
        added, removed = self._numstat(base) if base else (0, 0)
        diff, truncated = self._diff(base) if base else ("", False)
        return GitState(
            is_repo=True,
            branch=status.branch,
            changed_files=tuple(status.changed),
            staged_files=tuple(status.staged),
            untracked_files=tuple(status.untracked),
            lines_added=added,
            lines_removed=removed,
            diff=diff,
            diff_truncated=truncated,
        )

    def _status(self, prefix: str, untracked: str) -> _Status | None:
        raw = self._run(
            "status", "--porcelain=v2", "-z", "--branch", f"--untracked-files={untracked}", "--", "."
        )
        return None if raw is None else _parse_status(raw, prefix)

    def _empty_tree(self) -> str | None:
        out = self._run("hash-object", "-t", "tree", "--stdin")
        return (out.strip() or None) if out is not None else None

    def _numstat(self, base: str) -> tuple[int, int]:
        out = self._run("diff", base, "--numstat", "-z", *_DIFF_FLAGS)
        return (0, 0) if out is None else _parse_numstat(out)

    def _diff(self, base: str) -> tuple[str, bool]:
        assert self._git is not None
        cmd = [self._git, *_SAFE, "diff", base, *_DIFF_FLAGS]
        try:
            proc = subprocess.Popen(
                cmd, cwd=self.root, env=self._env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError:
            return "", False
        timer = threading.Timer(self.timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            data = proc.stdout.read(self.diff_cap + 1)
            truncated = len(data) > self.diff_cap
            if truncated:
                proc.kill()
                cut = data.rfind(b"\n", 0, self.diff_cap)
                data = data[: cut + 1 if cut >= 0 else self.diff_cap]
            proc.stdout.close()
            proc.wait()
        finally:
            timer.cancel()
        return data.decode("utf-8", errors="replace"), truncated

    def _run(self, *args: str) -> str | None:
        assert self._git is not None
        try:
            done = subprocess.run(
                [self._git, *_SAFE, *args], cwd=self.root, env=self._env, stdin=subprocess.DEVNULL,
                capture_output=True, timeout=self.timeout, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        return done.stdout.decode("utf-8", errors="replace")


def _parse_status(raw: str, prefix: str) -> _Status:
    """Parse `git status --porcelain=v2 -z --branch`; paths there are relative to the repo root."""
    status = _Status()
    tokens = raw.split("\0")
    i = 0
    while i < len(tokens):
        entry = tokens[i]
        i += 1
        if entry.startswith("# branch.head "):
            head = entry[len("# branch.head ") :]
            status.branch = None if head == "(detached)" else head
        elif entry.startswith("# branch.oid "):
            status.initial = entry.endswith("(initial)")
        elif entry[:2] in ("1 ", "2 ", "u "):
            fields = entry.split(" ", {"1": 8, "2": 9, "u": 10}[entry[0]])
            if entry[0] == "2":
                i += 1  # the rename's original path follows
            _file_entry(status, fields[1], _strip(fields[-1], prefix))
        elif entry.startswith("? "):
            path = _strip(entry[2:], prefix)
            if path:
                status.untracked.append(path)
            elif path == "":
                status.root_untracked = True
    return status


def _file_entry(status: _Status, xy: str, path: str | None) -> None:
    if not path or len(xy) != 2:
        return
    if xy[0] != ".":
        status.staged.append(path)
    if xy[1] != ".":
        status.changed.append(path)


def _strip(path: str, prefix: str) -> str | None:
    if not prefix:
        return path
    return path[len(prefix) :] if path.startswith(prefix) else None


def _parse_numstat(out: str) -> tuple[int, int]:
    added = removed = 0
    tokens = out.split("\0")
    i = 0
    while i < len(tokens):
        parts = tokens[i].split("\t")
        i += 1
        if len(parts) != 3:
            continue
        if parts[2] == "":
            i += 2  # a rename: old and new paths follow as their own tokens
        if parts[0].isdigit():
            added += int(parts[0])
        if parts[1].isdigit():
            removed += int(parts[1])
    return added, removed


def _is_changed(state: GitState, rel_file: str) -> bool:
    if rel_file in state.changed_files or rel_file in state.staged_files:
        return True
    # untracked folders are listed once, with a trailing slash
    return any(rel_file == u or (u.endswith("/") and rel_file.startswith(u)) for u in state.untracked_files)
