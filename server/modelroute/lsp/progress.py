"""Server-created work-done progress, gated on the client's `window.workDoneProgress`.

A command handler never sees a client token, so the server creates its own
(`window/workDoneProgress/create`). Clients without the capability (eglot 1.9) get a silent
handle with the same interface, so callers never branch.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


class ProgressHandle:
    """One progress bar. `cancelled` is polled by the work it reports on."""

    def __init__(self, server: LanguageServer, token: str | None) -> None:
        self._server = server
        self.token = token

    @property
    def cancelled(self) -> bool:
        if self.token is None:
            return False
        future = self._server.work_done_progress.tokens.get(self.token)
        return future is not None and future.cancelled()

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.token is not None:
            self._server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )


def supports_progress(server: LanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window and window.work_done_progress)


@asynccontextmanager
async def work_done(
    server: LanguageServer, title: str, *, cancellable: bool = False, message: str | None = None
) -> AsyncIterator[ProgressHandle]:
    """Show progress for the body; ends it (with "cancelled" when the user cancelled) on exit."""
    token: str | None = None
    if supports_progress(server):
        token = f"modelroute/{uuid.uuid4()}"
        try:
            await server.work_done_progress.create_async(token)
        except Exception as exc:  # the client refused: carry on without a bar
            log.info("progress create refused: %s", exc)
            token = None
    handle = ProgressHandle(server, token)
    if token is not None:
        server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=cancellable, message=message)
        )
    try:
        yield handle
    finally:
        if token is not None:
            end = "cancelled" if handle.cancelled else "done"
            server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=end))
            server.work_done_progress.tokens.pop(token, None)
