"""Every canary kind, in the file syntax it lives in, becomes a marker; ordinary code stays; it is fast."""

from __future__ import annotations

import time

import pytest

from modelroute.prompt.redact import redact
from modelroute_testing.canaries import CANARIES, KINDS, Canary, leaks


def test_there_are_many_kinds() -> None:
    assert len(KINDS) >= 50


@pytest.mark.parametrize("canary", CANARIES, ids=[c.kind for c in CANARIES])
def test_canary_becomes_a_marker(canary: Canary) -> None:
    text = f"x = 1\n{canary.text}\ny = compute(x)\n"
    out, n = redact(text)
    assert not leaks(canary.secret, out), out
    assert n >= 1 and "[REDACTED:" in out
    assert out.startswith("x = 1\n") and out.endswith("\ny = compute(x)\n")
    assert redact(out) == (out, 0)


ORDINARY = [
    "token = os.environ['GITHUB_TOKEN']",
    "api_key = settings.api_key",
    "password = getpass()",
    "password = getpass.getpass('Password: ')",
    "SECRET_NAME = 'prod'",
    "def get_token(self): return self._token",
    "max_tokens = 4096",
    "sort_key = lambda item: item.name",
    "cache_key = f'user:{user_id}:profile'",
    "primary_key = 'id'",
    "'price_key': 'input_mtok',",
    "const apiKey = process.env.OPENAI_API_KEY;",
    "export GITHUB_TOKEN=$(gh auth token)",
    'password: ${DB_PASSWORD}',
    'api_key: "{{ vault_api_key }}"',
    'secret_key = "changeme"',
    "TOKEN_URL = 'https://oauth2.googleapis.com/token'",
    "key_path = '/etc/ssl/private/server.key'",
    "RegOpenKeyEx = win32api.RegOpenKeyEx",
    "keep = {'keep_old_secret_active_for_24_hours': keep_old_secret_active_for_24_hours}",
    "Authorization header is sent as a bearer token on each request",
    "postgres://user:password@localhost/db",
    "if token_type == 'Bearer':",
    "hf_hub_download(repo_id, filename)",
    "auth = ('user', password)",
]


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_code_is_kept(code: str) -> None:
    assert redact(code) == (code, 0)


def test_ten_thousand_lines_are_fast() -> None:
    ordinary = "\n".join(ORDINARY) + "\n"
    secrets = [c.text for c in CANARIES]
    lines = (ordinary * (10_000 // len(ORDINARY) + 1)).splitlines()[:10_000]
    for i in range(0, 10_000, 200):
        lines[i] = secrets[i // 200 % len(secrets)]
    text = "\n".join(lines)
    best = min(_timed(text) for _ in range(3))
    assert best < 0.5, best  # measured ~40-70 ms here; the bound leaves room for a loaded CI machine


def _timed(text: str) -> float:
    start = time.perf_counter()
    redact(text)
    return time.perf_counter() - start
