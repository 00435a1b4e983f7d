from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from modelroute.context.gather import ActionRequest, gather_context
from modelroute.context.git import GitReader
from modelroute.context.workspace import WorkspaceIndex
from tests.context.conftest import WriteFiles, git, git_init


def test_not_a_repo(workspace: WriteFiles) -> None:
    root = workspace({"a.py": "x"})
    state = GitReader(root).state("a.py")
    assert not state.is_repo
    assert not state.file_changed


def test_missing_folder_and_missing_git_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not GitReader(tmp_path / "nope").state().is_repo
    git_init(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert not GitReader(tmp_path).state().is_repo


def test_repo_without_commits(workspace: WriteFiles) -> None:
    root = workspace({"a.py": "print(1)\n", "pkg/b.py": "x = 1\n"})
    git_init(root)
    git(root, "add", "a.py")
    state = GitReader(root).state("a.py")
    assert state.is_repo and state.branch == "main"
    assert state.staged_files == ("a.py",)
    assert state.untracked_files == ("pkg/",)
    assert state.lines_added == 1
    assert "+print(1)" in state.diff
    assert state.file_changed
    assert GitReader(root).state("pkg/b.py").file_changed


def test_changes_after_commit(workspace: WriteFiles) -> None:
    root = workspace({"a.py": "one\ntwo\n", "b.py": "keep\n", "old.py": "moved\n"})
    git_init(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    reader = GitReader(root)
    clean = reader.state("a.py")
    assert clean.is_repo and not clean.has_changes and not clean.file_changed
    assert clean.diff == "" and clean.lines_added == clean.lines_removed == 0

    (root / "a.py").write_text("one\nTWO\nthree\n")
    git(root, "mv", "old.py", "new.py")
    (root / "c.py").write_text("new\n")
    assert reader.state("a.py").file_changed is False  # cached until invalidated
    reader.invalidate()
    assert reader.wait_fresh(timeout=60)
    state = reader.state("a.py")
    assert not state.stale
    assert state.changed_files == ("a.py",)
    assert state.staged_files == ("new.py",)
    assert state.untracked_files == ("c.py",)
    assert (state.lines_added, state.lines_removed) == (2, 1)
    assert "+three" in state.diff and not state.diff_truncated
    assert state.file_changed
    assert not reader.state("b.py").file_changed
    assert reader.state("c.py").file_changed


def test_workspace_in_a_subfolder_of_the_repo(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n")
    (tmp_path / "top.txt").write_text("t\n")
    git_init(tmp_path)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "init")
    (tmp_path / "app" / "main.py").write_text("x = 2\n")
    (tmp_path / "top.txt").write_text("changed outside the workspace\n")
    state = GitReader(tmp_path / "app").state("main.py")
    assert state.changed_files == ("main.py",)
    assert "top.txt" not in state.diff
    assert "a/main.py" in state.diff
    assert state.file_changed


def test_large_diff_is_capped_at_a_line(workspace: WriteFiles) -> None:
    root = workspace({"data.txt": "".join(f"line {i}\n" for i in range(5000))})
    git_init(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    (root / "data.txt").write_text("".join(f"changed {i}\n" for i in range(5000)))
    state = GitReader(root, diff_cap=10_000).state()
    assert state.diff_truncated
    assert len(state.diff.encode()) <= 10_000
    assert state.diff.endswith("\n")
    assert state.lines_added == 5000  # numstat is exact even when the diff is capped


def test_detached_head_and_fsmonitor_is_not_run(workspace: WriteFiles, tmp_path: Path) -> None:
    root = workspace({"a.py": "x\n"})
    git_init(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    git(root, "checkout", "-q", "--detach")
    marker = tmp_path / "fsmonitor-ran"
    git(root, "config", "core.fsmonitor", f"touch {marker}; false")
    state = GitReader(root).state("a.py")
    assert state.is_repo and state.branch is None
    assert not marker.exists()


GATED_GIT = """#!/bin/sh
# git that waits for a gate file before doing anything: a repository where git is slow
while [ ! -e "{gate}" ]; do sleep 0.01; done
exec "{git}" "$@"
"""


def gated_reader(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GitReader, Path]:
    gate = tmp_path / "gate"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(GATED_GIT.format(gate=gate, git=shutil.which("git")))
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return GitReader(root), gate


def test_a_decision_after_a_save_does_not_wait_on_git(
    workspace: WriteFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace({"a.py": "one\n", "b.py": "two\n"})
    git_init(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    reader, gate = gated_reader(root, tmp_path, monkeypatch)
    gate.touch()
    assert not reader.state("a.py").file_changed  # the first read of a reader waits for git
    gate.unlink()  # from now on git blocks until the gate is back

    (root / "a.py").write_text("ONE\n")
    refreshed = threading.Event()
    reader.on_refresh(refreshed.set)
    reader.invalidate("a.py")
    during = reader.state("a.py")  # answered while git is blocked: it did not wait
    assert during.stale and not during.file_changed  # the last known state, marked as such
    assert not reader.state("b.py").stale  # b.py was not saved since: its status still holds
    assert not reader.wait_fresh(timeout=0)

    assert not refreshed.is_set()
    gate.touch()
    assert reader.wait_fresh(timeout=60)
    after = reader.state("a.py")
    assert after.file_changed and not after.stale
    assert refreshed.wait(60)  # listeners (the server's decision cache) hear that it landed


def test_the_context_says_when_the_files_git_status_is_from_before_its_save(
    workspace: WriteFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace({"a.py": "def f():\n    return 1\n"})
    git_init(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    reader, gate = gated_reader(root, tmp_path, monkeypatch)
    gate.touch()
    reader.state()
    gate.unlink()
    (root / "a.py").write_text("def f():\n    return 2\n")
    reader.invalidate("a.py")
    index = WorkspaceIndex(root, cache=None)
    index.build()
    ctx = gather_context(index, reader, ActionRequest(file="a.py", instruction="review this"))
    assert ctx.git.stale
    assert "git status of a.py is from before its last save (a refresh is running)" in ctx.notes
    gate.touch()
    assert reader.wait_fresh(timeout=60)
    assert gather_context(index, reader, ActionRequest(file="a.py", instruction="review this")).notes == ()


def test_a_refresh_started_early_is_waited_for_once(workspace: WriteFiles) -> None:
    root = workspace({"a.py": "x\n"})
    git_init(root)
    reader = GitReader(root)
    reader.refresh_async()
    state = reader.state("a.py")
    assert state.is_repo and state.file_changed and not state.stale
