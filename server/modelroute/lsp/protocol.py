"""pygls' protocol, answering requests whose params do not match their method's type.

Stock pygls 2.1 raises while deserializing such a request and never replies, leaving the
client waiting; here the client gets InvalidParams (-32602) and the server carries on.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

INVALID_PARAMS = -32602


class _Answered:
    """Stands in for a request that was already answered with an error."""

    jsonrpc = "2.0"


ANSWERED = _Answered()


class ModelrouteProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
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

    def handle_message(self, message: Any) -> None:
        if message is ANSWERED:
            return
        super().handle_message(message)
