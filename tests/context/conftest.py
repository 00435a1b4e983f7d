"""Real temporary workspaces and git repositories for the context tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Protocol

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

class WriteFiles(Protocol):
    """Writes files into a workspace folder (`name` under the test's tmp_path) and returns it."""

    def __call__(self, files: dict[str, str | bytes], name: str = "ws") -> Path: ...


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> WriteFiles:
    def make(files: dict[str, str | bytes], name: str = "ws") -> Path:
        root = tmp_path / name
        root.mkdir(exist_ok=True)
        return write_tree(root, files)

    return make


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def git_init(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
