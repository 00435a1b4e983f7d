"""Random LSP messages with hypothesis: any method lsprotocol knows (requests and notifications)
with arbitrary JSON params, plus malformed JSON-RPC frames written raw to the server's stdin. The
server never dies, answers every request with a result or a well-formed error, and still routes.

Out of scope: a Content-Length that disagrees with the body desynchronises the stream itself;
no server can find the next message boundary after that."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from tests.lsp.lsp_helpers import SERVER_COMMAND, make_workspace, range_json, rng, server_env, uri

ANSWER_S = 10.0
# exit/shutdown end a session by design; everything else must be survivable.
METHODS = sorted(set(types.METHOD_TO_TYPES) - {types.EXIT, types.SHUTDOWN})
COMMANDS = [
    "modelroute.route",
    "modelroute.explainRoute",
    "modelroute.status",
    "modelroute.idle",
    "modelroute.report",
    "modelroute.clearReview",
    "modelroute.setObjective",
    "nope",
    "",
]


class StdioServer:
    """The server over raw stdio: frames in, parsed messages out on a queue (a reader thread)."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=server_env()
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.root = root

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.inbox.put(json.loads(out.read(length)))

    def write(self, frame: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = f"fuzz-{self.next_id}"
        self.send({"id": my_id, "method": method, "params": params})
        while True:
            try:
                msg = self.inbox.get(timeout=ANSWER_S)
            except queue.Empty:
                raise AssertionError(f"no answer to {method} {params!r}") from None
            if "method" in msg and "id" in msg:  # the server asks the client something
                self.send({"id": msg["id"], "result": None})
            elif msg.get("id") == my_id:
                return msg

    def code_action(self) -> dict[str, Any]:
        doc = uri(self.root, "app/store.py")
        return self.request(
            types.TEXT_DOCUMENT_CODE_ACTION,
            {"textDocument": {"uri": doc}, "range": range_json(rng(4, 0)), "context": {"diagnostics": []}},
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioServer]:
    root = make_workspace(tmp_path_factory.mktemp("fuzzws"))
    srv = StdioServer(root)
    init = srv.request(types.INITIALIZE, {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
    assert "capabilities" in init["result"]
    srv.send({"method": types.INITIALIZED, "params": {}})
    text = (root / "app/store.py").read_text()
    srv.send(
        {
            "method": types.TEXT_DOCUMENT_DID_OPEN,
            "params": {
                "textDocument": {"uri": uri(root, "app/store.py"), "languageId": "python", "version": 1, "text": text}
            },
        }
    )
    assert srv.code_action()["result"]
    yield srv
    srv.proc.kill()
    srv.proc.wait()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
positions = st.fixed_dictionaries({"line": st.integers(-2, 40), "character": st.integers(-2, 300)})


@st.composite
def lsp_shaped(draw: st.DrawFn) -> dict[str, Any]:
    """Params with the keys handlers look at, holding sometimes-right values: reaches deeper code."""
    doc = draw(st.sampled_from(["file:///fuzz/x.py", "untitled:1", "bad uri", "{ROOT}/app/store.py"]))
    return {
        "textDocument": {"uri": doc, "version": draw(st.integers(-1, 10)), "text": draw(st.text(max_size=40))},
        "range": {"start": draw(positions), "end": draw(positions)},
        "position": draw(positions),
        "context": {"diagnostics": [], "only": draw(st.none() | st.lists(st.text(max_size=10), max_size=2))},
        "command": draw(st.sampled_from(COMMANDS)),
        "arguments": draw(st.lists(json_values, max_size=2)),
        "settings": draw(json_values),
        "contentChanges": draw(st.lists(st.fixed_dictionaries({"text": st.text(max_size=20)}), max_size=2)),
        "data": draw(json_values),
    }


messages = st.tuples(st.sampled_from(METHODS), st.booleans(), json_values | lsp_shaped())


def _frame(body: bytes, headers: bytes = b"") -> bytes:
    return b"Content-Length: %d\r\n" % len(body) + headers + b"\r\n" + body


malformed = st.one_of(
    st.binary(max_size=60).map(_frame),  # not JSON, maybe not UTF-8
    st.text(max_size=40).map(lambda t: _frame(t.encode())),
    json_values.map(lambda v: _frame(json.dumps(v).encode())),  # JSON, but not a JSON-RPC object
    st.lists(st.just({"jsonrpc": "2.0", "method": "textDocument/hover", "id": 1}), min_size=1, max_size=3).map(
        lambda batch: _frame(json.dumps(batch).encode())
    ),  # batches are not LSP
    st.fixed_dictionaries(
        {"jsonrpc": st.sampled_from(["2.0", "1.0", 2]), "id": json_values, "method": json_values, "params": json_values}
    ).map(lambda m: _frame(json.dumps(m).encode())),  # ids and methods of the wrong type
    st.fixed_dictionaries(
        {
            "jsonrpc": st.just("2.0"),
            "id": st.integers(10**6, 10**7),
            "result": json_values,
            "error": st.none() | json_values,
        }
    ).map(lambda m: _frame(json.dumps(m).encode())),  # a reply to a request the server never sent
    st.text(alphabet="abc-: ", max_size=20).map(
        lambda h: _frame(b'{"jsonrpc": "2.0", "method": "$/x"}', b"X-" + h.encode() + b"\r\n")
    ),  # odd headers
)


def _well_formed(reply: dict[str, Any]) -> bool:
    if "result" in reply:
        return "error" not in reply
    error = reply.get("error")
    return isinstance(error, dict) and isinstance(error.get("code"), int) and isinstance(error.get("message"), str)


# No shrinking: one server serves every example, and a server that stopped answering would make
# each shrink step wait ANSWER_S. The failing batch is printed whole instead.
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=[Phase.generate])
@given(batch=st.lists(messages | malformed, min_size=1, max_size=5))
def test_random_messages_never_kill_the_server(server: StdioServer, batch: list[Any]) -> None:
    root = server.root.as_uri()
    for item in batch:
        if isinstance(item, bytes):
            server.write(item)
            continue
        method, is_request, params = item
        params = json.loads(json.dumps(params).replace("{ROOT}", root))
        if not is_request:
            server.send({"method": method, "params": params})
            continue
        reply = server.request(method, params)
        assert _well_formed(reply), reply
        assert server.proc.poll() is None
    assert server.proc.poll() is None, "the server died"


def test_still_routes_after_the_fuzzing(server: StdioServer) -> None:
    """Runs after the fuzz test (file order): the server still serves and the lightbulb lights again.
    The fuzzing may have sent didChange or didClose for the file with random text, so the file is opened
    afresh with its real text first."""
    assert server.proc.poll() is None
    doc = uri(server.root, "app/store.py")
    server.send({"method": types.TEXT_DOCUMENT_DID_CLOSE, "params": {"textDocument": {"uri": doc}}})
    text = (server.root / "app/store.py").read_text()
    server.send({"method": types.TEXT_DOCUMENT_DID_OPEN, "params": {
        "textDocument": {"uri": doc, "languageId": "python", "version": 1000, "text": text}}})
    assert server.code_action()["result"]
    routed = server.request(
        types.WORKSPACE_EXECUTE_COMMAND,
        {
            "command": "modelroute.route",
            "arguments": [
                {"uri": uri(server.root, "app/store.py"), "range": range_json(rng(4, 0)), "instruction": "add hints"}
            ],
        },
    )
    assert routed["result"]["model"], routed
