"""The attempt workspace (`Overlay`): staged edits, what commands see, the change set, side by side."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from modelroute.sandbox import Overlay, PathRefused, SandboxSpec
from modelroute.sandbox.protected import docs_table, protected_entries
from tests.sandbox.conftest import host_tree, needs_bwrap

pytestmark = needs_bwrap
PY = os.path.realpath(sys.executable)


def test_a_command_sees_the_staged_edit_and_the_workspace_does_not(spec: SandboxSpec, workspace: Path) -> None:
    before = host_tree(workspace)
    with Overlay(workspace, spec) as ov:
        ov.write("src.txt", "staged\n")
        ov.write("pkg/new.txt", "new\n")
        result = ov.run("cat src.txt pkg/new.txt && echo built > out.txt")
        assert result.stdout == "staged\nnew\n"
        assert ov.read("out.txt") == "built\n" and ov.read("src.txt") == "staged\n"
        proposal = ov.change_set()
    assert host_tree(workspace) == before
    assert [(c.path, c.kind) for c in proposal.changes] == [
        ("out.txt", "created"), ("pkg/new.txt", "created"), ("src.txt", "modified")
    ]
    assert proposal.changes[2].original == "hello\n" and proposal.changes[2].new == "staged\n"


def test_deletions_whiteouts_and_opaque_folders(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / "dir").mkdir()
    (workspace / "dir" / "a.txt").write_text("a\n")
    (workspace / "dir" / "b.txt").write_text("b\n")
    (workspace / "gone.txt").write_text("gone\n")
    with Overlay(workspace, spec) as ov:
        ov.delete("gone.txt")
        assert not ov.exists("gone.txt")
        assert ov.run("test -e gone.txt").exit_code == 1
        ov.run("rm -rf dir && mkdir dir && echo c > dir/c.txt")
        ov.write("dir/d.txt", "d\n")
        assert not ov.exists("dir/a.txt") and ov.read("dir/c.txt") == "c\n"
        kinds = {c.path: c.kind for c in ov.change_set().changes}
    assert kinds == {"dir/a.txt": "deleted", "dir/b.txt": "deleted", "dir/c.txt": "created",
                     "dir/d.txt": "created", "gone.txt": "deleted"}
    assert (workspace / "gone.txt").exists() and (workspace / "dir" / "a.txt").exists()


def test_staging_into_a_folder_a_command_deleted(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / "lib").mkdir()
    (workspace / "lib" / "old.py").write_text("old\n")
    with Overlay(workspace, spec) as ov:
        ov.run("rm -rf lib")
        ov.write("lib/new.py", "new\n")
        assert ov.run("ls lib").stdout == "new.py\n"  # the opaque folder hides the old file
        kinds = {c.path: c.kind for c in ov.change_set().changes}
    assert kinds == {"lib/new.py": "created", "lib/old.py": "deleted"}


def test_binary_files_executable_bits_and_touch(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / "tool.sh").write_text("echo\n")
    with Overlay(workspace, spec) as ov:
        ov.run("printf '\\x00\\x01\\x02' > blob.bin; chmod +x tool.sh; touch src.txt")
        changes = {c.path: c for c in ov.change_set().changes}
        assert set(changes) == {"blob.bin", "tool.sh"}  # touch copies up but changes nothing
        blob = changes["blob.bin"]
        assert blob.binary and blob.size == 3 and "Binary file" in blob.diff()
        assert changes["tool.sh"].executable is True and changes["tool.sh"].new == "echo\n"
        result = ov.apply(approved_executable={"tool.sh"})
    assert (workspace / "blob.bin").read_bytes() == b"\x00\x01\x02"
    assert (workspace / "tool.sh").stat().st_mode & 0o100 and set(result.applied) == {"blob.bin", "tool.sh"}


def test_git_ignored_output_is_left_out(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / ".gitignore").write_text("build/\n*.log\n")
    (workspace / "sub").mkdir()
    (workspace / "sub" / ".gitignore").write_text("cache.txt\n")
    cmd = "mkdir -p build __pycache__ node_modules/x && touch build/a.o run.log sub/cache.txt __pycache__/m.pyc"
    cmd += " keep.txt"
    with Overlay(workspace, spec) as ov:
        ov.run(cmd)
        proposal = ov.change_set()
    assert proposal.paths() == ["keep.txt"]
    assert set(proposal.left_out) == {"build/", "run.log", "sub/cache.txt", "__pycache__/", "node_modules/"}


def test_protected_paths_cannot_be_staged(spec: SandboxSpec, workspace: Path) -> None:
    with Overlay(workspace, spec) as ov:
        for rel in (".git/config", "a/.git/hooks/pre-commit", ".envrc", "../x", "/etc/x", "x/../../y", "z.pth"):
            with pytest.raises(PathRefused):
                ov.write(rel, "evil")
        assert ov.change_set().empty


def test_close_removes_the_layers_and_nothing_else(spec: SandboxSpec, workspace: Path) -> None:
    before = host_tree(workspace)
    ov = Overlay(workspace, spec)
    ov.run("echo x > a.txt")
    upper = ov.upper
    assert upper.exists()
    ov.close()
    assert not upper.parent.exists() and host_tree(workspace) == before
    with pytest.raises(RuntimeError):
        ov.run("true")


def test_overlays_side_by_side(spec: SandboxSpec, workspace: Path) -> None:
    """Best-of-N: attempts of one workspace run at the same time and never see each other."""
    overlays = [Overlay(workspace, spec) for _ in range(3)]
    results: dict[int, str] = {}

    def attempt(i: int) -> None:
        ov = overlays[i]
        ov.write("src.txt", f"attempt {i}\n")
        ov.run(f"sleep 0.3; echo {i} > mine.txt")
        results[i] = ov.run("cat src.txt mine.txt; ls").stdout

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        for i, ov in enumerate(overlays):
            assert results[i].startswith(f"attempt {i}\n{i}\n")
            proposed = {c.path: c.new for c in ov.change_set().changes}
            assert proposed == {"mine.txt": f"{i}\n", "src.txt": f"attempt {i}\n"}
    finally:
        for ov in overlays:
            ov.close()
    assert (workspace / "src.txt").read_text() == "hello\n" and not (workspace / "mine.txt").exists()


def test_other_overlays_layers_are_hidden(spec: SandboxSpec, workspace: Path) -> None:
    with Overlay(workspace, spec) as one, Overlay(workspace, spec) as two:
        one.write("secret-plan.txt", "attempt one\n")
        result = two.run(f"cat {one.upper}/secret-plan.txt; ls {one.upper.parent.parent}")
        assert "attempt one" not in result.stdout and result.stdout.strip() == ""


def test_docs_show_the_protected_list() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    assert docs_table() in doc, "regenerate the table in docs/security.md from protected.toml"
    assert len(protected_entries()) >= 30
