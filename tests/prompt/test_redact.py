"""Canaries of every secret kind are replaced; ordinary code is left alone."""

from __future__ import annotations

import pytest

from modelroute.prompt.redact import redact

CANARIES = {
    "aws-access-key": 'aws_id = "AKIAZ7CANARY0000TEST"',
    "aws-secret-key": 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY1"',
    "github-token": 'token = "ghp_CANARYabcdefghijklmnopqrstuvwxyz0123"',
    "github-pat": 'gh = "github_pat_11CANARY0abcdefghijklmnop_qrstuvwxyz0123456789"',
    "openai-key": 'OPENAI = "sk-proj-CANARYabcdefghijklmnopqrstuvwxyz012345"',
    "anthropic-key": 'k = "sk-ant-api03-CANARYabcdefghijklmnopqrstuvwxyz0123456789"',
    "slack-token": 'slack = "xoxb-1234567890-CANARYabcdef"',
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEACANARY\n-----END RSA PRIVATE KEY-----",
    "url-password": 'DB = "postgres://admin:CanaryPassw0rd@db.internal:5432/app"',
    "secret-assignment": 'STRIPE_WEBHOOK_SECRET = "whsec_Q8fJ2kLm9CanaryXz7Tq"',
    "token-assignment": "SESSION_TOKEN: 9f8e7d6c5b4aCANARY3f2e1d",
}


@pytest.mark.parametrize("kind", sorted(CANARIES))
def test_canary_is_redacted(kind: str) -> None:
    out, n = redact(f"x = 1\n{CANARIES[kind]}\ny = 2\n")
    assert "CANARY" not in out and "Canary" not in out, out
    assert n >= 1
    assert "[REDACTED:" in out and "x = 1" in out and "y = 2" in out


@pytest.mark.parametrize("code", [
    "token = os.environ['GITHUB_TOKEN']",
    "api_key = settings.api_key",
    "password = getpass()",
    "SECRET_NAME = 'prod'",
    "def get_token(self): return self._token",
    "max_tokens = 4096",
])
def test_ordinary_code_is_kept(code: str) -> None:
    out, n = redact(code)
    assert out == code and n == 0
