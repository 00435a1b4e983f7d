"""Emacs eglot (Debian's emacs-nox + elpa-eglot 1.9) runs the set-up from docs/clients/emacs.md
headless against `modelroute serve`: priced code actions on a directive, and modelroute-route."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelroute_testing.env import scrubbed_env

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STORE_PY = """\
import json


def load(path):
    # add type hints and a docstring AI!
    with open(path) as f:
        return json.load(f)
"""
pytestmark = pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs-nox not installed (.ci/run installs it)")


def documented_elisp() -> str:
    text = (ROOT / "docs" / "clients" / "emacs.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```elisp\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/clients/emacs.md has an elisp block"
    return str(blocks[0])


def test_eglot_gets_priced_code_actions_and_routes(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "app").mkdir(parents=True)
    (ws / ".git").mkdir()  # a project root for eglot
    source = ws / "app" / "store.py"
    source.write_text(STORE_PY, encoding="utf-8")
    init = tmp_path / "modelroute-init.el"
    init.write_text(documented_elisp(), encoding="utf-8")
    server = Path(sys.executable).with_name("modelroute")
    env = scrubbed_env()
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        MODELROUTE_INIT=str(init),
        MODELROUTE_CMD=str(server),
        MODELROUTE_FILE=str(source),
    )
    done = subprocess.run(
        ["emacs", "--batch", "--no-init-file", "-l", str(HERE / "test.el")],
        env=env, cwd=ws, capture_output=True, text=True, timeout=90,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "RESULT ok" in out, out
    titles = [line[len("ACTION "):] for line in out.splitlines() if line.startswith("ACTION ")]
    priced = [t for t in titles if re.search(r"\$\d|<\$0\.0001", t)]
    assert len(priced) >= 2, titles
    assert any(t == "Why this model?" for t in titles), titles
    assert re.search(r"^CHOICES [1-9]", out, flags=re.M), out
    assert re.search(r"^RUN \S+", out, flags=re.M), out
