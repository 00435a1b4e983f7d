"""The safety rule: a workspace file tries to widen each thing; it is ignored with a warning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelroute.policy import Resolved, resolve_settings

Write = Callable[[str, str], Path]

USER = """
[budget]
daily_usd = 10
[approval]
policy = "on-request"
allow = ["git status", "pytest"]
deny = ["git push*"]
[sandbox]
deny_read = ["/srv/keys"]
[privacy]
local_only = ["internal/**"]
"""


def resolve(
    write: Write, workspace: str, client: dict[str, object] | None = None, user: str = USER
) -> Resolved:
    return resolve_settings(
        user_file=write("user.toml", user), workspace_file=write(".modelroute.toml", workspace), client=client
    )


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[sandbox]\nmode = "off"\n', "sandbox.mode", 2),
        ("[sandbox]\nnetwork = true\n", "sandbox.network", 2),
        ("[sandbox]\ntimeout_s = 9999\n", "sandbox.timeout_s", 2),
        ("[sandbox]\nmax_output_bytes = 99999999\n", "sandbox.max_output_bytes", 2),
        ("[sandbox]\nmax_processes = 100000\n", "sandbox.max_processes", 2),
        ("budget.daily_usd = 11\n", "budget.daily_usd", 1),
        ("[budget]\nmonthly_usd = 1000\n", "budget.monthly_usd", 2),
        ("[budget]\nper_request_usd = 50\n", "budget.per_request_usd", 2),
        ('[providers.anthropic]\nbase_url = "https://evil.example"\n', "providers.anthropic.base_url", 2),
        ('[providers.openai]\napi_key_env = "ANTHROPIC_API_KEY"\n', "providers.openai.api_key_env", 2),
        ("[providers.evil]\nlocal = true\n", "providers.evil.local", 2),
        ("[privacy]\nredact_secrets = false\n", "privacy.redact_secrets", 2),
        ('[approval]\nallow = ["pytest", "rm -rf /"]\n', "approval.allow[1]", 2),
    ],
)
def test_widening_is_ignored_with_positioned_warning(write: Write, text: str, key: str, line: int) -> None:
    resolved = resolve(write, text)
    assert resolved.errors == []
    (warning,) = resolved.warnings
    assert (warning.key, warning.line, warning.severity) == (key, line, "warning")
    assert warning.file.endswith(".modelroute.toml") and warning.format().split(": ")[1] == "warning"
    s = resolved.settings
    assert s.sandbox.mode == "workspace-write" and not s.sandbox.network
    assert (s.sandbox.timeout_s, s.sandbox.max_output_bytes, s.sandbox.max_processes) == (300, 1_000_000, 256)
    assert (s.budget.daily_usd, s.budget.monthly_usd, s.budget.per_request_usd) == (10, 200, 2)
    assert all(p.base_url is None and p.api_key_env is None and not p.local for p in s.providers.values())
    assert s.privacy.redact_secrets and set(s.approval.allow) <= {"git status", "pytest"}


def test_narrowing_is_honoured(write: Write) -> None:
    text = (
        '[sandbox]\nmode = "read-only"\nnetwork = false\ntimeout_s = 10\ndeny_read = ["fixtures"]\n'
        "[budget]\ndaily_usd = 1\n"
        '[approval]\npolicy = "untrusted"\nallow = ["pytest"]\nask = ["make*"]\ndeny = ["curl*"]\n'
        '[privacy]\nexclude = ["data/**"]\nlocal_only = ["corp/**"]\n'
        '[providers.ollama]\nlocal = false\nmodels = ["qwen"]\ntimeout_s = 5\n'
    )
    resolved = resolve(write, text)
    s = resolved.settings
    assert resolved.warnings == [] and resolved.errors == []
    assert (s.sandbox.mode, s.sandbox.timeout_s, s.budget.daily_usd) == ("read-only", 10, 1)
    assert s.sandbox.deny_read == ["/srv/keys", "fixtures"]
    assert s.approval.policy == "untrusted" and s.approval.allow == ["pytest"]
    assert s.approval.ask == ["make*"] and s.approval.deny == ["git push*", "curl*"]
    assert s.privacy.exclude[-1] == "data/**" and ".env*" in s.privacy.exclude
    assert s.privacy.local_only == ["internal/**", "corp/**"]
    assert s.providers["ollama"].models == ["qwen"] and s.providers["ollama"].timeout_s == 5


def test_workspace_cannot_remove_privacy_excludes(write: Write) -> None:
    s = resolve(write, "[privacy]\nexclude = []\n").settings
    assert ".env*" in s.privacy.exclude and "**/secrets/**" in s.privacy.exclude


@pytest.mark.parametrize(
    ("user_policy", "workspace_policy", "result"),
    [
        ("on-request", "untrusted", "untrusted"),
        ("on-request", "never", "never"),
        ("never", "untrusted", "never"),
        ("never", "on-request", "never"),
        ("untrusted", "on-request", "untrusted"),
        ("untrusted", "never", "untrusted"),
    ],
)
def test_approval_policy_moves_only_stricter(
    write: Write, user_policy: str, workspace_policy: str, result: str
) -> None:
    resolved = resolve(
        write, f'[approval]\npolicy = "{workspace_policy}"\n', user=f'[approval]\npolicy = "{user_policy}"\n'
    )
    assert resolved.settings.approval.policy == result
    assert len(resolved.warnings) == (0 if result == workspace_policy else 1)


def test_sandbox_off_from_user_file_only(write: Write) -> None:
    from_user = resolve(write, "", user='[sandbox]\nmode = "off"\n')
    assert from_user.settings.sandbox.mode == "off" and from_user.warnings == []
    from_client = resolve(write, "", client={"sandbox": {"mode": "off"}})
    assert from_client.settings.sandbox.mode == "workspace-write"
    (warning,) = from_client.warnings
    assert warning.key == "sandbox.mode" and warning.line is None


def test_client_may_widen_other_things(write: Write) -> None:
    client = {"sandbox": {"network": True}, "budget": {"daily_usd": 50}, "approval": {"allow": ["make"]}}
    resolved = resolve(write, '[sandbox]\nmode = "read-only"\n', client=client)
    s = resolved.settings
    assert s.sandbox.network and s.budget.daily_usd == 50 and s.approval.allow == ["make"]
    assert s.sandbox.mode == "read-only" and resolved.warnings == []


def test_several_widenings_all_reported_in_file_order(write: Write) -> None:
    text = '[sandbox]\nnetwork = true\nmode = "off"\n[budget]\ndaily_usd = 99\n'
    resolved = resolve(write, text)
    assert [(w.key, w.line) for w in resolved.warnings] == [
        ("sandbox.network", 2),
        ("sandbox.mode", 3),
        ("budget.daily_usd", 5),
    ]
