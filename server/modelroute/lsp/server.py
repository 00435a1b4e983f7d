"""The pygls server object: the session it owns, background work, and logging.

Features live one per module (lifecycle and sync, config, actions, commands, run, spend, hover,
inlay, notebooks) and register themselves on a `ModelrouteServer` through `register(server)`. All
state lives in `server.session` (lsp/session.py); no module holds any.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer

from modelroute import __version__
from modelroute.lsp.notebooks import SYNC_OPTIONS
from modelroute.lsp.progress import work_done
from modelroute.lsp.protocol import ModelrouteProtocol
from modelroute.lsp.session import Session
from modelroute.lsp.state import WorkspaceState

log = logging.getLogger(__name__)


class ModelrouteServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "modelroute",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=SYNC_OPTIONS,
            protocol_cls=ModelrouteProtocol,
        )
        self.initialized = False
        self.event_loop: asyncio.AbstractEventLoop | None = None  # the loop serving the client (set at initialize)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.session = Session(self)

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run background work; keep a reference and log (never raise) its failure."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed: %s", what, t.exception(), exc_info=t.exception())
                self.log(f"modelroute: {what} failed: {t.exception()}", types.MessageType.Error)

        task.add_done_callback(done)
        return task

    async def idle(self) -> None:
        """Wait for background work (tests and benchmarks use it through a command)."""
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.sleep(0)  # let done-callbacks run

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Malformed messages and failed notifications go to the log, not into a popup: a client
        sending garbage should not spam its user. Request errors are answered as errors anyway."""
        if source is FeatureRequestError:
            return  # already answered to the client as an error response
        if isinstance(source, type) and issubclass(source, JsonRpcException):
            self.log(f"modelroute: ignored a malformed message: {error}", types.MessageType.Warning)
        else:
            self.log(f"modelroute: {source.__name__}: {error}", types.MessageType.Error)

    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=level, message=message))

    def start_state(self, state: WorkspaceState) -> None:
        config = self.session.config

        async def run() -> None:
            await config.pull(self, [state])
            resolved = await state.start(config.for_root(state.root) or {})
            config.report(self, state, resolved)
            if state.loose and state.root in self.session.registry.folders:
                self.log(f"modelroute: {state.root} is your home folder or above it: it is not indexed, and runs "
                         "there see only the file they act on and run no commands. Open a project folder instead.",
                         types.MessageType.Warning)
            if state.index:
                async with work_done(self, "modelroute: indexing", message=state.root.name):
                    await state.build_index()

        self.spawn(run(), f"starting workspace {state.root}")
