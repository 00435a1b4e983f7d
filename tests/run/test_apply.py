"""Writing an accepted change set to the host (`modelroute run --apply`, and what an editor cannot
take): one implementation, the sandbox's apply guard, reached through the attempt workspace. No
symlink followed, git metadata and our settings never written, a file that moved on refused, and
every refusal reported (what was refused is never written)."""

from __future__ import annotations

import os
from pathlib import Path

from modelroute.changeset import Change, ChangeSet
from modelroute.policy.schema import PrivacySettings
from modelroute.run.workspace import AttemptWorkspace


def workspace(tmp_path: Path) -> tuple[Path, AttemptWorkspace]:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("a = 1\r\n", newline="")
    return root, AttemptWorkspace(root, PrivacySettings(), model_is_local=False)


def test_modified_and_created_files_are_written_with_their_mode(tmp_path: Path) -> None:
    root, ws = workspace(tmp_path)
    os.chmod(root / "src" / "a.py", 0o755)
    result = ws.write(ChangeSet(changes=(
        Change(path="src/a.py", kind="modified", original="a = 1\r\n", new="a = 2\r\n"),
        Change(path="src/new/b.py", kind="created", new="b = 1\n"),
    )))
    assert list(result.applied) == ["src/a.py", "src/new/b.py"] and not result.refused
    assert (root / "src" / "a.py").read_bytes() == b"a = 2\r\n"
    assert (root / "src" / "a.py").stat().st_mode & 0o777 == 0o755
    assert (root / "src" / "new" / "b.py").read_text() == "b = 1\n"
    ws.close()


def test_what_the_guard_refuses_is_reported_and_never_written(tmp_path: Path) -> None:
    root, ws = workspace(tmp_path)
    outside = tmp_path / "bashrc"
    outside.write_text("safe\n")
    (root / "link.txt").symlink_to(outside)
    (tmp_path / "elsewhere").mkdir()
    (root / "linked_dir").symlink_to(tmp_path / "elsewhere")
    changes = (
        Change(path="link.txt", kind="modified", original="safe\n", new="pwned\n"),
        Change(path="linked_dir/x.py", kind="created", new="x\n"),
        Change(path=".git/hooks/pre-commit", kind="created", new="#!/bin/sh\n"),
        Change(path="sub/.modelroute.toml", kind="created", new="[approval]\n"),
        Change(path="../escape.txt", kind="created", new="x\n"),
    )
    result = ws.write(ChangeSet(changes=changes))
    assert not result.applied
    assert {r.path for r in result.refused} == {c.path for c in changes}
    assert all(r.reason for r in result.refused)
    assert outside.read_text() == "safe\n" and (root / "src" / "a.py").read_bytes() == b"a = 1\r\n"
    assert not (tmp_path / "elsewhere" / "x.py").exists() and not (root / ".git").exists()
    assert not (root / "sub" / ".modelroute.toml").exists() and not (tmp_path / "escape.txt").exists()
    ws.close()


def test_a_file_that_moved_on_is_refused(tmp_path: Path) -> None:
    root, ws = workspace(tmp_path)
    result = ws.write(ChangeSet(changes=(
        Change(path="src/a.py", kind="modified", original="a = 0\n", new="a = 2\n"),
    )))
    assert not result.applied and "changed on disk since the run read it" in result.refused[0].reason
    assert (root / "src" / "a.py").read_bytes() == b"a = 1\r\n"
    ws.close()
