"""How a code-action answer is built and sent, on a real server object with a real Engine: a new
directive decision's strategy offers are priced before it answers (off the event loop) and laid out
again for later versions; a cached answer's JSON text is encoded once and sent with a Content-Length
in bytes, whatever characters its titles hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace
from test_session_cache import directive_entry, edit, open_doc

from modelroute.catalog.providers import default_providers
from modelroute.lsp import offers
from modelroute.lsp.actions import directive_json
from modelroute.lsp.main import create_server
from modelroute.lsp.protocol import Serialized
from modelroute.lsp.server import ModelrouteServer
from modelroute.run.calibrate import cached_rates

TEXT = ("import json\n\n\ndef load(path):\n"
        "    # split this loader into a reader and a validator and update every caller AI!\n"
        "    with open(path) as f:\n        return json.load(f)\n")


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every built-in provider configured (no call is made: code actions only route and price)."""
    for provider in default_providers().values():
        assert provider.api_key_env
        monkeypatch.setenv(provider.api_key_env, "test-dummy-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9")


def server_for(root: Path) -> ModelrouteServer:
    server = create_server()  # with the code actions' hook on the decision cache
    server.protocol._workspace = Workspace(root.as_uri())
    server.protocol.client_capabilities = types.ClientCapabilities()
    state, _ = server.session.registry.add_folder(root)
    server.start_state(state)
    return server


def params(uri: str, line: int) -> types.CodeActionParams:
    at = types.Position(line=line, character=6)
    return types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                  range=types.Range(start=at, end=at), context=types.CodeActionContext(diagnostics=[]))


async def test_a_new_decisions_offers_are_priced_before_it_answers(tmp_path: Path, keys: None) -> None:
    server = server_for(tmp_path)
    await server.idle()
    uri = (tmp_path / "orders.py").as_uri()
    open_doc(server, uri, TEXT)
    query, directive, entry = await directive_entry(server, uri)
    assert entry.routed is not None and entry.routed.decision.category.edits_code
    rates = cached_rates(server.session.runs)  # the priors: a new object at each call
    prepared = offers._known(entry.id, rates)
    assert prepared, "the decision was installed before its strategy offers were priced"

    answer = directive_json(server, query, directive, params(uri, directive.line), entry)
    titles = [a["title"] for a in answer]
    assert [t for t, _ in prepared] == titles[-1 - len(prepared):-1]  # beside the models, before "Why"
    run_args = [a["command"]["arguments"][0] for a in answer if a["command"]["command"] == "modelroute.run"]
    assert {"strategy", "uri", "range", "instruction"} <= set(run_args[-1])  # each offer runs what it shows

    edit(server, uri, 2, 7, "# edit 2\n")  # the earlier decision answers at once; the new one follows, offers first
    _, _, stale = await directive_entry(server, uri)
    assert stale is entry
    await server.idle()
    query, directive, fresh = await directive_entry(server, uri)
    assert fresh is not entry and offers._known(fresh.id, cached_rates(server.session.runs))
    await server.idle()


def test_a_serialized_answer_is_encoded_once_and_its_length_counts_bytes() -> None:
    server = create_server()
    sent: list[bytes] = []

    class Pipe:  # stands for the client's end of stdout
        def write(self, data: bytes) -> None:
            sent.append(data)

        def close(self) -> None:
            pass

    server.protocol.set_writer(Pipe())  # type: ignore[arg-type]
    answer = Serialized([{"title": "Refactor with Claude Opus 4.6 · ~$0.03 → naïve", "kind": "modelroute.answer"}])
    server.protocol._send_response(7, result=answer)
    server.protocol._send_response("eight", result=answer)
    assert answer._encoded is not None
    for data, msg_id in zip(sent, (7, "eight"), strict=True):
        header, _, body = data.partition(b"\r\n\r\n")
        assert int(header.split(b"\r\n")[0].removeprefix(b"Content-Length: ")) == len(body)
        assert json.loads(body) == {"jsonrpc": "2.0", "id": msg_id, "result": list(answer)}


async def test_the_kept_answer_follows_the_range_asked(tmp_path: Path) -> None:
    """A cursor on the directive runs on its line; a selection over lines from it runs on the
    selection; asking again with the cursor gives the line's answer again, from the cache."""
    server = server_for(tmp_path)
    await server.idle()
    uri = (tmp_path / "orders.py").as_uri()
    open_doc(server, uri, TEXT)
    query, directive, entry = await directive_entry(server, uri)
    line_end = len(TEXT.splitlines()[directive.line])
    ranges = []
    for asked in (params(uri, directive.line), params(uri, directive.line), None):
        if asked is None:
            start, end = types.Position(line=directive.line, character=4), types.Position(line=6, character=3)
            asked = types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                           range=types.Range(start=start, end=end),
                                           context=types.CodeActionContext(diagnostics=[]))
        answer = directive_json(server, query, directive, asked, entry)
        ranges.append(answer[0]["command"]["arguments"][0]["range"])
    again = directive_json(server, query, directive, params(uri, directive.line), entry)
    line = {"start": {"line": directive.line, "character": 0}, "end": {"line": directive.line, "character": line_end}}
    assert ranges == [line, line, {"start": {"line": directive.line, "character": 4},
                                   "end": {"line": 6, "character": 3}}]
    assert again[0]["command"]["arguments"][0]["range"] == line
    await server.idle()
