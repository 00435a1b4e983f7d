"""No API key at all, as a new user starts: the priced actions are still enabled (VS Code hides
disabled ones from the lightbulb), each says which variable it needs; choosing one tells the user
which key to set and where, and runs nothing (no request to any provider, no ledger row).

End to end over stdio; the provider addresses point at the fake provider so a request that should
not happen would be seen."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from tests.lsp.lsp_helpers import (
    SERVER_COMMAND,
    code_actions,
    command,
    idle,
    range_json,
    rng,
    server_env,
    store_workspace,
)
from tests.lsp_run.run_helpers import Setup, editor_client, open_doc
from tests.run.helpers import STORE

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = Setup()
CONFIG = ClientServerConfig(
    server_command=SERVER_COMMAND, client_factory=editor_client,
    server_env=server_env(XDG_CONFIG_HOME=str(SETUP.home / "config"), MODELROUTE_DATA_DIR=str(SETUP.data),
                          ANTHROPIC_BASE_URL=SETUP.fake.anthropic_base_url,
                          OPENAI_BASE_URL=SETUP.fake.openai_base_url),
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_workspace(tmp_path_factory.mktemp("keysws"))


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="keysws")],
    ))
    await idle(lsp_client)
    open_doc(lsp_client, (workspace / "app" / "store.py").as_uri(), STORE)
    yield
    await lsp_client.shutdown_session()


async def test_a_model_without_a_key_is_offered_and_picking_it_says_which_key(
        client: LanguageClient, workspace: Path):
    doc = (workspace / "app" / "store.py").as_uri()
    actions = await code_actions(client, doc, rng(4, 0))
    priced = [a for a in actions if a.command and a.command.command == "modelroute.run"]
    assert len(priced) >= 2 and all(a.disabled is None for a in priced), [a.title for a in actions]
    assert all(" — needs " in a.title and "needs needs" not in a.title for a in priced), [a.title for a in priced]

    result = await command(client, "modelroute.run", *priced[0].command.arguments)
    assert result["outcome"] == "error", result
    told = [m for m in client.messages if "_API_KEY" in m.message]
    assert told, [m.message for m in client.messages]
    message = told[-1].message
    assert "environment the editor starts modelroute from" in message, message  # where to set it
    assert "needs needs" not in message and "needs: needs" not in message, message
    assert SETUP.fake.model_requests() == []
    assert SETUP.rows() == []  # nothing reserved, nothing charged


async def test_the_reasons_say_what_a_model_needs_once(client: LanguageClient, workspace: Path):
    args = {"uri": (workspace / "app" / "store.py").as_uri(), "range": range_json(rng(4, 0)),
            "instruction": "add type hints and a docstring"}
    markdown = (await command(client, "modelroute.explainRoute", args))["markdown"]
    assert "_API_KEY" in markdown
    assert "needs: needs" not in markdown and "needs needs" not in markdown, markdown
