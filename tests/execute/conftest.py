from __future__ import annotations

from pathlib import Path

import pytest

from tests.execute.tracing import build_workspace


@pytest.fixture(scope="module")
def traced_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away workspace for commands run under strace (tests/execute/tracing.py)."""
    ws = build_workspace(tmp_path_factory.mktemp("traced"))
    wild = ws / "wild"  # file names that are tar options, for wildcard injection
    wild.mkdir()
    for name in ("--checkpoint=1", "--checkpoint-action=exec=payload", "a"):
        (wild / name).write_text("x\n")
    return ws
