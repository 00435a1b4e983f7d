"""One state per workspace folder (each with its own `.modelroute.toml`), files outside every
folder, and the indexing progress gated on the client's capability."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsp_helpers import FILES, command, config, idle, make_workspace, open_file, range_json, rng, uri
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def _model(client: LanguageClient, root: Path, rel: str = "app/store.py") -> str:
    result = await command(
        client,
        "modelroute.route",
        {"uri": uri(root, rel), "range": range_json(rng(4, 0)), "instruction": "add type hints"},
    )
    return str(result["model"])


async def test_each_folder_has_its_own_settings_and_loose_files_work(client: LanguageClient, tmp_path: Path):
    a = make_workspace(tmp_path / "a", {**FILES, ".modelroute.toml": '[models]\nallow = ["glm-*"]\n'})
    b = make_workspace(tmp_path / "b", {**FILES, ".modelroute.toml": '[models]\nallow = ["kimi-*"]\n'})
    loose = make_workspace(tmp_path / "loose", {"app/store.py": FILES["app/store.py"]})
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=a.as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(uri=a.as_uri(), name="a"),
                types.WorkspaceFolder(uri=b.as_uri(), name="b"),
            ],
        )
    )
    await idle(client)
    open_file(client, a, "app/store.py")
    open_file(client, b, "app/store.py")
    open_file(client, loose, "app/store.py")
    assert (await _model(client, a)).startswith("glm-")
    assert (await _model(client, b)).startswith("kimi-")
    assert await _model(client, loose)  # its own directory becomes the root, never walked

    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[], removed=[types.WorkspaceFolder(uri=b.as_uri(), name="b")])
        )
    )
    await idle(client)
    assert not (await _model(client, b)).startswith("kimi-")  # b/app is now a loose folder without the policy


async def test_indexing_progress_where_supported(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim@v0.7.0"), root_uri=root.as_uri())
    )
    await idle(client)
    reports = list(client.progress_reports.values())
    assert len(reports) == 1
    kinds = [r.kind if hasattr(r, "kind") else r.get("kind") for r in reports[0]]  # type: ignore[union-attr]
    assert kinds[0] == "begin" and kinds[-1] == "end"


async def test_no_progress_for_a_client_without_the_capability(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri())
    )  # like eglot 1.9: no window caps
    await idle(client)
    assert client.progress_reports == {}


async def test_file_events_reach_the_workspace_and_invalidate_decisions(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri())
    )
    await idle(client)
    open_file(client, root, "app/store.py")
    await _model(client, root)
    before = (await idle(client))["decisions"]
    await _model(client, root)
    assert (await idle(client))["decisions"] == before  # cached
    (root / "app" / "orders.py").write_text("from app.store import load\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(root, "app/orders.py"), type=types.FileChangeType.Created)]
        )
    )
    await idle(client)
    await _model(client, root)
    assert (await idle(client))["decisions"] == before + 1  # the workspace changed: decided again
