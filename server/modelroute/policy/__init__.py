"""policy: settings schema, loading, merging, validation with positions, and the safety rule."""

from modelroute.policy.errors import CLIENT_SOURCE, SettingsError
from modelroute.policy.export import client_settings_from_vscode, json_schema, vscode_configuration
from modelroute.policy.resolve import (
    WORKSPACE_FILE_NAME,
    Resolved,
    deep_merge,
    resolve_settings,
    user_config_path,
    workspace_config_path,
)
from modelroute.policy.schema import Settings

__all__ = [
    "CLIENT_SOURCE",
    "WORKSPACE_FILE_NAME",
    "Resolved",
    "Settings",
    "SettingsError",
    "client_settings_from_vscode",
    "deep_merge",
    "json_schema",
    "resolve_settings",
    "user_config_path",
    "vscode_configuration",
    "workspace_config_path",
]
