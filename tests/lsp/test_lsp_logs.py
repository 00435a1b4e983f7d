"""Server log lines reach the editor at their own level (window/logMessage), not as stderr that
editors show as errors; pygls' routine notices are not warnings."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest_lsp
from lsp_helpers import config, idle, make_client, make_workspace, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

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


async def test_status_on_a_ledger_that_cannot_open_says_so(client: LanguageClient, tmp_path: Path) -> None:
    """The status bar asks for modelroute.status at start: a ledger that cannot be opened is an
    answer that says so (no failed request, which editors log as an error, and no traceback)."""
    root = make_workspace(tmp_path)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")]))
    await idle(client)
    status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.status"))
    assert status["objective"] == "balanced" and "spent_today_usd" not in status, status
    assert "ledger cannot be read" in status["ledger_error"] and str(NOT_A_FOLDER) in status["ledger_error"], status
    await idle(client)
    assert not [m for m in client.log_messages if m.type == types.MessageType.Error], client.log_messages


DEBUG_SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "modelroute.cli", "serve", "--log-level", "debug"],
    client_factory=make_client, server_env=server_env(),
)


@pytest_lsp.fixture(config=DEBUG_SERVER)
async def debug_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_log_level_debug_sends_debug_lines_as_debug_and_keeps_serving(
        debug_client: LanguageClient, tmp_path: Path) -> None:
    """`serve --log-level debug`: debug chatter is MessageType.Log (not Info or Warning); sending a
    log line, which pygls itself logs at DEBUG, never feeds back into another log line."""
    root = make_workspace(tmp_path)
    await debug_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri()))
    await idle(debug_client)
    sent = len(debug_client.log_messages)
    for _ in range(3):
        await idle(debug_client)
    debug = [m for m in debug_client.log_messages if m.type == types.MessageType.Log]
    assert debug, [m.message[:80] for m in debug_client.log_messages[:20]]
    assert not [m for m in debug_client.log_messages if m.type == types.MessageType.Error]
    # three requests add a bounded handful of lines (each request's own traffic), not a feedback loop
    assert len(debug_client.log_messages) - sent < 60, len(debug_client.log_messages) - sent


def test_an_unknown_log_level_is_a_clear_error() -> None:
    done = subprocess.run([sys.executable, "-m", "modelroute.cli", "serve", "--log-level", "loud"],
                          capture_output=True, text=True, env=server_env(), timeout=60)
    assert done.returncode == 2, done
    assert "'loud' is not a log level: choose from DEBUG, INFO, WARNING, ERROR" in done.stderr, done.stderr
