"""pygls' protocol with two changes.

- A request whose params do not match its method's type gets InvalidParams (-32602): stock
  pygls 2.1 raises while deserializing it and never replies, leaving the client waiting.
- A notification method sent with an id (a request) gets InvalidRequest (-32600): stock pygls
  handles it as the notification and never replies.
- A `Serialized` result (plain JSON, cached by the caller) is sent without another cattrs walk.
- A handler run for a notification (and each step of a generator handler, which pygls' own
  didOpen/didChange/didClose are) leaves its finished future in `_request_futures` for ever in
  pygls 2.1.1, the latest release: about 2 KB per keystroke. Such futures are forgotten once done
  (bench/bench_lsp_memory.py shows RSS levelling off over 100,000 didChange notifications).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


class Serialized(list[Any]):
    """A result that is already plain JSON: sent as is, not walked again by cattrs."""


class _Answered:
    """Stands in for a request that was already answered with an error."""

    jsonrpc = "2.0"


ANSWERED = _Answered()


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
        kind = self.get_message_type(data["method"]) if isinstance(data["method"], str) else None
        return kind is not None and attrs.has(kind) and "id" not in attrs.fields_dict(kind)

    def _serialize_message(self, data: Any) -> Any:
        result = getattr(data, "result", None)
        if isinstance(result, Serialized) and hasattr(data, "id"):
            return {"id": data.id, "jsonrpc": data.jsonrpc, "result": list(result)}
        return super()._serialize_message(data)

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
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if _answers_a_request(callback):
            return  # pygls drops these itself when it sends the answer
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(partial(self._forget, msg_id))

    def _forget(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]


def _answers_a_request(callback: Callable[..., Any]) -> bool:
    return isinstance(callback, partial) and getattr(callback.func, "__name__", "") == "_send_handler_result"
