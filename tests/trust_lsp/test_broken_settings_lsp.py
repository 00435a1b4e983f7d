"""A broken `.modelroute.toml` while serving, for the cases `modelroute route` exits 2 on
(tests/trust/test_broken_settings.py: bad TOML, a wrong type, an unknown key, a bad enum value):
the server publishes the error as a diagnostic on the file at the same line and key, keeps routing
with the last valid settings, and fixing the file clears it and applies the new settings.
(tests/lsp/test_lsp_settings.py covers an unknown top-level key with both client profiles.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.lsp_helpers import FILES, command, config, idle, make_workspace, open_file, range_json, rng, uri
from tests.trust.test_broken_settings import CASES

pytestmark = pytest.mark.asyncio(loop_scope="module")

VALID = '[models]\nallow = ["deepseek-*"]\n'
FIXED = '[models]\nallow = ["gpt-*"]\n'


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("brokenws"), {**FILES, ".modelroute.toml": VALID})


@pytest_lsp.fixture(config=config(), scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="brokenws")],
        )
    )
    await idle(lsp_client)
    open_file(lsp_client, workspace, "app/store.py")
    yield
    await lsp_client.shutdown_session()


async def write_settings(client: LanguageClient, workspace: Path, text: str) -> list[types.Diagnostic]:
    """Write the file, tell the server as VS Code's file watcher does, return its diagnostics."""
    (workspace / ".modelroute.toml").write_text(text)
    settings_uri = uri(workspace, ".modelroute.toml")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=settings_uri, type=types.FileChangeType.Changed)]
        )
    )
    await idle(client)
    return list(client.diagnostics.get(settings_uri, []))


async def routed_model(client: LanguageClient, workspace: Path) -> str:
    args = {"uri": uri(workspace, "app/store.py"), "range": range_json(rng(4, 0)), "instruction": "add type hints"}
    return str((await command(client, "modelroute.route", args))["model"])


@pytest.mark.parametrize("case", sorted(CASES))
async def test_broken_settings_are_a_diagnostic_and_the_last_valid_stay(
    client: LanguageClient, workspace: Path, case: str
) -> None:
    text, line, key, words = CASES[case]
    assert await write_settings(client, workspace, VALID) == []
    assert (await routed_model(client, workspace)).startswith("deepseek-")

    [diag] = await write_settings(client, workspace, text)
    assert diag.range.start.line == line - 1, diag
    assert diag.severity == types.DiagnosticSeverity.Error and diag.source == "modelroute"
    if key is not None:
        assert key in diag.message, diag.message
    assert words.lower() in diag.message.lower(), diag.message
    assert "Traceback" not in diag.message
    assert (await routed_model(client, workspace)).startswith("deepseek-")  # the last valid settings
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(workspace, "app/store.py")),
            range=rng(4, 0),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions, "no code actions while the settings file is broken"

    assert await write_settings(client, workspace, FIXED) == []
    assert (await routed_model(client, workspace)).startswith("gpt-")  # the fixed file is in force
