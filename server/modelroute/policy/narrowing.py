"""The safety rule: a workspace file may only narrow what is allowed (DESIGN 2.4).

A repository is untrusted input. Its `.modelroute.toml` may tighten the sandbox, approvals,
budgets, models and privacy, never loosen them; what it tries to loosen is dropped, and reported
at the key's position (file, line, key). Trying to un-withhold something from the model (a `!`
pattern in a privacy list) is an *error*, not a warning: the entry is dropped, the rest of the file
still narrows (dropping the whole file would also drop its own exclusions), and the CLI refuses to
run until it is fixed. Every list-valued key is covered: lists a workspace may extend are unions
with the user's (`approval.ask`/`deny`, `models.deny`, `sandbox.deny_read`, `privacy.*`), lists that
grant something are cut to what the user already grants (`approval.allow`, `models.allow`), and
lists that decide where code goes or what it costs (`models.add`, `providers.*.models`) cannot move
anything. The rules are a table (RULES) so the docs and tests read the same source. The client may
widen (it is the user's own editor configuration) except `sandbox.mode = "off"`, which only the
user file can set.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
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
    Rule("budget.team_daily_usd", "lower only (setting one where the user has none is lower)"),
    Rule("budget.team_monthly_usd", "lower only (setting one where the user has none is lower)"),
    Rule("ledger.url", "nothing: an error (where spend is recorded is the user's choice)"),
    Rule("ledger.lease_s", "nothing: an error (where spend is recorded is the user's choice)"),
    Rule("identity.person", "nothing: an error (who is charged is the user's choice)"),
    Rule("identity.team", "nothing: an error (who is charged is the user's choice)"),
    Rule("telemetry.export_content", "`false` only"),
    Rule("providers.*.base_url", "ignored"),
    Rule("providers.*.api_key_env", "ignored"),
    Rule("providers.*.local", "`false` only"),
    Rule("providers.*.models", "new ids only: a model another provider serves is not moved"),
    Rule("models.allow", "narrower only: ids or patterns your allow list already covers"),
    Rule("models.deny", "added to the user's"),
    Rule("models.add.*", "only on models your settings add; not new models"),
    Rule("models.add.*.provider", "ignored (decides where your code goes)"),
    Rule("models.add.*.api_model", "ignored (decides which model is called, at which price)"),
    Rule("models.add.*.input_usd_per_mtok", "ignored (budgets are checked against prices)"),
    Rule("models.add.*.output_usd_per_mtok", "ignored (budgets are checked against prices)"),
    Rule("providers.*.service_tier", '`"standard"` only (the other tiers cost more)'),
    Rule("approval.policy", "stricter only: on-request -> untrusted or never"),
    Rule("approval.allow", "ignored except entries the user file already allows"),
    Rule("approval.ask", "added to the user's"),
    Rule("approval.deny", "added to the user's"),
    Rule("sandbox.mode", "narrower only (off > workspace-write > read-only); never off"),
    Rule("sandbox.network", "`false` only"),
    Rule("sandbox.deny_read", "added to the user's; a `!` entry is an error"),
    Rule("sandbox.timeout_s", "lower only"),
    Rule("sandbox.max_output_bytes", "lower only"),
    Rule("sandbox.max_processes", "lower only"),
    Rule("privacy.exclude", "added to the user's; a `!` pattern is an error"),
    Rule("privacy.local_only", "added to the user's; a `!` pattern is an error"),
    Rule("privacy.redact_secrets", "`true` only"),
    Rule("verify.protect_tests", "`true` only"),
    Rule("verify.timeout_s", "lower only"),
)
WORKSPACE_RULES = {rule.key: rule.workspace for rule in RULES}


def workspace_rule(key: str) -> str:
    """The rule for a dotted key (`*` for user-chosen names), or for the table it is in."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in WORKSPACE_RULES:
            return WORKSPACE_RULES[prefix]
        if f"{prefix}.*" in WORKSPACE_RULES and end < len(parts):
            return WORKSPACE_RULES[f"{prefix}.*"]
    return "set it"


Warn = Callable[[Path, str], None]


