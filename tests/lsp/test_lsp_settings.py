"""Settings from every source, and `.modelroute.toml` problems as diagnostics that clear."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import FILES, USER_CONFIG, command, config, idle, make_workspace, range_json, rng, start, uri
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

VSCODE, NVIM = "visual-studio-code", "neovim@v0.7.0"
BROKEN_USER_HOME = Path(USER_CONFIG).parent.parent.parent / "broken-user"


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=config(XDG_CONFIG_HOME=str(BROKEN_USER_HOME)))
async def broken_user_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def routed_model(client: LanguageClient, root: Path) -> str:
    result = await command(
        client,
        "modelroute.route",
        {"uri": uri(root, "app/store.py"), "range": range_json(rng(4, 0)), "instruction": "add type hints"},
    )
    return str(result["model"])


@pytest.mark.parametrize(("profile", "wrapped"), [(VSCODE, True), (NVIM, False)])
async def test_initialization_options(client: LanguageClient, tmp_path: Path, profile: str, wrapped: bool):
    root = make_workspace(tmp_path)
    settings = {"models": {"allow": ["gpt-*"]}}
    await start(client, root, profile, init_options={"modelroute": settings} if wrapped else settings)
    assert (await routed_model(client, root)).startswith("gpt-")


async def test_workspace_configuration_is_pulled_when_advertised(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    client.set_configuration({"models": {"allow": ["kimi-*"]}}, section="modelroute")
    await start(client, root, VSCODE, init_options={"modelroute": {"models": {"allow": ["gpt-*"]}}})
    assert (await routed_model(client, root)).startswith("kimi-")  # pulled beats initializationOptions
    client.set_configuration({"models": {"allow": ["glm-*"]}}, section="modelroute")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await idle(client)
    assert (await routed_model(client, root)).startswith("glm-")


async def test_did_change_configuration_payload_without_pull(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await start(client, root, NVIM)  # Neovim 0.7: no workspace/configuration
    assert not (await routed_model(client, root)).startswith("deepseek-")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"modelroute": {"models": {"allow": ["deepseek-*"]}}})
    )
    await idle(client)
    assert (await routed_model(client, root)).startswith("deepseek-")


@pytest.mark.parametrize("profile", [VSCODE, NVIM])
async def test_workspace_file_errors_appear_keep_last_settings_and_clear(
    client: LanguageClient, tmp_path: Path, profile: str
):
    root = make_workspace(tmp_path, {**FILES, ".modelroute.toml": '[models]\nallow = ["deepseek-*"]\n'})
    settings_uri = uri(root, ".modelroute.toml")
    await start(client, root, profile)
    assert (await routed_model(client, root)).startswith("deepseek-")
    assert not client.diagnostics.get(settings_uri)

    (root / ".modelroute.toml").write_text('# team policy\nobjectve = "cost"\n[models]\nallow = ["deepseek-*"]\n')
    await _saved(client, root, profile)
    diags = client.diagnostics[settings_uri]
    assert len(diags) == 1
    assert diags[0].range.start.line == 1 and diags[0].source == "modelroute"
    assert "objectve" in diags[0].message
    assert (await routed_model(client, root)).startswith("deepseek-")  # last valid settings in force

    (root / ".modelroute.toml").write_text('# team policy\nobjective = "cost"\n[models]\nallow = ["deepseek-*"]\n')
    await _saved(client, root, profile)
    assert list(client.diagnostics[settings_uri]) == []


async def test_user_file_errors_are_shown_as_a_message(broken_user_client: LanguageClient, tmp_path: Path):
    user_file = BROKEN_USER_HOME / "modelroute" / "config.toml"
    user_file.parent.mkdir(parents=True, exist_ok=True)
    user_file.write_text('objective = "cheapest"\n')
    root = make_workspace(tmp_path)
    await start(broken_user_client, root, NVIM)
    errors = [m for m in broken_user_client.messages if m.type == types.MessageType.Error]
    assert errors and "config.toml" in errors[0].message and "objective" in errors[0].message
    assert await routed_model(broken_user_client, root)  # defaults stay in force


async def test_file_watcher_is_registered_where_supported(client: LanguageClient, tmp_path: Path):
    await start(client, make_workspace(tmp_path), VSCODE)
    methods = {r.method for r in client.registrations}  # type: ignore[attr-defined]
    assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in methods


async def _saved(client: LanguageClient, root: Path, profile: str) -> None:
    """Tell the server the way each client would: a file event (VS Code) or didSave (Neovim 0.7)."""
    settings_uri = uri(root, ".modelroute.toml")
    if profile == VSCODE:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=settings_uri, type=types.FileChangeType.Changed)]
            )
        )
    else:
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=settings_uri))
        )
    await idle(client)


async def test_set_objective_command(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await start(client, root, NVIM)
    args = {"uri": uri(root, "app/store.py"), "range": range_json(rng(4, 0)), "instruction": "add type hints"}
    assert await command(client, "modelroute.setObjective", {"objective": "quality"}) == {"objective": "quality"}
    quality = await command(client, "modelroute.route", args)
    await command(client, "modelroute.setObjective", {"objective": "cost"})
    cheap = await command(client, "modelroute.route", args)
    assert cheap["estimated_cost_usd"] <= quality["estimated_cost_usd"]
    assert cheap["model"] != quality["model"]
    with pytest.raises(JsonRpcException):
        await command(client, "modelroute.setObjective", {"objective": "free"})
