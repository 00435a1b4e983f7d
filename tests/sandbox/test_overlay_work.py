"""Normal work keeps working inside the overlay on real small projects: pytest, npm test, cargo test,
make, git status/diff. Each one runs against a staged edit, and the workspace stays as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelroute.sandbox import Overlay, SandboxSpec
from tests.sandbox.conftest import host_tree, needs_bwrap

pytestmark = needs_bwrap
RUST_TEST = "#[test]\nfn adds() { assert_eq!(add(2, 2), 4); }\n"


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    ws = tmp_path / "project"
    for rel, text in files.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=ws, check=True)
    subprocess.run(["git", "add", "-A"], cwd=ws, check=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "commit", "-qm", "init"], cwd=ws, check=True, env=env)
    return ws


def run_with_edit(ws: Path, rel: str, text: str, command: str, timeout_s: float = 240) -> tuple[int, str, list[str]]:
    before = host_tree(ws)
    with Overlay(ws, SandboxSpec(workspace=ws, timeout_s=timeout_s)) as ov:
        ov.write(rel, text)
        result = ov.run(command)
        changed = ov.change_set().paths()
    assert host_tree(ws) == before  # the project itself never changed
    return result.exit_code, result.stdout + result.stderr, changed


def test_pytest_runs_against_the_staged_fix(tmp_path: Path) -> None:
    if sys.prefix.startswith("/tmp"):
        pytest.skip("the test venv is under /tmp, which the sandbox replaces with its own")
    ws = project(tmp_path, {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n",
        ".gitignore": "__pycache__/\n",
    })
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    broken = subprocess.run(pytest_cmd, cwd=ws, capture_output=True)
    assert broken.returncode == 1
    code, out, changed = run_with_edit(
        ws, "calc.py", "def add(a, b):\n    return a + b\n", f"{sys.executable} -m pytest -q -p no:cacheprovider"
    )
    assert code == 0 and "1 passed" in out
    assert changed == ["calc.py"]


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_npm_test(tmp_path: Path) -> None:
    ws = project(tmp_path, {
        "package.json": '{"name": "demo", "version": "1.0.0", "scripts": {"test": "node test.js"}}\n',
        "lib.js": "module.exports = (a, b) => a - b;\n",
        "test.js": "const add = require('./lib');\nif (add(2, 2) !== 4) { process.exit(1); }\nconsole.log('ok 1');\n",
    })
    code, out, changed = run_with_edit(ws, "lib.js", "module.exports = (a, b) => a + b;\n", "npm test --silent")
    assert code == 0 and "ok 1" in out, out
    assert changed == ["lib.js"]


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo not installed")
def test_cargo_test_offline(tmp_path: Path) -> None:
    ws = project(tmp_path, {
        "Cargo.toml": '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n',
        "src/lib.rs": "pub fn add(a: i32, b: i32) -> i32 { a - b }\n\n" + RUST_TEST,
        ".gitignore": "target/\n",
    })
    fixed = "pub fn add(a: i32, b: i32) -> i32 { a + b }\n\n" + RUST_TEST
    code, out, changed = run_with_edit(ws, "src/lib.rs", fixed, "cargo test --offline -q 2>&1", timeout_s=600)
    assert code == 0 and "1 passed" in out, out
    assert changed == ["Cargo.lock", "src/lib.rs"]  # target/ is git-ignored: left out


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make(tmp_path: Path) -> None:
    ws = project(tmp_path, {"Makefile": "out.txt: in.txt\n\tcp in.txt out.txt\n", "in.txt": "v1\n"})
    code, out, changed = run_with_edit(ws, "in.txt", "v2\n", "make && cat out.txt")
    assert code == 0 and out.strip().endswith("v2")
    assert changed == ["in.txt", "out.txt"]


def test_git_status_and_diff_see_the_staged_edit(tmp_path: Path) -> None:
    ws = project(tmp_path, {"app.py": "print('old')\n"})
    code, out, changed = run_with_edit(ws, "app.py", "print('new')\n", "git status --short && git diff")
    assert code == 0, out
    assert " M app.py" in out and "+print('new')" in out and "-print('old')" in out
    assert changed == ["app.py"]
