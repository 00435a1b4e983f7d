"""Approval judges programs by name, so the name must mean the program: a command may not plant a `git`
in a folder on the sandbox's PATH and have the next approved `git status` run it. Judged from the host:
the planted script would leave a marker file; the real sandbox runs with a PATH that puts a folder of the
workspace first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from modelroute.execute.approval import evaluate
from modelroute.execute.shellparse import parse_command
from modelroute.policy.schema import ApprovalSettings
from modelroute.sandbox import SandboxSpec, run_sandboxed
from modelroute.sandbox.bwrap import sandbox_env


def _planted(ws: Path) -> Path:
    bin_dir = ws / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\ntouch {ws / 'PLANTED-RAN'}\necho planted\n")
    fake.chmod(0o755)
    return bin_dir


def test_workspace_and_tmp_folders_are_left_off_the_sandbox_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = (tmp_path / "ws").resolve()
    bin_dir = _planted(ws)
    monkeypatch.setenv("PATH", f"{bin_dir}:/tmp/tools:/usr/bin:/bin")
    path = sandbox_env(SandboxSpec(workspace=ws, home=tmp_path / "home"))["PATH"].split(":")
    assert str(bin_dir) not in path and "/tmp/tools" not in path
    assert "/usr/bin" in path


@pytest.mark.skipif(shutil.which("git") is None, reason="git is on every machine this runs on")
def test_an_approved_git_status_runs_git_not_a_planted_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = (tmp_path / "ws").resolve()
    bin_dir = _planted(ws)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/local/bin:/usr/bin:/bin")
    assert evaluate(parse_command("git --version"), ApprovalSettings(allow=["git"])).action == "allow"
    result = run_sandboxed("git --version", SandboxSpec(workspace=ws, home=tmp_path / "home", timeout_s=30))
    assert result.exit_code == 0 and result.stdout.startswith("git version"), (result.stdout, result.stderr)
    assert not (ws / "PLANTED-RAN").exists()
