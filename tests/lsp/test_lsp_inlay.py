"""Inlay hints are offered only to clients that show them (Neovim 0.10 here; not Neovim 0.7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_lsp
from lsp_helpers import config, idle, make_workspace, open_file, rng, uri
from lsprotocol import types
from pytest_lsp import LanguageClient


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_inlay_hint_at_end_of_directive_line(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    result = await client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("neovim@v0.10.0"), root_uri=root.as_uri())
    )
    assert result.capabilities.inlay_hint_provider
    await start_files(client, root)
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri(root, "app/store.py")), range=rng(0, 0, 12, 0)
        )
    )
    assert len(hints) == 1
    hint = hints[0]
    line = (root / "app/store.py").read_text().splitlines()[4]
    assert hint.position == types.Position(line=4, character=len(line))
    assert re.fullmatch(r"→ .+ · (~\$[0-9.]+|\$0|<\$0\.0001)", hint.label), hint.label

    # A settings change may route elsewhere: the client is told to ask again.
    refreshes: list[None] = []
    client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)(lambda params: refreshes.append(None))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"modelroute": {"models": {"allow": ["glm-*"]}}})
    )
    await idle(client)
    assert refreshes
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri(root, "app/store.py")), range=rng(0, 0, 12, 0)
        )
    )
    assert "GLM" in str(hints[0].tooltip)  # display name; the label has the short name


async def test_no_inlay_provider_for_neovim_07(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    result = await client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("neovim@v0.7.0"), root_uri=root.as_uri())
    )
    assert result.capabilities.inlay_hint_provider is None


async def start_files(client: LanguageClient, root: Path) -> None:
    await idle(client)
    open_file(client, root, "app/store.py")
