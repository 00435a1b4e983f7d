"""Bad input answers with errors or empty results, never a crash; a thousand random requests
later the server still routes."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import SERVER_COMMAND, command, config, make_workspace, range_json, rng, server_env, start, uri
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_unknown_uris_and_positions_out_of_range(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await start(client, root, "visual-studio-code")
    for bad in ("file:///nope/missing.py", "untitled:Untitled-1", "https://example.com/x.py", uri(root, "app")):
        res = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=bad),
                range=rng(0, 0),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert res is None
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=bad), position=types.Position(line=0, character=0)
            )
        )
        assert hover is None
    far = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(root, "app/store.py")),
            range=rng(9999, 9999),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert far is None
    # An unopened file on disk still works: it is read from disk.
    unopened = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(root, "scripts/build.sh")),
            range=rng(2, 0),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert unopened


async def test_commands_reject_malformed_arguments(client: LanguageClient, tmp_path: Path):
    root = make_workspace(tmp_path)
    await start(client, root, "neovim@v0.7.0")
    good = {"uri": uri(root, "app/store.py"), "range": range_json(rng(4, 0)), "instruction": "x"}
    for args in (
        [],
        [{}],
        [{"uri": 3}],
        [good, good],
        ["text"],
        [{**good, "range": {"start": 1}}],
        [{**good, "uri": "file:///nope/x.py"}],
        [{**good, "range": range_json(rng(10**6, 0))}],
    ):
        if (args and args[0] == good) or (
            args and isinstance(args[0], dict) and args[0].get("range") == range_json(rng(10**6, 0))
        ):
            continue
        with pytest.raises(JsonRpcException):
            await command(client, "modelroute.route", *args)
    with pytest.raises(JsonRpcException):
        await command(client, "modelroute.nope", good)
    # A range past the end is clamped, not an error.
    assert (await command(client, "modelroute.route", {**good, "range": range_json(rng(10**6, 0))}))["model"]


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    choice = rnd.randrange(8 if depth < 2 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rnd.randint(-(2**33), 2**33)
    if choice == 2:
        return rnd.choice(["", "file:///", "file:///etc/passwd", "\x00", "AI!", "é" * 50])
    if choice == 3:
        return rnd.random()
    if choice == 4:
        return rnd.choice([True, False])
    if choice == 5:
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randrange(3))]
    keys = [
        "textDocument",
        "range",
        "position",
        "context",
        "uri",
        "start",
        "end",
        "line",
        "character",
        "command",
        "arguments",
        "settings",
        "changes",
    ]
    return {rnd.choice(keys): _random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))}


class RawClient:
    """A bare JSON-RPC client over the server's stdio: sends anything, pytest-lsp's typing aside."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.next_id = 0

    def send(self, message: dict[str, Any] | bytes) -> None:
        body = message if isinstance(message, bytes) else json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while (line := await self.proc.stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(await self.proc.stdout.readexactly(length))

    async def request(self, method: str, params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        self.send({"id": my_id, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self.read(), 30)
            if msg.get("id") == my_id and "method" not in msg:
                return msg
            if "method" in msg and "id" in msg:  # a server request: answer it plainly
                self.send({"id": msg["id"], "result": None})


async def test_a_thousand_random_requests(tmp_path: Path):
    root = make_workspace(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=server_env(),
    )
    raw = RawClient(proc)
    try:
        init = await raw.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        assert "capabilities" in init["result"]
        raw.send({"method": "initialized", "params": {}})
        doc = uri(root, "app/store.py")
        raw.send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": doc,
                        "languageId": "python",
                        "version": 1,
                        "text": (root / "app/store.py").read_text(),
                    }
                },
            }
        )
        rnd = random.Random(1234)
        methods = [
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.TEXT_DOCUMENT_HOVER,
            types.WORKSPACE_EXECUTE_COMMAND,
            types.CODE_ACTION_RESOLVE,
            types.TEXT_DOCUMENT_INLAY_HINT,
            "modelroute/unknown",
        ]
        notifications = [
            types.WORKSPACE_DID_CHANGE_CONFIGURATION,
            types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            types.TEXT_DOCUMENT_DID_SAVE,
            types.TEXT_DOCUMENT_DID_CHANGE,
        ]
        outcomes = {"result": 0, "error": 0}
        for i in range(1000):
            params = _random_value(rnd)
            if i % 3 == 0:  # half-valid shapes reach deeper code
                params = {
                    "textDocument": {"uri": rnd.choice([doc, "file:///x", "bad"])},
                    "range": {
                        "start": {"line": rnd.randint(0, 50), "character": rnd.randint(0, 200)},
                        "end": {"line": rnd.randint(0, 50), "character": rnd.randint(0, 200)},
                    },
                    "position": {"line": rnd.randint(0, 50), "character": rnd.randint(0, 200)},
                    "context": {"diagnostics": [], "only": rnd.choice([None, ["refactor"], ["x"]])},
                    "command": rnd.choice(["modelroute.route", "modelroute.explainRoute", "nope"]),
                    "arguments": [_random_value(rnd)],
                }
            if i % 10 == 9:
                raw.send({"method": rnd.choice(notifications), "params": params})
                continue
            if i % 50 == 7:
                raw.send(b"{not json")
                continue
            method = rnd.choice(methods)
            try:
                reply = await raw.request(method, params)
            except TimeoutError:
                pytest.fail(f"no answer to request {i}: {method} {params!r}")
            outcomes["error" if "error" in reply else "result"] += 1
        assert sum(outcomes.values()) >= 800 and outcomes["error"] > 0, outcomes
        reply = await raw.request(
            types.TEXT_DOCUMENT_CODE_ACTION,
            {"textDocument": {"uri": doc}, "range": range_json(rng(4, 0)), "context": {"diagnostics": []}},
        )
        assert reply["result"] and reply["result"][0]["title"], reply
        assert proc.returncode is None
    finally:
        proc.kill()
        await proc.wait()