def narrow_workspace(layer: Layer, base: Settings) -> tuple[dict[str, Any], list[SettingsError]]:
    """The workspace layer with every widening removed, and a warning for each removal."""
    data = copy.deepcopy(layer.data)
    problems: list[SettingsError] = []

    def warn(path: Path, message: str) -> None:
        problems.append(layer.problem(path, message, severity="warning"))

    def error(path: Path, message: str) -> None:  # the entry is dropped; the rest of the file still applies
        problems.append(dataclasses.replace(layer.problem(path, message, severity="error"), rest_applies=True))

    _budget(_table(data, "budget"), base, warn)
    _providers(data.get("providers"), base, warn)
    _models(_table(data, "models"), base, warn)
    _approval(_table(data, "approval"), base, warn)
    _sandbox(_table(data, "sandbox"), base, warn, error)
    _privacy(_table(data, "privacy"), base, warn, error)
    _user_only(data, layer, problems)
    _telemetry(_table(data, "telemetry"), warn)
    _verify(_table(data, "verify"), base, warn)
    return data, problems


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


def _lower_only(table: dict[str, Any], section: str, key: str, current: float | None, warn: Warn) -> None:
    if key in table and current is not None and table[key] > current:
        warn(
            (section, key),
            f"a workspace file may only lower {section}.{key} ({table[key]} > {current}); ignored",
        )
        del table[key]


def _budget(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    for key in ("per_request_usd", "daily_usd", "monthly_usd", "team_daily_usd", "team_monthly_usd"):
        _lower_only(table, "budget", key, getattr(base.budget, key), warn)


# Sections a workspace file may not set at all: a hostile repository could send every run's record
# to its own database, or charge runs to someone else's budget. An error, not a warning, so the
# whole workspace file is left out until it is fixed (the last valid settings stay in force).
_USER_ONLY = {
    "ledger": "where runs and spend are recorded",
    "identity": "who runs are charged to",
}


def _user_only(data: dict[str, Any], layer: Layer, problems: list[SettingsError]) -> None:
    for section, what in _USER_ONLY.items():
        if section not in data:
            continue
        table = data.pop(section)
        keys = list(table) if isinstance(table, dict) and table else [None]
        for key in keys:
            path: Path = (section, key) if key is not None else (section,)
            name = f"{section}.{key}" if key is not None else section
            problems.append(
                layer.problem(
                    path,
                    f"a workspace file may not set {name} ({what}); set it in the user file "
                    "or the editor's settings",
                )
            )


def _telemetry(table: dict[str, Any], warn: Warn) -> None:
    if table.get("export_content") is True:
        del table["export_content"]
        warn(
            ("telemetry", "export_content"),
            "a workspace file may not export prompts and file contents to telemetry; ignored",
        )


def _providers(providers: Any, base: Settings, warn: Warn) -> None:
    if not isinstance(providers, dict):
        return
    served = _served_by(base)
    for name, entry in providers.items():
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("models"), list):
            entry["models"] = _not_moved(name, entry["models"], served, warn)
        for key in ("base_url", "api_key_env"):
            if key in entry:
                del entry[key]
                warn(
                    ("providers", name, key),
                    f"a workspace file may not set providers.*.{key} (it could send your API key "
                    "elsewhere); set it in the user file; ignored",
                )
        if entry.get("service_tier", "standard") != "standard":
            warn(
                ("providers", name, "service_tier"),
                f'a workspace file may not choose the dearer "{entry["service_tier"]}" tier; set it in '
                "the user file; ignored",
            )
            del entry["service_tier"]
        if entry.get("local") is True:
            del entry["local"]
            warn(
                ("providers", name, "local"),
                "a workspace file may not mark a provider local (local_only files would be sent "
                "to it); set it in the user file; ignored",
            )


def _served_by(base: Settings) -> dict[str, str]:
    """Model id -> the provider that serves it under the built-ins and the user's settings."""
    from modelroute.catalog.builtin import BUILTINS  # only data; imported late: settings load first

    served = {b.id: b.provider for b in BUILTINS}
    for name, provider in base.providers.items():
        served.update(dict.fromkeys(provider.models, name))
    served.update({model_id: custom.provider for model_id, custom in base.models.add.items()})
    return served


def _not_moved(name: str, models: list[Any], served: dict[str, str], warn: Warn) -> list[Any]:
    kept = []
    for index, model_id in enumerate(models):
        owner = served.get(model_id) if isinstance(model_id, str) else None
        if owner is not None and owner != name:
            warn(
                ("providers", name, "models", index),
                f"a workspace file may not move {model_id!r} from provider {owner!r} to {name!r} (your code "
                "would go to another endpoint than the one you chose); set it in the user file; ignored",
            )
        else:
            kept.append(model_id)
    return kept


