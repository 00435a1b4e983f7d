"""A real Jupyter server with jupyter-lsp on 127.0.0.1: the modelroute spec is found through its
entry point, and the language server answers priced code actions for a directive in a notebook
cell, sent as JupyterLab sends it (a virtual document of joined cells) over jupyter-lsp's WebSocket."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import WebSocketClientConnection, websocket_connect

from modelroute.jupyter import spec
from modelroute_testing.env import scrubbed_env

pytest.importorskip("jupyter_lsp")
pytestmark = pytest.mark.asyncio(loop_scope="module")

ENTRY_POINT = "modelroute = modelroute.jupyter:spec"
CELLS = [
    "import pandas as pd\nsales = pd.read_csv('sales.csv')\nsales['revenue'].sum()",
    "monthly = sales.groupby('month').sum()\n# plot revenue by month AI!",
]
NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    "cells": [
        {"cell_type": "code", "source": CELLS[0], "metadata": {}, "execution_count": 1, "outputs": [
            {"output_type": "error", "ename": "KeyError", "evalue": "'revenue'",
             "traceback": ["KeyError  Traceback (most recent call last)", "KeyError: 'revenue'"]}]},
        {"cell_type": "markdown", "source": "## Monthly revenue", "metadata": {}},
        {"cell_type": "code", "source": CELLS[1], "metadata": {}, "execution_count": None, "outputs": []},
    ],
}
# JupyterLab's virtual document: blocks `text + "\n"` joined by two newlines; a markdown cell is one empty line
VIRTUAL_TEXT = f"{CELLS[0]}\n\n\n\n\n\n{CELLS[1]}\n"
DIRECTIVE_LINE = 9


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spec_dist(folder: Path) -> Path | None:
    """Until the package's own metadata carries the entry point, a tiny dist-info on PYTHONPATH does."""
    if any(ep.value == "modelroute.jupyter:spec" for ep in entry_points(group="jupyter_lsp_spec_v1")):
        return None
    info = folder / "modelroute_jupyter_spec-0.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: modelroute-jupyter-spec\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text(f"[jupyter_lsp_spec_v1]\n{ENTRY_POINT}\n")
    return folder


class Server:
    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"


@pytest.fixture(scope="module")
def jupyter() -> Iterator[Server]:
    base = Path(tempfile.mkdtemp(prefix="modelroute-jupyter-"))
    root = base / "work"
    root.mkdir()
    (root / "analysis.ipynb").write_text(json.dumps(NOTEBOOK))
    (root / ".modelroute.toml").write_text('objective = "cost"\n')
    env = scrubbed_env()
    extra = _spec_dist(base / "dist")
    if extra is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(extra), env.get("PYTHONPATH", "")) if p)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "XDG_CONFIG_HOME",
                 "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "IPYTHONDIR"):
        env[name] = str(base / name.lower())
    token, port = secrets.token_hex(16), _free_port()
    log = base / "jupyter.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--ServerApp.jpserver_extensions=jupyter_lsp=True"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root,
        )
    server = Server(root, port, token, proc, log)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _get_json(server: Server, path: str, timeout: float = 30.0) -> Any:
    client = AsyncHTTPClient()
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = await client.fetch(server.url(path), request_timeout=5)
            return json.loads(response.body)
        except Exception as exc:
            if server.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"jupyter server not answering {path}:\n{server.log.read_text()[-3000:]}") from exc
            await asyncio.sleep(0.2)


