"""Shared set-up for the pytest-lsp tests: real temp workspaces, a clean server environment and a
test client with the lsprotocol CodeAction quirk worked around."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

from modelroute_testing.env import scrubbed_env

PROFILES = ("visual-studio-code", "neovim@v0.7.0")

_HOME = Path(tempfile.mkdtemp(prefix="modelroute-lsp-test-"))


def server_env(**extra: str) -> dict[str, str]:
    env = scrubbed_env()
    env.update(
        XDG_CONFIG_HOME=str(_HOME / "config"),
        XDG_CACHE_HOME=str(_HOME / "cache"),
        XDG_DATA_HOME=str(_HOME / "data"),
        XDG_STATE_HOME=str(_HOME / "state"),
    )
    env.update(extra)
    return env


USER_CONFIG = _HOME / "config" / "modelroute" / "config.toml"
CACHE_DIR = _HOME / "cache"

SERVER_COMMAND = [sys.executable, "-m", "modelroute.lsp.main"]

PY = """\
import json


def load(path):
    # add type hints and a docstring AI!
    with open(path) as f:
        return json.load(f)


def total(items):
    return sum(i["price"] for i in items)
"""
TS = """\
export function greet(name: string): string {
  // AI? why does this return a template string
  return `hello ${name}`;
}
"""
SH = """\
#!/bin/sh
set -eu
# write a Dockerfile and a Makefile target that builds and tests this project AI!
echo building
"""
HTML = """\
<!doctype html>
<html>
  <body>
    <!-- AI! build a pricing page with three plan cards and a toggle for yearly billing -->
  </body>
</html>
"""
FILES = {
    "app/store.py": PY,
    "web/greet.ts": TS,
    "scripts/build.sh": SH,
    "web/index.html": HTML,
    "README.md": "# demo\n",
    "tests/test_store.py": "from app.store import total\n",
}
LANG = {".py": "python", ".ts": "typescript", ".sh": "shellscript", ".html": "html", ".md": "markdown"}
DIRECTIVE_LINE = {"app/store.py": 4, "web/greet.ts": 1, "scripts/build.sh": 2, "web/index.html": 3}


def make_workspace(root: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or FILES).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def store_workspace(root: Path, files: dict[str, str] | None = None) -> Path:
    """The run tests' workspace: `app/store.py` (tests/run/helpers.STORE) and `files` (path: text)."""
    from tests.run.helpers import STORE

    make_workspace(root, {"app/store.py": STORE, **(files or {})})
    return root


def uri(root: Path, rel: str) -> str:
    return (root / rel).as_uri()


def make_client() -> LanguageClient:
    """pytest-lsp's client, plus: CodeAction results keep their type; registrations are recorded."""
    client = make_test_lsp_client()
    converter = client.protocol._converter

    def action_or_command(obj: Any, _: Any) -> types.CodeAction | types.Command:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], action_or_command)  # noqa: UP007
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    return client


def config(**env: str) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client, server_env=server_env(**env))


async def start(
    client: LanguageClient,
    root: Path,
    profile: str,
    *,
    init_options: Any = None,
    open_files: tuple[str, ...] = tuple(FILES),
) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=init_options,
        )
    )
    await idle(client)
    for rel in open_files:
        open_file(client, root, rel)


async def idle(client: LanguageClient) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))


def open_file(client: LanguageClient, root: Path, rel: str, text: str | None = None, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(root, rel),
                language_id=LANG[Path(rel).suffix],
                version=version,
                text=text if text is not None else (root / rel).read_text(),
            )
        )
    )


def rng(l1: int, c1: int, l2: int | None = None, c2: int | None = None) -> types.Range:
    return types.Range(
        start=types.Position(line=l1, character=c1),
        end=types.Position(line=l1 if l2 is None else l2, character=c1 if c2 is None else c2),
    )


async def code_actions(
    client: LanguageClient, doc_uri: str, r: types.Range, only: list[str] | None = None
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc_uri),
            range=r,
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    actions = list(result or [])
    assert all(isinstance(a, types.CodeAction) for a in actions), actions
    return actions  # type: ignore[return-value]


async def command(client: LanguageClient, name: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=list(args)))


def range_json(r: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }
