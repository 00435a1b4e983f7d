"""Git state of the workspace, read through the `git` CLI and cached until `invalidate()`.

Never raises: no git binary, no repository, a repository with no commits, a timeout or a
repository git refuses (ownership) all give a usable GitState. Paths are relative to the
workspace root (which may be a sub-folder of the repository); changes outside it are left out.
The repository is not trusted: `core.fsmonitor` (a command git would run) is switched off and
external diff drivers and textconv are never used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from modelroute.context.model import GitState

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


class GitReader:
    def __init__(self, root: Path, *, diff_cap: int = DIFF_CAP_BYTES, timeout: float = _TIMEOUT_S) -> None:
        self.root = Path(root)
        self.diff_cap = diff_cap
        self.timeout = timeout
        self._lock = threading.Lock()
        self._cached: GitState | None = None
        self._git = shutil.which("git")
        self._env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
        self._env.update({"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"})

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def state(self, rel_file: str | None = None) -> GitState:
        """The cached repository state; `file_changed` says whether `rel_file` is uncommitted."""
        with self._lock:
            if self._cached is None:
                self._cached = self._read()
            base = self._cached
        if rel_file is None or not base.is_repo:
            return base
        return base.model_copy(update={"file_changed": _is_changed(base, rel_file)})

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