_MODEL_FIXED = ("provider", "api_model", "input_usd_per_mtok", "output_usd_per_mtok")


def _models(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    if isinstance(table.get("add"), dict):
        _model_additions(table["add"], base, warn)
    if isinstance(table.get("deny"), list):
        table["deny"] = _union(base.models.deny, table["deny"])
    if isinstance(table.get("allow"), list):
        kept = [m for i, m in enumerate(table["allow"]) if _allowed_model(m, base, i, warn)]
        if kept:
            table["allow"] = kept
        else:
            del table["allow"]


def _model_additions(added: dict[str, Any], base: Settings, warn: Warn) -> None:
    """New models, and a model's provider, API name or prices, only from the user's own settings."""
    for model_id in list(added):
        entry = added[model_id]
        if model_id not in base.models.add:
            warn(
                ("models", "add", model_id),
                f"a workspace file may not add models ({model_id!r}): a model's price is what budgets are "
                "checked against, and its provider where your code goes; add it in the user file; ignored",
            )
            del added[model_id]
            continue
        if not isinstance(entry, dict):
            continue
        for key in _MODEL_FIXED:
            if key in entry:
                warn(
                    ("models", "add", model_id, key),
                    f"a workspace file may not set models.add.*.{key} ({workspace_rule(f'models.add.*.{key}')})",
                )
                del entry[key]


def _allowed_model(pattern: Any, base: Settings, index: int, warn: Warn) -> bool:
    """Whether every id `pattern` matches is one the user's allow list already allows."""
    user = base.models.allow or ["*"]
    ok = isinstance(pattern, str) and (
        "*" in user
        or pattern in user
        or (not _has_glob(pattern) and any(fnmatch.fnmatchcase(pattern, u) for u in user))
        or any(_within_prefix(pattern, u) for u in user)
    )
    if not ok:
        warn(
            ("models", "allow", index),
            f"a workspace file may only narrow models.allow; {pattern!r} is not within your allow list "
            f"({', '.join(map(repr, user))}); ignored",
        )
    return ok


def _has_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _within_prefix(pattern: str, user: str) -> bool:
    """`claude-opus-*` is within `claude-*`: the user pattern is `PREFIX*` and the pattern starts with it."""
    if not user.endswith("*") or _has_glob(user[:-1]):
        return False
    literal = pattern[: next((i for i, c in enumerate(pattern) if c in "*?["), len(pattern))]
    return literal.startswith(user[:-1])


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


def _sandbox(table: dict[str, Any], base: Settings, warn: Warn, error: Warn) -> None:
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
    if isinstance(table.get("deny_read"), list):
        added = _no_negation(table["deny_read"], ("sandbox", "deny_read"), error)
        table["deny_read"] = _union(base.sandbox.deny_read, added)


def _privacy(table: dict[str, Any], base: Settings, warn: Warn, error: Warn) -> None:
    for key in ("exclude", "local_only"):
        if isinstance(table.get(key), list):
            added = _no_negation(table[key], ("privacy", key), error)
            table[key] = _union(getattr(base.privacy, key), added)
    if table.get("redact_secrets") is False and base.privacy.redact_secrets:
        del table["redact_secrets"]
        warn(("privacy", "redact_secrets"), "a workspace file may not turn secret redaction off; ignored")


def _verify(table: dict[str, Any], base: Settings, warn: Warn) -> None:
    # A repository that turned the test-tamper guard off could have a model "fix" it by editing its tests.
    if table.get("protect_tests") is False and base.verify.protect_tests:
        del table["protect_tests"]
        warn(("verify", "protect_tests"), "a workspace file may not turn the test-tamper guard off; ignored")
    _lower_only(table, "verify", "timeout_s", base.verify.timeout_s, warn)


def _no_negation(entries: list[Any], path: Path, error: Warn) -> list[Any]:
    """Entries that only add: a `!` pattern would re-include what an earlier pattern withholds."""
    kept = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str) and entry.startswith("!"):
            error(
                (*path, index),
                f"{entry!r} would un-withhold files (a `!` pattern re-includes what another pattern "
                "excludes); a workspace file may only add exclusions; this entry is ignored",
            )
        else:
            kept.append(entry)
    return kept


def _union(base: list[str], added: list[Any]) -> list[Any]:
    return list(dict.fromkeys([*base, *added]))
