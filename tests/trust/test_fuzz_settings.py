"""The settings loader on mangled TOML files: never a traceback, only positioned errors or Settings."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.policy import Settings, resolve_settings

VALID = [
    'objective = "cost"', "[budget]", "daily_usd = 5.0", "per_request_usd = 1", "[privacy]",
    'exclude = [".env*", "secrets/**"]', 'local_only = ["internal/**"]', "redact_secrets = true",
    "[approval]", 'allow = ["pytest *", "ls"]', 'policy = "untrusted"', "[sandbox]", 'mode = "read-only"',
    "network = false", "[providers.ollama]", 'base_url = "http://127.0.0.1:11434/v1"', "local = true",
    "[models]", 'deny = ["*-preview"]', "[models.add.mine]", 'provider = "ollama"', "[route.debugging]",
    'pin = "claude-opus-4-5"', "[run]", "max_turns = 4",
]
DAMAGE = [
    "[budget", "daily_usd = ", 'objective = "cosst"', "daily_usd = -1", "max_turns = 999", "exclude = 3",
    "unknown_key = 1", "[sandbox]\nmode = 7", 'x = """', "= 4", "[[privacy]]", "[budget]", "[budget]",
    "a.b.c = 1", "local = true", "'\\u0000'", "daily_usd = inf", "daily_usd = nan", "📦 = 1",
    "[providers]\nfoo = 1", "timeout_s = 0", "allow = [1, 2]",
]
LINES = st.lists(st.one_of(st.sampled_from(VALID), st.sampled_from(DAMAGE), st.text(max_size=20)),
                 max_size=20).map("\n".join)
POSITIONED = re.compile(r"^.+:\d+:\d+: (error|warning): .+", re.S)


@settings(max_examples=150, deadline=None)
@given(workspace=LINES, user=LINES)
def test_any_text_gives_positioned_errors_or_settings(workspace: str, user: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, us = Path(tmp) / ".modelroute.toml", Path(tmp) / "config.toml"
        ws.write_text(workspace, encoding="utf-8")
        us.write_text(user, encoding="utf-8")
        resolved = resolve_settings(user_file=us, workspace_file=ws, client=None)
        assert isinstance(resolved.settings, Settings)
        for error in (*resolved.errors, *resolved.warnings):
            text = error.format()
            assert POSITIONED.match(text), text
            assert text.startswith((str(ws), str(us)))
            assert error.line is not None and error.column is not None
            assert error.line >= 1 and error.column >= 1
