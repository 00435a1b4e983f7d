"""Questions to the user (window/showMessageRequest) that never hang a run.

Some clients never answer (Helix cannot show the prompt; a closed window drops it). After the timeout
the question counts as declined, the client is told to drop it, and a late answer is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from modelroute.lsp.server import ModelrouteServer

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0


async def ask(
    ls: ModelrouteServer, params: types.ShowMessageRequestParams, timeout_s: float = DEFAULT_TIMEOUT_S
) -> str | None:
    """The title the user picked, or None (declined, failed, or no answer within `timeout_s`)."""
    msg_id = str(uuid.uuid4())
    future = ls.protocol.send_request_async(types.WINDOW_SHOW_MESSAGE_REQUEST, params, msg_id=msg_id)
    try:
        # shield: a late reply must find its future alive (pygls fails setting a cancelled one)
        reply = await asyncio.wait_for(asyncio.shield(future), timeout_s)
    except TimeoutError:
        log.info("no answer to %r within %.0f s: declined", params.message[:80], timeout_s)
        ls.protocol.notify("$/cancelRequest", types.CancelParams(id=msg_id))  # the client may drop the prompt
        return None
    except Exception as exc:  # the client could not ask: never act on a guess
        log.info("showMessageRequest failed: %s", exc)
        return None
    return reply.title if isinstance(reply, types.MessageActionItem) else None
