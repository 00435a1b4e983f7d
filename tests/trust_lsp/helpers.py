"""Shared pieces for the trust tests of the server: a refusing editor client and its configuration."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp_run.run_helpers import Setup, editor_client


def refusing_client() -> LanguageClient:
    """`editor_client`, plus `client.refuse`: when set, applyEdit answers applied=false with it as
    the reason (the user pressed Discard in the refactor preview)."""
    client = editor_client()
    client.refuse = None  # type: ignore[attr-defined]
    features = client.protocol.fm.features
    applying = features[types.WORKSPACE_APPLY_EDIT]

    def apply(params: types.ApplyWorkspaceEditParams) -> Any:
        reason = client.refuse  # type: ignore[attr-defined]
        if reason is not None:
            client.refused.append(params)  # type: ignore[attr-defined]
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=reason)
        return applying(params)

    client.refused = []  # type: ignore[attr-defined]
    features[types.WORKSPACE_APPLY_EDIT] = apply
    return client


def config_with(setup: Setup, **env: str) -> ClientServerConfig:
    base = setup.config()
    return ClientServerConfig(
        server_command=base.server_command,
        client_factory=refusing_client,
        server_env={**(base.server_env or {}), **env},
    )
