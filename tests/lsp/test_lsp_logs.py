"""Server log lines reach the editor at their own level (window/logMessage), not as stderr that
editors show as errors; pygls' routine notices are not warnings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest_lsp
from lsp_helpers import config, idle, make_workspace
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

NOT_A_FOLDER = Path(tempfile.mkdtemp(prefix="modelroute-logs-")) / "data-is-a-file"
NOT_A_FOLDER.write_text("")


@pytest_lsp.fixture(config=config(MODELROUTE_DATA_DIR=str(NOT_A_FOLDER)))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_a_warning_is_a_warning_and_routine_notices_are_quiet(client: LanguageClient, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")]))
    client.protocol.notify("$/cancelRequest", types.CancelParams(id=12345))  # nothing to cancel
    await idle(client)
    warnings = [m.message for m in client.log_messages if m.type == types.MessageType.Warning]
    assert any("ledger unreadable" in m for m in warnings), client.log_messages
    assert not [m for m in client.log_messages if m.type == types.MessageType.Error]
    assert not any("Cancel notification" in m.message for m in client.log_messages)