class Rpc:
    """JSON-RPC over jupyter-lsp's WebSocket: one message per text frame, no Content-Length headers."""

    def __init__(self, ws: WebSocketClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.logs: list[str] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.write_message(json.dumps({"jsonrpc": "2.0", **message}))

    def notify(self, method: str, params: Any) -> Any:
        return self.send({"method": method, "params": params})

    async def request(self, method: str, params: Any, timeout: float = 60.0) -> Any:
        self.next_id += 1
        my_id = self.next_id
        await self.send({"id": my_id, "method": method, "params": params})
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.ws.read_message()
                assert raw is not None, "the WebSocket closed"
                msg = json.loads(raw)
                if "method" in msg and "id" in msg:  # a request from the server: configuration, registration...
                    result: Any = [None] * len(msg["params"]["items"]) if msg["method"] == "workspace/configuration" \
                        else None
                    await self.send({"id": msg["id"], "result": result})
                elif "method" in msg:
                    self.logs.append(json.dumps(msg.get("params"))[:300])
                elif msg.get("id") == my_id:
                    assert "error" not in msg, msg["error"]
                    return msg.get("result")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rpc(jupyter: Server) -> AsyncIterator[Rpc]:
    await _get_json(jupyter, "/api")
    ws = await websocket_connect(f"ws://127.0.0.1:{jupyter.port}/lsp/ws/modelroute?token={jupyter.token}")
    conn = Rpc(ws)
    caps = {"textDocument": {"codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
        "", "refactor", "refactor.rewrite", "quickfix"]}}, "isPreferredSupport": True}},
        "workspace": {"configuration": True, "workspaceFolders": True}}
    result = await conn.request("initialize", {"processId": None, "rootUri": jupyter.root.as_uri(),
                                               "capabilities": caps, "workspaceFolders": None})
    assert result["serverInfo"]["name"] == "modelroute"
    await conn.notify("initialized", {})
    await conn.notify("textDocument/didOpen", {"textDocument": {
        "uri": (jupyter.root / ".virtual_documents" / "analysis.ipynb").as_uri(), "languageId": "python",
        "version": 1, "text": VIRTUAL_TEXT}})
    await conn.request("workspace/executeCommand", {"command": "modelroute.idle", "arguments": []})
    yield conn
    ws.close()


async def test_status_lists_the_modelroute_spec(jupyter: Server) -> None:
    deadline = time.monotonic() + 30
    while True:
        status = await _get_json(jupyter, "/lsp/status")
        if "modelroute" in status["specs"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    found = status["specs"].get("modelroute")
    assert found is not None, (status, jupyter.log.read_text()[-3000:])
    expected = spec()["modelroute"]
    assert found["argv"]  # jupyter-lsp censors argv in /lsp/status; the spec itself is checked here
    assert expected["argv"] == [sys.executable, "-m", "modelroute.cli", "serve"]
    assert {"python", "r", "julia", "sql", "markdown"} <= set(found["languages"])
    assert found["version"] == 2 and found["display_name"].startswith("modelroute")


async def test_directive_in_a_cell_gets_priced_code_actions(jupyter: Server, rpc: Rpc) -> None:
    uri = (jupyter.root / ".virtual_documents" / "analysis.ipynb").as_uri()
    position = {"line": DIRECTIVE_LINE, "character": 5}
    actions = await rpc.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": position, "end": position},
        "context": {"diagnostics": []}})
    priced = [a for a in actions or [] if a.get("command", {}).get("command") == "modelroute.run"]
    assert len(priced) >= 2, (actions, rpc.logs)
    assert all("$" in a["title"] and " with " in a["title"] for a in priced), [a["title"] for a in priced]
    args = priced[0]["command"]["arguments"][0]
    assert args["uri"] == uri and args["range"]["start"]["line"] == DIRECTIVE_LINE
    assert args["instruction"] == "plot revenue by month"
    types.CodeAction(title=priced[0]["title"])  # the title is a plain string a client can show


async def test_route_uses_the_notebook_context_when_the_feature_is_wired(jupyter: Server, rpc: Rpc) -> None:
    from modelroute.lsp.main import create_server

    if types.NOTEBOOK_DOCUMENT_DID_OPEN not in create_server().protocol.fm.features:
        pytest.skip("lsp/notebooks.register is not wired into lsp/main.py yet")
    uri = (jupyter.root / ".virtual_documents" / "analysis.ipynb").as_uri()
    line = {"line": DIRECTIVE_LINE, "character": 0}
    routed = await rpc.request("workspace/executeCommand", {"command": "modelroute.route", "arguments": [
        {"uri": uri, "range": {"start": line, "end": line}, "instruction": "plot revenue by month"}]})
    assert routed["notebook"] == {"file": "analysis.ipynb", "active_cell": 2, "cells": 3}
