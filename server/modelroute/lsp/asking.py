"""Questions to the user (window/showMessageRequest) that never hang a run.

Some clients never answer (Helix cannot show the prompt; a closed window drops it). After the timeout
the question counts as declined, the client is told to drop it, and a late answer is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from modelroute.lsp.server import ModelrouteServer

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0


async def ask(
    ls: ModelrouteServer,
    params: types.ShowMessageRequestParams,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    *,
    msg_id_prefix: str = "",
    on_late: Callable[[str], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> str | None:
    """The title the user picked, or None (declined, failed, or no answer within `timeout_s`).

    `on_late(title)`: an answer that came after the timeout (it is not acted on; the caller may log
    it). `on_error(exc)`: the client failed the request (default: a server log line)."""
    msg_id = f"{msg_id_prefix}{uuid.uuid4()}"
    future = ls.protocol.send_request_async(types.WINDOW_SHOW_MESSAGE_REQUEST, params, msg_id=msg_id)
    try:
        # shield: a late reply must find its future alive (pygls fails setting a cancelled one)
        reply = await asyncio.wait_for(asyncio.shield(future), timeout_s)
    except TimeoutError:
        log.info("no answer to %r within %.0f s: declined", params.message[:80], timeout_s)
        ls.protocol.notify("$/cancelRequest", types.CancelParams(id=msg_id))  # the client may drop the prompt
        if on_late is not None:
            future.add_done_callback(lambda f: _late(f, on_late))
        return None
    except Exception as exc:  # the client could not ask: never act on a guess
        (on_error or _log_error)(exc)
        return None
    return reply.title if isinstance(reply, types.MessageActionItem) else None


def _late(future: asyncio.Future[Any], on_late: Callable[[str], None]) -> None:
    reply = None if future.cancelled() or future.exception() else future.result()
    if isinstance(reply, types.MessageActionItem):
        on_late(reply.title)


def _log_error(exc: Exception) -> None:
    log.info("showMessageRequest failed: %s", exc)
