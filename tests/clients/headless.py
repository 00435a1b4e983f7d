"""What the headless editor tests share: the user's environment after the documented install, a
small workspace with a directive, the fake provider's scripted edits, and the ledger's verdict."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from pathlib import Path

from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider

# The documented install puts `modelroute` on PATH (pipx, or a venv's bin): the venv running the tests.
SERVER_BIN = Path(sys.executable).parent
# Every variable that could carry a real key or endpoint is dropped before the fake ones are set.
KEY_SUFFIXES = ("_API_KEY", "_BASE_URL")

STORE_PY = """\
import json


def load(path):
    # add type hints and a docstring AI!
    with open(path) as f:
        return json.load(f)
"""
DIRECTIVE_LINE = 5  # 1-based
# Only the two providers that have (fake) keys, and no question before a run: the test is about
# the client, not the budget prompt.
WORKSPACE_TOML = """\
[models]
allow = ["claude-*", "gpt-*"]
"""
FIRST_EDIT = ("def load(path):", "def load(path: str) -> object:")
SECOND_EDIT = ("    with open(path) as f:", '    with open(path, encoding="utf-8") as f:')


PRICED_TITLE = re.compile(r"^\w[\w ]* with .+ · ~\$[0-9.]+ \(.+\)$")


def assert_priced_menu(titles: list[str]) -> None:
    """The menu a user gets on a directive: at least two priced models (`Edit with X · ~$0.01
    (quick edit)`), the routed one first, and *Why this model?*."""
    priced = [t for t in titles if PRICED_TITLE.match(t)]
    assert len(priced) >= 2 and titles[0] == priced[0], titles
    assert "Why this model?" in titles, titles


def workspace(root: Path) -> Path:
    """A project (git marker, .modelroute.toml) with app/store.py; returns the Python file."""
    (root / ".git").mkdir(parents=True)
    (root / ".modelroute.toml").write_text(WORKSPACE_TOML)
    source = root / "app" / "store.py"
    source.parent.mkdir()
    source.write_text(STORE_PY)
    return source


def environment(tmp: Path, fake: FakeProvider) -> dict[str, str]:
    """The editor's environment: modelroute on PATH, fake keys and endpoints, private XDG folders
    and ledger (`tmp/data/ledger.sqlite3`)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(KEY_SUFFIXES)}
    env.update(
        PATH=f"{SERVER_BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XDG_DATA_HOME=str(tmp / "xdg-data"),
        XDG_STATE_HOME=str(tmp / "state"),
        MODELROUTE_DATA_DIR=str(tmp / "data"),
        ANTHROPIC_API_KEY="sk-ant-test-key",
        OPENAI_API_KEY="sk-test-key",
        ANTHROPIC_BASE_URL=fake.anthropic_base_url,
        OPENAI_BASE_URL=fake.openai_base_url,
    )
    (tmp / "home").mkdir(exist_ok=True)
    return env


def edit_replies(path: str, old: str, new: str) -> list[Reply]:
    """One run of the fake model: a propose_edit tool call, then a closing message."""
    call = ScriptedToolCall(name="propose_edit", arguments={"path": path, "old_text": old, "new_text": new})
    return [Reply(tool_calls=[call]), Reply(text="Done.", output_tokens=20)]


def ledger_outcomes(tmp: Path) -> list[str]:
    ledger = tmp / "data" / "ledger.sqlite3"
    if not ledger.exists():
        return []
    with sqlite3.connect(ledger) as db:
        return [str(row[0]) for row in db.execute("SELECT outcome FROM runs ORDER BY started_at")]
