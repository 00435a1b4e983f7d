"""pygls' protocol with two changes.

- A request whose params do not match its method's type gets InvalidParams (-32602): stock
  pygls 2.1 raises while deserializing it and never replies, leaving the client waiting.
- A notification method sent with an id (a request) gets InvalidRequest (-32600): stock pygls
  handles it as the notification and never replies.
- A `Serialized` result (plain JSON, cached by the caller) is sent without another cattrs walk, and
  its JSON text is encoded once: a warm code action answered from the cache sends the same text
  again (encoding eight actions took about a tenth of a warm request).
- A handler marked `answers_at_once` is a plain function that returns its answer, or an awaitable
  when it has to wait: a code action answered from the cache goes out without creating a task
  (about a fifth of a warm request's time), one that needs a decision is awaited like an async
  handler.
- A handler run for a notification (and each step of a generator handler, which pygls' own
  didOpen/didChange/didClose are) leaves its finished future in `_request_futures` for ever in
  pygls 2.1.1, the latest release: about 2 KB per keystroke. Such futures are forgotten once done
  (bench/bench_lsp_memory.py shows RSS levelling off over 100,000 didChange notifications).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future
from functools import lru_cache, partial
from typing import Any, TypeVar

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
F = TypeVar("F", bound=Callable[..., Any])


def answers_at_once(handler: F) -> F:
    """Mark a plain handler that returns its answer, or an awaitable of it when it must wait."""
    handler.answers_at_once = True  # type: ignore[attr-defined]
    return handler


class Serialized(list[Any]):
    """A result that is already plain JSON: sent as is, not walked again by cattrs. Its text is
    encoded on first send and kept: do not change the list after it has been sent."""

    _encoded: str | None = None

    def encoded(self) -> str:
        if self._encoded is None:
            self._encoded = json.dumps(self, separators=(",", ":"))  # ASCII: Content-Length counts characters
        return self._encoded


class _Answered:
    """Stands in for a request that was already answered with an error."""

    jsonrpc = "2.0"


ANSWERED = _Answered()
_SENDING: set[asyncio.Future[Any]] = set()


@lru_cache(maxsize=512)
def _is_notification(method: str) -> bool:
    """Whether the spec makes `method` a notification (its message type has no id); asked once each."""
    kind = types.METHOD_TO_TYPES.get(method, (None,))[0]
    return kind is not None and attrs.has(kind) and "id" not in attrs.fields_dict(kind)


class ModelrouteProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        if self._notification_with_id(data):
            method = str(data["method"])[:100]
            self._send_response(
                data["id"],
                error=types.ResponseError(
                    code=INVALID_REQUEST, message=f"{method} is a notification: send it without an id"
                ),
            )
            return ANSWERED
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if not (isinstance(data, dict) and "jsonrpc" in data and "method" in data and "id" in data):
                raise
            method = str(data["method"])[:100]
            log.info("invalid params for %s", method)
            self._send_response(
                data["id"],
                error=types.ResponseError(code=INVALID_PARAMS, message=f"Invalid params for {method}"),
            )
            return ANSWERED

    def _notification_with_id(self, data: Any) -> bool:
        if not (isinstance(data, dict) and "jsonrpc" in data and "id" in data and "method" in data):
            return False
        method = data["method"]
        return isinstance(method, str) and _is_notification(method)

    def _serialize_message(self, data: Any) -> Any:
        result = getattr(data, "result", None)
        if isinstance(result, Serialized) and hasattr(data, "id"):
            return {"id": data.id, "jsonrpc": data.jsonrpc, "result": list(result)}
        return super()._serialize_message(data)

    def _send_data(self, data: Any) -> None:
        result = getattr(data, "result", None)
        if not isinstance(result, Serialized) or getattr(data, "error", None) is not None or self.writer is None:
            super()._send_data(data)
            return
        try:
            body = f'{{"id":{json.dumps(data.id)},"jsonrpc":"2.0","result":{result.encoded()}}}'
            if self._include_headers:
                body = (f"Content-Length: {len(body)}\r\n"
                        f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n{body}")
            written = self.writer.write(body.encode(self.CHARSET))
            if inspect.isawaitable(written):  # a websocket's send: kept until sent
                sending = asyncio.ensure_future(written)
                _SENDING.add(sending)
                sending.add_done_callback(_SENDING.discard)
        except BrokenPipeError:  # as pygls: the transport is gone
            log.exception("Error sending data. BrokenPipeError")
            raise
        except Exception as error:
            log.exception("Error sending data")
            self._server._report_server_error(error, JsonRpcInternalError)

    def handle_message(self, message: Any) -> None:
        if message is ANSWERED:
            return
        super().handle_message(message)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Callable[..., Any],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        if getattr(getattr(handler, "func", handler), "answers_at_once", False):
            self._at_once_or_later(msg_id, handler, callback, args or (), kwargs or {})
            return
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if _answers_a_request(callback):
            return  # pygls drops these itself when it sends the answer
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(partial(self._forget, msg_id))

    def _at_once_or_later(
        self, msg_id: Any, handler: Any, callback: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        try:
            result = handler(*args, **kwargs)
        except Exception as exc:
            failed: Future[Any] = Future()
            failed.add_done_callback(callback)
            failed.set_exception(exc)
            return
        if inspect.isawaitable(result):
            later = asyncio.ensure_future(result)
            self._request_futures[msg_id] = later  # type: ignore[assignment]  # as pygls does: $/cancelRequest finds it
            later.add_done_callback(callback)
            return
        now: Future[Any] = Future()
        now.add_done_callback(callback)
        now.set_result(result)

    def _forget(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]


def _answers_a_request(callback: Callable[..., Any]) -> bool:
    return isinstance(callback, partial) and getattr(callback.func, "__name__", "") == "_send_handler_result"
