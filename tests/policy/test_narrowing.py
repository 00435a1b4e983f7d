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


# ---------------------------------------------------------------- issue 11, item 5: every list-valued key


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[privacy]\nexclude = ["!.env"]\n', "privacy.exclude[0]", 2),
        ('[privacy]\nexclude = ["data/**", "!**/.env*"]\n', "privacy.exclude[1]", 2),
        ('[privacy]\nlocal_only = ["!internal/**"]\n', "privacy.local_only[0]", 2),
        ('[sandbox]\ndeny_read = ["!/srv/keys"]\n', "sandbox.deny_read[0]", 2),
        ('privacy.exclude = [\n  "ok/**",\n  "!secrets/**",\n]\n', "privacy.exclude[1]", 3),
    ],
)
def test_a_negation_is_an_error_with_file_line_and_key(write: Write, text: str, key: str, line: int) -> None:
    resolved = resolve(write, text)
    (error,) = resolved.errors
    assert (error.key, error.line, error.severity) == (key, line, "error")
    assert error.file.endswith(".modelroute.toml") and "un-withhold" in error.message
    assert error.format().startswith(f"{error.file}:{line}:")
    s = resolved.settings
    assert not any(p.startswith("!") for p in [*s.privacy.exclude, *s.privacy.local_only, *s.sandbox.deny_read])
    assert ".env*" in s.privacy.exclude and s.privacy.local_only[0] == "internal/**"
    assert s.sandbox.deny_read[0] == "/srv/keys"


def test_the_rest_of_a_file_with_a_negation_still_narrows(write: Write) -> None:
    text = '[privacy]\nexclude = ["!.env", "internal-secrets/**"]\n[sandbox]\nmode = "read-only"\n'
    resolved = resolve(write, text)
    assert len(resolved.errors) == 1 and not resolved.kept_previous
    s = resolved.settings
    assert "internal-secrets/**" in s.privacy.exclude and s.sandbox.mode == "read-only"
    from modelroute.prompt.privacy import matches

    assert matches(".env", s.privacy.exclude) and matches("internal-secrets/db.yaml", s.privacy.exclude)


MODELS_USER = '[models]\nallow = ["claude-*", "gpt-5*"]\ndeny = ["gpt-5-nano"]\n'


@pytest.mark.parametrize(
    ("workspace", "allowed", "warnings"),
    [
        ('[models]\nallow = ["kimi-*"]\n', ["claude-*", "gpt-5*"], ["models.allow[0]"]),
        ('[models]\nallow = ["*"]\n', ["claude-*", "gpt-5*"], ["models.allow[0]"]),
        ('[models]\nallow = ["claude-opus-*", "kimi-k2.5"]\n', ["claude-opus-*"], ["models.allow[1]"]),
        ('[models]\nallow = ["gpt-5.3-codex"]\n', ["gpt-5.3-codex"], []),
        ('[models]\nallow = ["claude-*"]\n', ["claude-*"], []),
    ],
)
def test_models_allow_only_narrows(write: Write, workspace: str, allowed: list[str], warnings: list[str]) -> None:
    resolved = resolve(write, workspace, user=MODELS_USER)
    assert resolved.settings.models.allow == allowed
    assert [w.key for w in resolved.warnings] == warnings and resolved.errors == []


def test_models_deny_is_added_to_not_replaced(write: Write) -> None:
    s = resolve(write, "[models]\ndeny = []\n", user=MODELS_USER).settings
    assert s.models.deny == ["gpt-5-nano"]
    s = resolve(write, '[models]\ndeny = ["claude-opus-*"]\n', user=MODELS_USER).settings
    assert s.models.deny == ["gpt-5-nano", "claude-opus-*"]


def test_models_add_cannot_add_or_reprice(write: Write) -> None:
    user = '[models.add.local-coder]\nprovider = "ollama"\ninput_usd_per_mtok = 0.5\n'
    workspace = (
        '[models.add.claude-opus-4-6]\nprovider = "anthropic"\ninput_usd_per_mtok = 0\n'
        '[models.add.local-coder]\ninput_usd_per_mtok = 0\nprovider = "moonshot"\ncontext_window = 64000\n'
    )
    resolved = resolve(write, workspace, user=user)
    s = resolved.settings
    assert set(s.models.add) == {"local-coder"}
    coder = s.models.add["local-coder"]
    assert (coder.provider, coder.input_usd_per_mtok, coder.context_window) == ("ollama", 0.5, 64000)
    assert sorted(w.key for w in resolved.warnings) == [
        "models.add.claude-opus-4-6", "models.add.local-coder.input_usd_per_mtok", "models.add.local-coder.provider",
    ]


def test_providers_models_cannot_move_a_model_elsewhere(write: Write) -> None:
    user = '[providers.ollama]\nbase_url = "http://127.0.0.1:11434/v1"\nlocal = true\nmodels = ["qwen-local"]\n'
    workspace = '[providers.moonshot]\nmodels = ["claude-opus-4-6", "qwen-local", "brand-new"]\n'
    resolved = resolve(write, workspace, user=user)
    assert resolved.settings.providers["moonshot"].models == ["brand-new"]
    assert [w.key for w in resolved.warnings] == ["providers.moonshot.models[0]", "providers.moonshot.models[1]"]
    assert "anthropic" in resolved.warnings[0].message and "ollama" in resolved.warnings[1].message


def test_every_list_valued_key_has_a_workspace_rule() -> None:
    """A new list in the schema must be given a rule here before it ships (lists replace by default)."""
    from modelroute.policy.fields import schema_paths, type_at
    from modelroute.policy.narrowing import workspace_rule

    lists = [".".join(p) for p in schema_paths() if getattr(type_at(p), "__origin__", None) is list]
    assert lists, "the schema has list-valued keys"
    narrowed = {"approval.ask", "approval.deny", "approval.allow", "models.allow", "models.deny", "sandbox.deny_read",
                "privacy.exclude", "privacy.local_only", "providers.*.models"}
    for key in lists:
        if key.startswith("route."):
            continue  # route.<category>.prefer: which allowed model to favour widens nothing
        assert key in narrowed, f"{key} is a list a workspace file could use to widen: give it a rule"
        assert workspace_rule(key) != "set it", key
