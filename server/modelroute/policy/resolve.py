"""Merge the settings sources in order and apply the safety rule (DESIGN 2.4).

defaults < user file < workspace `.modelroute.toml` < client (`workspace/configuration`).
Tables merge key by key; any other value, lists included, replaces the lower one (except the
lists the safety rule makes additive for the workspace file). A layer with any error is left
out whole; if `previous` settings are given and any layer is invalid, they stay in force.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from modelroute.policy.errors import SettingsError
from modelroute.policy.export import client_settings_from_vscode
from modelroute.policy.loader import Layer, check, client_layer, dotted_key, read_toml
from modelroute.policy.narrowing import narrow_client, narrow_workspace
from modelroute.policy.schema import Settings

WORKSPACE_FILE_NAME = ".modelroute.toml"

LayerKind = Literal["user", "workspace", "client"]


@dataclass
class Resolved:
    settings: Settings
    errors: list[SettingsError] = field(default_factory=list)
    warnings: list[SettingsError] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    """Dotted key -> the file (or client) whose value is in force; keys left at defaults are absent."""
    kept_previous: bool = False
    """True when an invalid layer made the previous settings stay in force."""

    @property
    def ok(self) -> bool:
        return not self.errors


def user_config_path() -> Path:
    """$XDG_CONFIG_HOME/modelroute/config.toml; a relative XDG_CONFIG_HOME is ignored, per the spec."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "modelroute" / "config.toml"


def workspace_config_path(workspace: Path) -> Path:
    return workspace / WORKSPACE_FILE_NAME


def resolve_settings(
    *,
    user_file: Path | None,
    workspace_file: Path | None,
    client: Mapping[str, Any] | None,
    previous: Settings | None = None,
) -> Resolved:
    errors: list[SettingsError] = []
    warnings: list[SettingsError] = []
    sources: dict[str, str] = {}
    merged: dict[str, Any] = {}
    settings = Settings()
    invalid = False

    for kind, layer, read_errors in _layers(user_file, workspace_file, client):
        if read_errors or layer is None:
            errors.extend(read_errors)
            invalid = invalid or bool(read_errors)
            continue
        validated, layer_errors = check(layer, deep_merge(merged, layer.data))
        if validated is None:
            errors.extend(_sorted(layer_errors))
            invalid = True
            continue
        data, narrowed_problems = _narrow(kind, layer, settings)
        refused = [p for p in narrowed_problems if p.severity == "error" and not p.rest_applies]
        if refused:  # a key the safety rule forbids outright (e.g. ledger.url): the layer is left out
            errors.extend(_sorted(refused))
            invalid = True
            continue
        # Refused entries: warnings, or errors where they would un-withhold something (a `!` pattern).
        # Either way the entry is dropped and the rest of the layer (which only narrows) still applies.
        warnings.extend(_sorted([p for p in narrowed_problems if p.severity == "warning"]))
        errors.extend(_sorted([p for p in narrowed_problems if p.severity == "error"]))
        candidate = deep_merge(merged, data)
        narrowed, late_errors = check(layer, candidate)
        if narrowed is None:  # narrowing only removes keys or grows lists; kept as a guard
            errors.extend(_sorted(late_errors))
            invalid = True
            continue
        merged, settings = candidate, narrowed
        for key in _leaf_keys(data):
            sources[key] = layer.name

    if invalid and previous is not None:
        return Resolved(previous, errors, warnings, sources, kept_previous=True)
    return Resolved(settings, errors, warnings, sources)


def _layers(
    user_file: Path | None, workspace_file: Path | None, client: Mapping[str, Any] | None
) -> list[tuple[LayerKind, Layer | None, list[SettingsError]]]:
    out: list[tuple[LayerKind, Layer | None, list[SettingsError]]] = []
    if user_file is not None:
        out.append(("user", *read_toml(user_file)))
    if workspace_file is not None:
        out.append(("workspace", *read_toml(workspace_file)))
    if client:
        out.append(("client", client_layer(client_settings_from_vscode(client)), []))
    return out


def _narrow(kind: LayerKind, layer: Layer, base: Settings) -> tuple[dict[str, Any], list[SettingsError]]:
    if kind == "workspace":
        return narrow_workspace(layer, base)
    if kind == "client":
        return narrow_client(layer, base)
    return layer.data, []


def deep_merge(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else in `upper` (lists too) replaces `lower`'s value."""
    out = dict(lower)
    for key, value in upper.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = deep_merge(below, value)
        else:
            out[key] = value
    return out


def _leaf_keys(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            keys.extend(_leaf_keys(value, path))
        else:
            keys.append(dotted_key(path))
    return keys


def _sorted(problems: list[SettingsError]) -> list[SettingsError]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0, p.key))
