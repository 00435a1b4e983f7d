"""A fake model provider on 127.0.0.1 that the unmodified anthropic and openai SDKs talk to.

Built on the standard library's ThreadingHTTPServer on purpose: the faults we script (a body cut
off mid-chunk, a hang before or during a stream, a broken SSE event) need byte-level control of
the socket that ASGI servers hide, and it adds no dependency for other test suites (node, Neovim)
that start it as `python -m modelroute_testing.fakeprovider`.

Endpoints: POST /v1/messages (+ /v1/messages/count_tokens), POST /v1/responses,
POST /v1/chat/completions, each as JSON or SSE. Control (for other processes):
POST /_fake/replies {"replies": [...], "model": optional}, GET /_fake/requests, POST /_fake/reset, GET /_fake/health.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from modelroute_testing.fakeprovider import wire
from modelroute_testing.fakeprovider.cache import PromptCache
from modelroute_testing.fakeprovider.script import Fault, Reply

API_PATHS = {
    "/v1/messages": "anthropic",
    "/v1/responses": "responses",
    "/v1/chat/completions": "chat",
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any
    api: str | None
    client_closed: bool = False  # the client hung up before the reply was complete
    events_sent: int = 0

    def raw_without_auth(self) -> str:
        """Everything the client sent except the credential headers, for "no secret leaked" checks."""
        headers = {k: v for k, v in self.headers.items() if k not in {"authorization", "x-api-key"}}
        return f"{self.method} {self.path}\n{json.dumps(headers)}\n{self.body.decode('utf-8', 'replace')}"


@dataclass
class _State:
    replies: deque[Reply] = field(default_factory=deque)
    # Replies for one model (the request's `model`), taken before the shared queue: attempts that
    # run side by side (best-of-n) each get their own script.
    by_model: dict[str, deque[Reply]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    default_reply: Reply | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    cache: PromptCache = field(default_factory=PromptCache)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    state: _State


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read records instead
        return

    # ------------------------------------------------------------ dispatch

    def do_GET(self) -> None:
        state = self.server.state
        if self.path == "/_fake/health":
            self._json(200, {"ok": True})
        elif self.path == "/_fake/requests":
            with state.lock:
                records = [
                    {
                        "method": r.method,
                        "path": r.path,
                        "headers": r.headers,
                        "json": r.json,
                        "client_closed": r.client_closed,
                        "events_sent": r.events_sent,
                    }
                    for r in state.requests
                ]
            self._json(200, {"requests": records})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        path = self.path.split("?", 1)[0]
        if path.startswith("/_fake/"):
            self._control(path, body)
            return
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = None
        api = "count_tokens" if path == "/v1/messages/count_tokens" else API_PATHS.get(path)
        record = RecordedRequest(
            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, data, api
        )
        state = self.server.state
        with state.lock:
            state.requests.append(record)
        if api is None or not isinstance(data, dict):
            self._json(404 if api is None else 400, wire.openai_error(400, f"fake provider: bad {path}"))
            return
        if api == "count_tokens":
            self._json(200, {"input_tokens": max(1, len(body) // 4)})
            return
        problem = _validate(api, data)
        if problem:
            self._api_error(api, 400, f"fake provider rejected the request: {problem}", None)
            return
        reply = self._next_reply(str(data.get("model", "")))
        if reply is None:
            self._api_error(api, 400, "fake provider: no scripted reply left", None)
            return
        self._serve(api, data, reply, record)

    def _control(self, path: str, body: bytes) -> None:
        state = self.server.state
        if path == "/_fake/replies":
            sent = json.loads(body)
            replies = [Reply.from_json(r) for r in sent["replies"]]
            with state.lock:
                model = sent.get("model")
                queue = state.by_model.setdefault(model, deque()) if model else state.replies
                queue.extend(replies)
            self._json(200, {"queued": len(queue)})
        elif path == "/_fake/reset":
            with state.lock:
                state.replies.clear()
                state.by_model.clear()
                state.requests.clear()
            self._json(200, {"ok": True})
        else:
            self._json(404, {"error": {"message": f"no route {path}"}})

    def _next_reply(self, model: str = "") -> Reply | None:
        state = self.server.state
        with state.lock:
            own = state.by_model.get(model)
            if own:
                return own.popleft()
            if state.replies:
                return state.replies.popleft()
            return state.default_reply

    # ------------------------------------------------------------ replies

    def _serve(self, api: str, data: dict[str, Any], reply: Reply, record: RecordedRequest) -> None:
        model = str(data.get("model", "fake-model"))
        if reply.prompt_cache:
            shape = self.server.state.cache.apply(api, data)
            reply = replace(
                reply, input_tokens=shape.uncached, cache_read_tokens=shape.read, cache_write_tokens=shape.written
            )
        fault = reply.fault
        stream = bool(data.get("stream"))
        if fault and fault.kind == "status":
            self._api_error(api, fault.status, fault.message, fault.retry_after)
        elif fault and fault.kind == "hang" and (not stream or fault.after_events == 0):
            self._hang(fault)
        elif stream:
            include_usage = bool((data.get("stream_options") or {}).get("include_usage"))
            events = {
                "anthropic": lambda: wire.anthropic_events(reply, model),
                "responses": lambda: wire.responses_events(reply, model),
                "chat": lambda: wire.chat_events(reply, model, include_usage),
            }[api]()
            self._stream(api, events, reply, record)
        else:
            self._whole(api, reply, model)

    def _whole(self, api: str, reply: Reply, model: str) -> None:
        fault = reply.fault
        if fault and fault.kind == "error_event":
            self._api_error(api, fault.status, fault.message, None)
            return
        body = {
            "anthropic": wire.anthropic_message,
            "responses": wire.responses_object,
            "chat": wire.chat_completion,
        }[api](reply, model)
        raw = json.dumps(body).encode()
        if fault and fault.kind == "malformed":
            raw = raw[: len(raw) // 2]
        if fault and fault.kind == "truncate":
            self._head(200, "application/json", {"content-length": str(len(raw))})
            self.wfile.write(raw[: len(raw) // 2])
            self._drop()
            return
        self._send(200, raw, "application/json")

    def _stream(self, api: str, events: list[wire.Event], reply: Reply, record: RecordedRequest) -> None:
        fault = reply.fault
        cut = fault.after_events if fault else len(events)
        self._head(200, "text/event-stream", {"transfer-encoding": "chunked", "cache-control": "no-cache"})
        try:
            for name, payload in events[: min(cut, len(events))]:
                self._chunk(wire.encode_event(name, payload))
                record.events_sent += 1
                if reply.event_delay_s and self.server.state.stopping.wait(reply.event_delay_s):
                    return
            if fault is None or (cut >= len(events) and fault.kind != "error_event"):
                self._chunk(b"")
            else:
                self._stream_fault(api, fault, events, cut)
        except (BrokenPipeError, ConnectionResetError):
            record.client_closed = True
            self.close_connection = True

    def _stream_fault(self, api: str, fault: Fault, events: list[wire.Event], cut: int) -> None:
        if fault.kind == "truncate":
            following = events[cut] if cut < len(events) else (None, {"type": "partial"})
            raw = wire.encode_event(*following)
            self._chunk(raw[: max(1, len(raw) // 2)], terminate=False)
            self._drop()
        elif fault.kind == "malformed":
            self._chunk(b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": {\n\n')
            self._chunk(b"")
        elif fault.kind == "error_event":
            self._chunk(_error_event(api, fault))
            self._chunk(b"")
        elif fault.kind == "hang":
            self.wfile.flush()
            self._hang(fault)

    def _hang(self, fault: Fault) -> None:
        self.server.state.stopping.wait(fault.hang_s)
        self._drop()

    # ------------------------------------------------------------ bytes on the wire

    def _api_error(self, api: str, status: int, message: str, retry_after: float | None) -> None:
        render = wire.anthropic_error if api == "anthropic" else wire.openai_error
        body = render(status, message)
        headers = {"retry-after": _seconds(retry_after)} if retry_after is not None else {}
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, raw: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self._head(status, content_type, {"content-length": str(len(raw)), **(extra or {})})
        self.wfile.write(raw)
        self.wfile.flush()

    def _head(self, status: int, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("request-id", wire.new_id("req"))
        self.send_header("x-request-id", wire.new_id("req"))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()

    def _chunk(self, data: bytes, *, terminate: bool = True) -> None:
        frame = f"{len(data):x}\r\n".encode() + data + (b"\r\n" if terminate else b"")
        self.wfile.write(frame)
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket abruptly: the client sees a body that stops mid-way."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _error_event(api: str, fault: Fault) -> bytes:
    if api == "anthropic":
        return wire.encode_event("error", wire.anthropic_error(fault.status, fault.message))
    if api == "responses":
        return wire.encode_event("error", wire.responses_error_event(fault.message, fault.status))
    return wire.encode_event(None, wire.openai_error(fault.status, fault.message))


def _validate(api: str, data: dict[str, Any]) -> str | None:
    """The few checks real APIs make that a client translating conversations can get wrong."""
    if not data.get("model"):
        return "model is required"
    if api == "anthropic":
        return _validate_anthropic(data)
    if api == "responses":
        return _validate_responses(data)
    return _validate_chat(data)


def _validate_anthropic(data: dict[str, Any]) -> str | None:
    if not isinstance(data.get("max_tokens"), int):
        return "max_tokens: field required"
    seen: set[str] = set()
    for message in data.get("messages") or []:
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        for block in blocks:
            if block.get("type") == "tool_use":
                seen.add(block["id"])
            if block.get("type") == "tool_result" and block.get("tool_use_id") not in seen:
                return f"tool_result for unknown tool_use id {block.get('tool_use_id')!r}"
    thinking = data.get("thinking") or {}
    budget = thinking.get("budget_tokens", 0)
    if thinking.get("type") == "enabled" and not 1024 <= budget < data["max_tokens"]:
        return "thinking.budget_tokens must be >= 1024 and less than max_tokens"
    return None


def _validate_responses(data: dict[str, Any]) -> str | None:
    items = data.get("input")
    seen: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if item.get("type") == "function_call":
            seen.add(item.get("call_id"))
        if item.get("type") == "function_call_output" and item.get("call_id") not in seen:
            return f"No tool call found for function call output with call_id {item.get('call_id')}."
    return None


def _validate_chat(data: dict[str, Any]) -> str | None:
    seen: set[str] = set()
    for message in data.get("messages") or []:
        for call in message.get("tool_calls") or []:
            seen.add(call.get("id"))
        if message.get("role") == "tool" and message.get("tool_call_id") not in seen:
            return "messages with role 'tool' must be a response to a preceding message with 'tool_calls'"
    return None


class FakeProvider:
    """The fake server plus its script. Use as a context manager or call start()/stop()."""

    def __init__(self, port: int = 0, default_reply: Reply | None = None) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.state = _State(default_reply=default_reply)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fakeprovider",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def anthropic_base_url(self) -> str:
        """For ANTHROPIC_BASE_URL: the SDK adds /v1/messages."""
        return self.url

    @property
    def openai_base_url(self) -> str:
        """For OPENAI_BASE_URL or a provider's base_url: the SDK adds /responses, /chat/completions."""
        return f"{self.url}/v1"

    def start(self) -> FakeProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def queue(self, *replies: Reply | Iterable[Reply]) -> None:
        """Append replies; each model request (each SDK attempt) takes the next one."""
        flat: list[Reply] = []
        for item in replies:
            flat.extend([item] if isinstance(item, Reply) else item)
        with self._server.state.lock:
            self._server.state.replies.extend(flat)

    def queue_for(self, model: str, *replies: Reply | Iterable[Reply]) -> None:
        """Replies for requests naming `model` (the API's model name), taken before the shared queue."""
        flat: list[Reply] = []
        for item in replies:
            flat.extend([item] if isinstance(item, Reply) else item)
        with self._server.state.lock:
            self._server.state.by_model.setdefault(model, deque()).extend(flat)

    @property
    def pending(self) -> int:
        return len(self._server.state.replies) + sum(len(q) for q in self._server.state.by_model.values())

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def model_requests(self) -> list[RecordedRequest]:
        """Requests to the three model endpoints, in order (one per SDK attempt)."""
        return [r for r in self.requests if r.api in {"anthropic", "responses", "chat"}]

    def reset(self, *, caching: bool = True) -> None:
        """Forget replies, requests and the prompt cache; `caching=False`: a provider that caches
        nothing from now on (replies scripted with prompt_cache=True report no cache reads)."""
        with self._server.state.lock:
            self._server.state.replies.clear()
            self._server.state.by_model.clear()
            self._server.state.requests.clear()
            self._server.state.cache = PromptCache(enabled=caching)
