from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.context.git import GitReader
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
    state = reader.state("a.py")
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
