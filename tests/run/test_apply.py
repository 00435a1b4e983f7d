"""Writing an accepted change set to the host (`modelroute run --apply`): all or nothing, no symlink
followed, git metadata and our settings never written, a file that moved on refused."""

from __future__ import annotations

import os
from pathlib import Path

from modelroute.changeset import Change, ChangeSet
from modelroute.run.sandboxing import apply_change_set


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("a = 1\r\n")
    return root


def test_modified_and_created_files_are_written_with_their_mode(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    os.chmod(root / "src" / "a.py", 0o755)
    result = apply_change_set(root, ChangeSet(changes=(
        Change(path="src/a.py", kind="modified", original="a = 1\r\n", new="a = 2\r\n"),
        Change(path="src/new/b.py", kind="created", new="b = 1\n"),
    )))
    assert result.written == ["src/a.py", "src/new/b.py"] and not result.refused
    assert (root / "src" / "a.py").read_bytes() == b"a = 2\r\n"
    assert (root / "src" / "a.py").stat().st_mode & 0o777 == 0o755
    assert (root / "src" / "new" / "b.py").read_text() == "b = 1\n"


def test_one_refusal_writes_nothing(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    outside = tmp_path / "bashrc"
    outside.write_text("safe\n")
    (root / "link.txt").symlink_to(outside)
    (tmp_path / "elsewhere").mkdir()
    (root / "linked_dir").symlink_to(tmp_path / "elsewhere")
    changes = (
        Change(path="src/a.py", kind="modified", original="a = 1\r\n", new="a = 2\r\n"),
        Change(path="link.txt", kind="modified", original="safe\n", new="pwned\n"),
        Change(path="linked_dir/x.py", kind="created", new="x\n"),
        Change(path=".git/hooks/pre-commit", kind="created", new="#!/bin/sh\n"),
        Change(path="sub/.modelroute.toml", kind="created", new="[approval]\n"),
        Change(path="../escape.txt", kind="created", new="x\n"),
    )
    result = apply_change_set(root, ChangeSet(changes=changes))
    assert result.written == []
    assert {r.path for r in result.refused} == {c.path for c in changes[1:]}
    assert outside.read_text() == "safe\n" and (root / "src" / "a.py").read_bytes() == b"a = 1\r\n"
    assert not (tmp_path / "elsewhere" / "x.py").exists() and not (root / ".git").exists()


def test_a_file_that_moved_on_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    result = apply_change_set(root, ChangeSet(changes=(
        Change(path="src/a.py", kind="modified", original="a = 0\n", new="a = 2\n"),
        Change(path="src/a.py.bak", kind="deleted", original="x"),
    )))
    assert result.refused[0].reason.startswith("the file changed since the run read it")
    assert (root / "src" / "a.py").read_bytes() == b"a = 1\r\n"
