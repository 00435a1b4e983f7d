"""The safety rule: a workspace file may only narrow what is allowed to run (DESIGN 2.4).

A repository is untrusted input. Its `.modelroute.toml` may tighten the sandbox, approvals,
budgets and privacy, never loosen them; what it tries to loosen is dropped with a warning at
the key's position. The rules are a table (RULES) so the docs and tests read the same source.
The client may widen (it is the user's own editor configuration) except `sandbox.mode = "off"`,
which only the user file can set.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelroute.policy.errors import SettingsError
from modelroute.policy.loader import Layer
from modelroute.policy.positions import Path
from modelroute.policy.schema import Settings

SANDBOX_RANK = {"read-only": 0, "workspace-write": 1, "off": 2}
"""How much a sandbox mode lets a command do; higher is wider."""

APPROVAL_NARROWER = {
    "on-request": {"untrusted", "never"},
    "untrusted": set(),
    "never": set(),
}
"""Policies a workspace may move to from the user's. Per command the outcome is run > ask > deny:
on-request -> untrusted turns auto-runs into asks; on-request -> never turns asks into denies.
never -> untrusted is refused: commands that `never` denies could then run after a prompt."""


@dataclass(frozen=True)
class Rule:
    key: str
    workspace: str
    """What a workspace file may do with the key, in words (the docs show this)."""


RULES: tuple[Rule, ...] = (
    Rule("budget.per_request_usd", "lower only"),
    Rule("budget.daily_usd", "lower only"),
    Rule("budget.monthly_usd", "lower only"),
    Rule("providers.*.base_url", "ignored"),
    Rule("providers.*.api_key_env", "ignored"),
    Rule("providers.*.local", "`false` only"),
    Rule("approval.policy", "stricter only: on-request -> untrusted or never"),
    Rule("approval.allow", "ignored except entries the user file already allows"),
    Rule("approval.ask", "added to the user's"),
    Rule("approval.deny", "added to the user's"),
    Rule("sandbox.mode", "narrower only (off > workspace-write > read-only); never off"),
    Rule("sandbox.network", "`false` only"),
    Rule("sandbox.deny_read", "added to the user's"),
    Rule("sandbox.timeout_s", "lower only"),
    Rule("sandbox.max_output_bytes", "lower only"),
    Rule("sandbox.max_processes", "lower only"),
    Rule("privacy.exclude", "added to the user's"),
    Rule("privacy.local_only", "added to the user's"),
    Rule("privacy.redact_secrets", "`true` only"),
    Rule("verify.protect_tests", "`true` only"),
    Rule("verify.timeout_s", "lower only"),
)
WORKSPACE_RULES = {rule.key: rule.workspace for rule in RULES}

Warn = Callable[[Path, str], None]


def narrow_workspace(layer: Layer, base: Settings) -> tuple[dict[str, Any], list[SettingsError]]:
    """The workspace layer with every widening removed, and a warning for each removal."""
    data = copy.deepcopy(layer.data)
    warnings: list[SettingsError] = []

    def warn(path: Path, message: str) -> None:
        warnings.append(layer.problem(path, message, severity="warning"))

    _budget(_table(data, "budget"), base, warn)
    _providers(data.get("providers"), warn)
    _approval(_table(data, "approval"), base, warn)
    _sandbox(_table(data, "sandbox"), base, warn)
    _privacy(_table(data, "privacy"), base, warn)
    _verify(_table(data, "verify"), base, warn)
    return data, warnings


def narrow_client(layer: Layer, base: Settings) -> tuple[dict[str, Any], list[SettingsError]]:
    """The client may widen, but `sandbox.mode = "off"` is honoured only from the user file."""
    data = copy.deepcopy(layer.data)
    sandbox = _table(data, "sandbox")
    if sandbox.get("mode") == "off" and base.sandbox.mode != "off":
        del sandbox["mode"]
        message = 'sandbox.mode "off" is honoured only from the user file; ignored'
        return data, [layer.problem(("sandbox", "mode"), message, severity="warning")]
    return data, []


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    found = data.get(name)
    return found if isinstance(found, dict) else {}


def _lower_only(table: dict[str, Any], section: str, key: str, current: float, warn: Warn) -> None:
    if key in table and table[key] > current:
        warn(
            (section, key),
            f"a workspace file may only lower {section}.{key} ({table[key]} > {current}); ignored",
        )
        del table[key]


def _budget(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    for key in ("per_request_usd", "daily_usd", "monthly_usd"):
        _lower_only(table, "budget", key, getattr(base.budget, key), warn)


def _providers(providers: Any, warn: Warn) -> None:
    if not isinstance(providers, dict):
        return
    for name, entry in providers.items():
        if not isinstance(entry, dict):
            continue
        for key in ("base_url", "api_key_env"):
            if key in entry:
                del entry[key]
                warn(
                    ("providers", name, key),
                    f"a workspace file may not set providers.*.{key} (it could send your API key "
                    "elsewhere); set it in the user file; ignored",
                )
        if entry.get("local") is True:
            del entry["local"]
            warn(
                ("providers", name, "local"),
                "a workspace file may not mark a provider local (local_only files would be sent "
                "to it); set it in the user file; ignored",
            )


def _approval(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    policy = table.get("policy")
    current = base.approval.policy
    if policy is not None and policy != current and policy not in APPROVAL_NARROWER[current]:
        del table["policy"]
        warn(
            ("approval", "policy"),
            f'a workspace file may only make approval stricter; "{policy}" would let commands run '
            f'that "{current}" (user settings) does not; ignored',
        )
    if "allow" in table:
        kept = []
        for index, entry in enumerate(table["allow"]):
            if entry in base.approval.allow:
                kept.append(entry)
            else:
                warn(
                    ("approval", "allow", index),
                    f"a workspace file may not allow commands to run without asking ({entry!r}); ignored",
                )
        table["allow"] = kept
    for key in ("ask", "deny"):
        if key in table:
            table[key] = _union(getattr(base.approval, key), table[key])


def _sandbox(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    mode = table.get("mode")
    current = base.sandbox.mode
    if mode is not None and SANDBOX_RANK[mode] > SANDBOX_RANK[current]:
        del table["mode"]
        why = (
            '"off" is honoured only from the user file'
            if mode == "off"
            else f'a workspace file may only narrow the sandbox ("{mode}" is wider than "{current}")'
        )
        warn(("sandbox", "mode"), f"{why}; ignored")
    if table.get("network") is True and not base.sandbox.network:
        del table["network"]
        warn(("sandbox", "network"), "a workspace file may not turn network access on; ignored")
    for key in ("timeout_s", "max_output_bytes", "max_processes"):
        _lower_only(table, "sandbox", key, getattr(base.sandbox, key), warn)
    if "deny_read" in table:
        table["deny_read"] = _union(base.sandbox.deny_read, table["deny_read"])


def _privacy(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    for key in ("exclude", "local_only"):
        if key in table:
            table[key] = _union(getattr(base.privacy, key), table[key])
    if table.get("redact_secrets") is False and base.privacy.redact_secrets:
        del table["redact_secrets"]
        warn(("privacy", "redact_secrets"), "a workspace file may not turn secret redaction off; ignored")


def _verify(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    # A repository that turned the test-tamper guard off could have a model "fix" it by editing its tests.
    if table.get("protect_tests") is False and base.verify.protect_tests:
        del table["protect_tests"]
        warn(("verify", "protect_tests"), "a workspace file may not turn the test-tamper guard off; ignored")
    _lower_only(table, "verify", "timeout_s", base.verify.timeout_s, warn)


def _union(base: list[str], added: list[str]) -> list[str]:
    return list(dict.fromkeys([*base, *added]))
