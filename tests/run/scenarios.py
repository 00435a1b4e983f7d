"""Shared scenarios for runs that check their work: a small Python project whose test fails, the
check that runs its tests in the sandbox, and the scripted replies models give. The core, the
command line and the language server tests drive the same scenarios through their own front end."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from modelroute_testing.fakeprovider.script import Reply, call

CALC = "def add(a, b):\n    return a - b\n"
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
GITIGNORE = "__pycache__/\n.pytest_cache/\n"
# The venv's own Python runs pytest inside the sandbox: it is read-only there, like every toolchain.
CHECK = f"{sys.executable} -m pytest -q -p no:cacheprovider"
FIX_INSTRUCTION = "test_add fails: add(2, 3) returns -1 instead of 5; find the bug in add and fix it"

HAIKU = "claude-haiku-4-5"
MINI = "gpt-5-mini"
SONNET = "claude-sonnet-4-6"


def project(root: Path) -> Path:
    """The project: `add` subtracts, its test expects a sum."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "calc.py").write_text(CALC)
    (root / "test_calc.py").write_text(TEST_CALC)
    (root / ".gitignore").write_text(GITIGNORE)
    return root


def edit(old: str, new: str, path: str = "calc.py", *, text: str = "Changed it.") -> list[Reply]:
    """A model that replaces `old` by `new` in `path`, then says so."""
    return [Reply(tool_calls=[call("propose_edit", path=path, old_text=old, new_text=new)]), Reply(text=text)]


WRONG_FIX = edit("return a - b", "return a * b")  # fails the test: 2 * 3 != 5
RIGHT_FIX = edit("return a - b", "return a + b")  # passes
OTHER_RIGHT_FIX = edit("return a - b", "return sum((a, b))")  # passes too
TAMPER = edit("assert add(2, 3) == 5", "assert add(2, 3) == -1", path="test_calc.py")  # edits the test instead


def runs_its_own_test() -> list[Reply]:
    """A model that fixes `add`, runs the tests itself (they must see the staged fix), then answers."""
    return [
        Reply(tool_calls=[call("propose_edit", path="calc.py", old_text="return a - b", new_text="return a + b")]),
        Reply(tool_calls=[call("propose_command", command=CHECK, reason="run the tests against my fix")]),
        Reply(text="The tests pass now."),
    ]


def synthesis(decision: str) -> list[Reply]:
    return [Reply(text=f"REASON: it is the smallest correct change.\nDECISION: {decision}")]


def plan_answer(steps: list[dict[str, Any]]) -> Reply:
    import json

    return Reply(text="```json\n" + json.dumps({"steps": steps}) + "\n```")


__all__ = [
    "CALC",
    "CHECK",
    "FIX_INSTRUCTION",
    "GITIGNORE",
    "HAIKU",
    "MINI",
    "OTHER_RIGHT_FIX",
    "RIGHT_FIX",
    "SONNET",
    "TAMPER",
    "TEST_CALC",
    "WRONG_FIX",
    "call",
    "edit",
    "plan_answer",
    "project",
    "runs_its_own_test",
    "synthesis",
]
